// The tensor kernels of one float type, picked once by dtype so that a call site reads
// `kernels(dtype).softmaxForward(...)` whatever the precision.
import type { DType } from '../tensor';
import { threadPool, wasm } from './instance';

export interface Kernels {
  /** Bytes per element. */
  readonly bytes: number;
  elementwiseForward(op: number, a: number, b: number, out: number, rows: number, cols: number, bMode: number, constant: number): void;
  elementwiseBackward(
    op: number,
    a: number,
    b: number,
    out: number,
    dout: number,
    da: number,
    db: number,
    rows: number,
    cols: number,
    bMode: number,
    constant: number,
  ): void;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
  ): void;
  /** Index of the first NaN or ±Infinity among n values, or -1. */
  firstNonFinite(x: number, n: number): number;
  tensorForward(tape: number, count: number): number;
  tensorBackward(tape: number, count: number, grads: number, gradBytes: number, seed: number, seedCount: number): number;
  sumForward(x: number, out: number, rows: number, cols: number, axis: number, scale: number): void;
  sumBackward(dout: number, dx: number, rows: number, cols: number, axis: number, scale: number): void;
  /** out[c] += Σ_r x[r, c] */
  sumRowsInto(x: number, out: number, rows: number, cols: number): void;
  gatherRows(src: number, indices: number, dst: number, count: number, cols: number): void;
  sgdUpdate(w: number, g: number, velocity: number, n: number, lr: number, momentum: number, nesterov: number, weightDecay: number): void;
  adamUpdate(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    t: number,
  ): void;
  l2Forward(x: number, out: number, n: number): void;
  l2Backward(x: number, dout: number, dx: number, n: number): void;
  softmaxForward(x: number, out: number, rows: number, cols: number): void;
  softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number): void;
  maxoutForward(z: number, out: number, winners: number, rows: number, units: number, k: number): void;
  maxoutBackward(dout: number, winners: number, dz: number, rows: number, units: number, k: number): void;
  softmaxCrossEntropyForward(z: number, labels: number, probs: number, rows: number, cols: number): number;
  softmaxCrossEntropyBackward(probs: number, labels: number, dz: number, rows: number, cols: number, dloss: number): void;
  svmForward(s: number, labels: number, rows: number, cols: number, margin: number): number;
  svmBackward(s: number, labels: number, ds: number, rows: number, cols: number, margin: number, dloss: number): void;
}

/** elementwise kernels' b modes (assembly/elementwise.ts) */
export const B_SAME = 0;
export const B_ROW = 1;
export const B_CONST = 2;
export const B_SCALAR = 3;

/** reduction axes (assembly/reduce.ts) */
export const AXIS_ALL = -1;

const tables = new WeakMap<object, Record<DType, Kernels>>();

export function kernels(dtype: DType): Kernels {
  const exports = wasm();
  let table = tables.get(exports);
  if (!table) {
    const raw = exports as unknown as Record<string, (...args: number[]) => number>;
    const pick = (suffix: string, bytes: number): Kernels => {
      const fn = (name: string) => raw[`${name}_${suffix}`] as never;
      return {
        bytes,
        elementwiseForward: fn('elementwise_forward'),
        elementwiseBackward: fn('elementwise_backward'),
        gemm: fn('gemm'),
        firstNonFinite: fn('first_non_finite'),
        tensorForward: fn('tensor_forward'),
        tensorBackward: fn('tensor_backward'),
        sumForward: fn('sum_forward'),
        sumBackward: fn('sum_backward'),
        sumRowsInto: fn('sum_rows_into'),
        gatherRows: fn('gather_rows'),
        sgdUpdate: fn('sgd_update'),
        adamUpdate: fn('adam_update'),
        l2Forward: fn('l2_forward'),
        l2Backward: fn('l2_backward'),
        softmaxForward: fn('softmax_forward'),
        softmaxBackward: fn('softmax_backward'),
        maxoutForward: fn('maxout_forward'),
        maxoutBackward: fn('maxout_backward'),
        softmaxCrossEntropyForward: fn('softmax_ce_forward'),
        softmaxCrossEntropyBackward: fn('softmax_ce_backward'),
        svmForward: fn('svm_forward'),
        svmBackward: fn('svm_backward'),
      };
    };
    table = { float32: pick('f32', 4), float64: pick('f64', 8) };
    const threads = threadPool();
    if (threads) table.float32 = { ...table.float32, gemm: threads.gemm };
    tables.set(exports, table);
  }
  return table[dtype];
}
