// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Elementwise ops over tensors, forward and backward, by the rules of rules.ts.
// out[r, c] = f(a[r, c], b[…]) where b is, by `bMode`:
//   SAME  a tensor of a's shape,
//   ROW   a row of `cols` values broadcast down the rows (a bias),
//   CONST the fixed constant (unary and const ops),
//   SCALAR one value broadcast to every element (its gradient sums them all).
// Backward adds into da and db; a broadcast row's gradient is the sum down the rows.
// `fresh` ≠ 0: da holds no gradient yet, and each of its values is zeroed just before the
// rule adds into it, which is what zeroing da first would give, without a pass of its own.
// Both return 0 when every value they wrote (the output; da) is finite, 1 when one may not
// be: the f32x4 loops check each vector as they store it, so the caller scans the result
// for the culprit only then; the scalar loops do not check, and return 1.
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
): i32 {
  // f64 serves gradcheck and teaching: one loop that switches per element keeps it small.
  if (sizeof<T>() == 8) {
    forwardLoop<T>(op, a, b, out, rows, cols, isBinary(op) ? bMode : CONST, constant);
    return 1;
  }
  // A case per op (generated from the op table), each inlining the loop with a constant
  // op so that the rule's switch folds away.
  return dispatchForward<T>(op, a, b, out, rows, cols, bMode, constant);
}

export function elementwiseBackward<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T, fresh: i32,
): i32 {
  if (sizeof<T>() == 8) {
    backwardLoop<T>(op, a, b, out, dout, da, db, rows, cols, isBinary(op) ? bMode : CONST, constant, fresh);
    return 1;
  }
  return dispatchBackward<T>(op, a, b, out, dout, da, db, rows, cols, bMode, constant, fresh);
}

// Each op goes to the f32x4 loop when T is f32 and the op has a vector rule, else to the
// scalar loop; both conditions are constants once the op is inlined.
// @ts-ignore: decorator
@inline
export function forwardOp<T extends number>(
  op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: T,
): i32 {
  if (sizeof<T>() == 4 && hasVectorForward(op)) return vectorForward(op, a, b, out, rows, cols, bMode, <f32>constant);
  forwardLoop<T>(op, a, b, out, rows, cols, bMode, constant);
  return 1;
}

// @ts-ignore: decorator
@inline
export function backwardOp<T extends number>(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: T, fresh: i32,
): i32 {
  if (sizeof<T>() == 4 && hasVectorBackward(op)) return vectorBackward(op, a, b, out, dout, da, db, rows, cols, bMode, <f32>constant, fresh);
  backwardLoop<T>(op, a, b, out, dout, da, db, rows, cols, bMode, constant, fresh);
  return 1;
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
  rows: i32, cols: i32, bMode: i32, constant: T, fresh: i32,
): void {
  const size = sizeof<T>();
  const n = <usize>rows * <usize>cols;
  if (fresh) memory.fill(da, 0, n * size);
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
function vectorForward(op: i32, a: usize, b: usize, out: usize, rows: i32, cols: i32, bMode: i32, constant: f32): i32 {
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
  let bad = i32x4.splat(0);
  for (let r: usize = 0; r < runs; r++) bad = v128.or(bad, forwardRun(op, a + r * runBytes, b, bStep, out + r * runBytes, length));
  return v128.any_true(bad) ? 1 : 0;
}

/** One run; the lanes of its result are all ones where a value written is not finite. */
// @ts-ignore: decorator
@inline
function forwardRun(op: i32, a: usize, b: usize, bStep: usize, out: usize, count: usize): v128 {
  const whole = count & ~3;
  let bad = i32x4.splat(0);
  for (let i: usize = 0; i < whole; i += 4) {
    const value = forwardF32x4(op, v128.load(a + (i << 2)), v128.load(b + i * bStep));
    v128.store(out + (i << 2), value);
    bad = v128.or(bad, notFinite(value));
  }
  const rest = count - whole;
  if (rest == 0) return bad;
  // The last 1–3 values go through the same vector rule, padded.
  const at = whole << 2;
  padTail(a + at, b + at, out, bStep, rest);
  return v128.or(bad, storeTail(out + at, forwardF32x4(op, v128.load(TAIL_A), v128.load(bStep ? TAIL_B : b)), rest));
}

/** All ones in the lanes of v that are ±∞ or NaN (v − v is NaN there, 0 elsewhere). */
// @ts-ignore: decorator
@inline
function notFinite(v: v128): v128 {
  return f32x4.ne(f32x4.sub(v, v), f32x4.splat(0));
}

/** All ones in the first `count` lanes. */
// @ts-ignore: decorator
@inline
function firstLanes(count: usize): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(<i32>count));
}

