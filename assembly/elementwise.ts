// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Elementwise ops over tensors, forward and backward, by the rules of rules.ts.
// out[r, c] = f(a[r, c], b[…]) where b is, by `bMode`:
//   SAME  a tensor of a's shape,
//   ROW   a row of `cols` values broadcast down the rows (a bias),
//   CONST the fixed constant (unary and const ops),
//   SCALAR one value broadcast to every element (its gradient sums them all).
// Backward adds into da and db; a broadcast row's gradient is the sum down the rows.
import { dispatchBackward, dispatchForward } from './elementwise.generated';
import { CONST, hasVectorBackward, hasVectorForward, isBinary, ROW, SAME, SCALAR } from './ops.generated';
import { backward, forward } from './rules';
import { backwardF32x4, forwardF32x4 } from './rules-f32x4';

// Where the gradient of a constant goes: nowhere anyone reads.
const SINK: usize = memory.data(16, 16);
// 16-byte slots for the vector loops: a splat b, a scalar b's gradient lanes, and the
// last < 4 elements of a run, padded.
const SPLAT: usize = memory.data(16, 16);
const LANES: usize = memory.data(16, 16);
const TAIL_A: usize = memory.data(16, 16);
const TAIL_B: usize = memory.data(16, 16);
const TAIL_OUT: usize = memory.data(16, 16);
const TAIL_DOUT: usize = memory.data(16, 16);
const TAIL_DA: usize = memory.data(16, 16);
const TAIL_DB: usize = memory.data(16, 16);

export function elementwiseForward<T extends number>(
  op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  // f64 serves gradcheck and teaching: one loop that switches per element keeps it small.
  if (sizeof<T>() == 8) {
    forwardLoop<T>(op, a, b, out, rows, cols, isBinary(op) ? bMode : CONST, constant);
    return;
  }
  // A case per op (generated from the op table), each inlining the loop with a constant
  // op so that the rule's switch folds away.
  dispatchForward<T>(op, a, b, out, rows, cols, bMode, constant);
}

export function elementwiseBackward<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  if (sizeof<T>() == 8) {
    backwardLoop<T>(op, a, b, out, dout, da, db, rows, cols, isBinary(op) ? bMode : CONST, constant);
    return;
  }
  dispatchBackward<T>(op, a, b, out, dout, da, db, rows, cols, bMode, constant);
}

// Each op goes to the f32x4 loop when T is f32 and the op has a vector rule, else to the
// scalar loop; both conditions are constants once the op is inlined.
// @ts-ignore: decorator
@inline
export function forwardOp<T extends number>(
  op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  if (sizeof<T>() == 4 && hasVectorForward(op)) vectorForward(op, a, b, out, rows, cols, bMode, <f32>constant);
  else forwardLoop<T>(op, a, b, out, rows, cols, bMode, constant);
}

