// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Runs a compiled tensor graph: one call per pass, every op dispatched here to its kernel.
// An instruction is 80 bytes:
//   i32 words: 0 op, 1 out, 2 dout, 3 a, 4 da, 5 b, 6 db, 7 rows, 8 cols, 9 k,
//              10 mode (b's broadcast, or the reduction axis), 11 aux (a cache buffer:
//              softmax probabilities, maxout winners), 12 out size, 13 a size, 14 b size
//   f64 at byte 64: the op's constant (scale's factor, a mean's 1/n, the SVM margin).
// Pointers are byte offsets; gradients are accumulated, so the backward pass starts
// from a zeroed gradient region.
import { maxoutBackward, maxoutForward, softmaxBackward, softmaxForward } from './activations';
import { CONST, elementwiseBackward, elementwiseForward } from './elementwise';
import { gemmF32, gemmF64 } from './gemm';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward, svmBackward, svmForward } from './loss';
import { firstNonFinite, l2Backward, l2Forward, sumBackward, sumForward } from './reduce';
import { ELU } from './rules';

export const MATMUL: i32 = 40;
export const SUM: i32 = 41;
export const L2: i32 = 42;
export const SOFTMAX: i32 = 43;
export const SOFTMAX_CE: i32 = 44;
export const SVM: i32 = 45;
export const MAXOUT: i32 = 46;

const INSTRUCTION: usize = 80;

/** Runs the ops in order; the index of the first whose output is not finite, or -1. */
export function tensorForward<T extends number>(tape: usize, count: i32): i32 {
  for (let i = 0; i < count; i++) {
    const ip = tape + <usize>i * INSTRUCTION;
    const op = load<i32>(ip);
    const out = <usize>load<u32>(ip, 4);
    const a = <usize>load<u32>(ip, 12);
    const b = <usize>load<u32>(ip, 20);
    const rows = load<i32>(ip, 28);
    const cols = load<i32>(ip, 32);
    const k = load<i32>(ip, 36);
    const mode = load<i32>(ip, 40);
    const aux = <usize>load<u32>(ip, 44);
    const constant = load<f64>(ip, 64);
    if (op <= ELU) elementwiseForward<T>(op, a, b, out, rows, cols, mode, <T>constant);
    else if (op == MATMUL) gemm<T>(0, 0, rows, cols, k, a, k, b, cols, out, cols, 0);
    else if (op == SUM) sumForward<T>(a, out, rows, cols, mode, constant);
    else if (op == L2) l2Forward<T>(a, out, rows * cols);
    else if (op == SOFTMAX) softmaxForward<T>(a, out, rows, cols);
    else if (op == SOFTMAX_CE) store<T>(out, <T>softmaxCrossEntropyForward<T>(a, b, aux, rows, cols));
    else if (op == SVM) store<T>(out, <T>svmForward<T>(a, b, rows, cols, constant));
    else if (op == MAXOUT) maxoutForward<T>(a, out, aux, rows, cols, k);
    if (firstNonFinite<T>(out, load<i32>(ip, 48)) >= 0) return i;
  }
  return -1;
}

/**
 * Zeroes the gradient region, seeds the target's gradient with ones, then applies the
 * chain rule op by op. Returns the index of the first instruction that gave an input
 * a gradient that is not finite, or -1.
 */
export function tensorBackward<T extends number>(
  tape: usize, count: i32, grads: usize, gradBytes: usize, seed: usize, seedCount: i32,
): i32 {
  memory.fill(grads, 0, gradBytes);
  for (let i = 0; i < seedCount; i++) store<T>(seed + <usize>i * sizeof<T>(), <T>1);
  for (let i = 0; i < count; i++) {
    const ip = tape + <usize>i * INSTRUCTION;
    const op = load<i32>(ip);
    const out = <usize>load<u32>(ip, 4);
    const dout = <usize>load<u32>(ip, 8);
    const a = <usize>load<u32>(ip, 12);
    const da = <usize>load<u32>(ip, 16);
    const b = <usize>load<u32>(ip, 20);
    const db = <usize>load<u32>(ip, 24);
    const rows = load<i32>(ip, 28);
    const cols = load<i32>(ip, 32);
    const k = load<i32>(ip, 36);
    const mode = load<i32>(ip, 40);
    const aux = <usize>load<u32>(ip, 44);
    const constant = load<f64>(ip, 64);
    if (op <= ELU) {
      elementwiseBackward<T>(op, a, b, out, dout, da, db, rows, cols, mode, <T>constant);
    } else if (op == MATMUL) {
      gemm<T>(0, 1, rows, k, cols, dout, cols, b, cols, da, k, 1); // dA += dC·Bᵀ
      gemm<T>(1, 0, k, cols, rows, a, k, dout, cols, db, cols, 1); // dB += Aᵀ·dC
    } else if (op == SUM) sumBackward<T>(dout, da, rows, cols, mode, constant);
    else if (op == L2) l2Backward<T>(a, dout, da, rows * cols);
    else if (op == SOFTMAX) softmaxBackward<T>(out, dout, da, rows, cols);
    else if (op == SOFTMAX_CE) softmaxCrossEntropyBackward<T>(aux, b, da, rows, cols, <f64>load<T>(dout));
    else if (op == SVM) svmBackward<T>(a, b, da, rows, cols, constant, <f64>load<T>(dout));
    else if (op == MAXOUT) maxoutBackward<T>(dout, aux, da, rows, cols, k);
    if (firstNonFinite<T>(da, load<i32>(ip, 52)) >= 0) return i;
    if (db != 0 && mode != CONST && firstNonFinite<T>(db, load<i32>(ip, 56)) >= 0) return i;
  }
  return -1;
}

// @ts-ignore: decorator
@inline
function gemm<T extends number>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  if (sizeof<T>() == 4) gemmF32(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  else gemmF64(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}
