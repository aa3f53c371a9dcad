// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Moving rows: a minibatch gathered from a data set by index.

/** dst[i, :] = src[indices[i], :] for i < count; rows of `cols` values. */
export function gatherRows<T extends number>(src: usize, indices: usize, dst: usize, count: i32, cols: i32): void {
  const rowBytes = <usize>cols * sizeof<T>();
  for (let i: usize = 0; i < <usize>count; i++) {
    const row = <usize>load<i32>(indices + (i << 2));
    memory.copy(dst + i * rowBytes, src + row * rowBytes, rowBytes);
  }
}
