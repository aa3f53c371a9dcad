// Runs a compiled scalar graph. A tape is a run of 16-byte instructions
//   [op: i32, out: i32, a: i32, b: i32]
// where out, a and b are byte offsets of f64 values in linear memory; the gradient of
// the value at p lives at p + gradOffset. The forward tape lists ops in topological
// order, the backward tape the ops that reach the target in reverse order.
import { backward, forward } from './rules';

const INSTRUCTION: usize = 16;

/**
 * Runs the ops in order. Returns the index of the first instruction whose output is
 * NaN or ±Infinity (the run goes on to the end all the same), or -1.
 */
export function tapeForward(tape: usize, count: i32): i32 {
  let firstNonFinite = -1;
  for (let i = 0; i < count; i++) {
    const ip = tape + <usize>i * INSTRUCTION;
    const op = load<i32>(ip);
    const out = <usize>load<u32>(ip, 4);
    const a = load<f64>(<usize>load<u32>(ip, 8));
    const b = load<f64>(<usize>load<u32>(ip, 12));
    const value = forward<f64>(op, a, b);
    store<f64>(out, value);
    if (firstNonFinite < 0 && !isFinite<f64>(value)) firstNonFinite = i;
  }
  return firstNonFinite;
}

/**
 * Applies the chain rule op by op, adding into the gradients of each op's inputs.
 * Returns the index of the first instruction that made an input's gradient NaN or
 * ±Infinity, or -1.
 */
export function tapeBackward(tape: usize, count: i32, gradOffset: usize): i32 {
  let firstNonFinite = -1;
  for (let i = 0; i < count; i++) {
    const ip = tape + <usize>i * INSTRUCTION;
    const op = load<i32>(ip);
    const out = <usize>load<u32>(ip, 4);
    const pa = <usize>load<u32>(ip, 8);
    const pb = <usize>load<u32>(ip, 12);
    const ga = pa + gradOffset;
    const gb = pb + gradOffset;
    backward<f64>(op, load<f64>(pa), load<f64>(pb), load<f64>(out), load<f64>(out + gradOffset), ga, gb);
    if (firstNonFinite < 0 && !(isFinite<f64>(load<f64>(ga)) && isFinite<f64>(load<f64>(gb)))) firstNonFinite = i;
  }
  return firstNonFinite;
}
