import { DTYPES } from '../dtype';
import { describe, ShapeError, ValueError } from '../errors';
import { type DType, fillTensor, formatShape, sameShape, Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, Saved, useTensor } from './buffers';
import { Gate } from './gate';

export interface BatchNormOptions {
  /** Added to the variance under the square root (default 1e-5, as PyTorch). */
  eps?: number;
  /** How far each training batch moves the running statistics (default 0.1, as PyTorch). */
  momentum?: number;
  dtype?: DType;
}

/**
 * Batch normalization of x [batch, channels, …]: each channel minus its mean, over its
 * standard deviation, then γ·x̂ + β. While training the mean and variance are the batch's
 * (and the running statistics move towards them); in evaluation they are the running
 * ones. Unlike an elementwise gate, every x of a channel moves its mean and variance, so
 * the gradient of one value depends on the whole channel: forward caches x and the
 * channel's mean and 1/σ, and backward gives dx, dγ and dβ.
 */
export class BatchNormGate extends Gate {
  /** Normalizing by the batch's statistics while true (the default); by the running ones while false. */
  training = true;
  readonly eps: number;
  readonly momentum: number;
  /** Start at 0 and 1, as PyTorch's `running_mean` and `running_var`. */
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  private readonly output = new Owned(this);
  private readonly dx = new Owned(this, 'gradient');
  private readonly dgamma = new Owned(this, 'gradient');
  private readonly dbeta = new Owned(this, 'gradient');
  /** The channel's μ and σ⁻¹ of the last forward, and of the last predict. */
  private readonly mean: Tensor;
  private readonly invstd: Tensor;
  private readonly prediction = new Owned('BatchNorm.predict');
  private readonly predictStats: Tensor;
  private readonly input = new Saved();
  private readonly scale = new Saved();
  private produced: Tensor | null = null;
  private trainedOn = true;
  private affine: 'none' | 'gamma' | 'both' = 'none';

