// Runs a compiled tensor graph: one call per pass, every op dispatched here to its kernel.
// An instruction is INSTRUCTION (80) bytes, its fields at the AT_ offsets of
// ops.generated.ts (written from src/ops.ts, INSTRUCTION): i32 words op, out, dout, a, da,
// b, db, rows, cols, k, mode (b's broadcast, or the reduction axis), aux (a cache buffer:
// softmax probabilities, maxout winners), and the sizes of out, a and b; the op's f64
// constant (scale's factor, a mean's 1/n, the SVM margin) at AT_CONSTANT. Pointers are
// byte offsets; gradients are accumulated, so the backward pass starts from a zeroed
// gradient region. Convolution and pooling find their geometry at aux (a Window block),
// and there too a conv's bias and the buffers both kinds keep (src/ops.ts, WINDOW).
import { maxoutBackward, maxoutForward, softmaxBackward, softmaxForward } from './activations';
import { addRun, conv2dBackward, conv2dForward, conv2dWeightSum, weightGroups } from './conv';
import { dropoutBackward, dropoutForward } from './dropout';
import { elementwiseBackward, elementwiseForward } from './elementwise';
import { concat, transpose } from './layout';
import { gemmF32, gemmF64 } from './gemm';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward, svmBackward, svmForward } from './loss';
import {
  AT_A, AT_A_SIZE, AT_AUX, AT_B, AT_B_SIZE, AT_COLS, AT_CONSTANT, AT_DA, AT_DB, AT_DOUT, AT_K, AT_MODE, AT_OP, AT_OUT,
  AT_OUT_SIZE, AT_ROWS, AVG_POOL2D, CONCAT, CONST, CONV2D, DROPOUT, INSTRUCTION, isElementwise, L2, MATMUL, MAX_POOL2D, MAXOUT, RESHAPE, SOFTMAX,
  SOFTMAX_CROSS_ENTROPY, SUM, SVM_LOSS, TRANSPOSE, Window,
} from './ops.generated';
import { avgPool2d, maxPool2dBackward, maxPool2dForward } from './pool';
import { firstNonFinite, l2Backward, l2Forward, sumBackward, sumForward } from './reduce';

