// The training loop the lecture ends with, as a function: minibatches from a DataLoader,
// forward, loss, backward, step — nothing allocated after the first step.
import { NonFiniteError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { type Batch, checkDataset as checkRows, DataLoader, type Dataset } from './data-loader';
import { LOSSES, type LossName } from './losses';
import type { Module } from './module';
import { type Optimizer, SGD } from './optim';

export type { Dataset };

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

/**
 * Trains `model` on `data`; returns one record per epoch. The model trains in training
 * mode (dropout on, batch norm on the batch's statistics) and is put back in the mode it
 * was in; validation is scored with `predict`, in evaluation.
 */
export function fit(model: Module, data: Dataset, options: FitOptions = {}): EpochRecord[] {
  const { epochs = 1, batchSize = 32, loss = 'softmaxCrossEntropy', shuffle = true, seed = 0 } = options;
  const samples = checkDataset('fit', data, loss);
  if (!Number.isInteger(epochs) || epochs < 1) throw new ValueError(`fit: epochs must be a positive integer, got ${String(epochs)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValueError(`fit: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (!(loss in LOSSES)) throw new ValueError(`fit: loss must be one of ${Object.keys(LOSSES).join(', ')}, got ${String(loss)}`);
  if (options.validation) checkDataset('fit (validation)', options.validation, loss);
  const optimizer = options.optimizer ?? new SGD(model.parameters(), { lr: 0.01 });
  const loader = new DataLoader(data, { batchSize, shuffle, seed });
  const steps = loader.length;
  const history: EpochRecord[] = [];
  const wasTraining = model.training;
  model.train?.(true);
  // A loader for this call alone: its buffers go when fit returns, not when it is collected.
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let total = 0;
      let seen = 0;
      for (const batch of loader) {
        let batchLoss: number;
        try {
          optimizer.zeroGrad();
          const result = LOSSES[loss](model.forward(batch.x), batch.y as never);
          model.backward(result.grad, { inputGrad: false });
          optimizer.step();
          batchLoss = result.loss;
        } catch (error) {
          throw diverged(error, batch, epoch);
        }
        total += batchLoss * batch.size;
        seen += batch.size;
        options.onProgress?.({
          phase: 'batch',
          epoch,
          epochs,
          step: batch.index + 1,
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
  } finally {
    loader.dispose();
    if (wasTraining === false) model.train?.(false);
  }
  return history;
}

/**
 * What fit throws for an error of one of its steps. A result refused as not finite (a
 * loss, an activation, a gradient), after a step of this fit and on a batch whose data are
 * finite, is the model diverging: the error says where, and to lower the learning rate.
 * Any other refusal (bad labels, data the model overflows on before any step) is passed on.
 */
function diverged(error: unknown, batch: Batch, epoch: number): unknown {
  const stepped = epoch > 1 || batch.index > 0;
  const finiteData = allFinite(batch.x) && (batch.y instanceof Int32Array || allFinite(batch.y));
  if (!(error instanceof NonFiniteError && stepped && finiteData)) return error;
  return new ValueError(`fit: at epoch ${epoch}, step ${batch.index + 1}, ${error.message}: the model diverged; lower the learning rate`);
}

function allFinite(tensor: Tensor): boolean {
  return kernels(tensor.dtype).firstNonFinite(tensor.ptr, tensor.size) < 0;
}

/**
 * The mean loss and (for labels) the accuracy of `model` on `data`. Scored with
 * `model.predict` where the model has it, so evaluating between a forward and its
 * backward leaves the training caches alone.
 */
export function evaluate(
  model: Module,
  data: Dataset,
  { batchSize = 256, loss = 'softmaxCrossEntropy' }: { batchSize?: number; loss?: LossName } = {},
): Evaluation {
  const samples = checkDataset('evaluate', data, loss);
  let total = 0;
  let correct = 0;
  const loader = new DataLoader(data, { batchSize });
  try {
    for (const batch of loader) {
      const scores = model.predict ? model.predict(batch.x) : model.forward(batch.x);
      total += LOSSES[loss](scores, batch.y as never).loss * batch.size;
      if (batch.y instanceof Int32Array) correct += countCorrect(scores, batch.y);
    }
  } finally {
    loader.dispose();
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
  const samples = checkRows(op, data);
  if ((loss === 'mse') === data.y instanceof Int32Array) {
    throw new ValueError(
      `${op}: the ${loss} loss needs ${loss === 'mse' ? 'target rows (a Tensor)' : 'class labels (an Int32Array)'} as y`,
    );
  }
  return samples;
}
