import { describe, ShapeError, ValueError } from '../errors';
import { type Axis, reduction } from '../shapes';
import { fillTensor, formatShape, type Tensor } from '../tensor';
import { AXIS_ALL, kernels } from '../wasm/kernels';
import { Owned, Saved, useTensor } from './buffers';
import { Gate } from './gate';

/** A reduction over everything gives a number; along an axis, a Tensor. */
export type { Axis };
export type Reduced<A extends Axis> = A extends undefined ? number : Tensor;

/**
 * Σ x over everything (a number), down the rows (axis 0: one value per column), or
 * along each row (axis 1). Like add it distributes: every element gets dout.
 * Caches only x's shape.
 */
export class SumGate<A extends Axis = undefined> extends Gate {
  private readonly output = new Owned(this);
  private readonly dx = new Owned(this, 'gradient');
  private source: Tensor | null = null;

  constructor(
    readonly options: { axis?: A } = {},
    private readonly mean = false,
  ) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`${this.name}: options must be an object such as { axis: 0 }, got ${describe(options)}`);
    }
    reduction(this.name, [1, 1], options.axis); // checks the axis now, before any forward
  }

  forward(x: Tensor): Reduced<A> {
    const op = `${this.name}.forward`;
    const t = useTensor(op, 'x', x);
    const axis = this.options.axis;
    const { rows, cols, count, out: shape } = reduction(op, t.shape, axis);
    if (this.mean && count === 0) throw new ValueError(`${op}: the mean of 0 values (x is ${formatShape(t.shape)}) is undefined`);
    const out = this.output.get(shape, t.dtype);
    kernels(t.dtype).sumForward(t.ptr, out.ptr, rows, cols, axis ?? AXIS_ALL, this.mean ? 1 / Math.max(count, 1) : 1);
    this.source = t;
    this.cache = {};
    return (axis === undefined ? out.item() : out) as Reduced<A>;
  }

  backward(dout: Reduced<A>): [Tensor] {
    const op = `${this.name}.backward`;
    this.requireForward();
    const x = this.source as Tensor;
    const axis = this.options.axis;
    const { rows, cols, count } = reduction(op, x.shape, axis);
    const scale = this.mean ? 1 / Math.max(count, 1) : 1;
    const dx = this.dx.zeroed(x.shape, x.dtype);
    const k = kernels(x.dtype);
    if (axis === undefined) {
      if (typeof dout !== 'number' || !Number.isFinite(dout)) throw new ValueError(`${op}: dout must be a finite number`);
      fillTensor(dx, dout * scale);
      return [dx.gradientFor(x)];
    }
    const g = useTensor(op, 'dout', dout);
    const expected = axis === 0 ? cols : rows;
    if (g.size !== expected || g.dtype !== x.dtype)
      throw new ShapeError(`${op}: dout is ${formatShape(g.shape)}, the output was [${expected}]`);
    k.sumBackward(g.ptr, dx.ptr, rows, cols, axis, scale);
    return [dx.gradientFor(x)];
  }
}

/** The mean over everything or along an axis: a sum whose every gradient is scaled by 1/count. */
export class MeanGate<A extends Axis = undefined> extends SumGate<A> {
  constructor(options: { axis?: A } = {}) {
    super(options, true);
  }
}

/** Σ x², the squared L2 norm: dx = 2x·dout. Caches x. */
export class L2Gate extends Gate {
  private readonly output = new Owned(this);
  private readonly seed = new Owned(this, 'result');
  private readonly dx = new Owned(this, 'gradient');
  private readonly input = new Saved();

  forward(x: Tensor): number {
    const t = useTensor('L2Gate.forward', 'x', x);
    const out = this.output.get([], t.dtype);
    kernels(t.dtype).l2Forward(t.ptr, out.ptr, t.size);
    this.cache = { x: t };
    this.input.keep(t);
    return out.item();
  }

  backward(dout: number): [Tensor] {
    const op = 'L2Gate.backward';
    this.requireForward();
    const x = this.input.use(op, 'x');
    if (typeof dout !== 'number' || !Number.isFinite(dout)) throw new ValueError(`${op}: dout must be a finite number`);
    const g = this.seed.get([], x.dtype);
    g.data[0] = dout;
    const dx = this.dx.zeroed(x.shape, x.dtype);
    kernels(x.dtype).l2Backward(x.ptr, g.ptr, dx.ptr, x.size);
    return [dx.gradientFor(x)];
  }
}
