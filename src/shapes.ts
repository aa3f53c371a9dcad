// The shape and label rules that the gates and the Graph both enforce, written once so
// that a gate and a Graph op refuse the same things with the same words. `op` names the
// caller in messages ("MatMulGate.forward", "matmul").
import { describe, ShapeError, ValueError } from './errors';
import { BROADCAST } from './ops';
import { formatShape, rowsCols, type Shape, sameShape, sizeOf } from './tensor';

/** Whether y is a row of x's last axis ([cols] or [1, cols]), which broadcasts down x's rows as a bias does. */
export function isRowOf(x: Shape, y: Shape): boolean {
  const cols = rowsCols(x)[1];
  return x.length >= 1 && sizeOf(y) === cols && (y.length === 1 || (y.length === 2 && y[0] === 1));
}

/** How y reaches x's shape in an elementwise op: x's shape, one value, a row — or -1. */
export function broadcastOf(x: Shape, y: Shape): number {
  if (sameShape(x, y)) return BROADCAST.same;
  if (sizeOf(y) === 1) return BROADCAST.scalar;
  return isRowOf(x, y) ? BROADCAST.row : -1;
}

/** [m, k]·[k, n] → [m, k, n], or a ShapeError naming what does not fit. */
export function matmulDims(op: string, a: Shape, b: Shape): [m: number, k: number, n: number] {
  for (const [name, shape] of [
    ['A', a],
    ['B', b],
  ] as const) {
    if (shape.length !== 2) throw new ShapeError(`${op}: ${name} must be 2-D, got shape ${formatShape(shape)}`);
  }
  if (a[1] !== b[0]) throw new ShapeError(`matmul: ${formatShape(a)} · ${formatShape(b)}: inner dims ${a[1]} ≠ ${b[0]}`);
  return [a[0] as number, a[1] as number, b[1] as number];
}

/** Maxout's k, the number of pieces per unit: a positive integer. */
export function checkPieces(op: string, k: unknown): number {
  if (!Number.isInteger(k) || (k as number) < 1) throw new ValueError(`${op}: k must be a positive integer, got ${describe(k)}`);
  return k as number;
}

/** z [rows, units·k] → [rows, units]. */
export function maxoutShape(op: string, z: Shape, k: number): [rows: number, units: number] {
  if (z.length !== 2 || (z[1] as number) % k !== 0) throw new ShapeError(`${op}: z must be [rows, units·${k}], got ${formatShape(z)}`);
  return [z[0] as number, (z[1] as number) / k];
}

/** A loss's scores (or logits) [rows, classes] → [rows, classes]. */
export function scoresShape(op: string, name: string, scores: Shape): [rows: number, classes: number] {
  if (scores.length !== 2) throw new ShapeError(`${op}: ${name} must be 2-D [rows, classes], got ${formatShape(scores)}`);
  return scores as [number, number];
}

export type Axis = 0 | 1 | undefined;

/** A sum or mean over everything or along an axis: the axis checked, how many values each result sums. */
export function reduction(op: string, shape: Shape, axis: unknown): { rows: number; cols: number; count: number; out: Shape } {
  if (axis !== undefined && axis !== 0 && axis !== 1) throw new ValueError(`${op}: axis must be 0, 1 or left out, got ${describe(axis)}`);
  if (axis !== undefined && shape.length !== 2) throw new ShapeError(`${op}: axis ${axis} needs a 2-D tensor, got ${formatShape(shape)}`);
  const [rows, cols] = rowsCols(shape);
  if (axis === undefined) return { rows, cols, count: sizeOf(shape), out: [] };
  return { rows, cols, count: axis === 0 ? rows : cols, out: [axis === 0 ? cols : rows] };
}

/** Each of `labels` a class index in [0, classes); `what(i)` names one in a message ("label 1", 'labels "y" entry 1'). */
export function checkClassIndices(op: string, labels: ArrayLike<unknown>, classes: number, what: (i: number) => string): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= classes) {
      throw new ValueError(`${op}: ${what(i)} is ${describe(label)}, not a class index in [0, ${classes})`);
    }
  }
}
