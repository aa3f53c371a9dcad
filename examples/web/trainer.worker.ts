// The page's training Worker: it holds one model, its optimizer and its data, and takes
// training steps when asked, so that the page can play, pause, step and reset.
//
// Why not nn.worker: its fit() makes a fresh optimizer (SGD's momentum lost) and copies the
// data set into the worker at every call, which a page that trains a few steps per frame
// makes thousands of times. Here the data crosses once, the optimizer lives as long as the
// run, and a step is the lecture's loop: a batch, forward, loss, backward, update.
import { init, nn, Tensor } from 'wasmgrad';
import { argmax } from './argmax';
import { softmaxRows } from './softmax';
import type { LayerOutput, Reply, Request, StepResult, TestScore } from './trainer';

interface Run {
  model: nn.Sequential;
  /** One row's shape as the model takes it. */
  shape: number[];
  /** The safetensors bytes of the initial weights: what reset restores, bit for bit. */
  initial: Uint8Array;
  optimizer: nn.SGD;
  sgd: nn.SGDOptions;
  train: nn.Dataset<Int32Array>;
  test: nn.Dataset<Int32Array> | null;
  batchSize: number;
  /** The batch size asked for; it takes effect when the next epoch starts. */
  nextBatchSize: number;
  shuffle: boolean;
  /** Epochs started. */
  epoch: number;
  loader: nn.DataLoader<Int32Array> | null;
  batches: Iterator<nn.Batch<Int32Array>> | null;
  /** Steps taken since the start (or the last reset). */
  step: number;
  /** Rows trained on in this epoch so far, and the time it took (scoring left out). */
  epochSamples: number;
  epochMs: number;
}

let run: Run | null = null;

function current(): Run {
  if (run === null) throw new Error('trainer: no model loaded');
  return run;
}

/** Rows of `shape` each, one after another, as a tensor [rows, ...shape]. */
function toTensor(data: Float32Array, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(data, [data.length / size, ...shape]);
}

/**
 * nn.evaluate's loss and accuracy on `data`, and the probability of each class for each
 * row, from one pass of model.predict (which leaves forward's caches alone).
 */
function score(model: nn.Sequential, data: nn.Dataset<Int32Array>): TestScore {
  const rows = data.y.length;
  let probabilities = new Float32Array(0);
  let classes = 0;
  let total = 0;
  let correct = 0;
  let row = 0;
  const loader = new nn.DataLoader(data, { batchSize: 256 });
  try {
    for (const batch of loader) {
      const scores = model.predict(batch.x);
      total += nn.softmaxCrossEntropy(scores, batch.y).loss * batch.size;
      classes = scores.shape[1] as number;
      if (probabilities.length === 0) probabilities = new Float32Array(rows * classes);
      probabilities.set(softmaxRows(scores.data, classes), row * classes);
      const picked = argmax(scores.data, classes);
      for (let i = 0; i < batch.size; i++) if (picked[i] === batch.y[i]) correct++;
      row += batch.size;
    }
  } finally {
    loader.dispose();
  }
  return { loss: total / rows, accuracy: correct / rows, probabilities, classes };
}

/** Every layer's output for one row, as model.predict computes them, copied out. */
function layerOutputs(r: Run, x: Float32Array): LayerOutput[] {
  const input = toTensor(x, r.shape);
  try {
    const outputs: LayerOutput[] = [];
    let out = input;
    for (const layer of r.model.layers) {
      out = layer.predict ? layer.predict(out) : layer.forward(out);
      outputs.push({ layer: layer.name ?? 'layer', shape: out.shape.slice(1), data: out.data.slice() as Float32Array });
    }
    return outputs;
  } finally {
    input.dispose();
  }
}

/**
 * The next batch; when an epoch ends, the next starts (the loader shuffles again), with a
 * new loader only if the batch size was changed. A changed loader is seeded by the epoch's
 * number, so that a run replays the same after a reset.
 */
function nextBatch(r: Run): { batch: nn.Batch<Int32Array>; epochEnded: boolean } {
  const next = r.batches?.next();
  if (next !== undefined && !next.done) {
    const epochEnded = next.value.index === (r.loader as nn.DataLoader<Int32Array>).length - 1;
    return { batch: next.value, epochEnded };
  }
  if (r.loader === null || r.nextBatchSize !== r.batchSize) {
    r.loader?.dispose();
    r.batchSize = r.nextBatchSize;
    r.loader = new nn.DataLoader(r.train, { batchSize: r.batchSize, shuffle: r.shuffle, seed: r.epoch });
  }
  r.epoch++;
  r.batches = r.loader[Symbol.iterator]();
  return nextBatch(r);
}