  constructor(
    readonly channels: number,
    options: BatchNormOptions = {},
  ) {
    super();
    const { eps = 1e-5, momentum = 0.1, dtype = 'float32' } = options;
    if (!Number.isInteger(channels) || channels < 1) {
      throw new ValueError(`BatchNormGate: channels must be a positive integer, got ${describe(channels)}`);
    }
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
      throw new ValueError(`BatchNormGate: eps must be a positive number, got ${describe(eps)}`);
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
      throw new ValueError(`BatchNormGate: momentum must be in [0, 1], got ${describe(momentum)}`);
    }
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(`BatchNormGate: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    this.eps = eps;
    this.momentum = momentum;
    this.runningMean = Tensor.owned([channels], dtype, 'BatchNorm');
    this.runningVar = Tensor.owned([channels], dtype, 'BatchNorm');
    fillTensor(this.runningVar, 1);
    this.mean = Tensor.owned([channels], dtype, 'BatchNorm');
    this.invstd = Tensor.owned([channels], dtype, 'BatchNorm');
    this.predictStats = Tensor.owned([2, channels], dtype, 'BatchNorm');
  }

  /** γ·x̂ + β, with γ and β of shape [channels] (or left out: x̂ itself). */
  forward(x: Tensor, gamma: Tensor | null = null, beta: Tensor | null = null): Tensor {
    const op = `${this.name}.forward`;
    const { t, g, b, n, spatial } = this.check(op, x, gamma, beta, this.training);
    const y = this.output.get(t.shape, t.dtype);
    this.normalize(t, y, g, b, n, spatial, this.mean.ptr, this.invstd.ptr, this.training);
    this.input.keep(t);
    if (g) this.scale.keep(g);
    else this.scale.clear();
    this.affine = g === null ? 'none' : b === null ? 'gamma' : 'both';
    this.trainedOn = this.training;
    this.produced = y;
    this.cache = { x: t, out: y };
    return y;
  }

  /**
   * The evaluation output (running statistics, whatever `training` is) into a buffer of its
   * own, leaving forward's cache and the running statistics alone.
   */
  predict(x: Tensor, gamma: Tensor | null = null, beta: Tensor | null = null): Tensor {
    const op = `${this.name}.predict`;
    const { t, g, b, n, spatial } = this.check(op, x, gamma, beta, false);
    const y = this.prediction.get(t.shape, t.dtype);
    const stats = this.predictStats.ptr;
    this.normalize(t, y, g, b, n, spatial, stats, stats + this.channels * DTYPES[t.dtype].bytes, false);
    return y;
  }

  private check(op: string, x: Tensor, gamma: Tensor | null, beta: Tensor | null, training: boolean) {
    const t = useTensor(op, 'x', x);
    const dtype = this.runningMean.dtype;
    if (t.rank < 2 || t.shape[1] !== this.channels) {
      throw new ShapeError(`${op}: x must be [batch, ${this.channels}, …], got ${formatShape(t.shape)}`);
    }
    if (t.dtype !== dtype) throw new ValueError(`${op}: x is ${t.dtype}, the running statistics ${dtype}`);
    const g = gamma === null ? null : this.checkChannels(op, 'gamma', gamma);
    const b = beta === null ? null : this.checkChannels(op, 'beta', beta);
    if (b !== null && g === null) throw new ValueError(`${op}: beta without gamma; pass gamma (ones for none)`);
    const n = t.shape[0] as number;
    const spatial = t.size / (n * this.channels) || 0;
    if (training && n * spatial < 2) {
      throw new ValueError(
        `${op}: training needs more than one value per channel, got x ${formatShape(t.shape)} (evaluate with training off)`,
      );
    }
    return { t, g, b, n, spatial };
  }

  private normalize(
    t: Tensor,
    y: Tensor,
    g: Tensor | null,
    b: Tensor | null,
    n: number,
    spatial: number,
    mean: number,
    invstd: number,
    training: boolean,
  ): void {
    kernels(t.dtype).batchNormForward(
      t.ptr,
      y.ptr,
      g?.ptr ?? 0,
      b?.ptr ?? 0,
      mean,
      invstd,
      this.runningMean.ptr,
      this.runningVar.ptr,
      n,
      this.channels,
      spatial,
      this.eps,
      this.momentum,
      training ? 1 : 0,
    );
  }

  /** One gradient per input of the last forward: [dx], [dx, dγ] or [dx, dγ, dβ]. */
  backward(dout: Tensor): Tensor[] {
    const dtype = this.runningMean.dtype;
    const dgamma = this.affine === 'none' ? null : this.dgamma.zeroed([this.channels], dtype);
    const dbeta = this.affine === 'both' ? this.dbeta.zeroed([this.channels], dtype) : null;
    const dx = this.backwardInto(dout, dgamma, dbeta, true) as Tensor;
    return [dx, ...(dgamma ? [dgamma] : []), ...(dbeta ? [dbeta] : [])];
  }

  /**
   * @internal The backward that adds dγ and dβ into the given tensors (a layer's parameter
   * gradients) and computes dx only when asked.
   */
  backwardInto(dout: Tensor, dgamma: Tensor | null, dbeta: Tensor | null, inputGrad: boolean): Tensor | null {
    const op = `${this.name}.backward`;
    this.requireForward();
    const x = this.input.use(op, 'its input x');
    const gamma = this.affine === 'none' ? null : this.scale.use(op, 'gamma');
    const g = useTensor(op, 'dout', dout);
    checkGradientSource(op, g, this.produced);
    if (!sameShape(g.shape, x.shape) || g.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dout is ${formatShape(g.shape)} ${g.dtype}, the output was ${formatShape(x.shape)} ${x.dtype}`);
    }
    const n = x.shape[0] as number;
    const dx = inputGrad ? this.dx.get(x.shape, x.dtype) : null;
    kernels(x.dtype).batchNormBackward(
      x.ptr,
      g.ptr,
      dx?.ptr ?? 0,
      gamma?.ptr ?? 0,
      dgamma?.ptr ?? 0,
      dbeta?.ptr ?? 0,
      this.mean.ptr,
      this.invstd.ptr,
      n,
      this.channels,
      x.size / (n * this.channels) || 0,
      this.trainedOn ? 1 : 0,
    );
    return dx ? dx.gradientFor(x) : null;
  }

  private checkChannels(op: string, name: string, value: unknown): Tensor {
    const t = useTensor(op, name, value);
    if (t.rank !== 1 || t.shape[0] !== this.channels || t.dtype !== this.runningMean.dtype) {
      throw new ShapeError(
        `${op}: ${name} must be a [${this.channels}] ${this.runningMean.dtype} tensor, got ${formatShape(t.shape)} ${t.dtype}`,
      );
    }
    return t;
  }
}