// @ts-ignore: decorator
@inline
function vectorBackward(
  op: i32, a: usize, b: usize, out: usize, dout: usize, da: usize, db: usize,
  rows: i32, cols: i32, bMode: i32, constant: f32, fresh: i32,
): i32 {
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
  let bad = i32x4.splat(0);
  for (let r: usize = 0; r < runs; r++) {
    const at = r * runBytes;
    bad = v128.or(bad, backwardRun(op, a + at, b, bStep, out + at, dout + at, da + at, gb, length, fresh));
  }
  if (bMode == SCALAR) {
    const lanes = v128.load(LANES);
    store<f32>(db, load<f32>(db)
      + ((f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1))
        + (f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3))));
  }
  return v128.any_true(bad) ? 1 : 0;
}

/**
 * da (and db, stepping with b) += the op's vector–Jacobian product over one run (da
 * zeroed first, a vector at a time, when `fresh`); the lanes of the result are all ones
 * where a value of da is not finite.
 */
// @ts-ignore: decorator
@inline
function backwardRun(
  op: i32, a: usize, b: usize, bStep: usize, out: usize, dout: usize, da: usize, db: usize, count: usize, fresh: i32,
): v128 {
  const whole = count & ~3;
  let bad = i32x4.splat(0);
  for (let i: usize = 0; i < whole; i += 4) {
    const at = i << 2;
    if (fresh) v128.store(da + at, f32x4.splat(0));
    backwardF32x4(op, v128.load(a + at), v128.load(b + i * bStep), v128.load(out + at), v128.load(dout + at), da + at, db + i * bStep);
    bad = v128.or(bad, notFinite(v128.load(da + at)));
  }
  const rest = count - whole;
  if (rest == 0) return bad;
  const at = whole << 2;
  padTail(a + at, b + at, out + at, bStep, rest);
  padded(TAIL_DOUT, dout + at, rest, 0);
  backwardF32x4(op, v128.load(TAIL_A), v128.load(bStep ? TAIL_B : b), v128.load(TAIL_OUT), v128.load(TAIL_DOUT), TAIL_DA, bStep ? TAIL_DB : db);
  return v128.or(bad, addTail(da + at, db + at, bStep, rest, fresh));
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

/** The first `rest` lanes of a tail's value to out; all ones in those of them that are not finite. */
// @ts-ignore: decorator
@noinline
function storeTail(out: usize, value: v128, rest: usize): v128 {
  v128.store(TAIL_OUT, value);
  memory.copy(out, TAIL_OUT, rest << 2);
  return v128.and(notFinite(value), firstLanes(rest));
}

/**
 * da (zeroed first when `fresh`; and db when it steps) += the tail slots' first `rest`
 * lanes; all ones in the lanes of da's tail that are not finite.
 */
// @ts-ignore: decorator
@noinline
function addTail(da: usize, db: usize, bStep: usize, rest: usize, fresh: i32): v128 {
  for (let j: usize = 0; j < rest; j++) {
    const lane = j << 2;
    store<f32>(da + lane, (fresh ? <f32>0 : load<f32>(da + lane)) + load<f32>(TAIL_DA + lane));
    if (bStep) store<f32>(db + lane, load<f32>(db + lane) + load<f32>(TAIL_DB + lane));
  }
  // da's tail, as written, in a vector padded with zeros.
  padded(TAIL_DA, da, rest, 0);
  return notFinite(v128.load(TAIL_DA));
}

/** The 16 bytes at `slot`: `count` f32 from `from`, then `fill`. */
// @ts-ignore: decorator
@inline
function padded(slot: usize, from: usize, count: usize, fill: f32): void {
  v128.store(slot, f32x4.splat(fill));
  memory.copy(slot, from, count << 2);
}
