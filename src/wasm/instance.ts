// The one live instance, and typed-array views over its linear memory that are re-made
// whenever memory.grow has detached the old buffer. The instance itself lives in `core`,
// shared with any other copy of this package in the realm (shared.ts); the views are
// this copy's own and follow it.
import { OutOfMemoryError, StateError } from '../errors';
import type { WasmExports } from './abi';
import { core } from './shared';
import type { ThreadPool } from './threads';

let f64View = new Float64Array(0);
let i32View = new Int32Array(0);
let f32View = new Float32Array(0);

export function setInstance(exports: WasmExports): void {
  core.exports = exports;
}

export function setThreads(threads: ThreadPool | null): void {
  core.pool = threads;
}

/** The GEMM threads, when the threaded build runs with more than one. */
export function threadPool(): ThreadPool | null {
  return core.pool;
}

export function isReady(): boolean {
  return core.exports !== null;
}

/** The wasm exports; a clear error before `init()` has finished. */
export function wasm(): WasmExports {
  const live = core.exports;
  if (live === null) throw new StateError('wasmgrad is not initialized: `await init()` first');
  return live;
}

export function f64(): Float64Array {
  if (f64View.buffer !== wasm().memory.buffer) f64View = new Float64Array(wasm().memory.buffer);
  return f64View;
}

export function f32(): Float32Array {
  if (f32View.buffer !== wasm().memory.buffer) f32View = new Float32Array(wasm().memory.buffer);
  return f32View;
}

export function i32(): Int32Array {
  if (i32View.buffer !== wasm().memory.buffer) i32View = new Int32Array(wasm().memory.buffer);
  return i32View;
}

// A single block is at most 1 GiB (the runtime's TLSF limit) and all of linear memory
// at most 4 GiB; asking for more must fail here, before wasm traps.
const MAX_BLOCK_BYTES = 2 ** 30 - 64;

/** A zeroed, 16-byte aligned block, or an OutOfMemoryError that names `what`. */
export function allocate(bytes: number, what: string): number {
  const exports = wasm();
  if (!(bytes <= MAX_BLOCK_BYTES)) {
    throw new OutOfMemoryError(`${what}: ${bytes} bytes exceed the largest block linear memory can hold (${MAX_BLOCK_BYTES})`);
  }
  try {
    return exports.alloc(Math.max(bytes, 16));
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) {
      throw new OutOfMemoryError(
        `${what}: ${bytes} bytes do not fit in linear memory (${exports.memory.buffer.byteLength} bytes, ${exports.allocated_bytes() >>> 0} in use)`,
      );
    }
    throw error;
  }
}

export function release(ptr: number): void {
  if (ptr !== 0) wasm().free(ptr);
}

export interface MemoryStats {
  /** Bytes in blocks that wasmgrad holds (tensors, graph slabs, tapes, gate caches). */
  bytesInUse: number;
  /** Blocks allocated and not yet freed. */
  blocks: number;
  /** The whole linear memory, allocated or not. */
  memoryBytes: number;
  /**
   * Tensors you made (Tensor.from, zeros, clone, …) that are neither disposed nor yet
   * collected. A number that keeps rising in a loop is a leak: a collected tensor is freed
   * only when the event loop gets to run, never inside a synchronous loop.
   */
  userTensors: number;
  /** The bytes those tensors hold (part of bytesInUse). */
  userTensorBytes: number;
}

/** Counts a tensor the user made (+1) or freed (−1), and its bytes. */
export function countUserTensor(count: number, bytes: number): void {
  core.userTensors += count;
  core.userTensorBytes += bytes;
}

export function memoryStats(): MemoryStats {
  const exports = wasm();
  return {
    // The core returns i32; past 2 GiB that reads negative unless taken as unsigned.
    bytesInUse: exports.allocated_bytes() >>> 0,
    blocks: exports.allocated_blocks() >>> 0,
    memoryBytes: exports.memory.buffer.byteLength,
    userTensors: core.userTensors,
    userTensorBytes: core.userTensorBytes,
  };
}

export interface BackendInfo {
  /** Which build runs: 'relaxed' (SIMD with FMA) or 'plain' (SIMD128). */
  simd: 'relaxed' | 'plain';
  /** Threads that large matrix products are split across, the caller's included. */
  threads: number;
}

/** What the loaded core is. */
export function backend(): BackendInfo {
  return { simd: wasm().RELAXED_SIMD.value ? 'relaxed' : 'plain', threads: core.pool?.size ?? 1 };
}
