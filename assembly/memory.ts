// Buffers in linear memory for tensors, graph slabs and gate caches.
// The runtime's TLSF allocator hands out 16-byte aligned blocks and reuses freed
// ones; this file only keeps the count of bytes in use for memoryStats().

let bytesInUse: usize = 0;
let blocksInUse: i32 = 0;

/** A zeroed, 16-byte aligned block of `size` bytes. */
export function alloc(size: usize): usize {
  const ptr = heap.alloc(size);
  const usable = blockSize(ptr);
  memory.fill(ptr, 0, usable);
  bytesInUse += usable;
  blocksInUse += 1;
  return ptr;
}

export function free(ptr: usize): void {
  if (ptr == 0) return;
  bytesInUse -= blockSize(ptr);
  blocksInUse -= 1;
  heap.free(ptr);
}

export function allocatedBytes(): usize {
  return bytesInUse;
}

export function allocatedBlocks(): i32 {
  return blocksInUse;
}

// TLSF keeps the block's size in the word before the payload (low 2 bits are flags).
// @ts-ignore: decorator
@inline function blockSize(ptr: usize): usize {
  return load<usize>(ptr - sizeof<usize>()) & ~3;
}
