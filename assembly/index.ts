// The module's exports, nothing else. Names are snake_case: this is the raw-pointer ABI
// that src/wasm/ wraps.
import { maxoutBackward, maxoutForward, softmaxBackward, softmaxForward } from './activations';
import { elementwiseBackward, elementwiseForward } from './elementwise';
import { softmaxCrossEntropyBackward, softmaxCrossEntropyForward, svmBackward, svmForward } from './loss';
import { tensorBackward, tensorForward } from './tensor-tape';
import { gatherRows } from './data';
import { adamUpdate, sgdUpdate } from './optim';
import { firstNonFinite, l2Backward, l2Forward, sumBackward, sumForward, sumRowsInto } from './reduce';
import { backward, forward } from './rules';
export {
  MATMUL as OP_MATMUL, SUM as OP_SUM, L2 as OP_L2, SOFTMAX as OP_SOFTMAX, SOFTMAX_CE as OP_SOFTMAX_CE,
  SVM as OP_SVM, MAXOUT as OP_MAXOUT,
} from './tensor-tape';

export { alloc, free, allocatedBytes as allocated_bytes, allocatedBlocks as allocated_blocks } from './memory';
export {
  tapeForward as tape_forward,
  tapeBackward as tape_backward,
} from './tape';
export {
  LEAF as OP_LEAF, ADD as OP_ADD, SUB as OP_SUB, MUL as OP_MUL, DIV as OP_DIV, MAX as OP_MAX, MAX_SWAPPED as OP_MAX_SWAPPED,
  POW as OP_POW, EXP as OP_EXP, LOG as OP_LOG, RECIP as OP_RECIP, NEG as OP_NEG,
  SIGMOID as OP_SIGMOID, TANH as OP_TANH, RELU as OP_RELU, SCALE as OP_SCALE,
  OFFSET as OP_OFFSET, POWC as OP_POWC, LEAKY_RELU as OP_LEAKY_RELU, ELU as OP_ELU,
} from './rules';

/** Whether this binary was built with relaxed SIMD (FMA), for the host to report. */
export const RELAXED_SIMD: bool = ASC_FEATURE_RELAXED_SIMD;

/** One op's forward, for the gate classes. */
export function scalar_forward(op: i32, a: f64, b: f64): f64 {
  return forward<f64>(op, a, b);
}

/** One op's backward: writes ∂/∂a·dout and ∂/∂b·dout to the two f64 at `grads`. */
export function scalar_backward(op: i32, a: f64, b: f64, out: f64, dout: f64, grads: usize): void {
  store<f64>(grads, 0);
  store<f64>(grads, 0, 8);
  backward<f64>(op, a, b, out, dout, grads, grads + 8);
}


// Tensor kernels, each in a float32 and a float64 build (the latter serves gradcheck).

export function elementwise_forward_f32(op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: f32): void {
  elementwiseForward<f32>(op, a, b, out, rows, cols, bMode, constant);
}
export function elementwise_forward_f64(op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: f64): void {
  elementwiseForward<f64>(op, a, b, out, rows, cols, bMode, constant);
}
export function elementwise_backward_f32(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize, rows: i32, cols: i32, bMode: i32, constant: f32,
): void {
  elementwiseBackward<f32>(op, a, b, out, dout, da, db, rows, cols, bMode, constant);
}
export function elementwise_backward_f64(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize, rows: i32, cols: i32, bMode: i32, constant: f64,
): void {
  elementwiseBackward<f64>(op, a, b, out, dout, da, db, rows, cols, bMode, constant);
}

export function first_non_finite_f32(x: usize, n: i32): i32 {
  return firstNonFinite<f32>(x, n);
}
export function first_non_finite_f64(x: usize, n: i32): i32 {
  return firstNonFinite<f64>(x, n);
}

export function sum_forward_f32(x: usize, out: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  sumForward<f32>(x, out, rows, cols, axis, scale);
}
export function sum_forward_f64(x: usize, out: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  sumForward<f64>(x, out, rows, cols, axis, scale);
}
export function sum_backward_f32(dout: usize, dx: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  sumBackward<f32>(dout, dx, rows, cols, axis, scale);
}
export function sum_backward_f64(dout: usize, dx: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  sumBackward<f64>(dout, dx, rows, cols, axis, scale);
}
export function l2_forward_f32(x: usize, out: usize, n: i32): void {
  l2Forward<f32>(x, out, n);
}
export function l2_forward_f64(x: usize, out: usize, n: i32): void {
  l2Forward<f64>(x, out, n);
}
export function l2_backward_f32(x: usize, dout: usize, dx: usize, n: i32): void {
  l2Backward<f32>(x, dout, dx, n);
}
export function l2_backward_f64(x: usize, dout: usize, dx: usize, n: i32): void {
  l2Backward<f64>(x, dout, dx, n);
}

