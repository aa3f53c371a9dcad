// The rules of rules.ts four f32 lanes at a time, for the ops whose rule is plain
// arithmetic and comparisons. Each gives the same bits as its scalar rule per lane (IEEE
// add, mul and div are exact the same way in both; a comparison picks the same branch).
// exp, sigmoid and ELU use expf.ts, whose scalar form the scalar rules use for f32. Ops
// whose forward needs log (log, pow) or tanh stay scalar; their backward (but pow's) is
// arithmetic on cached values and runs here.
import { expF32x4 } from './expf';
import {
  ADD, DIV, ELU, EXP, LEAKY_RELU, LOG, MAX, MAX_SWAPPED, MUL, NEG, OFFSET, RECIP, RELU, SCALE, SIGMOID, SOFTPLUS, SUB, TANH,
} from './ops.generated';

// @ts-ignore: decorator
@inline
export function forwardF32x4(op: i32, a: v128, b: v128): v128 {
  const zero = f32x4.splat(0);
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    case MAX: return v128.bitselect(a, b, f32x4.ge(a, b));
    case MAX_SWAPPED: return v128.bitselect(a, b, f32x4.gt(a, b));
    case NEG: return f32x4.neg(a);
    case RECIP: return f32x4.div(f32x4.splat(1), a);
    case RELU: return v128.and(a, f32x4.gt(a, zero));
    case SCALE: return f32x4.mul(a, b);
    case OFFSET: return f32x4.add(a, b);
    case LEAKY_RELU: return v128.bitselect(a, f32x4.mul(a, b), f32x4.gt(a, zero));
    case EXP: return expF32x4(a);
    case SIGMOID: {
      // As the scalar rule: e = exp(−|x|) never overflows; 1/(1 + e) for x ≥ 0, e/(1 + e) below.
      const e = expF32x4(f32x4.neg(f32x4.abs(a)));
      const one = f32x4.splat(1);
      const denominator = f32x4.add(one, e);
      return v128.bitselect(f32x4.div(one, denominator), f32x4.div(e, denominator), f32x4.ge(a, zero));
    }
    case ELU: return v128.bitselect(a, f32x4.mul(b, f32x4.sub(expF32x4(a), f32x4.splat(1))), f32x4.ge(a, zero));
    default: unreachable(); // the op table says this op has a vector rule, and it has none here
      return a;
  }
}

/** Adds dout·∂out/∂a to the four f32 at `ga` and dout·∂out/∂b to the four at `gb`. */
// @ts-ignore: decorator
@inline
export function backwardF32x4(op: i32, a: v128, b: v128, out: v128, dout: v128, ga: usize, gb: usize): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  switch (op) {
    case ADD: { // add distributes
      accumulate(ga, dout);
      accumulate(gb, dout);
      break;
    }
    case SUB: {
      accumulate(ga, dout);
      accumulate(gb, f32x4.neg(dout));
      break;
    }
    case MUL: { // mul switches
      accumulate(ga, f32x4.mul(b, dout));
      accumulate(gb, f32x4.mul(a, dout));
      break;
    }
    case DIV: {
      accumulate(ga, f32x4.div(dout, b));
      accumulate(gb, f32x4.div(f32x4.mul(f32x4.neg(dout), a), f32x4.mul(b, b)));
      break;
    }
    case MAX: { // max routes; a tie goes to a
      const aWins = f32x4.ge(a, b);
      accumulate(ga, v128.and(dout, aWins));
      accumulate(gb, v128.andnot(dout, aWins));
      break;
    }
    case MAX_SWAPPED: { // a tie goes to b
      const aWins = f32x4.gt(a, b);
      accumulate(ga, v128.and(dout, aWins));
      accumulate(gb, v128.andnot(dout, aWins));
      break;
    }
    case EXP: accumulate(ga, f32x4.mul(dout, out)); break;
    case LOG: accumulate(ga, f32x4.div(dout, a)); break;
    case RECIP: accumulate(ga, f32x4.div(f32x4.neg(dout), f32x4.mul(a, a))); break;
    case NEG: accumulate(ga, f32x4.neg(dout)); break;
    case SIGMOID: accumulate(ga, f32x4.mul(f32x4.mul(dout, out), f32x4.sub(one, out))); break;
    case TANH: accumulate(ga, f32x4.mul(dout, f32x4.sub(one, f32x4.mul(out, out)))); break;
    case RELU: accumulate(ga, v128.and(dout, f32x4.gt(a, zero))); break;
    case SOFTPLUS: { // dout·σ(a), σ as the sigmoid forward computes it
      const e = expF32x4(f32x4.neg(f32x4.abs(a)));
      const denominator = f32x4.add(one, e);
      accumulate(ga, f32x4.mul(dout, v128.bitselect(f32x4.div(one, denominator), f32x4.div(e, denominator), f32x4.ge(a, zero))));
      break;
    }
    case SCALE: accumulate(ga, f32x4.mul(dout, b)); break;
    case OFFSET: accumulate(ga, dout); break;
    case LEAKY_RELU: accumulate(ga, v128.bitselect(dout, f32x4.mul(dout, b), f32x4.gt(a, zero))); break;
    case ELU: accumulate(ga, v128.bitselect(dout, f32x4.mul(dout, f32x4.add(out, b)), f32x4.ge(a, zero))); break;
    default: unreachable(); // the op table says this op has a vector rule, and it has none here
  }
}

// @ts-ignore: decorator
@inline
function accumulate(ptr: usize, delta: v128): void {
  v128.store(ptr, f32x4.add(v128.load(ptr), delta));
}
