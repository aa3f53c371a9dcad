// What every layer is: a gate with parameters. forward(x) caches what backward needs;
// backward(dout) adds into each parameter's gradient and returns the input's gradient.
import { describe, ValueError } from '../errors';
import type { Tensor } from '../tensor';

/** A trainable tensor and its gradient, both owned by their layer. */
export interface Parameter {
  /** "weight", "bias"; a Sequential prefixes the layer's index: "0.weight". */
  readonly name: string;
  readonly value: Tensor;
  /** Accumulates over backward calls until the optimizer's zeroGrad(). */
  readonly grad: Tensor;
}

/** A tensor a layer keeps and saves but does not train: batch norm's running statistics. */
export interface ModuleBuffer {
  /** "running_mean"; a Sequential prefixes the layer's index: "1.running_mean". */
  readonly name: string;
  readonly value: Tensor;
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
  /** The layer's type ('Linear', 'ReLU', 'Conv2d', …): every built-in layer has one. */
  readonly name?: string;
  forward(x: Tensor): Tensor;
  /**
   * The output for x in evaluation, without touching what forward keeps for backward:
   * evaluate between a forward and its backward with this. Dropout is the identity and
   * batch norm uses its running statistics, whatever the mode. Its result is a buffer of
   * its own, valid until the next predict. Optional for a module of your own (a
   * Sequential falls back to forward).
   */
  predict?(x: Tensor): Tensor;
  backward(dout: Tensor, options?: BackwardOptions): Tensor | null;
  parameters(): Parameter[];
  /** Tensors saved with the parameters but not trained (optional). */
  buffers?(): ModuleBuffer[];
  /**
   * Training mode (true, the default) or evaluation (false), for the layers that differ:
   * dropout drops only while training, batch norm uses the batch's statistics only while
   * training. Optional: a layer that computes the same in both needs none.
   */
  train?(mode?: boolean): unknown;
  /** The mode train() set, where the module has one. */
  readonly training?: boolean;
}

/** `mode` as train(mode) takes it: a boolean. */
export function checkMode(op: string, mode: unknown): boolean {
  if (typeof mode !== 'boolean') throw new ValueError(`${op}.train: mode must be true or false, got ${describe(mode)}`);
  return mode;
}
