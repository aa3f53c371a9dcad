import { describe, ValueError } from '../errors';
import { Conv2dGate } from '../gates/conv2d';
import { Random } from '../random';
import { type Pair, pair, type WindowSpec, windowSpec } from '../shapes';
import { type DType, Tensor } from '../tensor';
import type { BackwardOptions, Module, Parameter } from './module';

export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on each side (default 0). */
  padding?: Pair;
  /** Step between a window's taps (default 1). */
  dilation?: Pair;
  /** Whether to add a bias per output channel (default true). */
  bias?: boolean;
  /** Seed of the initializer: the same seed gives the same weights. */
  seed?: number;
  dtype?: DType;
}

let nextSeed = 1;

/**
 * A 2-D convolution layer, PyTorch's shapes: x [N, in, H, W] → [N, out, OH, OW], weight
 * [out, in, kh, kw], bias [out]. Initialized as PyTorch does (Kaiming-uniform with
 * a = √5): weight and bias uniform in ±1/√(in·kh·kw). Backward adds into the weight's and
 * bias's gradients (Conv2dGate: dW = dy·colᵀ, db = Σ dy) and returns dx when asked.
 */
export class Conv2d implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Conv2d';
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /** The window, checked: kernel, stride, padding and dilation as [height, width]. */
  readonly spec: WindowSpec;
  readonly seed: number;
  private readonly gate: Conv2dGate;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dOptions = {},
  ) {
    const op = 'Conv2d';
    for (const [name, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${describe(n)}`);
    }
    const { bias = true, seed, dtype = 'float32', ...window } = options;
    this.spec = windowSpec(op, pair(op, 'kernelSize', kernelSize, 1), window, ['stride', 'padding', 'dilation'], 1);
    if (typeof bias !== 'boolean') throw new ValueError(`${op}: bias must be true or false, got ${describe(bias)}`);
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(`${op}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    if (seed !== undefined && !Number.isInteger(seed)) throw new ValueError(`${op}: seed must be an integer, got ${describe(seed)}`);
    this.seed = seed ?? nextSeed++;
    const [kh, kw] = this.spec.kernel;
    this.weight = {
      name: 'weight',
      value: Tensor.owned([outChannels, inChannels, kh, kw], dtype, op),
      grad: Tensor.owned([outChannels, inChannels, kh, kw], dtype, op),
    };
    this.bias = bias ? { name: 'bias', value: Tensor.owned([outChannels], dtype, op), grad: Tensor.owned([outChannels], dtype, op) } : null;
    this.gate = new Conv2dGate({ stride: this.spec.stride, padding: this.spec.padding, dilation: this.spec.dilation });
    this.gate.label = op;
    this.reset();
  }

  /** Re-draws the weights and bias as PyTorch's Conv2d.reset_parameters: uniform in ±1/√fanIn. */
  reset(): void {
    const fanIn = this.inChannels * this.spec.kernel[0] * this.spec.kernel[1];
    const bound = 1 / Math.sqrt(fanIn);
    const random = new Random(this.seed);
    for (const p of this.parameters()) {
      const data = p.value.data;
      for (let i = 0; i < data.length; i++) data[i] = bound * (2 * random.uniform() - 1);
    }
  }

  forward(x: Tensor): Tensor {
    return this.gate.forward(x, this.weight.value, this.bias?.value);
  }

  /** The output for x into a buffer of its own, leaving forward's caches alone. */
  predict(x: Tensor): Tensor {
    return this.gate.evaluate(x, this.weight.value, this.bias?.value ?? null);
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    return this.gate.accumulate('Conv2d.backward', dout, this.weight.grad, this.bias?.grad ?? null, inputGrad);
  }

  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}
