import { MaxoutGate } from '../gates/maxout';
import type { Tensor } from '../tensor';
import { Linear, type LinearOptions } from './linear';
import type { BackwardOptions, Module, Parameter } from './module';

/**
 * max(w₁ᵀx + b₁, …, w_kᵀx + b_k) for each of `out` units: a Linear layer to out·k pieces
 * (each unit's k pieces side by side), then the max over each group, which routes the
 * gradient to the winning piece.
 */
export class Maxout implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Maxout';
  readonly linear: Linear;
  private readonly gate: MaxoutGate;
  private readonly inference: MaxoutGate;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly k: number,
    options: LinearOptions = {},
  ) {
    this.gate = new MaxoutGate(k);
    this.gate.label = 'Maxout';
    this.inference = new MaxoutGate(k);
    this.inference.label = 'Maxout.predict';
    this.linear = new Linear(inFeatures, outFeatures * k, options);
  }

  forward(x: Tensor): Tensor {
    return this.gate.forward(this.linear.forward(x));
  }

  predict(x: Tensor): Tensor {
    return this.inference.forward(this.linear.predict(x));
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, options: BackwardOptions = {}): Tensor | null {
    return this.linear.backward(this.gate.backward(dout)[0], options);
  }

  parameters(): Parameter[] {
    return this.linear.parameters();
  }
}