// @ts-ignore: decorator
@inline
export function backwardOp<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T,
): void {
  if (sizeof<T>() == 4 && hasVectorBackward(op)) vectorBackward(op, a, b, out, dout, da, db, rows, cols, bMode, <f32>constant);
  else backwardLoop<T>(op, a, b, out, dout, da, db, rows, cols, bMode, constant);
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
      store<T>(out + i * size, ruleForward<T>(op, load<T>(a + i * size), load<T>(b + i * size)));
    }
  } else if (bMode == ROW) {
    for (let i: usize = 0; i < n; i += <usize>cols) {
      for (let c: usize = 0; c < <usize>cols; c++) {
        const at = (i + c) * size;
        store<T>(out + at, ruleForward<T>(op, load<T>(a + at), load<T>(b + c * size)));
      }
    }
  } else if (bMode == SCALAR) {
    const value = load<T>(b);
    for (let i: usize = 0; i < n; i++) {
      store<T>(out + i * size, ruleForward<T>(op, load<T>(a + i * size), value));
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      store<T>(out + i * size, ruleForward<T>(op, load<T>(a + i * size), constant));
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
      ruleBackward<T>(op, load<T>(a + at), load<T>(b + at), load<T>(out + at), load<T>(dout + at), da + at, db + at);
    }
  } else if (bMode == ROW) {
    for (let i: usize = 0; i < n; i += <usize>cols) {
      for (let c: usize = 0; c < <usize>cols; c++) {
        const at = (i + c) * size;
        const bt = c * size;
        ruleBackward<T>(op, load<T>(a + at), load<T>(b + bt), load<T>(out + at), load<T>(dout + at), da + at, db + bt);
      }
    }
  } else if (bMode == SCALAR) {
    const value = load<T>(b);
    for (let i: usize = 0; i < n; i++) {
      const at = i * size;
      ruleBackward<T>(op, load<T>(a + at), value, load<T>(out + at), load<T>(dout + at), da + at, db);
    }
  } else {
    for (let i: usize = 0; i < n; i++) {
      const at = i * size;
      ruleBackward<T>(op, load<T>(a + at), constant, load<T>(out + at), load<T>(dout + at), da + at, SINK);
    }
  }
}

// f64 calls the rule out of line (one copy of every rule, a switch per element): it
// serves gradcheck and teaching, where size matters more than speed. f32 inlines it per op.
// @ts-ignore: decorator
@inline
function ruleForward<T extends number>(op: i32, a: T, b: T): T {
  return sizeof<T>() == 8 ? <T>forwardF64(op, <f64>a, <f64>b) : forward<T>(op, a, b);
}

// @ts-ignore: decorator
@inline
function ruleBackward<T extends number>(op: i32, a: T, b: T, out: T, dout: T, ga: usize, gb: usize): void {
  if (sizeof<T>() == 8) backwardF64(op, <f64>a, <f64>b, <f64>out, <f64>dout, ga, gb);
  else backward<T>(op, a, b, out, dout, ga, gb);
}

// @ts-ignore: decorator
@noinline
function forwardF64(op: i32, a: f64, b: f64): f64 {
  return forward<f64>(op, a, b);
}

// @ts-ignore: decorator
@noinline
function backwardF64(op: i32, a: f64, b: f64, out: f64, dout: f64, ga: usize, gb: usize): void {
  backward<f64>(op, a, b, out, dout, ga, gb);
}

// ---- f32x4 loops ----------------------------------------------------------------------
// A "run" is `count` consecutive values of a, out (and dout, da); b either steps with them
// (bStep 4 bytes) or stays on one splat vector (bStep 0). A row broadcast is one run per row.

// @ts-ignore: decorator
@inline
function vectorForward(op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: f32): void {
  const n = <usize>rows * <usize>cols;
  // SAME is one run with b stepping; CONST and SCALAR one run over a splat b.
  const runs: usize = bMode == ROW ? <usize>rows : 1;
  const length: usize = bMode == ROW ? <usize>cols : n;
  let bStep: usize = 4;
  if (bMode == CONST || bMode == SCALAR) {
    v128.store(SPLAT, f32x4.splat(bMode == SCALAR ? load<f32>(b) : constant));
    b = SPLAT;
    bStep = 0;
  }
  const runBytes = length << 2;
  for (let r: usize = 0; r < runs; r++) forwardRun(op, a + r * runBytes, b, bStep, out + r * runBytes, length);
}

// @ts-ignore: decorator
@inline
function forwardRun(op: i32, a: usize, b: usize, bStep: usize, out: usize, count: usize): void {
  const whole = count & ~3;
  for (let i: usize = 0; i < whole; i += 4) {
    v128.store(out + (i << 2), forwardF32x4(op, v128.load(a + (i << 2)), v128.load(b + i * bStep)));
  }
  const rest = count - whole;
  if (rest == 0) return;
  // The last 1–3 values go through the same vector rule, padded.
  const at = whole << 2;
  padTail(a + at, b + at, out, bStep, rest);
  v128.store(TAIL_OUT, forwardF32x4(op, v128.load(TAIL_A), v128.load(bStep ? TAIL_B : b)));
  memory.copy(out + at, TAIL_OUT, rest << 2);
}

