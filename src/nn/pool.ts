// Pooling and flattening layers: the pooling gates as layers without parameters (GateLayer,
// as the activations are), and Flatten, a view.
import { ShapeError, StateError } from '../errors';
import { useTensor } from '../gates/buffers';
import { AvgPool2dGate, MaxPool2dGate, type MaxPool2dOptions, type Pool2dOptions } from '../gates/pool';
import { reshaped } from '../gates/reshape';
import type { Pair, WindowSpec } from '../shapes';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { GateLayer } from './gate-layer';
import type { BackwardOptions, Module, Parameter } from './module';

type PoolGate = MaxPool2dGate | AvgPool2dGate;

abstract class Pool2d extends GateLayer<PoolGate> {
  /** The window, checked: kernel, stride, padding and dilation as [height, width]. */
  get spec(): WindowSpec {
    return this.gate.spec;
  }
}

/** The max of each window of x [N, C, H, W] (stride defaults to the kernel size, as in PyTorch). */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Pair, options: MaxPool2dOptions = {}) {
    super('MaxPool2d', () => new MaxPool2dGate(kernelSize, options));
  }
}

/** The mean of each window of x [N, C, H, W], padding counted as zeros (PyTorch's default). */
export class AvgPool2d extends Pool2d {
  constructor(kernelSize: Pair, options: Pool2dOptions = {}) {
    super('AvgPool2d', () => new AvgPool2dGate(kernelSize, options));
  }
}

/**
 * [N, …] → [N, features], as PyTorch's nn.Flatten() (start_dim 1): the same buffer viewed
 * in another shape, and dout viewed back in the input's.
 */
export class Flatten implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Flatten';
  /** The input of the forward that backward differentiates. */
  private input: Tensor | null = null;

  forward(x: Tensor): Tensor {
    const t = this.flatten('Flatten.forward', x);
    this.input = x;
    return t;
  }

  predict(x: Tensor): Tensor {
    return this.flatten('Flatten.predict', x);
  }

  private flatten(op: string, x: Tensor): Tensor {
    const t = useTensor(op, 'x', x);
    if (t.rank < 1) throw new ShapeError(`${op}: x must have a batch dimension, got ${formatShape(t.shape)}`);
    return reshaped(t, flatShape(t.shape));
  }

  backward(dout: Tensor): Tensor;
  backward(dout: Tensor, options: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = true }: BackwardOptions = {}): Tensor | null {
    const op = 'Flatten.backward';
    if (this.input === null) throw new StateError(`${op}: called before forward`);
    const shape = this.input.shape;
    const g = useTensor(op, 'dout', dout);
    const output = flatShape(shape);
    if (!sameShape(g.shape, output) || g.dtype !== this.input.dtype) {
      throw new ShapeError(`${op}: dout is ${g.dtype} ${formatShape(g.shape)}, the output was ${this.input.dtype} ${formatShape(output)}`);
    }
    return inputGrad ? reshaped(g, shape).gradientFor(this.input) : null;
  }

  parameters(): Parameter[] {
    return [];
  }
}

/** [N, …] → [N, the product of the rest], as PyTorch's: a batch of none keeps its features ([0, 3, 4] → [0, 12]). */
function flatShape(shape: readonly number[]): [number, number] {
  return [shape[0] as number, shape.slice(1).reduce((a, b) => a * b, 1)];
}
