// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Elementwise ops over tensors, forward and backward, by the rules of rules.ts.
// out[r, c] = f(a[r, c], b[…]) where b is, by `bMode`:
//   SAME  a tensor of a's shape,
//   ROW   a row of `cols` values broadcast down the rows (a bias),
//   CONST the fixed constant (unary and const ops),
//   SCALAR one value broadcast to every element (its gradient sums them all).
// Backward adds into da and db; a broadcast row's gradient is the sum down the rows.
import {
  ADD, DIV, ELU, EXP, LEAKY_RELU, LOG, MAX, MUL, NEG, OFFSET, POW, POWC, RECIP, RELU, SCALE,
  SIGMOID, SUB, TANH, backward, forward,
} from './rules';

export const SAME: i32 = 0;
export const ROW: i32 = 1;
export const CONST: i32 = 2;
export const SCALAR: i32 = 3;

// Where the gradient of a constant goes: nowhere anyone reads.
const SINK: usize = memory.data(16, 16);

export function elementwiseForward<T extends number>(
  op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  // Each case inlines the loop with a constant op, so the rule's switch folds away.
  switch (op) {
    case ADD: forwardLoop<T>(ADD, a, b, out, rows, cols, bMode, constant); break;
    case SUB: forwardLoop<T>(SUB, a, b, out, rows, cols, bMode, constant); break;
    case MUL: forwardLoop<T>(MUL, a, b, out, rows, cols, bMode, constant); break;
    case DIV: forwardLoop<T>(DIV, a, b, out, rows, cols, bMode, constant); break;
    case MAX: forwardLoop<T>(MAX, a, b, out, rows, cols, bMode, constant); break;
    case POW: forwardLoop<T>(POW, a, b, out, rows, cols, bMode, constant); break;
    case EXP: forwardLoop<T>(EXP, a, b, out, rows, cols, CONST, constant); break;
    case LOG: forwardLoop<T>(LOG, a, b, out, rows, cols, CONST, constant); break;
    case RECIP: forwardLoop<T>(RECIP, a, b, out, rows, cols, CONST, constant); break;
    case NEG: forwardLoop<T>(NEG, a, b, out, rows, cols, CONST, constant); break;
    case SIGMOID: forwardLoop<T>(SIGMOID, a, b, out, rows, cols, CONST, constant); break;
    case TANH: forwardLoop<T>(TANH, a, b, out, rows, cols, CONST, constant); break;
    case RELU: forwardLoop<T>(RELU, a, b, out, rows, cols, CONST, constant); break;
    case SCALE: forwardLoop<T>(SCALE, a, b, out, rows, cols, CONST, constant); break;
    case OFFSET: forwardLoop<T>(OFFSET, a, b, out, rows, cols, CONST, constant); break;
    case POWC: forwardLoop<T>(POWC, a, b, out, rows, cols, CONST, constant); break;
    case LEAKY_RELU: forwardLoop<T>(LEAKY_RELU, a, b, out, rows, cols, CONST, constant); break;
    case ELU: forwardLoop<T>(ELU, a, b, out, rows, cols, CONST, constant); break;
    default: break;
  }
}

export function elementwiseBackward<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  switch (op) {
    case ADD: backwardLoop<T>(ADD, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case SUB: backwardLoop<T>(SUB, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case MUL: backwardLoop<T>(MUL, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case DIV: backwardLoop<T>(DIV, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case MAX: backwardLoop<T>(MAX, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case POW: backwardLoop<T>(POW, a, b, out, dout, da, db, rows, cols, bMode, constant); break;
    case EXP: backwardLoop<T>(EXP, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case LOG: backwardLoop<T>(LOG, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case RECIP: backwardLoop<T>(RECIP, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case NEG: backwardLoop<T>(NEG, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case SIGMOID: backwardLoop<T>(SIGMOID, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case TANH: backwardLoop<T>(TANH, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case RELU: backwardLoop<T>(RELU, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case SCALE: backwardLoop<T>(SCALE, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case OFFSET: backwardLoop<T>(OFFSET, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case POWC: backwardLoop<T>(POWC, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case LEAKY_RELU: backwardLoop<T>(LEAKY_RELU, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    case ELU: backwardLoop<T>(ELU, a, b, out, dout, da, db, rows, cols, CONST, constant); break;
    default: break;
  }
}

// @ts-ignore: decorator
@inline
function forwardLoop<T extends number>(
  op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  const size = sizeof<T>();
  const n = <usize>rows * <usize>cols;
  if (bMode == SAME) {
    for (let i: usize = 0; i < n; i++) {
      store<T>(out + i * size, forward<T>(op, load<T>(a + i * size), load<T>(b + i * size)));
    }
  } else if (bMode == ROW) {
    for (let i: usize = 0; i < n; i += <usize>cols) {
      for (let c: usize = 0; c < <usize>cols; c++) {
        const at = (i + c) * size;
        store<T>(out + at, forward<T>(op, load<T>(a + at), load<T>(b + c * size)));
      }
    }
  } else if (bMode == SCALAR) {
    const value = load<T>(b);
    for (let i: usize = 0; i < n; i++) {
      store<T>(out + i * size, forward<T>(op, load<T>(a + i * size), value));
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      store<T>(out + i * size, forward<T>(op, load<T>(a + i * size), constant));
    }
  }
}

// @ts-ignore: decorator
@inline
function backwardLoop<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  const size = sizeof<T>();
  const n = <usize>rows * <usize>cols;
  if (bMode == SAME) {
    for (let i: usize = 0; i < n; i++) {
      const at = i * size;
      backward<T>(op, load<T>(a + at), load<T>(b + at), load<T>(out + at), load<T>(dout + at), da + at, db + at);
    }
  } else if (bMode == ROW) {
    for (let i: usize = 0; i < n; i += <usize>cols) {
      for (let c: usize = 0; c < <usize>cols; c++) {
        const at = (i + c) * size;
        const bt = c * size;
        backward<T>(op, load<T>(a + at), load<T>(b + bt), load<T>(out + at), load<T>(dout + at), da + at, db + bt);
      }
    }
  } else if (bMode == SCALAR) {
    const value = load<T>(b);
    for (let i: usize = 0; i < n; i++) {
      const at = i * size;
      backward<T>(op, load<T>(a + at), value, load<T>(out + at), load<T>(dout + at), da + at, db);
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const at = i * size;
      backward<T>(op, load<T>(a + at), constant, load<T>(out + at), load<T>(dout + at), da + at, SINK);
    }
  }
}
