// Optimizers: they hold the parameters, step them by their gradients (update loops in
// wasm), and zero the gradients. State (velocity, moments) is allocated once.
import { describe, ValueError } from '../errors';
import { fillTensor, Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import type { Parameter } from './module';

export abstract class Optimizer {
  readonly params: readonly Parameter[];

  constructor(params: readonly Parameter[]) {
    if (!Array.isArray(params) || params.some((p) => !(p?.value instanceof Tensor) || !(p.grad instanceof Tensor))) {
      throw new ValueError(`${new.target.name}: params must be an array of { value, grad } tensors, as model.parameters() returns`);
    }
    this.params = [...params];
  }

  abstract step(): void;

  /** Sets every gradient to 0: backward adds into them. */
  zeroGrad(): void {
    for (const p of this.params) fillTensor(p.grad, 0);
  }
}

function checkRate(name: string, value: number, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ValueError(`${name}: ${what} must be a finite number ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/** w ← w − lr·g, with optional (Nesterov) momentum and L2 weight decay. */
export class SGD extends Optimizer {
  private rate: number;
  private decay: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity: Tensor[];

  constructor(params: readonly Parameter[], options: SGDOptions) {
    super(params);
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`SGD: options must be an object with at least lr, e.g. { lr: 0.1 }, got ${describe(options)}`);
    }
    const { lr, momentum = 0, nesterov = false, weightDecay = 0 } = options;
    this.rate = checkRate('SGD', lr, 'lr');
    this.momentum = checkRate('SGD', momentum, 'momentum');
    // As PyTorch: Nesterov's look-ahead is a momentum method; without momentum it would
    // silently be plain SGD.
    if (nesterov && this.momentum === 0) throw new ValueError('SGD: nesterov needs a momentum > 0');
    this.nesterov = Boolean(nesterov);
    this.decay = checkRate('SGD', weightDecay, 'weightDecay');
    this.velocity = this.momentum > 0 ? this.params.map((p) => Tensor.owned(p.value.shape, p.value.dtype, 'SGD')) : [];
  }

  /** The learning rate; set it between steps for a schedule (the momentum buffers are kept, as PyTorch's). */
  get lr(): number {
    return this.rate;
  }

  set lr(value: number) {
    this.rate = checkRate('SGD', value, 'lr');
  }

  /** The L2 weight decay; set it between steps (0 turns it off). */
  get weightDecay(): number {
    return this.decay;
  }

  set weightDecay(value: number) {
    this.decay = checkRate('SGD', value, 'weightDecay');
  }

  step(): void {
    this.params.forEach((p, i) => {
      const velocity = this.velocity[i];
      kernels(p.value.dtype).sgdUpdate(
        p.value.ptr,
        p.grad.ptr,
        velocity ? velocity.ptr : 0,
        p.value.size,
        this.lr,
        this.momentum,
        this.nesterov ? 1 : 0,
        this.weightDecay,
      );
    });
  }
}

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Adam: per-element steps scaled by running first and second moments of the gradient. */
export class Adam extends Optimizer {
  private rate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private decay: number;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private t = 0;

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super(params);
    if (typeof options !== 'object' || options === null) {
      throw new ValueError(`Adam: options must be an object such as { lr: 1e-3 }, got ${describe(options)}`);
    }
    const { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = options;
    this.rate = checkRate('Adam', lr, 'lr');
    for (const [name, beta] of [
      ['beta1', beta1],
      ['beta2', beta2],
    ] as const) {
      if (!(beta >= 0 && beta < 1)) throw new ValueError(`Adam: ${name} must be in [0, 1), got ${String(beta)}`);
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = checkRate('Adam', eps, 'eps');
    this.decay = checkRate('Adam', weightDecay, 'weightDecay');
    this.m = this.params.map((p) => Tensor.owned(p.value.shape, p.value.dtype, 'Adam'));
    this.v = this.params.map((p) => Tensor.owned(p.value.shape, p.value.dtype, 'Adam'));
  }

  /** The learning rate; set it between steps for a schedule (the moments and step count are kept, as PyTorch's). */
  get lr(): number {
    return this.rate;
  }

  set lr(value: number) {
    this.rate = checkRate('Adam', value, 'lr');
  }

  /** The L2 weight decay added to the gradient; set it between steps (0 turns it off). */
  get weightDecay(): number {
    return this.decay;
  }

  set weightDecay(value: number) {
    this.decay = checkRate('Adam', value, 'weightDecay');
  }

  step(): void {
    this.t += 1;
    this.params.forEach((p, i) => {
      kernels(p.value.dtype).adamUpdate(
        p.value.ptr,
        p.grad.ptr,
        (this.m[i] as Tensor).ptr,
        (this.v[i] as Tensor).ptr,
        p.value.size,
        this.lr,
        this.beta1,
        this.beta2,
        this.eps,
        this.weightDecay,
        this.t,
      );
    });
  }
}