export function softmax_forward_f32(x: usize, out: usize, rows: i32, cols: i32): void {
  softmaxForward<f32>(x, out, rows, cols);
}
export function softmax_forward_f64(x: usize, out: usize, rows: i32, cols: i32): void {
  softmaxForward<f64>(x, out, rows, cols);
}
export function softmax_backward_f32(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  softmaxBackward<f32>(y, dy, dx, rows, cols);
}
export function softmax_backward_f64(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  softmaxBackward<f64>(y, dy, dx, rows, cols);
}
export function maxout_forward_f32(z: usize, out: usize, winners: usize, rows: i32, units: i32, k: i32): void {
  maxoutForward<f32>(z, out, winners, rows, units, k);
}
export function maxout_forward_f64(z: usize, out: usize, winners: usize, rows: i32, units: i32, k: i32): void {
  maxoutForward<f64>(z, out, winners, rows, units, k);
}
export function maxout_backward_f32(dout: usize, winners: usize, dz: usize, rows: i32, units: i32, k: i32): void {
  maxoutBackward<f32>(dout, winners, dz, rows, units, k);
}
export function maxout_backward_f64(dout: usize, winners: usize, dz: usize, rows: i32, units: i32, k: i32): void {
  maxoutBackward<f64>(dout, winners, dz, rows, units, k);
}

export function softmax_ce_forward_f32(z: usize, labels: usize, probs: usize, rows: i32, cols: i32): f64 {
  return softmaxCrossEntropyForward<f32>(z, labels, probs, rows, cols);
}
export function softmax_ce_forward_f64(z: usize, labels: usize, probs: usize, rows: i32, cols: i32): f64 {
  return softmaxCrossEntropyForward<f64>(z, labels, probs, rows, cols);
}
export function softmax_ce_backward_f32(probs: usize, labels: usize, dz: usize, rows: i32, cols: i32, dloss: f64): void {
  softmaxCrossEntropyBackward<f32>(probs, labels, dz, rows, cols, dloss);
}
export function softmax_ce_backward_f64(probs: usize, labels: usize, dz: usize, rows: i32, cols: i32, dloss: f64): void {
  softmaxCrossEntropyBackward<f64>(probs, labels, dz, rows, cols, dloss);
}
export function svm_forward_f32(s: usize, labels: usize, rows: i32, cols: i32, margin: f64): f64 {
  return svmForward<f32>(s, labels, rows, cols, margin);
}
export function svm_forward_f64(s: usize, labels: usize, rows: i32, cols: i32, margin: f64): f64 {
  return svmForward<f64>(s, labels, rows, cols, margin);
}
export function svm_backward_f32(s: usize, labels: usize, ds: usize, rows: i32, cols: i32, margin: f64, dloss: f64): void {
  svmBackward<f32>(s, labels, ds, rows, cols, margin, dloss);
}
export function svm_backward_f64(s: usize, labels: usize, ds: usize, rows: i32, cols: i32, margin: f64, dloss: f64): void {
  svmBackward<f64>(s, labels, ds, rows, cols, margin, dloss);
}
export {
  EDGE_BYTES as GEMM_EDGE_BYTES, gemmF32 as gemm_f32, gemmF64 as gemm_f64, PACK_A_BYTES as GEMM_PACK_A_BYTES,
  PACK_B_BYTES as GEMM_PACK_B_BYTES, TILE_COLUMNS as GEMM_TILE_COLUMNS, TILE_ROWS as GEMM_TILE_ROWS,
  useThreadBuffers as gemm_thread_buffers,
} from './gemm';

export function tensor_forward_f32(tape: usize, count: i32): i32 {
  return tensorForward<f32>(tape, count);
}
export function tensor_forward_f64(tape: usize, count: i32): i32 {
  return tensorForward<f64>(tape, count);
}
export function tensor_backward_f32(tape: usize, count: i32, grads: usize, gradBytes: usize, seed: usize, seedCount: i32): i32 {
  return tensorBackward<f32>(tape, count, grads, gradBytes, seed, seedCount);
}
export function tensor_backward_f64(tape: usize, count: i32, grads: usize, gradBytes: usize, seed: usize, seedCount: i32): i32 {
  return tensorBackward<f64>(tape, count, grads, gradBytes, seed, seedCount);
}

export function sum_rows_into_f32(x: usize, out: usize, rows: i32, cols: i32): void {
  sumRowsInto<f32>(x, out, rows, cols);
}
export function sum_rows_into_f64(x: usize, out: usize, rows: i32, cols: i32): void {
  sumRowsInto<f64>(x, out, rows, cols);
}
export function gather_rows_f32(src: usize, indices: usize, dst: usize, count: i32, cols: i32): void {
  gatherRows<f32>(src, indices, dst, count, cols);
}
export function gather_rows_f64(src: usize, indices: usize, dst: usize, count: i32, cols: i32): void {
  gatherRows<f64>(src, indices, dst, count, cols);
}
export function sgd_update_f32(w: usize, g: usize, velocity: usize, n: i32, lr: f64, momentum: f64, nesterov: i32, weightDecay: f64): void {
  sgdUpdate<f32>(w, g, velocity, n, lr, momentum, nesterov, weightDecay);
}
export function sgd_update_f64(w: usize, g: usize, velocity: usize, n: i32, lr: f64, momentum: f64, nesterov: i32, weightDecay: f64): void {
  sgdUpdate<f64>(w, g, velocity, n, lr, momentum, nesterov, weightDecay);
}
export function adam_update_f32(
  w: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, t: i32,
): void {
  adamUpdate<f32>(w, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
}
export function adam_update_f64(
  w: usize, g: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, t: i32,
): void {
  adamUpdate<f64>(w, g, m, v, n, lr, beta1, beta2, eps, weightDecay, t);
}