/** Runs the ops in order; the index of the first whose output is not finite, or -1. */
export function tensorForward<T extends number>(tape: usize, count: i32): i32 {
  for (let i = 0; i < count; i++) {
    const ip = tape + <usize>i * INSTRUCTION;
    const op = load<i32>(ip, AT_OP);
    const out = <usize>load<u32>(ip, AT_OUT);
    const a = <usize>load<u32>(ip, AT_A);
    const b = <usize>load<u32>(ip, AT_B);
    const rows = load<i32>(ip, AT_ROWS);
    const cols = load<i32>(ip, AT_COLS);
    const k = load<i32>(ip, AT_K);
    const mode = load<i32>(ip, AT_MODE);
    const aux = <usize>load<u32>(ip, AT_AUX);
    const constant = load<f64>(ip, AT_CONSTANT);
    if (isElementwise(op)) elementwiseForward<T>(op, a, b, out, rows, cols, mode, <T>constant);
    else if (op == MATMUL) gemm<T>(0, 0, rows, cols, k, a, k, b, cols, out, cols, 0);
    else if (op == SUM) sumForward<T>(a, out, rows, cols, mode, constant);
    else if (op == L2) l2Forward<T>(a, out, rows * cols);
    else if (op == SOFTMAX) softmaxForward<T>(a, out, rows, cols);
    else if (op == SOFTMAX_CROSS_ENTROPY) store<T>(out, <T>softmaxCrossEntropyForward<T>(a, b, aux, rows, cols));
    else if (op == SVM_LOSS) store<T>(out, <T>svmForward<T>(a, b, rows, cols, constant));
    else if (op == MAXOUT) maxoutForward<T>(a, out, aux, rows, cols, k);
    else if (op == CONV2D) conv2dForward<T>(aux, a, b, window(aux).bias, out, window(aux).scratch, 0, window(aux).batch);
    else if (op == MAX_POOL2D) maxPool2dForward<T>(aux, a, out, window(aux).cache, 0, planes(aux));
    else if (op == AVG_POOL2D) avgPool2d<T>(aux, a, out, 0, 0, planes(aux));
    else if (op == RESHAPE) memory.copy(out, a, <usize>load<i32>(ip, AT_OUT_SIZE) * sizeof<T>());
    else if (op == TRANSPOSE) transpose<T>(a, out, rows, cols, 0);
    else if (op == CONCAT) concat<T>(a, b, out, rows, k, cols, 0); // rows runs of k values of a, then cols of b
    else if (op == DROPOUT) dropoutForward<T>(a, out, aux, load<i32>(ip, AT_OUT_SIZE), constant);
    else unreachable(); // an op of the table this tape has no kernel for
    if (firstNonFinite<T>(out, load<i32>(ip, AT_OUT_SIZE)) >= 0) return i;
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
    const op = load<i32>(ip, AT_OP);
    const out = <usize>load<u32>(ip, AT_OUT);
    const dout = <usize>load<u32>(ip, AT_DOUT);
    const a = <usize>load<u32>(ip, AT_A);
    const da = <usize>load<u32>(ip, AT_DA);
    const b = <usize>load<u32>(ip, AT_B);
    const db = <usize>load<u32>(ip, AT_DB);
    const rows = load<i32>(ip, AT_ROWS);
    const cols = load<i32>(ip, AT_COLS);
    const k = load<i32>(ip, AT_K);
    const mode = load<i32>(ip, AT_MODE);
    const aux = <usize>load<u32>(ip, AT_AUX);
    const constant = load<f64>(ip, AT_CONSTANT);
    if (isElementwise(op)) {
      elementwiseBackward<T>(op, a, b, out, dout, da, db, rows, cols, mode, <T>constant, 0);
    } else if (op == MATMUL) {
      gemm<T>(0, 1, rows, k, cols, dout, cols, b, cols, da, k, 1); // dA += dC·Bᵀ
      gemm<T>(1, 0, k, cols, rows, a, k, dout, cols, db, cols, 1); // dB += Aᵀ·dC
    } else if (op == SUM) sumBackward<T>(dout, da, rows, cols, mode, constant);
    else if (op == L2) l2Backward<T>(a, dout, da, rows * cols);
    else if (op == SOFTMAX) softmaxBackward<T>(out, dout, da, rows, cols);
    else if (op == SOFTMAX_CROSS_ENTROPY) softmaxCrossEntropyBackward<T>(aux, b, da, rows, cols, <f64>load<T>(dout));
    else if (op == SVM_LOSS) svmBackward<T>(a, b, da, rows, cols, constant, <f64>load<T>(dout));
    else if (op == MAXOUT) maxoutBackward<T>(dout, aux, da, rows, cols, k);
    else if (op == CONV2D) {
      const g = window(aux);
      // scratch: one image's columns; partials: the weight gradient's groups (src/graph/tensor-program.ts).
      conv2dBackward<T>(aux, a, b, dout, <usize>g.partials, g.dbias ? 1 : 0, da, g.scratch, 0, weightGroups(g.batch), 0, g.batch);
      conv2dWeightSum<T>(aux, <usize>g.partials, db, <usize>g.dbias);
    } else if (op == MAX_POOL2D) maxPool2dBackward<T>(aux, dout, window(aux).cache, da, 0, 0, planes(aux));
    else if (op == AVG_POOL2D) avgPool2d<T>(aux, dout, da, 1, 0, planes(aux));
    else if (op == RESHAPE) addRun<T>(da, dout, load<i32>(ip, AT_A_SIZE), 1); // its gradient passes back unchanged
    else if (op == TRANSPOSE) transpose<T>(dout, da, cols, rows, 1);
    else if (op == CONCAT) concat<T>(da, db, dout, rows, k, cols, 1);
    else if (op == DROPOUT) dropoutBackward<T>(dout, da, aux, load<i32>(ip, AT_A_SIZE));
    else unreachable(); // an op of the table this tape has no kernel for
    if (firstNonFinite<T>(da, load<i32>(ip, AT_A_SIZE)) >= 0) return i;
    if (db != 0 && mode != CONST && firstNonFinite<T>(db, load<i32>(ip, AT_B_SIZE)) >= 0) return i;
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

/** The Window block at a convolution's or pooling's aux pointer. */
// @ts-ignore: decorator
@inline
function window(aux: usize): Window {
  return changetype<Window>(aux);
}

/** A pooling's planes, all of which one call of the tape does (batch · channels). */
function planes(aux: usize): i32 {
  return window(aux).batch * window(aux).channels;
}
