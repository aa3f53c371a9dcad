// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Moving values: a minibatch gathered from a data set by index; a tensor filled with a value.

/** dst[i, :] = src[indices[i], :] for i < count; rows of `cols` values. */
export function gatherRows<T extends number>(src: usize, indices: usize, dst: usize, count: i32, cols: i32): void {
  const rowBytes = <usize>cols * sizeof<T>();
  for (let i: usize = 0; i < <usize>count; i++) {
    const row = <usize>load<i32>(indices + (i << 2));
    memory.copy(dst + i * rowBytes, src + row * rowBytes, rowBytes);
  }
}

/** x[0 … n) = value; zeros (+0) by memory.fill, anything else four (two) lanes at a time. */
export function fill<T extends number>(x: usize, n: i32, value: T): void {
  const size = sizeof<T>();
  const bytes = <usize>n * size;
  const zero = size == 4 ? reinterpret<u32>(<f32>value) == 0 : reinterpret<u64>(<f64>value) == 0;
  if (zero) {
    memory.fill(x, 0, bytes);
    return;
  }
  const lanes = size == 4 ? f32x4.splat(<f32>value) : f64x2.splat(<f64>value);
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(x + o, lanes);
  for (; o < bytes; o += size) store<T>(x + o, value);
}
