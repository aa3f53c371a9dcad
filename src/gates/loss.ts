import { ValueError } from '../errors';
import { scoresShape } from '../shapes';
import { formatShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { Owned, OwnedInts, Saved, useTensor, writeLabels } from './buffers';
import { finiteParameter, Gate } from './gate';

/**
 * Multiclass SVM (hinge) loss: the mean over rows of Σ_{j ≠ label} max(0, s_j − s_label + Δ).
 * Backward: +1 for each class inside the margin, −(their count) for the label. Caches s.
 */
export class SvmLossGate extends Gate {
  private readonly ds = new Owned(this, 'gradient');
  private readonly scores = new Saved();
  private readonly labels = new OwnedInts(this);
  private rows = 0;

  constructor(readonly margin = 1) {
    super();
    finiteParameter('SvmLossGate', 'margin', margin);
  }

  forward(scores: Tensor, labels: Int32Array | readonly number[]): number {
    const op = `${this.name}.forward`;
    const s = useTensor(op, 'scores', scores);
    const [rows, cols] = scoresShape(op, 'scores', s.shape);
    if (rows === 0) throw new ValueError(`${op}: a batch of 0 rows has no mean loss (scores is ${formatShape(s.shape)})`);
    const labelPtr = writeLabels(op, labels, rows, cols, this.labels);
    const loss = kernels(s.dtype).svmForward(s.ptr, labelPtr, rows, cols, this.margin);
    this.rows = rows;
    this.cache = { x: s };
    this.scores.keep(s);
    return loss;
  }

  backward(dloss = 1): [Tensor] {
    const op = `${this.name}.backward`;
    this.requireForward();
    const s = this.scores.use(op, 'scores');
    if (typeof dloss !== 'number' || !Number.isFinite(dloss)) throw new ValueError(`${op}: dloss must be a finite number`);
    const [rows, cols] = s.shape as [number, number];
    const ds = this.ds.zeroed(s.shape, s.dtype);
    kernels(s.dtype).svmBackward(s.ptr, this.labels.reserve(this.rows), ds.ptr, rows, cols, this.margin, dloss);
    return [ds.gradientFor(s)];
  }
}
