// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Ops that only move values: a transpose and a concatenation. Their backward moves the
// gradient back the same way, adding (a tensor used twice gets both gradients).

/**
 * out[j, i] = a[i, j] for a [rows, cols] (out is [cols, rows]); with `accumulate`, adds
 * instead: the backward is transpose(dout, da, cols, rows, 1).
 */
export function transpose<T extends number>(a: usize, out: usize, rows: i32, cols: i32, accumulate: i32): void {
  const size = sizeof<T>();
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const to = out + <usize>(j * rows + i) * size;
      const value = load<T>(a + <usize>(i * cols + j) * size);
      store<T>(to, accumulate ? load<T>(to) + value : value);
    }
  }
}

/**
 * Concatenation along an axis, as `outer` runs: out[o] = a[o] (innerA values) then b[o]
 * (innerB values). `backward`: da[o] += its part of out[o], db[o] += the rest (b's
 * gradient pointer may be 0: not wanted).
 */
export function concat<T extends number>(a: usize, b: usize, out: usize, outer: i32, innerA: i32, innerB: i32, backward: i32): void {
  const size = sizeof<T>();
  const runA = <usize>innerA * size;
  const runB = <usize>innerB * size;
  for (let o = 0; o < outer; o++) {
    const row = out + <usize>o * (runA + runB);
    const ao = a + <usize>o * runA;
    const bo = b + <usize>o * runB;
    if (!backward) {
      memory.copy(row, ao, runA);
      memory.copy(row + runA, bo, runB);
      continue;
    }
    add<T>(ao, row, innerA);
    if (b) add<T>(bo, row + runA, innerB);
  }
}

@inline function add<T extends number>(into: usize, from: usize, count: i32): void {
  for (let i: usize = 0; i < <usize>count; i++) store<T>(into + i * sizeof<T>(), load<T>(into + i * sizeof<T>()) + load<T>(from + i * sizeof<T>()));
}
