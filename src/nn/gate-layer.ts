// A layer without parameters that runs one gate: forward and backward on a gate of its own,
// predict on a second, whose cache no backward reads. The activations and the pooling
// layers are this.
import type { Tensor } from '../tensor';
import type { BackwardOptions, Module, Parameter } from './module';

/** What such a layer needs of its gate: one tensor in, one out, one gradient back. */
export interface TensorGate {
  label?: string;
  forward(x: Tensor): Tensor;
  backward(dout: Tensor): [dx: Tensor];
}

export abstract class GateLayer<G extends TensorGate> implements Module {
  protected readonly gate: G;
  private readonly inference: G;

  protected constructor(
    /** Its name in model files and in messages (written out: a bundler may minify class names). */
    readonly name: string,
    make: () => G,
  ) {
    this.gate = make();
    this.inference = make();
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
