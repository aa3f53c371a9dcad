// What every layer is: a gate with parameters. forward(x) caches what backward needs;
// backward(dout) adds into each parameter's gradient and returns the input's gradient.
import type { Tensor } from '../tensor';

/** A trainable tensor and its gradient, both owned by their layer. */
export interface Parameter {
  /** "weight", "bias"; a Sequential prefixes the layer's index: "0.weight". */
  readonly name: string;
  readonly value: Tensor;
  /** Accumulates over backward calls until the optimizer's zeroGrad(). */
  readonly grad: Tensor;
}

export interface BackwardOptions {
  /**
   * false: skip the gradient w.r.t. the input, which no one reads for a network's first
   * layer (for a Linear layer that saves a third of its backward work); backward returns null.
   */
  inputGrad?: boolean;
}

export interface Module {
  forward(x: Tensor): Tensor;
  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  parameters(): Parameter[];
}
