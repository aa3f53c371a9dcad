// The shape and label rules that the gates and the Graph both enforce, written once so
// that a gate and a Graph op refuse the same things with the same words. `op` names the
// caller in messages ("MatMulGate.forward", "matmul").
import { describe, ShapeError, ValueError } from './errors';
import { BROADCAST, WEIGHT_GROUPS, WINDOW, WINDOW_WORD } from './ops';
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

// ---- convolution and pooling ----------------------------------------------------------

/** A size along height and width: one number for both, or [height, width], as PyTorch takes them. */
export type Pair = number | readonly [number, number];

/** How a window moves over an image: its size, stride, zero padding on each side and dilation, per axis. */
export interface WindowSpec {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** The sizes a windowed op's kernels read (src/ops.ts, WINDOW): the spec on a batch, and the output it makes. */
export interface WindowGeometry extends WindowSpec {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Conv's output channels; a pooling's are its input's. */
  readonly outChannels: number;
  readonly outH: number;
  readonly outW: number;
}

/** A dimension a kernel reads as an i32, with room for its products. */
const LARGEST = 2 ** 30;

/** `value` as [h, w] of integers ≥ `least`, or a ValueError naming the op and the option. */
export function pair(op: string, name: string, value: unknown, least: number): [number, number] {
  const both = typeof value === 'number' ? [value, value] : value;
  const ok = Array.isArray(both) && both.length === 2 && both.every((n) => Number.isInteger(n) && n >= least && n <= LARGEST);
  if (!ok) {
    const shown = Array.isArray(value) ? `[${value.map((v) => describe(v)).join(', ')}]` : describe(value);
    throw new ValueError(`${op}: ${name} must be an integer ≥ ${least} or a pair [height, width] of them, got ${shown}`);
  }
  return both as [number, number];
}

/**
 * A window's options checked: only the `allowed` names, each an integer or pair. Stride
 * defaults to `defaultStride` (1 for a convolution, the kernel for pooling, as in PyTorch).
 */
export function windowSpec(
  op: string,
  kernel: readonly [number, number],
  options: unknown,
  allowed: readonly ('stride' | 'padding' | 'dilation')[],
  defaultStride: Pair,
): WindowSpec {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ValueError(`${op}: options must be an object like { stride, padding }, got ${describe(options)}`);
  }
  const given = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(allowed as readonly string[]).includes(key) && given[key] !== undefined) {
      throw new ValueError(`${op}: unknown option ${JSON.stringify(key)} (it takes ${allowed.join(', ')})`);
    }
  }
  return {
    kernel,
    stride: pair(op, 'stride', given.stride ?? defaultStride, 1),
    padding: pair(op, 'padding', given.padding ?? 0, 0),
    dilation: pair(op, 'dilation', given.dilation ?? 1, 1),
  };
}

