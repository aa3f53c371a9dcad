// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Activations that are not elementwise: softmax along each row, and maxout (the max of
// k pieces, which caches the winner so backward can route to it).
import { exp } from './rules';

/** out[r] = softmax(x[r]), row by row, shifted by the row's max so exp cannot overflow. */
export function softmaxForward<T extends number>(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols * sizeof<T>();
  for (let r: usize = 0; r < <usize>rows; r++) softmaxRow<T>(x + r * rowBytes, out + r * rowBytes, cols);
}

/**
 * One row's softmax into y; returns log Σ exp(x) (the row's logsumexp), which a
 * cross-entropy needs and would otherwise compute a second time.
 */
// @ts-ignore: decorator
@inline
export function softmaxRow<T extends number>(x: usize, y: usize, cols: i32): f64 {
  const size = sizeof<T>();
  let max = load<T>(x);
  for (let c: usize = 1; c < <usize>cols; c++) max = select<T>(load<T>(x + c * size), max, load<T>(x + c * size) > max);
  let total: f64 = 0;
  for (let c: usize = 0; c < <usize>cols; c++) {
    const e = exp<T>(load<T>(x + c * size) - max);
    store<T>(y + c * size, e);
    total += <f64>e;
  }
  const inverse = <T>(1.0 / total);
  for (let c: usize = 0; c < <usize>cols; c++) store<T>(y + c * size, load<T>(y + c * size) * inverse);
  return <f64>max + Math.log(total);
}

/** dx += y ⊙ (dy − Σ dy ⊙ y), row by row: the softmax's vector–Jacobian product. */
export function softmaxBackward<T extends number>(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const size = sizeof<T>();
  for (let r: usize = 0; r < <usize>rows; r++) {
    const base = r * <usize>cols * size;
    let dot: f64 = 0;
    for (let c: usize = 0; c < <usize>cols; c++) dot += <f64>load<T>(dy + base + c * size) * <f64>load<T>(y + base + c * size);
    for (let c: usize = 0; c < <usize>cols; c++) {
      const at = base + c * size;
      store<T>(dx + at, load<T>(dx + at) + load<T>(y + at) * (load<T>(dy + at) - <T>dot));
    }
  }
}

/** out[r, u] = max over j < k of z[r, u·k + j]; winners[r, u] = that j (a tie goes to the first). */
export function maxoutForward<T extends number>(z: usize, out: usize, winners: usize, rows: i32, units: i32, k: i32): void {
  const size = sizeof<T>();
  const n = <usize>rows * <usize>units;
  for (let i: usize = 0; i < n; i++) {
    const group = z + i * <usize>k * size;
    let best = load<T>(group);
    let winner: i32 = 0;
    for (let j = 1; j < k; j++) {
      const v = load<T>(group + <usize>j * size);
      if (v > best) {
        best = v;
        winner = j;
      }
    }
    store<T>(out + i * size, best);
    store<i32>(winners + (i << 2), winner);
  }
}

/** Max routes: dz of each group's winner += dout. */
export function maxoutBackward<T extends number>(dout: usize, winners: usize, dz: usize, rows: i32, units: i32, k: i32): void {
  const size = sizeof<T>();
  const n = <usize>rows * <usize>units;
  for (let i: usize = 0; i < n; i++) {
    const at = dz + (i * <usize>k + <usize>load<i32>(winners + (i << 2))) * size;
    store<T>(at, load<T>(at) + load<T>(dout + i * size));
  }
}
