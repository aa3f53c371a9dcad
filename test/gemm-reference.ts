// GEMM against a float64 reference, in linear memory: what test/gemm.test.ts checks on
// chosen shapes and test/properties.test.ts on random ones.
import type { DType } from '../src/index';
import { allocate, f32, f64, release } from '../src/wasm/instance';
import { kernels } from '../src/wasm/kernels';
import { rng } from './helpers';

export interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  /** Extra elements per row beyond the stored width of A, B and C. */
  padA?: number;
  padB?: number;
  padC?: number;
  accumulate: boolean;
}

/**
 * Runs C = op(A)·op(B) (+ C) by kernels(dtype).gemm on seeded data; returns the largest
 * error over its bound (√k·u·Σ|terms|), ∞ if the padding of C's rows changed: ≤ 1 passes.
 */
export function gemmError(dtype: DType, spec: GemmCase, seed: number): number {
  const { transA, transB, m, n, k, accumulate } = spec;
  const random = rng(seed);
  // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed).
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + (spec.padA ?? 0);
  const ldb = bCols + (spec.padB ?? 0);
  const ldc = n + (spec.padC ?? 0);
  const size = dtype === 'float32' ? 4 : 8;
  const view = () => (dtype === 'float32' ? f32() : f64());
  const round = dtype === 'float32' ? Math.fround : (x: number) => x;
  const fill = (count: number) => Array.from({ length: count }, () => round(random() * 2 - 1));
  const aData = fill(aRows * lda);
  const bData = fill(bRows * ldb);
  const cData = fill(m * ldc);
  const a = allocate(aData.length * size, 'A');
  const b = allocate(bData.length * size, 'B');
  const c = allocate(cData.length * size, 'C');
  try {
    view().set(aData, a / size);
    view().set(bData, b / size);
    view().set(cData, c / size);
    const gemm = kernels(dtype).gemm;
    gemm(+transA, +transB, m, n, k, a, lda, b, ldb, c, ldc, +accumulate);
    const out = view().subarray(c / size, c / size + cData.length);
    const A = (i: number, p: number) => (transA ? aData[p * lda + i] : aData[i * lda + p]) as number;
    const B = (p: number, j: number) => (transB ? bData[j * ldb + p] : bData[p * ldb + j]) as number;
    const tol = dtype === 'float32' ? 2e-6 * Math.sqrt(k) : 1e-13 * Math.sqrt(k);
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const before = cData[i * ldc + j] as number;
        const got = out[i * ldc + j] as number;
        if (j >= n) {
          // The padding of C's rows is never written.
          if (got !== before) return Number.POSITIVE_INFINITY;
          continue;
        }
        let sum = accumulate ? before : 0;
        let scale = accumulate ? Math.abs(before) : 0;
        for (let p = 0; p < k; p++) {
          const term = A(i, p) * B(p, j);
          sum += term;
          scale += Math.abs(term);
        }
        const error = Math.abs(got - sum) / (tol * scale + 1e-30);
        if (!(error <= worst)) worst = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
      }
    }
    return worst;
  } finally {
    release(c);
    release(b);
    release(a);
  }
}
