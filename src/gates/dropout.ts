import { describe, ShapeError, StateError, ValueError } from '../errors';
import { OPS } from '../ops';
import { Random } from '../random';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { B_SAME, kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, OwnedInts, Saved, useTensor } from './buffers';
import { Gate } from './gate';

export interface DropoutOptions {
  /** Seed of the masks: the same seed draws the same masks, call after call. */
  seed?: number;
}

let nextSeed = 1;

/**
 * Inverted dropout: while training, each value is kept with probability 1 − p and scaled
 * by 1/(1 − p), so the expected output is the input and evaluation is the identity. Like
 * mul it switches: the mask is what forward multiplies x by and what backward multiplies
 * dout by, so forward caches the mask.
 */
export class DropoutGate extends Gate {
  /** Dropping values while true (the default); the identity while false. */
  training = true;
  readonly seed: number;
  private readonly output = new Owned(this);
  private readonly dx = new Owned(this, 'gradient');
  private readonly mask = new Owned(this, 'result');
  private readonly generator = new OwnedInts(this);
  private readonly input = new Saved();
  private produced: Tensor | null = null;
  /** The last forward's mask, or null when it dropped nothing (it returned x as it was). */
  private drawn: Tensor | null = null;

  constructor(
    readonly p = 0.5,
    options: DropoutOptions = {},
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new ValueError(`DropoutGate: p, the probability of dropping a value, must be in [0, 1), got ${describe(p)}`);
    }
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ValueError(`DropoutGate: seed must be an integer, got ${describe(options.seed)}`);
    }
    this.seed = options.seed ?? nextSeed++;
    this.generator.reserve(4);
    this.generator.view(4).set(new Random(this.seed).state);
  }

  forward(x: Tensor): Tensor {
    const op = `${this.name}.forward`;
    const t = useTensor(op, 'x', x);
    this.input.keep(t);
    if (!this.training || this.p === 0) {
      this.drawn = null;
      this.cache = { x: t };
      this.produced = t;
      return t;
    }
    const k = kernels(t.dtype);
    const mask = this.mask.get(t.shape, t.dtype);
    k.dropoutMask(mask.ptr, t.size, 1 - this.p, this.generator.reserve(4));
    const out = this.output.get(t.shape, t.dtype);
    k.elementwiseForward(OPS.mul.code, t.ptr, mask.ptr, out.ptr, 1, t.size, B_SAME, 0);
    this.drawn = mask;
    this.cache = { x: t, out };
    this.produced = out;
    return out;
  }

  /** The last forward's mask: 0 where a value was dropped, 1/(1 − p) where kept. */
  get lastMask(): Tensor {
    this.requireForward();
    if (this.drawn === null) throw new StateError(`${this.name}.lastMask: the last forward dropped nothing (not training, or p = 0)`);
    return this.drawn;
  }

  backward(dout: Tensor): [Tensor] {
    const op = `${this.name}.backward`;
    this.requireForward();
    const x = this.input.use(op, 'its input x');
    const g = useTensor(op, 'dout', dout);
    checkGradientSource(op, g, this.produced);
    if (!sameShape(g.shape, x.shape) || g.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dout is ${formatShape(g.shape)} ${g.dtype}, the output was ${formatShape(x.shape)} ${x.dtype}`);
    }
    const mask = this.drawn;
    if (mask === null) return [g];
    const dx = this.dx.get(x.shape, x.dtype);
    kernels(x.dtype).elementwiseForward(OPS.mul.code, g.ptr, mask.ptr, dx.ptr, 1, x.size, B_SAME, 0);
    return [dx.gradientFor(x)];
  }
}
