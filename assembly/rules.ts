// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// The forward and backward rule of every elementwise op: the one source of truth shared
// by the compiled tape (tape.ts), the tensor kernels (elementwise.ts) and the modular
// gate classes. Generic over the float type: f64 for scalars and gradcheck, f32 for
// tensors.
//
// Binary ops read a and b; unary ops read a; "const" ops read a and a fixed constant b
// that gets no gradient (scale's factor, offset's c, pow's exponent, α). The op codes come
// from the op table (src/ops.ts, through ops.generated.ts); a code with no case here traps.

import { expF32 } from './expf';

import {
  ADD, DIV, ELU, EXP, LEAKY_RELU, LOG, MAX, MAX_SWAPPED, MUL, NEG, OFFSET, POW, POWC, RECIP, RELU, SCALE, SIGMOID, SOFTPLUS, SUB,
  TANH,
} from './ops.generated';

// @ts-ignore: decorator
@inline
export function forward<T extends number>(op: i32, a: T, b: T): T {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAX: return a >= b ? a : b;
    case MAX_SWAPPED: return a > b ? a : b;
    case POW: return pow<T>(a, b);
    case EXP: return exp<T>(a);
    case LOG: return log<T>(a);
    case RECIP: return <T>1 / a;
    case NEG: return -a;
    case SIGMOID: return sigmoid<T>(a);
    case TANH: return tanh<T>(a);
    case RELU: return a > 0 ? a : <T>0;
    case SOFTPLUS: return a > 0 ? a + log1p<T>(exp<T>(-a)) : log1p<T>(exp<T>(a)); // log(1 + eˣ), never overflowing
    case SCALE: return a * b;
    case OFFSET: return a + b;
    case POWC: return pow<T>(a, b);
    case LEAKY_RELU: return a > 0 ? a : a * b;
    case ELU: return a >= 0 ? a : b * (exp<T>(a) - <T>1);
    default: unreachable(); // an op of the table with no rule here
      return a;
  }
}

/**
 * Chain rule for one op: adds dout·∂out/∂a to the T at `ga` and dout·∂out/∂b to the T
 * at `gb` (gradients add where a value is used more than once).
 */
// @ts-ignore: decorator
@inline
export function backward<T extends number>(op: i32, a: T, b: T, out: T, dout: T, ga: usize, gb: usize): void {
  switch (op) {
    case ADD: { // add distributes: both inputs get dout
      accumulate<T>(ga, dout);
      accumulate<T>(gb, dout);
      break;
    }
    case SUB: {
      accumulate<T>(ga, dout);
      accumulate<T>(gb, -dout);
      break;
    }
    case MUL: { // mul switches: each input gets the other input times dout
      accumulate<T>(ga, b * dout);
      accumulate<T>(gb, a * dout);
      break;
    }
    case DIV: {
      accumulate<T>(ga, dout / b);
      accumulate<T>(gb, -dout * a / (b * b));
      break;
    }
    case MAX: { // max routes: all of dout to the larger input; a tie goes to a
      if (a >= b) accumulate<T>(ga, dout);
      else accumulate<T>(gb, dout);
      break;
    }
    case MAX_SWAPPED: { // the same, with b the operand written first: a tie goes to b
      if (a > b) accumulate<T>(ga, dout);
      else accumulate<T>(gb, dout);
      break;
    }
    case POW: { // d(a^b)/db = a^b·ln a, defined for a > 0 (0 at a = 0, b > 0)
      accumulate<T>(ga, dout * b * pow<T>(a, b - <T>1));
      accumulate<T>(gb, a == 0 && b > 0 ? <T>0 : dout * out * log<T>(a));
      break;
    }
    case EXP: accumulate<T>(ga, dout * out); break;
    case LOG: accumulate<T>(ga, dout / a); break;
    case RECIP: accumulate<T>(ga, -dout / (a * a)); break;
    case NEG: accumulate<T>(ga, -dout); break;
    case SIGMOID: accumulate<T>(ga, dout * out * (<T>1 - out)); break;
    case TANH: accumulate<T>(ga, dout * (<T>1 - out * out)); break;
    case RELU: accumulate<T>(ga, a > 0 ? dout : <T>0); break;
    case SOFTPLUS: accumulate<T>(ga, dout * sigmoid<T>(a)); break; // a smooth ReLU: its derivative is σ
    case SCALE: accumulate<T>(ga, dout * b); break;
    case OFFSET: accumulate<T>(ga, dout); break;
    case POWC: accumulate<T>(ga, dout * b * pow<T>(a, b - <T>1)); break;
    case LEAKY_RELU: accumulate<T>(ga, a > 0 ? dout : dout * b); break;
    case ELU: accumulate<T>(ga, a >= 0 ? dout : dout * (out + b)); break;
    default: unreachable(); // an op of the table with no rule here
  }
}

// @ts-ignore: decorator
@inline
function accumulate<T extends number>(ptr: usize, delta: T): void {
  store<T>(ptr, load<T>(ptr) + delta);
}

// @ts-ignore: decorator
@inline
export function sigmoid<T extends number>(x: T): T {
  // Split by sign so exp never overflows.
  if (x >= 0) return <T>1 / (<T>1 + exp<T>(-x));
  const e = exp<T>(x);
  return e / (<T>1 + e);
}

// @ts-ignore: decorator
@inline
export function exp<T extends number>(x: T): T {
  return sizeof<T>() == 4 ? <T>expF32(<f32>x) : <T>Math.exp(<f64>x);
}

// @ts-ignore: decorator
@inline
function log<T extends number>(x: T): T {
  return sizeof<T>() == 4 ? <T>Mathf.log(<f32>x) : <T>Math.log(<f64>x);
}

// @ts-ignore: decorator
@inline
function log1p<T extends number>(x: T): T {
  return sizeof<T>() == 4 ? <T>Mathf.log1p(<f32>x) : <T>Math.log1p(<f64>x);
}

// @ts-ignore: decorator
@inline
function pow<T extends number>(x: T, y: T): T {
  return sizeof<T>() == 4 ? <T>Mathf.pow(<f32>x, <f32>y) : <T>Math.pow(<f64>x, <f64>y);
}

// @ts-ignore: decorator
@inline
function tanh<T extends number>(x: T): T {
  return sizeof<T>() == 4 ? <T>Mathf.tanh(<f32>x) : <T>Math.tanh(<f64>x);
}
