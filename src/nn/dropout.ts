import { useTensor } from '../gates/buffers';
import { DropoutGate, type DropoutOptions } from '../gates/dropout';
import type { Tensor } from '../tensor';
import { type BackwardOptions, checkMode, type Module, type Parameter } from './module';

/**
 * Inverted dropout (DropoutGate) as a layer: while the model trains, each value is zeroed
 * with probability p and the rest scaled by 1/(1 − p); in evaluation (`model.eval()`, and
 * always in `predict`) it is the identity.
 */
export class Dropout implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Dropout';
  private readonly gate: DropoutGate;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    this.gate = new DropoutGate(p, options);
    this.gate.label = 'Dropout';
  }

  get p(): number {
    return this.gate.p;
  }

  /** The seed of its masks (a model file records it, so a rebuilt model draws the same masks). */
  get seed(): number {
    return this.gate.seed;
  }

  get training(): boolean {
    return this.gate.training;
  }

  train(mode = true): this {
    this.gate.training = checkMode('Dropout', mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  forward(x: Tensor): Tensor {
    return this.gate.forward(x);
  }

  predict(x: Tensor): Tensor {
    return useTensor('Dropout.predict', 'x', x);
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    return inputGrad ? (this.gate.backward(dout)[0] as Tensor) : null;
  }

  parameters(): Parameter[] {
    return [];
  }
}
