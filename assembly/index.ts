// The module's exports, nothing else. Names are snake_case: this is the raw-pointer ABI
// that src/wasm/ wraps.
import { backward, forward } from './rules';

export { alloc, free, allocatedBytes as allocated_bytes, allocatedBlocks as allocated_blocks } from './memory';
export {
  tapeForward as tape_forward,
  tapeBackward as tape_backward,
  firstNonFinite as first_non_finite,
} from './tape';
export {
  LEAF as OP_LEAF, ADD as OP_ADD, SUB as OP_SUB, MUL as OP_MUL, DIV as OP_DIV, MAX as OP_MAX,
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