// @ts-ignore: decorator
@inline
function vectorBackward(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: f32,
): void {
  const n = <usize>rows * <usize>cols;
  const runs: usize = bMode == ROW ? <usize>rows : 1;
  const length: usize = bMode == ROW ? <usize>cols : n;
  let bStep: usize = 4;
  let gb = db;
  if (bMode == CONST || bMode == SCALAR) {
    // A scalar b's gradient is the sum of every element's: gathered in four lanes first.
    v128.store(SPLAT, f32x4.splat(bMode == SCALAR ? load<f32>(b) : constant));
    v128.store(LANES, f32x4.splat(0));
    b = SPLAT;
    gb = bMode == SCALAR ? LANES : SINK;
    bStep = 0;
  }
  const runBytes = length << 2;
  for (let r: usize = 0; r < runs; r++) {
    const at = r * runBytes;
    backwardRun(op, a + at, b, bStep, out + at, dout + at, da + at, gb, length);
  }
  if (bMode == SCALAR) {
    const lanes = v128.load(LANES);
    store<f32>(db, load<f32>(db)
      + ((f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1))
        + (f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3))));
  }
}

/** da (and db, stepping with b) += the op's vector–Jacobian product over one run. */
// @ts-ignore: decorator
@inline
function backwardRun(
  op: i32, a: usize, b: usize, bStep: usize, out: usize, dout: usize, da: usize, db: usize, count: usize,
): void {
  const whole = count & ~3;
  for (let i: usize = 0; i < whole; i += 4) {
    const at = i << 2;
    backwardF32x4(op, v128.load(a + at), v128.load(b + i * bStep), v128.load(out + at), v128.load(dout + at), da + at, db + i * bStep);
  }
  const rest = count - whole;
  if (rest == 0) return;
  const at = whole << 2;
  padTail(a + at, b + at, out + at, bStep, rest);
  padded(TAIL_DOUT, dout + at, rest, 0);
  backwardF32x4(op, v128.load(TAIL_A), v128.load(bStep ? TAIL_B : b), v128.load(TAIL_OUT), v128.load(TAIL_DOUT), TAIL_DA, bStep ? TAIL_DB : db);
  addTail(da + at, db + at, bStep, rest);
}

// Out of line: the tails' bookkeeping is the same for every op.

/**
 * The last 1–3 values of a run into the tail slots, padded with ones (and dout with
 * zeros, so that the unused lanes of a backward add exactly 0); the gradient slots zeroed.
 */
// @ts-ignore: decorator
@noinline
function padTail(a: usize, b: usize, out: usize, bStep: usize, rest: usize): void {
  padded(TAIL_A, a, rest, 1);
  if (bStep) padded(TAIL_B, b, rest, 1);
  padded(TAIL_OUT, out, rest, 1);
  v128.store(TAIL_DA, f32x4.splat(0));
  v128.store(TAIL_DB, f32x4.splat(0));
}

/** da (and db when it steps) += the tail slots' first `rest` lanes. */
// @ts-ignore: decorator
@noinline
function addTail(da: usize, db: usize, bStep: usize, rest: usize): void {
  for (let j: usize = 0; j < rest; j++) {
    const lane = j << 2;
    store<f32>(da + lane, load<f32>(da + lane) + load<f32>(TAIL_DA + lane));
    if (bStep) store<f32>(db + lane, load<f32>(db + lane) + load<f32>(TAIL_DB + lane));
  }
}

/** The 16 bytes at `slot`: `count` f32 from `from`, then `fill`. */
// @ts-ignore: decorator
@inline
function padded(slot: usize, from: usize, count: usize, fill: f32): void {
  v128.store(slot, f32x4.splat(fill));
  memory.copy(slot, from, count << 2);
}
