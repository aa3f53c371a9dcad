// The gradient rules of every scalar op: the one source of truth shared by the
// compiled tape (tape.ts) and the modular gate classes (exported as scalar_forward /
// scalar_backward). Values are f64.
//
// Binary ops read a and b; unary ops read a; "const" ops read a trainable a and a
// constant b that gets no gradient (scale's factor, offset's c, pow's exponent, α).

export const LEAF: i32 = 0;
export const ADD: i32 = 1;
export const SUB: i32 = 2;
export const MUL: i32 = 3;
export const DIV: i32 = 4;
export const MAX: i32 = 5;
export const POW: i32 = 6;
export const EXP: i32 = 10;
export const LOG: i32 = 11;
export const RECIP: i32 = 12;
export const NEG: i32 = 13;
export const SIGMOID: i32 = 14;
export const TANH: i32 = 15;
export const RELU: i32 = 16;
export const SCALE: i32 = 20;
export const OFFSET: i32 = 21;
export const POWC: i32 = 22;
export const LEAKY_RELU: i32 = 23;
export const ELU: i32 = 24;

// @ts-ignore: decorator

@inline
export function scalarForward(op: i32, a: f64, b: f64): f64 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return a >= b ? a : b;
    case POW: return Math.pow(a, b);
    case EXP: return Math.exp(a);
    case LOG: return Math.log(a);
    case RECIP: return 1.0 / a;
    case NEG: return -a;
    case SIGMOID: return sigmoid(a);
    case TANH: return Math.tanh(a);
    case RELU: return a > 0 ? a : 0.0;
    case SCALE: return a * b;
    case OFFSET: return a + b;
    case POWC: return Math.pow(a, b);
    case LEAKY_RELU: return a > 0 ? a : a * b;
    case ELU: return a >= 0 ? a : b * (Math.exp(a) - 1.0);
    default: return a;
  }
}

/**
 * Chain rule for one op: adds dout·∂out/∂a to the f64 at `ga` and dout·∂out/∂b to the
 * f64 at `gb` (gradients add where a value is used more than once).
 */
// @ts-ignore: decorator
@inline
export function scalarBackward(op: i32, a: f64, b: f64, out: f64, dout: f64, ga: usize, gb: usize): void {
  switch (op) {
    case ADD: { // add distributes: both inputs get dout
      accumulate(ga, dout);
      accumulate(gb, dout);
      break;
    }
    case SUB: {
      accumulate(ga, dout);
      accumulate(gb, -dout);
      break;
    }
    case MUL: { // mul switches: each input gets the other input times dout
      accumulate(ga, b * dout);
      accumulate(gb, a * dout);
      break;
    }
    case DIV: {
      accumulate(ga, dout / b);
      accumulate(gb, -dout * a / (b * b));
      break;
    }
    case MAX: { // max routes: all of dout to the larger input; a tie goes to a
      if (a >= b) accumulate(ga, dout);
      else accumulate(gb, dout);
      break;
    }
    case POW: { // d(a^b)/db = a^b·ln a, defined for a > 0 (0 at a = 0, b > 0)
      accumulate(ga, dout * b * Math.pow(a, b - 1.0));
      accumulate(gb, a == 0 && b > 0 ? 0.0 : dout * out * Math.log(a));
      break;
    }
    case EXP: accumulate(ga, dout * out); break;
    case LOG: accumulate(ga, dout / a); break;
    case RECIP: accumulate(ga, -dout / (a * a)); break;
    case NEG: accumulate(ga, -dout); break;
    case SIGMOID: accumulate(ga, dout * out * (1.0 - out)); break;
    case TANH: accumulate(ga, dout * (1.0 - out * out)); break;
    case RELU: accumulate(ga, a > 0 ? dout : 0.0); break;
    case SCALE: accumulate(ga, dout * b); break;
    case OFFSET: accumulate(ga, dout); break;
    case POWC: accumulate(ga, dout * b * Math.pow(a, b - 1.0)); break;
    case LEAKY_RELU: accumulate(ga, a > 0 ? dout : dout * b); break;
    case ELU: accumulate(ga, a >= 0 ? dout : dout * (out + b)); break;
    default: break;
  }
}

// @ts-ignore: decorator

@inline
function accumulate(ptr: usize, delta: f64): void {
  store<f64>(ptr, load<f64>(ptr) + delta);
}

// @ts-ignore: decorator

@inline
function sigmoid(x: f64): f64 {
  // Split by sign so exp never overflows.
  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1.0 + e);
}
