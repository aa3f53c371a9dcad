// Losses over a batch: each returns the mean loss and its gradient w.r.t. the scores,
// the fused way (one gate, no Jacobian). The gradient is a buffer the loss owns, valid
// until its next call.
import { ShapeError, ValueError } from '../errors';
import { Owned, useTensor } from '../gates/buffers';
import { SvmLossGate } from '../gates/loss';
import { SoftmaxCrossEntropyGate } from '../gates/softmax';
import { OPS } from '../ops';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { B_CONST, B_SAME, kernels } from '../wasm/kernels';

export interface LossResult {
  loss: number;
  /** d loss / d scores, owned by the loss function. */
  grad: Tensor;
}

/** A loss over labels (class indices) or targets (a tensor). */
export type LossFunction = (scores: Tensor, targets: Int32Array | Tensor) => LossResult;

const crossEntropy = new SoftmaxCrossEntropyGate();
const svm = new SvmLossGate();

/** The mean of −log softmax(logits)[label]: stable, with dlogits = (softmax − onehot)/rows. */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array | readonly number[]): LossResult & { dlogits: Tensor } {
  const loss = crossEntropy.forward(logits, labels);
  if (!Number.isFinite(loss)) throw new ValueError(`softmaxCrossEntropy: the loss is ${loss}`);
  const [grad] = crossEntropy.backward(1);
  return { loss, grad, dlogits: grad };
}

/** The mean multiclass SVM (hinge) loss with margin 1. */
export function svmLoss(scores: Tensor, labels: Int32Array | readonly number[]): LossResult {
  const loss = svm.forward(scores, labels);
  const [grad] = svm.backward(1);
  return { loss, grad };
}

const difference = new Owned('mse');
const scratch = new Owned('mse');

/** The mean over all elements of (prediction − target)², with dprediction = 2(p − t)/n. */
export function mse(prediction: Tensor, target: Tensor): LossResult {
  const op = 'mse';
  const p = useTensor(op, 'prediction', prediction);
  const t = useTensor(op, 'target', target);
  if (!sameShape(p.shape, t.shape) || p.dtype !== t.dtype) {
    throw new ShapeError(`${op}: prediction ${p.dtype} ${formatShape(p.shape)} and target ${t.dtype} ${formatShape(t.shape)} differ`);
  }
  const k = kernels(p.dtype);
  const d = difference.get(p.shape, p.dtype);
  const n = Math.max(p.size, 1);
  k.elementwiseForward(OPS.sub.code, p.ptr, t.ptr, d.ptr, 1, p.size, B_SAME, 0);
  const total = scratch.get([], p.dtype);
  k.l2Forward(d.ptr, total.ptr, p.size);
  const loss = total.item() / n;
  if (!Number.isFinite(loss)) throw new ValueError(`${op}: the loss is ${loss}`);
  k.elementwiseForward(OPS.scale.code, d.ptr, 0, d.ptr, 1, p.size, B_CONST, 2 / n);
  return { loss, grad: d };
}

export const LOSSES = { softmaxCrossEntropy, svm: svmLoss, mse } as const;
export type LossName = keyof typeof LOSSES;