/** Output size along one axis: ⌊(size + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1, as PyTorch's (floor mode). */
function outSize(size: number, kernel: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

function describeSpec(spec: WindowSpec): string {
  const p = ([h, w]: readonly [number, number]) => (h === w ? String(h) : `[${h}, ${w}]`);
  const dilation = spec.dilation[0] === 1 && spec.dilation[1] === 1 ? '' : `, dilation ${p(spec.dilation)}`;
  return `kernel ${spec.kernel[0]}×${spec.kernel[1]}, stride ${p(spec.stride)}, padding ${p(spec.padding)}${dilation}`;
}

/** The geometry of `spec` over x [N, C, H, W]: a ShapeError if x is not 4-D or the window does not fit. */
function geometry(op: string, x: Shape, spec: WindowSpec, outChannels: number | null): WindowGeometry {
  if (x.length !== 4) throw new ShapeError(`${op}: x must be 4-D [batch, channels, height, width], got ${formatShape(x)}`);
  const [batch, channels, height, width] = x as [number, number, number, number];
  if (sizeOf(x) === 0) throw new ShapeError(`${op}: x ${formatShape(x)} is empty`);
  const outH = outSize(height, spec.kernel[0], spec.stride[0], spec.padding[0], spec.dilation[0]);
  const outW = outSize(width, spec.kernel[1], spec.stride[1], spec.padding[1], spec.dilation[1]);
  if (outH < 1 || outW < 1) {
    const reach = (i: 0 | 1) => spec.dilation[i] * (spec.kernel[i] - 1) + 1;
    throw new ShapeError(
      `${op}: x ${formatShape(x)} with ${describeSpec(spec)}: the padded input ` +
        `${height + 2 * spec.padding[0]}×${width + 2 * spec.padding[1]} is smaller than the window's reach ${reach(0)}×${reach(1)}`,
    );
  }
  if (outH > LARGEST || outW > LARGEST)
    throw new ShapeError(`${op}: x ${formatShape(x)} with ${describeSpec(spec)}: the output is too large`);
  return { ...spec, batch, channels, height, width, outChannels: outChannels ?? channels, outH, outW };
}

/**
 * Convolution's shapes: x [N, C, H, W], w [O, C, KH, KW], b [O] or none → the geometry
 * (the output is [N, O, OH, OW]). `options` is checked too (stride, padding, dilation).
 */
export function conv2dGeometry(op: string, x: Shape, w: Shape, b: Shape | null, options: unknown): WindowGeometry {
  if (w.length !== 4) throw new ShapeError(`${op}: w must be 4-D [out, in, kh, kw], got ${formatShape(w)}`);
  const [outChannels, inChannels, kh, kw] = w as [number, number, number, number];
  if (sizeOf(w) === 0) throw new ShapeError(`${op}: w ${formatShape(w)} is empty`);
  const spec = windowSpec(op, [kh, kw], options, ['stride', 'padding', 'dilation'], 1);
  if (x.length === 4 && x[1] !== inChannels) {
    throw new ShapeError(`${op}: x ${formatShape(x)} and w ${formatShape(w)}: x has ${x[1]} channels, w takes ${inChannels}`);
  }
  if (b !== null && (b.length !== 1 || b[0] !== outChannels)) {
    throw new ShapeError(`${op}: b must be [${outChannels}], one per output channel of w ${formatShape(w)}, got ${formatShape(b)}`);
  }
  return geometry(op, x, spec, outChannels);
}

/**
 * Pooling's window: a kernel size and options (stride, padding, and for max pooling
 * dilation). Padding is at most half the window's reach, as PyTorch requires, so that no
 * window lies in the padding alone (with dilation one still may: its max has no winner).
 */
export function poolSpec(op: string, kernel: unknown, options: unknown, dilation: boolean): WindowSpec {
  const k = pair(op, 'kernelSize', kernel, 1);
  const spec = windowSpec(op, k, options, dilation ? ['stride', 'padding', 'dilation'] : ['stride', 'padding'], k);
  for (const i of [0, 1] as const) {
    const reach = spec.dilation[i] * (k[i] - 1) + 1;
    if (2 * spec.padding[i] > reach) {
      throw new ValueError(`${op}: padding ${spec.padding[i]} is more than half the window (${describeSpec(spec)})`);
    }
  }
  return spec;
}

/** Pooling's shapes: x [N, C, H, W] under the window → the geometry (the output is [N, C, OH, OW]). */
export function pool2dGeometry(op: string, x: Shape, spec: WindowSpec): WindowGeometry {
  return geometry(op, x, spec, null);
}

/** The words of `g` in WINDOW's order; the tape's pointer words are 0 (a gate passes those as arguments). */
export function windowWords(g: WindowGeometry): Int32Array {
  const words = new Int32Array(WINDOW.words.length);
  const set = (field: keyof typeof WINDOW_WORD, value: number) => {
    words[WINDOW_WORD[field]] = value;
  };
  set('batch', g.batch);
  set('channels', g.channels);
  set('height', g.height);
  set('width', g.width);
  set('outChannels', g.outChannels);
  set('kernelH', g.kernel[0]);
  set('kernelW', g.kernel[1]);
  set('strideH', g.stride[0]);
  set('strideW', g.stride[1]);
  set('padH', g.padding[0]);
  set('padW', g.padding[1]);
  set('dilationH', g.dilation[0]);
  set('dilationW', g.dilation[1]);
  set('outH', g.outH);
  set('outW', g.outW);
  return words;
}

/** The shape of a window's output: [N, C out, OH, OW]. */
export function windowOutput(g: WindowGeometry): [number, number, number, number] {
  return [g.batch, g.outChannels, g.outH, g.outW];
}

/** A reshape's target: positive integers, one of them −1 at most (inferred, as in PyTorch). */
export function reshapeSpec(op: string, shape: unknown): number[] {
  const list = Array.isArray(shape) ? (shape as unknown[]) : null;
  if (list === null || list.length === 0 || !list.every((d) => Number.isInteger(d) && ((d as number) >= 1 || d === -1))) {
    const shown = list === null ? describe(shape) : `[${list.map((d) => describe(d)).join(', ')}]`;
    throw new ValueError(`${op}: the shape must be a non-empty array of positive integers (one may be −1), got ${shown}`);
  }
  const dims = list as number[];
  if (dims.filter((d) => d === -1).length > 1) throw new ValueError(`${op}: only one dimension may be −1, got [${dims.join(', ')}]`);
  return dims;
}

/** `shape` (reshapeSpec's) for x's elements, its −1 inferred: a ShapeError when the sizes do not fit. */
export function reshapeTo(op: string, x: Shape, shape: unknown): number[] {
  const dims = reshapeSpec(op, shape);
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = sizeOf(x);
  const out = dims.map((d) => (d === -1 ? total / known : d));
  if (!out.every((d) => Number.isInteger(d) && d >= 1) || sizeOf(out) !== total) {
    throw new ShapeError(`${op}: x ${formatShape(x)} has ${total} values, which do not fit [${dims.join(', ')}]`);
  }
  return out;
}

/** K = C·KH·KW values per window, P = OH·OW windows per image: the im2col columns of one image are K·P values. */
export function columnsPerImage(g: WindowGeometry): number {
  return g.channels * g.kernel[0] * g.kernel[1] * g.outH * g.outW;
}

/** Values of the buffer a convolution's backward sums each image group's dW and db in before adding the groups up (src/ops.ts, WEIGHT_GROUPS). */
export function weightPartials(g: WindowGeometry): number {
  return Math.min(g.batch, WEIGHT_GROUPS) * g.outChannels * (g.channels * g.kernel[0] * g.kernel[1] + 1);
}
