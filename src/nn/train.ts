// The training loop the lecture ends with, as a function: minibatches gathered in wasm,
// forward, loss, backward, step — nothing allocated after the first step.
import { ShapeError, ValueError } from '../errors';
import { Owned, OwnedInts, useTensor } from '../gates/buffers';
import { Random } from '../random';
import { formatShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { LOSSES, type LossName } from './losses';
import type { Module } from './module';
import { type Optimizer, SGD } from './optim';

/** A data set: x [samples, features], and class labels (one per sample) or target rows. */
export interface Dataset {
  x: Tensor;
  y: Int32Array | Tensor;
}

export interface Progress {
  /** 'batch' after every step, 'epoch' after every epoch. */
  phase: 'batch' | 'epoch';
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** The mean training loss of the epoch so far. */
  loss: number;
  samplesPerSecond: number;
  /** At the end of an epoch, when `validation` is given. */
  validation?: Evaluation;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Default: SGD with lr 0.01 over the model's parameters. */
  optimizer?: Optimizer;
  loss?: LossName;
  shuffle?: boolean;
  seed?: number;
  validation?: Dataset;
  onProgress?: (progress: Progress) => void;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  seconds: number;
  samplesPerSecond: number;
  validation?: Evaluation;
}

export interface Evaluation {
  loss: number;
  /** For labels: the fraction of samples whose highest score is their label. */
  accuracy: number;
}

/** Trains `model` on `data`; returns one record per epoch. */
export function fit(model: Module, data: Dataset, options: FitOptions = {}): EpochRecord[] {
  const { epochs = 1, batchSize = 32, loss = 'softmaxCrossEntropy', shuffle = true, seed = 0 } = options;
  const samples = checkDataset('fit', data, loss);
  if (!Number.isInteger(epochs) || epochs < 1) throw new ValueError(`fit: epochs must be a positive integer, got ${String(epochs)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValueError(`fit: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (!(loss in LOSSES)) throw new ValueError(`fit: loss must be one of ${Object.keys(LOSSES).join(', ')}, got ${String(loss)}`);
  if (options.validation) checkDataset('fit (validation)', options.validation, loss);
  const optimizer = options.optimizer ?? new SGD(model.parameters(), { lr: 0.01 });
  const batches = new Batches(data, batchSize);
  const order = Int32Array.from({ length: samples }, (_, i) => i);
  const random = new Random(seed);
  const steps = Math.ceil(samples / batchSize);
  const history: EpochRecord[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (shuffle) shuffleInPlace(order, random);
    const started = performance.now();
    let total = 0;
    for (let step = 0; step < steps; step++) {
      const count = Math.min(batchSize, samples - step * batchSize);
      const batch = batches.gather(order, step * batchSize, count);
      optimizer.zeroGrad();
      const scores = model.forward(batch.x);
      const result = LOSSES[loss](scores, batch.y as never);
      if (!Number.isFinite(result.loss))
        throw new ValueError(`fit: the loss became ${result.loss} at epoch ${epoch}, step ${step + 1}: lower the learning rate`);
      model.backward(result.grad, { inputGrad: false });
      optimizer.step();
      total += result.loss * count;
      const seen = step * batchSize + count;
      options.onProgress?.({
        phase: 'batch',
        epoch,
        epochs,
        step: step + 1,
        steps,
        loss: total / seen,
        samplesPerSecond: seen / ((performance.now() - started) / 1000),
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const record: EpochRecord = { epoch, loss: total / samples, seconds, samplesPerSecond: samples / seconds };
    if (options.validation) record.validation = evaluate(model, options.validation, { batchSize, loss });
    history.push(record);
    options.onProgress?.({
      phase: 'epoch',
      epoch,
      epochs,
      step: steps,
      steps,
      loss: record.loss,
      samplesPerSecond: record.samplesPerSecond,
      ...(record.validation ? { validation: record.validation } : {}),
    });
  }
  return history;
}

/** The mean loss and (for labels) the accuracy of `model` on `data`. */
export function evaluate(
  model: Module,
  data: Dataset,
  { batchSize = 256, loss = 'softmaxCrossEntropy' }: { batchSize?: number; loss?: LossName } = {},
): Evaluation {
  const samples = checkDataset('evaluate', data, loss);
  const batches = new Batches(data, batchSize);
  const order = Int32Array.from({ length: samples }, (_, i) => i);
  let total = 0;
  let correct = 0;
  for (let start = 0; start < samples; start += batchSize) {
    const count = Math.min(batchSize, samples - start);
    const batch = batches.gather(order, start, count);
    const scores = model.forward(batch.x);
    total += LOSSES[loss](scores, batch.y as never).loss * count;
    if (batch.y instanceof Int32Array) correct += countCorrect(scores, batch.y);
  }
  return { loss: total / samples, accuracy: correct / samples };
}

/** The index of each row's highest score. */
export function argmax(scores: Tensor): Int32Array {
  const [rows, cols] = scores.shape as [number, number];
  const data = scores.data;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if ((data[r * cols + c] as number) > (data[r * cols + best] as number)) best = c;
    out[r] = best;
  }
  return out;
}

function countCorrect(scores: Tensor, labels: Int32Array): number {
  const predicted = argmax(scores);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct;
}

function checkDataset(op: string, data: Dataset, loss: LossName): number {
  if (typeof data !== 'object' || data === null || !data.x || !data.y)
    throw new ValueError(`${op}: data must be { x: Tensor, y: Int32Array | Tensor }`);
  useTensor(op, 'data.x', data.x);
  if (!(data.y instanceof Int32Array)) useTensor(op, 'data.y', data.y);
  if (data.x.rank !== 2) throw new ShapeError(`${op}: x must be [samples, features], got ${formatShape(data.x.shape)}`);
  const samples = data.x.shape[0] as number;
  const rows = data.y instanceof Int32Array ? data.y.length : (data.y.shape[0] as number);
  if (rows !== samples) throw new ShapeError(`${op}: ${samples} samples in x but ${rows} in y`);
  if (samples === 0) throw new ValueError(`${op}: the data set is empty (x is ${formatShape(data.x.shape)})`);
  if ((loss === 'mse') === data.y instanceof Int32Array) {
    throw new ValueError(
      `${op}: the ${loss} loss needs ${loss === 'mse' ? 'target rows (a Tensor)' : 'class labels (an Int32Array)'} as y`,
    );
  }
  return samples;
}

function shuffleInPlace(order: Int32Array, random: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
}

/** Minibatches gathered by index into buffers reused from step to step. */
class Batches {
  private readonly xs = new Owned('fit');
  private readonly ys = new Owned('fit');
  private readonly indices = new OwnedInts('fit');
  private labels = new Int32Array(0);

  constructor(
    private readonly data: Dataset,
    batchSize: number,
  ) {
    this.indices.reserve(batchSize);
  }

  gather(order: Int32Array, start: number, count: number): { x: Tensor; y: Int32Array | Tensor } {
    const { x, y } = this.data;
    const ptr = this.indices.reserve(count);
    this.indices.view(count).set(order.subarray(start, start + count));
    const features = x.shape[1] as number;
    const bx = this.xs.get([count, features], x.dtype);
    kernels(x.dtype).gatherRows(x.ptr, ptr, bx.ptr, count, features);
    if (y instanceof Int32Array) {
      if (this.labels.length !== count) this.labels = new Int32Array(count);
      for (let i = 0; i < count; i++) this.labels[i] = y[order[start + i] as number] as number;
      return { x: bx, y: this.labels };
    }
    const cols = y.size / (y.shape[0] as number);
    const by = this.ys.get([count, ...y.shape.slice(1)], y.dtype);
    kernels(y.dtype).gatherRows(y.ptr, ptr, by.ptr, count, cols);
    return { x: bx, y: by };
  }
}
