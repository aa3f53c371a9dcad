import { ShapeError, ValueError } from '../errors';
import { scoresShape } from '../shapes';
import { formatShape, rowsCols, sameShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, OwnedInts, requireFinite, Saved, useTensor, writeLabels } from './buffers';
import { Gate } from './gate';

/** softmax along the last axis: y = e^x / Σ e^x; dx = y ⊙ (dy − Σ dy ⊙ y). Caches y. */
export class SoftmaxGate extends Gate {
  private readonly output = new Owned(this);
  private readonly dx = new Owned(this, 'gradient');
  private readonly input = new Saved();

  forward(x: Tensor): Tensor {
    const t = useTensor('SoftmaxGate.forward', 'x', x);
    const [rows, cols] = rowsCols(t.shape);
    const y = this.output.get(t.shape, t.dtype);
    kernels(t.dtype).softmaxForward(t.ptr, y.ptr, rows, cols);
    this.cache = { out: y };
    this.input.keep(t);
    return y;
  }

  backward(dy: Tensor): [Tensor] {
    const op = 'SoftmaxGate.backward';
    const y = useTensor(op, 'y (cached by forward)', this.requireForward().out);
    const g = useTensor(op, 'dy', dy);
    checkGradientSource(op, g, y);
    if (!sameShape(g.shape, y.shape) || g.dtype !== y.dtype)
      throw new ShapeError(`${op}: dy is ${formatShape(g.shape)}, y was ${formatShape(y.shape)}`);
    // y alone is what the rule reads; x is checked so that dx is known to be x's gradient.
    const x = this.input.use(op, 'x');
    const [rows, cols] = rowsCols(y.shape);
    const dx = this.dx.zeroed(y.shape, y.dtype);
    kernels(y.dtype).softmaxBackward(y.ptr, g.ptr, dx.ptr, rows, cols);
    return [dx.gradientFor(x)];
  }
}

/**
 * The mean over rows of −log softmax(z)[label], fused and numerically stable: forward
 * keeps the softmax, and backward is (softmax − onehot(label))/rows · dloss — no
 * Jacobian, no log of 0. Labels are class indices (an Int32Array), one per row.
 */
export class SoftmaxCrossEntropyGate extends Gate {
  private readonly probs = new Owned(this);
  private readonly dz = new Owned(this, 'gradient');
  private readonly logits = new Saved();
  private readonly labels = new OwnedInts(this);
  private rows = 0;

  forward(logits: Tensor, labels: Int32Array | readonly number[]): number {
    const op = `${this.name}.forward`;
    const z = useTensor(op, 'logits', logits);
    const [rows, cols] = scoresShape(op, 'logits', z.shape);
    if (rows === 0) throw new ValueError(`${op}: a batch of 0 rows has no mean loss (logits is ${formatShape(z.shape)})`);
    const labelPtr = writeLabels(op, labels, rows, cols, this.labels);
    const probs = this.probs.get(z.shape, z.dtype);
    const loss = kernels(z.dtype).softmaxCrossEntropyForward(z.ptr, labelPtr, probs.ptr, rows, cols);
    if (!Number.isFinite(loss)) requireFinite(op, z, () => 'a logit', { op: 'softmaxCrossEntropy', kind: 'input' });
    this.rows = rows;
    this.cache = { out: probs };
    this.logits.keep(z);
    return loss;
  }

  /** The softmax of the last forward (owned by the gate). */
  get probabilities(): Tensor {
    return this.requireForward().out as Tensor;
  }

  backward(dloss = 1): [Tensor] {
    const op = `${this.name}.backward`;
    const probs = useTensor(op, 'the softmax (cached by forward)', this.requireForward().out);
    if (typeof dloss !== 'number' || !Number.isFinite(dloss)) throw new ValueError(`${op}: dloss must be a finite number`);
    const logits = this.logits.use(op, 'logits');
    const [rows, cols] = rowsCols(probs.shape);
    const dz = this.dz.zeroed(probs.shape, probs.dtype);
    kernels(probs.dtype).softmaxCrossEntropyBackward(probs.ptr, this.labels.reserve(this.rows), dz.ptr, rows, cols, dloss);
    return [dz.gradientFor(logits)];
  }
}
