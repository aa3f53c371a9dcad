// Losses over a batch: each returns the mean loss and its gradient w.r.t. the scores,
// the fused way (one gate, no Jacobian). The gradient is a buffer the loss keeps for the
// scores' source (a model's output), valid until the next loss on scores from there.
import { NonFiniteError, ShapeError } from '../errors';
import { Owned, useTensor } from '../gates/buffers';
import { SvmLossGate } from '../gates/loss';
import { SoftmaxCrossEntropyGate } from '../gates/softmax';
import { OPS } from '../ops';
import { formatShape, sameShape, Tensor } from '../tensor';
import { B_CONST, B_SAME, kernels } from '../wasm/kernels';

export interface LossResult {
  loss: number;
  /** d loss / d scores: the loss's buffer, valid until its next call on scores from the same source. */
  grad: Tensor;
}

/** A loss over labels (class indices) or targets (a tensor). */
export type LossFunction = (scores: Tensor, targets: Int32Array | Tensor) => LossResult;

/**
 * One gate per source of scores: the buffer slot of the layer that made them (a model's
 * training output, its predict output), or the tensor itself when it is the user's. So a
 * loss on validation scores never overwrites the gradient a training step is about to use,
 * and two models never share one. Weakly held: a gate goes when its source does.
 */
function perSource<G extends object>(make: () => G): (scores: unknown) => G {
  const gates = new WeakMap<object, G>();
  const shared = make(); // for a non-tensor argument, which the gate then refuses
  return (scores) => {
    if (!(scores instanceof Tensor)) return shared;
    const key = scores.storage.slot ?? scores.storage;
    let gate = gates.get(key);
    if (gate === undefined) {
      gate = make();
      gates.set(key, gate);
    }
    return gate;
  };
}

/** The refusal of a loss that is not finite, which `fit` reads as the model diverging. */
function refuseNonFinite(op: string, loss: number): never {
  throw new NonFiniteError(`${op}: the loss is ${loss}`, { op, kind: 'value', value: loss });
}

const crossEntropy = perSource(() => Object.assign(new SoftmaxCrossEntropyGate(), { label: 'softmaxCrossEntropy' }));
const svm = perSource(() => Object.assign(new SvmLossGate(), { label: 'svmLoss' }));

/** The mean of −log softmax(logits)[label]: stable, with dlogits = (softmax − onehot)/rows. */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array | readonly number[]): LossResult & { dlogits: Tensor } {
  const gate = crossEntropy(logits);
  const loss = gate.forward(logits, labels);
  if (!Number.isFinite(loss)) refuseNonFinite('softmaxCrossEntropy', loss);
  const [grad] = gate.backward(1);
  return { loss, grad, dlogits: grad };
}

/** The mean multiclass SVM (hinge) loss with margin 1. */
export function svmLoss(scores: Tensor, labels: Int32Array | readonly number[]): LossResult {
  const gate = svm(scores);
  const loss = gate.forward(scores, labels);
  if (!Number.isFinite(loss)) refuseNonFinite('svmLoss', loss);
  const [grad] = gate.backward(1);
  return { loss, grad };
}

interface MseBuffers {
  /** p − t, kept apart from the gradient so that a refused call leaves the last gradient as it was. */
  difference: Owned;
  gradient: Owned;
  total: Owned;
}

const mseBuffers = perSource<MseBuffers>(() => ({
  difference: new Owned('mse', 'result'),
  gradient: new Owned('mse', 'gradient'),
  total: new Owned('mse', 'result'),
}));

/** The mean over all elements of (prediction − target)², with dprediction = 2(p − t)/n. */
export function mse(prediction: Tensor, target: Tensor): LossResult {
  const op = 'mse';
  const p = useTensor(op, 'prediction', prediction);
  const t = useTensor(op, 'target', target);
  if (!sameShape(p.shape, t.shape) || p.dtype !== t.dtype) {
    throw new ShapeError(`${op}: prediction ${p.dtype} ${formatShape(p.shape)} and target ${t.dtype} ${formatShape(t.shape)} differ`);
  }
  const k = kernels(p.dtype);
  const buffers = mseBuffers(p);
  const d = buffers.difference.get(p.shape, p.dtype);
  const n = Math.max(p.size, 1);
  k.elementwiseForward(OPS.sub.code, p.ptr, t.ptr, d.ptr, 1, p.size, B_SAME, 0);
  const total = buffers.total.get([], p.dtype);
  k.l2Forward(d.ptr, total.ptr, p.size);
  const loss = total.item() / n;
  if (!Number.isFinite(loss)) refuseNonFinite(op, loss);
  const grad = buffers.gradient.get(p.shape, p.dtype);
  k.elementwiseForward(OPS.scale.code, d.ptr, 0, grad.ptr, 1, p.size, B_CONST, 2 / n);
  return { loss, grad: grad.gradientFor(p) };
}

export const LOSSES = { softmaxCrossEntropy, svm: svmLoss, mse } as const;
export type LossName = keyof typeof LOSSES;
