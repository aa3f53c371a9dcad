// Activation layers: the gates of the lecture, as modules without parameters.
import { EluGate, LeakyReluGate, ReluGate, SigmoidGate, TanhGate } from '../gates/elementwise.generated';
import type { UnaryGate } from '../gates/gate';
import type { Tensor } from '../tensor';
import type { BackwardOptions, Module, Parameter } from './module';

abstract class Activation implements Module {
  /** The gate forward and backward run, and a second one for predict, whose cache no backward reads. */
  private readonly gate: UnaryGate;
  private readonly inference: UnaryGate;

  protected constructor(make: () => UnaryGate) {
    this.gate = make();
    this.inference = make();
    const name = this.constructor.name;
    this.gate.label = name;
    this.inference.label = `${name}.predict`;
  }

  forward(x: Tensor): Tensor {
    return this.gate.forward(x);
  }

  predict(x: Tensor): Tensor {
    return this.inference.forward(x);
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    // With nothing to learn, a layer whose input gradient no one wants has nothing to do.
    return inputGrad ? this.gate.backward(dout)[0] : null;
  }

  parameters(): Parameter[] {
    return [];
  }
}

/** max(0, x) */
export class ReLU extends Activation {
  constructor() {
    super(() => new ReluGate());
  }
}

/** σ(x) = 1/(1 + e⁻ˣ) */
export class Sigmoid extends Activation {
  constructor() {
    super(() => new SigmoidGate());
  }
}

export class Tanh extends Activation {
  constructor() {
    super(() => new TanhGate());
  }
}

/** max(αx, x); α = 0.1 as in the lecture's max(0.1x, x). */
export class LeakyReLU extends Activation {
  constructor(readonly alpha = 0.1) {
    super(() => new LeakyReluGate(alpha));
  }
}

/** x for x ≥ 0, α(eˣ − 1) below. */
export class ELU extends Activation {
  constructor(readonly alpha = 1) {
    super(() => new EluGate(alpha));
  }
}