/** `count` steps; the loss of each, the test set's score at each epoch's end, and where the run is after them. */
function steps(r: Run, count: number): StepResult {
  const losses = new Float32Array(count);
  let samples = 0;
  let ms = 0;
  const epochEnds: StepResult['epochEnds'] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { batch, epochEnded } = nextBatch(r);
    r.optimizer.zeroGrad();
    const { loss, grad } = nn.softmaxCrossEntropy(r.model.forward(batch.x), batch.y);
    if (!Number.isFinite(loss)) throw new Error(`the loss became ${loss} at step ${r.step + 1}: lower the learning rate`);
    r.model.backward(grad, { inputGrad: false });
    r.optimizer.step();
    const took = performance.now() - started;
    ms += took;
    r.step++;
    losses[i] = loss;
    samples += batch.size;
    r.epochSamples += batch.size;
    r.epochMs += took;
    if (!epochEnded) continue;
    // Scored here, when the epoch ends, not when the page gets these steps (many epochs later, at a high speed).
    const samplesPerSecond = (r.epochSamples / r.epochMs) * 1000;
    epochEnds.push({ index: i, samplesPerSecond, ...(r.test ? { test: score(r.model, r.test) } : {}) });
    r.epochSamples = r.epochMs = 0;
  }
  return { losses, step: r.step, epoch: r.epoch, epochEnds, samples, ms };
}

/** A fresh run of the initial weights: reset makes exactly what load made. */
function start(r: Run): void {
  nn.loadInto(r.model, r.initial);
  r.optimizer = new nn.SGD(r.model.parameters(), r.sgd);
  r.loader?.dispose();
  Object.assign(r, { loader: null, batches: null, epoch: 0, step: 0, batchSize: r.nextBatchSize, epochSamples: 0, epochMs: 0 });
}

/** FNV-1a over the bytes of every parameter, as a hex string: equal hashes, equal weights (bit for bit). */
function weightsHash(model: nn.Sequential): string {
  let hash = 0x811c9dc5;
  for (const { value } of model.parameters()) {
    const bytes = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

async function handle(request: Request): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (request.op) {
    case 'load': {
      await init({ threads: request.threads });
      const dataset = (d: { x: Float32Array; y: Int32Array }) => ({ x: toTensor(d.x, request.shape), y: d.y });
      if (run !== null) {
        run.loader?.dispose();
        run.train.x.dispose();
        run.test?.x.dispose();
      }
      const model = nn.load(request.model);
      run = {
        model,
        shape: request.shape,
        initial: request.model,
        optimizer: new nn.SGD(model.parameters(), request.sgd),
        sgd: { ...request.sgd },
        train: dataset(request.train),
        test: request.test ? dataset(request.test) : null,
        batchSize: request.batchSize,
        nextBatchSize: request.batchSize,
        shuffle: request.shuffle,
        epoch: 0,
        loader: null,
        batches: null,
        step: 0,
        epochSamples: 0,
        epochMs: 0,
      };
      return { result: null };
    }
    case 'steps': {
      const result = steps(current(), request.count);
      return { result, transfer: [result.losses.buffer] };
    }
    case 'set': {
      const r = current();
      if (request.lr !== undefined) r.optimizer.lr = r.sgd.lr = request.lr;
      if (request.batchSize !== undefined) r.nextBatchSize = request.batchSize;
      if (request.weightDecay !== undefined) r.optimizer.weightDecay = r.sgd.weightDecay = request.weightDecay;
      return { result: null };
    }
    case 'data': {
      const r = current();
      r.loader?.dispose();
      r.train.x.dispose();
      r.train = { x: toTensor(request.train.x, r.shape), y: request.train.y };
      // The next step starts an epoch over the new rows.
      Object.assign(r, { loader: null, batches: null, batchSize: request.batchSize, nextBatchSize: request.batchSize });
      return { result: null };
    }
    case 'reset':
      start(current());
      return { result: null };
    case 'evaluate': {
      const r = current();
      if (request.on === 'train') return { result: nn.evaluate(r.model, r.train) };
      if (r.test === null) throw new Error('trainer: no test set loaded');
      return { result: score(r.model, r.test) };
    }
    case 'predict': {
      const x = toTensor(request.x, current().shape);
      try {
        const scores = current().model.predict(x).data.slice() as Float32Array;
        return { result: scores, transfer: [scores.buffer] };
      } finally {
        x.dispose();
      }
    }
    case 'parameter': {
      const found = current()
        .model.parameters()
        .find((p) => p.name === request.name);
      if (found === undefined) throw new Error(`trainer: the model has no parameter ${request.name}`);
      const data = found.value.data.slice() as Float32Array;
      return { result: { shape: [...found.value.shape], data }, transfer: [data.buffer] };
    }
    case 'layers': {
      const outputs = layerOutputs(current(), request.x);
      return { result: outputs, transfer: outputs.map((o) => o.data.buffer) };
    }
    case 'hash':
      return { result: weightsHash(current().model) };
  }
}

// One request at a time, in order: a step never overlaps a reset or a change of rate.
let queue: Promise<void> = Promise.resolve();
self.addEventListener('message', (event: MessageEvent<Request>) => {
  const request = event.data;
  queue = queue.then(async () => {
    let reply: Reply;
    let transfer: Transferable[] = [];
    try {
      const done = await handle(request);
      reply = { id: request.id, ok: true, result: done.result };
      transfer = done.transfer ?? [];
    } catch (error) {
      reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    self.postMessage(reply, { transfer });
  });
});
