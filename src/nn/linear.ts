import { describe, ShapeError, ValueError } from '../errors';
import { checkGradientSource, Owned, Saved, useTensor } from '../gates/buffers';
import { type DType, fillTensor, formatShape, Tensor } from '../tensor';
import { B_ROW, kernels } from '../wasm/kernels';
import { type Init, initialize } from './init';
import type { BackwardOptions, Module, Parameter } from './module';

export interface LinearOptions {
  /** 'he' (default, for the ReLU family) or 'xavier' (for sigmoid and tanh); a Sequential picks by the next layer. */
  init?: Init;
  /** Seed of the initializer: the same seed gives the same weights. */
  seed?: number;
  bias?: boolean;
  dtype?: DType;
}

let nextSeed = 1;
const INITS: readonly Init[] = ['he', 'xavier', 'zeros'];

/**
 * y = x·Wᵀ + b for a batch of rows x [batch, in]; W is [out, in] as in PyTorch.
 * Backward: dW += doutᵀ·x, db += Σ_rows dout, dx = dout·W. Caches x.
 */
export class Linear implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Linear';
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** Whether the initializer was chosen by the caller (a Sequential leaves those alone). */
  readonly initChosen: boolean;
  readonly seed: number;
  private readonly output = new Owned(this);
  private readonly prediction = new Owned('Linear.predict');
  private readonly dx = new Owned(this, 'gradient');
  private readonly input = new Saved();
  /** The output of the forward that backward differentiates. */
  private produced: Tensor | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    for (const [name, n] of [
      ['in', inFeatures],
      ['out', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ValueError(`Linear: ${name} must be a positive integer, got ${String(n)}`);
    }
    if (options.init !== undefined) checkInit('Linear', options.init);
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(`Linear: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ValueError(`Linear: seed must be an integer, got ${describe(options.seed)}`);
    }
    this.seed = options.seed ?? nextSeed++;
    this.initChosen = options.init !== undefined;
    const owner = 'Linear';
    this.weight = {
      name: 'weight',
      value: Tensor.owned([outFeatures, inFeatures], dtype, owner),
      grad: Tensor.owned([outFeatures, inFeatures], dtype, owner),
    };
    this.bias =
      options.bias === false
        ? null
        : { name: 'bias', value: Tensor.owned([outFeatures], dtype, owner), grad: Tensor.owned([outFeatures], dtype, owner) };
    this.reset(options.init ?? 'he');
  }

  /** Re-initializes the weights (biases start at 0). */
  reset(init: Init): void {
    checkInit('Linear.reset', init);
    initialize(this.weight.value, init, this.inFeatures, this.outFeatures, this.seed);
    if (this.bias) fillTensor(this.bias.value, 0);
  }

  forward(x: Tensor): Tensor {
    const t = this.check('Linear.forward', x);
    const y = this.affine(t, this.output);
    this.input.keep(t);
    this.produced = y;
    return y;
  }

  /** x·Wᵀ + b into a buffer of its own, leaving forward's cache alone. */
  predict(x: Tensor): Tensor {
    return this.affine(this.check('Linear.predict', x), this.prediction);
  }

  private check(op: string, x: Tensor): Tensor {
    const t = useTensor(op, 'x', x);
    if (t.rank !== 2 || t.shape[1] !== this.inFeatures) {
      throw new ShapeError(`${op}: x must be [batch, ${this.inFeatures}], got ${formatShape(t.shape)}`);
    }
    if (t.dtype !== this.weight.value.dtype) throw new ValueError(`${op}: x is ${t.dtype}, the weights ${this.weight.value.dtype}`);
    return t;
  }

  private affine(t: Tensor, into: Owned): Tensor {
    const w = this.weight.value;
    const batch = t.shape[0] as number;
    const y = into.get([batch, this.outFeatures], w.dtype);
    const k = kernels(w.dtype);
    k.gemm(0, 1, batch, this.outFeatures, this.inFeatures, t.ptr, this.inFeatures, w.ptr, this.inFeatures, y.ptr, this.outFeatures, 0);
    if (this.bias) k.elementwiseForward(1, y.ptr, this.bias.value.ptr, y.ptr, batch, this.outFeatures, B_ROW, 0);
    return y;
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    const op = 'Linear.backward';
    const x = this.input.use(op, 'its input x');
    const g = useTensor(op, 'dout', dout);
    checkGradientSource(op, g, this.produced);
    const batch = x.shape[0] as number;
    if (g.rank !== 2 || g.shape[0] !== batch || g.shape[1] !== this.outFeatures || g.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dout is ${formatShape(g.shape)}, the output was [${batch},${this.outFeatures}]`);
    }
    const [n, m] = [this.inFeatures, this.outFeatures];
    const k = kernels(x.dtype);
    k.gemm(1, 0, m, n, batch, g.ptr, m, x.ptr, n, this.weight.grad.ptr, n, 1); // dW += doutᵀ·x
    if (this.bias) k.sumRowsInto(g.ptr, this.bias.grad.ptr, batch, m); // db += Σ rows
    if (!inputGrad) return null;
    const dx = this.dx.get([batch, n], x.dtype);
    k.gemm(0, 0, batch, n, m, g.ptr, m, this.weight.value.ptr, n, dx.ptr, n, 0); // dx = dout·W
    return dx.gradientFor(x);
  }

  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}

function checkInit(op: string, init: unknown): void {
  if (!INITS.includes(init as Init)) {
    throw new ValueError(
      `${op}: init must be ${INITS.map((i) => `'${i}'`).join(', ')}${op === 'Linear' ? ' or left out' : ''}, got ${describe(init)}`,
    );
  }
}
