// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Losses over a batch of rows, each fused: one pass gives the mean loss and keeps what
// the gradient needs. Labels are i32 class indices, checked by the host.
import { softmaxRow } from './activations';

/**
 * Mean over rows of −log softmax(z)[label]. Writes the softmax to `probs` (the cache the
 * gradient is made from); the loss is taken as logsumexp(z) − z[label], never log(0).
 */
export function softmaxCrossEntropyForward<T extends number>(z: usize, labels: usize, probs: usize, rows: i32, cols: i32): f64 {
  const rowBytes = <usize>cols * sizeof<T>();
  let total: f64 = 0;
  for (let r: usize = 0; r < <usize>rows; r++) {
    const zr = z + r * rowBytes;
    const logSumExp = softmaxRow<T>(zr, probs + r * rowBytes, cols);
    const label = <usize>load<i32>(labels + (r << 2));
    total += logSumExp - <f64>load<T>(zr + label * sizeof<T>());
  }
  return total / <f64>rows;
}

/** dz += (softmax(z) − onehot(label)) · dloss / rows */
export function softmaxCrossEntropyBackward<T extends number>(probs: usize, labels: usize, dz: usize, rows: i32, cols: i32, dloss: f64): void {
  const size = sizeof<T>();
  const g = <T>(dloss / <f64>rows);
  for (let r: usize = 0; r < <usize>rows; r++) {
    const base = r * <usize>cols * size;
    const label = <usize>load<i32>(labels + (r << 2));
    for (let c: usize = 0; c < <usize>cols; c++) {
      const at = base + c * size;
      const p = load<T>(probs + at) - (c == label ? <T>1 : <T>0);
      store<T>(dz + at, load<T>(dz + at) + p * g);
    }
  }
}

/** Multiclass SVM (hinge): mean over rows of Σ_{j ≠ label} max(0, s_j − s_label + margin). */
export function svmForward<T extends number>(s: usize, labels: usize, rows: i32, cols: i32, margin: f64): f64 {
  const size = sizeof<T>();
  let total: f64 = 0;
  for (let r: usize = 0; r < <usize>rows; r++) {
    const sr = s + r * <usize>cols * size;
    const label = <usize>load<i32>(labels + (r << 2));
    const correct = <f64>load<T>(sr + label * size);
    for (let c: usize = 0; c < <usize>cols; c++) {
      if (c == label) continue;
      total += Math.max(0, <f64>load<T>(sr + c * size) - correct + margin);
    }
  }
  return total / <f64>rows;
}

/** ds += each violating class +1, the correct class −(number of violations), · dloss / rows */
export function svmBackward<T extends number>(s: usize, labels: usize, ds: usize, rows: i32, cols: i32, margin: f64, dloss: f64): void {
  const size = sizeof<T>();
  const g = dloss / <f64>rows;
  for (let r: usize = 0; r < <usize>rows; r++) {
    const base = r * <usize>cols * size;
    const label = <usize>load<i32>(labels + (r << 2));
    const correct = <f64>load<T>(s + base + label * size);
    let violations: f64 = 0;
    for (let c: usize = 0; c < <usize>cols; c++) {
      if (c == label) continue;
      if (<f64>load<T>(s + base + c * size) - correct + margin > 0) {
        const at = ds + base + c * size;
        store<T>(at, load<T>(at) + <T>g);
        violations += 1;
      }
    }
    const at = ds + base + label * size;
    store<T>(at, load<T>(at) - <T>(g * violations));
  }
}
