// Activation layers: the gates of the lecture, as modules without parameters. Each is
// named in ACTIVATIONS, which is how a model file's layer list (layer-list.ts) writes and
// rebuilds them: a new activation is its class and its line there. Names are written out,
// not read from the class: a consumer's bundler may minify class names.
import { EluGate, LeakyReluGate, ReluGate, SigmoidGate, SoftplusGate, TanhGate } from '../gates/elementwise.generated';
import type { UnaryGate } from '../gates/gate';
import { GateLayer } from './gate-layer';

export abstract class Activation extends GateLayer<UnaryGate> {
  protected constructor(
    name: string,
    make: () => UnaryGate,
    /** The fixed α of leaky ReLU and ELU, which a model file records. */
    readonly alpha?: number,
  ) {
    super(name, make);
  }
}

/** max(0, x) */
export class ReLU extends Activation {
  constructor() {
    super('ReLU', () => new ReluGate());
  }
}

/** σ(x) = 1/(1 + e⁻ˣ) */
export class Sigmoid extends Activation {
  constructor() {
    super('Sigmoid', () => new SigmoidGate());
  }
}

export class Tanh extends Activation {
  constructor() {
    super('Tanh', () => new TanhGate());
  }
}

/** max(αx, x); α = 0.1 as in the lecture's max(0.1x, x). */
export class LeakyReLU extends Activation {
  declare readonly alpha: number;
  constructor(alpha = 0.1) {
    super('LeakyReLU', () => new LeakyReluGate(alpha), alpha);
  }
}

/** x for x ≥ 0, α(eˣ − 1) below. */
export class ELU extends Activation {
  declare readonly alpha: number;
  constructor(alpha = 1) {
    super('ELU', () => new EluGate(alpha), alpha);
  }
}

/** log(1 + eˣ), a smooth ReLU. */
export class Softplus extends Activation {
  constructor() {
    super('Softplus', () => new SoftplusGate());
  }
}

/** Every activation layer by the name a model file records: how to make it, with α when it takes one. */
export const ACTIVATIONS: Readonly<
  Record<
    string,
    { readonly type: abstract new (...args: never[]) => Activation; readonly make: (alpha?: number) => Activation; readonly alpha: boolean }
  >
> = {
  ReLU: { type: ReLU, make: () => new ReLU(), alpha: false },
  Sigmoid: { type: Sigmoid, make: () => new Sigmoid(), alpha: false },
  Tanh: { type: Tanh, make: () => new Tanh(), alpha: false },
  LeakyReLU: { type: LeakyReLU, make: (alpha) => new LeakyReLU(alpha), alpha: true },
  ELU: { type: ELU, make: (alpha) => new ELU(alpha), alpha: true },
  Softplus: { type: Softplus, make: () => new Softplus(), alpha: false },
};
