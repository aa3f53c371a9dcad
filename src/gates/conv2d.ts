import { DTYPES } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { columnsPerImage, conv2dGeometry, type Pair, type WindowGeometry, weightPartials, windowOutput, windowSpec } from '../shapes';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { threadScratchBytes } from '../wasm/split';
import { checkGradientSource, Owned, Saved, useTensor } from './buffers';
import { Gate } from './gate';
import { WindowBlock } from './window';

export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side (default 0). */
  padding?: Pair;
  /** Step between a window's taps (default 1). */
  dilation?: Pair;
}

/**
 * y = w ⋆ x + b: each output pixel is a dot product of the filter w[o] with the window
 * of x under it, x [N, C, H, W], w [O, C, KH, KW], b [O] or none, y [N, O, OH, OW] — a
 * matmul of the filters with the windows unfolded as columns (im2col). Like matmul it
 * switches: dw = dy·colᵀ, dcol = wᵀ·dy (added back into dx where each value came from),
 * and db = Σ dy (each summed over groups of the batch's images, then the groups). Caches
 * x and w; the backward unfolds each image's columns again from x (assembly/conv.ts says
 * why), into a scratch of one image's columns for each thread.
 */
export class Conv2dGate extends Gate {
  private readonly spec: Conv2dOptions;
  private readonly output = new Owned(this);
  private readonly columns = new Owned(this, 'result');
  private readonly dx = new Owned(this, 'gradient');
  private readonly dw = new Owned(this, 'gradient');
  private readonly db = new Owned(this, 'gradient');
  private readonly partials = new Owned(this, 'result');
  private readonly prediction = new Owned(this, 'result');
  private readonly block = new WindowBlock(this);
  private readonly x = new Saved();
  private readonly w = new Saved();
  private readonly b = new Saved();
  private geometry: WindowGeometry | null = null;
  private produced: Tensor | null = null;

  constructor(options: Conv2dOptions = {}) {
    super();
    // Checked now, so that a bad option is an error where it is written.
    windowSpec('Conv2dGate', [1, 1], options, ['stride', 'padding', 'dilation'], 1);
    this.spec = { ...options };
  }

  forward(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
    const op = `${this.name}.forward`;
    const [tx, tw, tb, g] = this.check(op, x, w, b);
    const y = this.output.get(windowOutput(g), tx.dtype);
    const k = kernels(tx.dtype);
    const col = this.scratch(g, tx.dtype);
    this.cache = null;
    k.conv2dForward(this.block.write(g), tx.ptr, tw.ptr, tb ? tb.ptr : 0, y.ptr, col.ptr);
    this.x.keep(tx);
    this.w.keep(tw);
    if (tb) this.b.keep(tb);
    else this.b.clear();
    this.geometry = g;
    this.produced = y;
    this.cache = { x: tx, y: tw, out: y };
    return y;
  }

  /** Gradients w.r.t. x, w and b (null without a bias), given dL/dy. */
  backward(dy: Tensor): [dx: Tensor, dw: Tensor, db: Tensor | null] {
    const op = `${this.name}.backward`;
    const saved = this.saved(op, dy);
    const b = this.b.kept === null ? null : this.b.use(op, 'b');
    const dw = this.dw.zeroed(saved.w.shape, saved.w.dtype);
    const db = b ? this.db.zeroed(b.shape, b.dtype) : null;
    const dx = this.run(saved, dw, db, true) as Tensor;
    return [dx, dw.gradientFor(saved.w), db && b ? db.gradientFor(b) : null];
  }

  /**
   * @internal A layer's backward: adds dw and db into its parameters' gradients (given
   * here) and returns dx, or null when `inputGrad` is false.
   */
  accumulate(op: string, dy: Tensor, dw: Tensor, db: Tensor | null, inputGrad: boolean): Tensor | null {
    return this.run(this.saved(op, dy), dw, db, inputGrad);
  }

  /** What backward reads, each checked to be as forward left it, and dy checked against the output. */
  private saved(op: string, dy: unknown): { x: Tensor; w: Tensor; dy: Tensor; g: WindowGeometry } {
    this.requireForward();
    const g = this.geometry as WindowGeometry;
    const x = this.x.use(op, 'x');
    const w = this.w.use(op, 'w');
    const t = useTensor(op, 'dy', dy);
    checkGradientSource(op, t, this.produced);
    const shape = windowOutput(g);
    if (!sameShape(t.shape, shape) || t.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dy is ${t.dtype} ${formatShape(t.shape)}, the output was ${x.dtype} ${formatShape(shape)}`);
    }
    return { x, w, dy: t, g };
  }

  private run(s: ReturnType<Conv2dGate['saved']>, dw: Tensor, db: Tensor | null, inputGrad: boolean): Tensor | null {
    const { x, w, dy, g } = s;
    const dx = inputGrad ? this.dx.zeroed(x.shape, x.dtype) : null;
    const k = kernels(x.dtype);
    const scratch = this.scratch(g, x.dtype);
    const partials = this.partials.get([weightPartials(g)], x.dtype);
    const geometry = this.block.write(g);
    k.conv2dBackward(geometry, x.ptr, w.ptr, dy.ptr, partials.ptr, db ? 1 : 0, dx ? dx.ptr : 0, scratch.ptr);
    k.conv2dWeightSum(geometry, partials.ptr, dw.ptr, db ? db.ptr : 0);
    return dx ? dx.gradientFor(x) : null;
  }

  /**
   * @internal The output for x into a buffer of its own, leaving forward's caches alone
   * (a layer's predict).
   */
  evaluate(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
    const [tx, tw, tb, g] = this.check(`${this.name}.predict`, x, w, b);
    const y = this.prediction.get(windowOutput(g), tx.dtype);
    kernels(tx.dtype).conv2dForward(this.block.write(g), tx.ptr, tw.ptr, tb ? tb.ptr : 0, y.ptr, this.scratch(g, tx.dtype).ptr);
    return y;
  }

  /** One image's columns for each thread that shares the batch (split.ts spaces them): what forward, backward and evaluate unfold into. */
  private scratch(g: WindowGeometry, dtype: Tensor['dtype']): Tensor {
    const item = DTYPES[dtype].bytes;
    return this.columns.get([threadScratchBytes(columnsPerImage(g) * item, kernels(dtype).threads) / item], dtype);
  }

  private check(op: string, x: unknown, w: unknown, b: unknown): [Tensor, Tensor, Tensor | null, WindowGeometry] {
    const tx = useTensor(op, 'x', x);
    const tw = useTensor(op, 'w', w);
    const tb = b === undefined || b === null ? null : useTensor(op, 'b', b);
    for (const [name, t] of [
      ['w', tw],
      ['b', tb],
    ] as const) {
      if (t && t.dtype !== tx.dtype) throw new ValueError(`${op}: dtypes differ: x is ${tx.dtype}, ${name} is ${t.dtype}`);
    }
    const shapes = [tx.shape, tw.shape, tb ? tb.shape : null];
    const g = this.block.geometry(shapes, () => conv2dGeometry(op, tx.shape, tw.shape, tb ? tb.shape : null, this.spec));
    return [tx, tw, tb, g];
  }
}
