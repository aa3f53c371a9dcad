import { describe, ShapeError, ValueError } from '../errors';
import { BatchNormGate, type BatchNormOptions } from '../gates/batch-norm';
import { fillTensor, formatShape, Tensor } from '../tensor';
import { type BackwardOptions, checkMode, type Module, type ModuleBuffer, type Parameter } from './module';

export interface BatchNormLayerOptions extends BatchNormOptions {
  /** Whether the layer learns a scale γ ("weight", from 1) and a shift β ("bias", from 0). Default true. */
  affine?: boolean;
}

/**
 * Batch normalization (BatchNormGate) as a layer, as PyTorch's: γ ("weight") and β ("bias")
 * are parameters; the running mean and variance are buffers ("running_mean",
 * "running_var"), saved with the model but not trained. While the model trains each batch
 * is normalized by its own statistics; in evaluation (`model.eval()`, and always in
 * `predict`) by the running ones.
 */
abstract class BatchNorm implements Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  private readonly gate: BatchNormGate;

  protected constructor(
    /** BatchNorm1d or BatchNorm2d, in model files and messages. */
    readonly name: 'BatchNorm1d' | 'BatchNorm2d',
    readonly numFeatures: number,
    /** The ranks of input it takes: [N, C] or [N, C, L] for 1d, [N, C, H, W] for 2d. */
    private readonly ranks: readonly number[],
    options: BatchNormLayerOptions,
  ) {
    const { affine = true, ...rest } = options;
    if (typeof affine !== 'boolean') throw new ValueError(`${name}: affine must be true or false, got ${describe(affine)}`);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new ValueError(
        `${name}: the number of ${name === 'BatchNorm2d' ? 'channels' : 'features'} must be a positive integer, got ${describe(numFeatures)}`,
      );
    }
    this.gate = new BatchNormGate(numFeatures, rest);
    this.gate.label = name;
    const dtype = this.gate.runningMean.dtype;
    const parameter = (paramName: string, start: number): Parameter => {
      const value = Tensor.owned([numFeatures], dtype, name);
      fillTensor(value, start);
      return { name: paramName, value, grad: Tensor.owned([numFeatures], dtype, name) };
    };
    this.weight = affine ? parameter('weight', 1) : null;
    this.bias = affine ? parameter('bias', 0) : null;
  }

  get eps(): number {
    return this.gate.eps;
  }

  get momentum(): number {
    return this.gate.momentum;
  }

  get affine(): boolean {
    return this.weight !== null;
  }

  get runningMean(): Tensor {
    return this.gate.runningMean;
  }

  get runningVar(): Tensor {
    return this.gate.runningVar;
  }

  get training(): boolean {
    return this.gate.training;
  }

  train(mode = true): this {
    this.gate.training = checkMode(this.name, mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  forward(x: Tensor): Tensor {
    this.checkRank(`${this.name}.forward`, x);
    return this.gate.forward(x, this.weight?.value ?? null, this.bias?.value ?? null);
  }

  predict(x: Tensor): Tensor {
    this.checkRank(`${this.name}.predict`, x);
    return this.gate.predict(x, this.weight?.value ?? null, this.bias?.value ?? null);
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    return this.gate.backwardInto(dout, this.weight?.grad ?? null, this.bias?.grad ?? null, inputGrad);
  }

  parameters(): Parameter[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  buffers(): ModuleBuffer[] {
    return [
      { name: 'running_mean', value: this.gate.runningMean },
      { name: 'running_var', value: this.gate.runningVar },
    ];
  }

  private checkRank(op: string, x: Tensor): void {
    if (x instanceof Tensor && !this.ranks.includes(x.rank)) {
      const shapes = this.ranks.map((rank) => (rank === 2 ? '[N, C]' : rank === 3 ? '[N, C, L]' : '[N, C, H, W]'));
      throw new ShapeError(`${op}: x must be ${shapes.join(' or ')} with C = ${this.numFeatures}, got ${formatShape(x.shape)}`);
    }
  }
}

/** Batch normalization of features [N, C] (or sequences [N, C, L]): statistics per feature over the batch. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super('BatchNorm1d', numFeatures, [2, 3], options);
  }
}

/** Batch normalization of images [N, C, H, W]: statistics per channel over the batch and every position. */
export class BatchNorm2d extends BatchNorm {
  constructor(numChannels: number, options: BatchNormLayerOptions = {}) {
    super('BatchNorm2d', numChannels, [4], options);
  }
}
