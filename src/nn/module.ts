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
   * Whether to compute the gradient w.r.t. the input. A layer computes it unless told
   * `false`; a model (`Sequential`) only when told `true`, as PyTorch computes it only for
   * inputs that require grad: no one reads it for a network's input, and for a first
   * Linear layer it is a third of the backward's work. Skipped, backward returns null.
   */
  inputGrad?: boolean;
}

export interface Module {
  forward(x: Tensor): Tensor;
  /**
   * The output for x without touching what forward keeps for backward: evaluate between a
   * forward and its backward with this. Its result is a buffer of its own, valid until the
   * next predict. Optional for a module of your own (a Sequential falls back to forward).
   */
  predict?(x: Tensor): Tensor;
  backward(dout: Tensor, options?: BackwardOptions): Tensor | null;
  parameters(): Parameter[];
}
