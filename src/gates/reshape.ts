import { ShapeError } from '../errors';
import { reshapeSpec, reshapeTo } from '../shapes';
import { formatShape, type Shape, sameShape, Tensor } from '../tensor';
import { checkGradientSource, useTensor } from './buffers';
import { Gate } from './gate';

/**
 * The same values in another shape (one dimension may be −1, inferred, as in PyTorch):
 * nothing is computed, so dx is dy read in x's shape. Both are views of the buffer they
 * come from, not copies: a reshaped output is as valid as the tensor it views.
 */
export class ReshapeGate extends Gate {
  readonly shape: readonly number[];
  private input: Tensor | null = null;
  private produced: Tensor | null = null;

  constructor(shape: readonly number[]) {
    super();
    this.shape = reshapeSpec('ReshapeGate', shape);
  }

  forward(x: Tensor): Tensor {
    const t = useTensor(`${this.name}.forward`, 'x', x);
    const y = reshaped(t, reshapeTo(`${this.name}.forward`, t.shape, this.shape));
    this.input = t;
    this.produced = y;
    this.cache = { out: y };
    return y;
  }

  backward(dy: Tensor): [dx: Tensor] {
    const op = `${this.name}.backward`;
    this.requireForward();
    const x = this.input as Tensor;
    const y = this.produced as Tensor;
    const t = useTensor(op, 'dy', dy);
    checkGradientSource(op, t, y);
    if (!sameShape(t.shape, y.shape) || t.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dy is ${t.dtype} ${formatShape(t.shape)}, the output was ${x.dtype} ${formatShape(y.shape)}`);
    }
    return [reshaped(t, x.shape).gradientFor(x)];
  }
}

/** A view of t's buffer in `shape` (same size): its writes and versions are t's. */
export function reshaped(t: Tensor, shape: Shape): Tensor {
  return new Tensor(t.storage, shape, t.dtype);
}
