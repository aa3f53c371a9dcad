// nn.fit and nn.evaluate against a plain loop written out here: batches sliced by hand
// with Tensor.from (no nn.DataLoader, so a loader bug cannot hide in both), forward, loss,
// backward, step. With plain SGD and the same batches in the same order the weights must
// be bit-identical, and the epoch losses, progress events and validation scores those the
// loop computes. Which rows fit put in which batch is read off a module that wraps the
// model and notes the rows each training forward sees.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, nn, Tensor } from '../src/index';
import { rng } from './helpers';

beforeAll(() => init());

type LossName = 'softmaxCrossEntropy' | 'svm' | 'mse';

/** A data set and its rows as plain numbers (float32-rounded, as the tensor holds them). */
interface Data {
  x: Tensor;
  y: Int32Array | Tensor;
  rows: number[][];
  targets: number[][] | null;
}

/**
 * n points in [−1, 1)², every row distinct (so a row tells which sample it is), labelled
 * by quadrant-ish regions into 3 classes; with `targets`, 2 target values per row instead.
 */
function dataset(n: number, seed = 1, targets = false): Data {
  const random = rng(seed);
  const rows = Array.from({ length: n }, () => [random() * 2 - 1, random() * 2 - 1].map(Math.fround));
  const x = Tensor.from(rows);
  if (!targets) {
    const y = Int32Array.from(rows, ([a = 0, b = 0]) => (a > 0 ? 1 : 0) + (b > 0.3 ? 1 : 0));
    return { x, y, rows, targets: null };
  }
  const t = rows.map(([a = 0, b = 0]) => [a * b, a - b].map(Math.fround));
  return { x, y: Tensor.from(t), rows, targets: t };
}

const dispose = (d: Data) => {
  d.x.dispose();
  if (d.y instanceof Tensor) d.y.dispose();
};

/** A small net; the same seed gives the same starting weights. */
const net = (seed = 1, out = 3) =>
  new nn.Sequential([new nn.Linear(2, 8, { seed }), new nn.Tanh(), new nn.Linear(8, out, { seed: seed + 50 })]);

const weights = (model: nn.Module) => model.parameters().map((p) => Array.from(p.value.data));

/**
 * Which rows each training forward saw, as sample indices of `data`, and how many rows
 * each predict (validation, evaluate) was given.
 */
function recording(model: nn.Sequential, data: Data): { module: nn.Module; batches: number[][]; predicted: number[] } {
  const index = new Map(data.rows.map((row, i) => [row.join(), i]));
  const batches: number[][] = [];
  const predicted: number[] = [];
  const module: nn.Module = {
    forward(x) {
      const values = Array.from(x.data);
      const rows = x.shape[0] as number;
      batches.push(Array.from({ length: rows }, (_, r) => index.get(values.slice(r * 2, r * 2 + 2).join()) ?? -1));
      return model.forward(x);
    },
    predict(x) {
      predicted.push(x.shape[0] as number);
      return model.predict(x);
    },
    backward: (dout, options) => model.backward(dout, options),
    parameters: () => model.parameters(),
  };
  return { module, batches, predicted };
}

/** Consecutive runs of `size` indices from 0 to n − 1, the last one shorter. */
function inOrder(n: number, size: number): number[][] {
  return Array.from({ length: Math.ceil(n / size) }, (_, b) =>
    Array.from({ length: Math.min(size, n - b * size) }, (_, i) => b * size + i),
  );
}

/** The rows `indices` of `data`, made into tensors of their own. */
function slice(data: Data, indices: number[]): { x: Tensor; y: Int32Array | Tensor } {
  const x = Tensor.from(indices.map((i) => data.rows[i] as number[]));
  if (data.targets === null) return { x, y: Int32Array.from(indices, (i) => (data.y as Int32Array)[i] as number) };
  return { x, y: Tensor.from(indices.map((i) => data.targets?.[i] as number[])) };
}

function lossOf(name: LossName, scores: Tensor, y: Int32Array | Tensor): nn.LossResult {
  if (name === 'mse') return nn.mse(scores, y as Tensor);
  return name === 'svm' ? nn.svmLoss(scores, y as Int32Array) : nn.softmaxCrossEntropy(scores, y as Int32Array);
}

function argmax(scores: number[], cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < scores.length / cols; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if ((scores[r * cols + c] as number) > (scores[r * cols + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

/** The mean loss (batches weighted by their rows) and accuracy of `model.predict` over `data`, in batches of `batchSize`. */
function handEvaluate(model: nn.Sequential, data: Data, batchSize: number, loss: LossName = 'softmaxCrossEntropy'): nn.Evaluation {
  const n = data.rows.length;
  let total = 0;
  let correct = 0;
  for (const indices of inOrder(n, batchSize)) {
    const { x, y } = slice(data, indices);
    const scores = model.predict(x);
    total += lossOf(loss, scores, y).loss * indices.length;
    if (y instanceof Int32Array) {
      const predicted = argmax(Array.from(scores.data), scores.shape[1] as number);
      correct += predicted.filter((c, i) => c === y[i]).length;
    } else y.dispose();
    x.dispose();
  }
  return { loss: total / n, accuracy: correct / n };
}

type Event = Omit<nn.Progress, 'samplesPerSecond'>;

/**
 * The training loop, by hand: for each epoch its batches (lists of sample indices), in
 * order. Returns what fit should report: each epoch's loss (the mean over samples), its
 * validation score, and the progress events after every step and every epoch.
 */
function handFit(
  model: nn.Sequential,
  data: Data,
  epochs: number[][][],
  { optimizer, loss = 'softmaxCrossEntropy', validation }: { optimizer: nn.Optimizer; loss?: LossName; validation?: [Data, number] },
): { losses: number[]; validations: nn.Evaluation[]; events: Event[] } {
  const n = data.rows.length;
  const losses: number[] = [];
  const validations: nn.Evaluation[] = [];
  const events: Event[] = [];
  epochs.forEach((batches, e) => {
    let total = 0;
    let seen = 0;
    const base = { epoch: e + 1, epochs: epochs.length, steps: batches.length };
    batches.forEach((indices, b) => {
      const { x, y } = slice(data, indices);
      optimizer.zeroGrad();
      const result = lossOf(loss, model.forward(x), y);
      model.backward(result.grad);
      optimizer.step();
      total += result.loss * indices.length;
      seen += indices.length;
      events.push({ phase: 'batch', ...base, step: b + 1, loss: total / seen });
      x.dispose();
      if (y instanceof Tensor) y.dispose();
    });
    losses.push(total / n);
    const score = validation && handEvaluate(model, validation[0], validation[1], loss);
    if (score) validations.push(score);
    events.push({ phase: 'epoch', ...base, step: batches.length, loss: total / n, ...(score ? { validation: score } : {}) });
  });
  return { losses, validations, events };
}

/** A loss as fit reports it: the hand loop's, up to the order of float64 additions. */
const near = (value: number) => expect.closeTo(value, 10);
const nearEvaluation = (e: nn.Evaluation) => ({ loss: near(e.loss), accuracy: e.accuracy });
const nearEvent = (e: Event) => ({ ...e, loss: near(e.loss), ...(e.validation ? { validation: nearEvaluation(e.validation) } : {}) });
const withoutRate = ({ samplesPerSecond: _, ...event }: nn.Progress): Event => event;

const isPermutation = (batches: number[][], n: number) =>
  expect(
    batches.flat().sort((a, b) => a - b),
    'every sample once',
  ).toEqual(Array.from({ length: n }, (_, i) => i));

describe('nn.fit trains on every sample once per epoch, the last partial batch included', () => {
  // One weight per sample: x = the identity, y = 1, mse, zero start. A batch of B rows
  // moves exactly the weights of its samples, each from 0 to lr·2/B, and leaves the rest
  // at 0; a sample trained twice would move further (from 0.25 to 0.4375 with B = 4).
  const made: Tensor[] = [];
  afterEach(() => {
    for (const t of made.splice(0)) t.dispose();
  });
  function oneHot(n: number): { model: nn.Sequential; data: nn.Dataset } {
    const x = Tensor.from(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))));
    const y = Tensor.from(Array.from({ length: n }, () => [1]));
    made.push(x, y);
    return { model: new nn.Sequential([new nn.Linear(n, 1, { bias: false, init: 'zeros' })]), data: { x, y } };
  }
  const trained = (model: nn.Sequential) => Array.from(model.parameters()[0]?.value.data ?? []);
  const sgd = (model: nn.Sequential) => new nn.SGD(model.parameters(), { lr: 0.5 });

  it('in order: 10 samples in batches of 4, 4 and 2', () => {
    const { model, data } = oneHot(10);
    nn.fit(model, data, { loss: 'mse', batchSize: 4, shuffle: false, optimizer: sgd(model) });
    expect(trained(model)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.5, 0.5]);
  });

  it('over two epochs in order: each sample twice, by the same batch size', () => {
    const { model, data } = oneHot(10);
    nn.fit(model, data, { loss: 'mse', batchSize: 4, shuffle: false, epochs: 2, optimizer: sgd(model) });
    // 0 → 0.25 → 0.4375 (B = 4); 0 → 0.5 → 0.75 (B = 2).
    expect(trained(model)).toEqual([0.4375, 0.4375, 0.4375, 0.4375, 0.4375, 0.4375, 0.4375, 0.4375, 0.75, 0.75]);
  });

  it('shuffled: still every sample once, two of them in the last batch of 2', () => {
    const { model, data } = oneHot(10);
    nn.fit(model, data, { loss: 'mse', batchSize: 4, seed: 3, optimizer: sgd(model) });
    expect(trained(model).sort()).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.5, 0.5]);
  });

  it('fewer samples than batchSize: one batch of them all', () => {
    const { model, data } = oneHot(3);
    nn.fit(model, data, { loss: 'mse', batchSize: 32, optimizer: sgd(model) });
    expect(trained(model)).toEqual(new Array(3).fill(Math.fround(1 / 3)));
  });
});

describe('nn.fit is the plain loop: bit-identical weights with SGD, the same losses and events', () => {
  it('in data order (shuffle: false), over several epochs, with a last batch of 2 of 50', () => {
    const data = dataset(50);
    const fitted = net();
    const byHand = net();
    const { batches, module } = recording(fitted, data);
    const records = nn.fit(module, data, {
      epochs: 3,
      batchSize: 16,
      shuffle: false,
      optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }),
    });
    const order = inOrder(50, 16);
    expect(batches).toEqual([...order, ...order, ...order]);
    const hand = handFit(byHand, data, [order, order, order], { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.3 }) });
    expect(weights(fitted)).toEqual(weights(byHand));
    expect(records.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(records.map((r) => r.loss)).toEqual(hand.losses.map(near));
    dispose(data);
  });

  it('shuffled: each epoch a new permutation of all samples, in batches of 16, 16, 16 and 2, trained in that order', () => {
    const data = dataset(50);
    const fitted = net();
    const byHand = net();
    const { batches, module } = recording(fitted, data);
    const records = nn.fit(module, data, { epochs: 3, batchSize: 16, seed: 4, optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }) });
    expect(batches.map((b) => b.length)).toEqual([16, 16, 16, 2, 16, 16, 16, 2, 16, 16, 16, 2]);
    const epochs = [batches.slice(0, 4), batches.slice(4, 8), batches.slice(8, 12)];
    for (const epoch of epochs) isPermutation(epoch, 50);
    expect(epochs[0]?.flat()).not.toEqual(epochs[1]?.flat());
    expect(epochs[1]?.flat()).not.toEqual(epochs[2]?.flat());
    expect(epochs[0]?.flat()).not.toEqual(inOrder(50, 50)[0]);
    const hand = handFit(byHand, data, epochs, { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.3 }) });
    expect(weights(fitted)).toEqual(weights(byHand));
    expect(records.map((r) => r.loss)).toEqual(hand.losses.map(near));
    dispose(data);
  });

  it('the epoch loss is the mean over samples: batches weighted by their size', () => {
    const data = dataset(10);
    const fitted = net();
    const { batches, module } = recording(fitted, data);
    const [record] = nn.fit(module, data, { batchSize: 4, shuffle: false, optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }) });
    expect(batches).toEqual(inOrder(10, 4));
    const byHand = net();
    const optimizer = new nn.SGD(byHand.parameters(), { lr: 0.3 });
    const losses = batches.map((indices) => {
      const { x, y } = slice(data, indices);
      optimizer.zeroGrad();
      const { loss, dlogits } = nn.softmaxCrossEntropy(byHand.forward(x), y as Int32Array);
      byHand.backward(dlogits);
      optimizer.step();
      x.dispose();
      return loss;
    });
    const [a = 0, b = 0, c = 0] = losses;
    const weighted = (4 * a + 4 * b + 2 * c) / 10;
    // The unweighted mean of the three batch losses would be another number here.
    expect(Math.abs(weighted - (a + b + c) / 3)).toBeGreaterThan(1e-4);
    expect(record?.loss).toBeCloseTo(weighted, 10);
    dispose(data);
  });

  it('records how long each epoch took and how many samples per second it trained', () => {
    const data = dataset(50);
    const started = performance.now();
    const records = nn.fit(net(), data, { epochs: 2, batchSize: 16 });
    const elapsed = (performance.now() - started) / 1000;
    // A browser's clock may be coarser than an epoch of 50 samples: 0 s is a true reading there.
    for (const r of records) {
      expect(r.seconds).toBeGreaterThanOrEqual(0);
      expect(r.seconds).toBeLessThanOrEqual(elapsed);
      expect(r.samplesPerSecond).toBe(50 / r.seconds);
    }
    dispose(data);
  });
});

describe('nn.fit options, one by one', () => {
  it('epochs: one record per epoch, numbered from 1; 1 by default', () => {
    const data = dataset(20);
    expect(nn.fit(net(), data, { epochs: 4, batchSize: 8 }).map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    const once = net();
    const { batches, module } = recording(once, data);
    expect(nn.fit(module, data, { batchSize: 8 }).map((r) => r.epoch)).toEqual([1]);
    expect(batches).toHaveLength(3);
    dispose(data);
  });

  it('batchSize: 32 by default, the last batch the rest', () => {
    const data = dataset(50);
    const fitted = net();
    const byHand = net();
    const { batches, module } = recording(fitted, data);
    nn.fit(module, data, { shuffle: false, optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }) });
    expect(batches).toEqual(inOrder(50, 32));
    handFit(byHand, data, [inOrder(50, 32)], { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.3 }) });
    expect(weights(fitted)).toEqual(weights(byHand));
    dispose(data);
  });

  it('shuffle: on by default; false keeps the data order in every epoch', () => {
    const data = dataset(20);
    const shuffled = recording(net(), data);
    nn.fit(shuffled.module, data, { batchSize: 8, epochs: 2 });
    expect(shuffled.batches.slice(0, 3).flat()).not.toEqual(inOrder(20, 20)[0]);
    isPermutation(shuffled.batches.slice(0, 3), 20);
    const ordered = recording(net(), data);
    nn.fit(ordered.module, data, { batchSize: 8, epochs: 2, shuffle: false });
    expect(ordered.batches).toEqual([...inOrder(20, 8), ...inOrder(20, 8)]);
    dispose(data);
  });

  it('seed: the same seed gives the same order and weights, another seed another order; 0 by default', () => {
    const data = dataset(20);
    const run = (options: nn.FitOptions) => {
      const model = net();
      const { batches, module } = recording(model, data);
      nn.fit(module, data, { batchSize: 8, epochs: 2, ...options });
      return { order: batches.flat(), weights: weights(model) };
    };
    const seven = run({ seed: 7 });
    expect(run({ seed: 7 })).toEqual(seven);
    const eight = run({ seed: 8 });
    expect(eight.order).not.toEqual(seven.order);
    expect(eight.weights).not.toEqual(seven.weights);
    expect(run({}).order).toEqual(run({ seed: 0 }).order);
    expect(run({}).order).not.toEqual(seven.order);
    dispose(data);
  });

  it('optimizer: SGD with lr 0.01 by default', () => {
    const data = dataset(20);
    const fitted = net();
    const byHand = net();
    nn.fit(fitted, data, { batchSize: 8, shuffle: false, epochs: 2 });
    const order = inOrder(20, 8);
    handFit(byHand, data, [order, order], { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.01 }) });
    expect(weights(fitted)).toEqual(weights(byHand));
    dispose(data);
  });

  it('optimizer: the one given is the one that steps, state and all (Adam)', () => {
    const data = dataset(20);
    const fitted = net();
    const byHand = net();
    const options = { lr: 0.05, beta1: 0.8, weightDecay: 0.01 };
    nn.fit(fitted, data, { batchSize: 8, shuffle: false, epochs: 2, optimizer: new nn.Adam(fitted.parameters(), options) });
    const order = inOrder(20, 8);
    handFit(byHand, data, [order, order], { optimizer: new nn.Adam(byHand.parameters(), options) });
    expect(weights(fitted)).toEqual(weights(byHand));
    dispose(data);
  });

  it.each([
    ['softmaxCrossEntropy', false],
    ['svm', false],
    ['mse', true],
  ] as const)('loss: %s trains as the hand loop with that loss does', (loss, targets) => {
    const data = dataset(20, 2, targets);
    const fitted = net(3, targets ? 2 : 3);
    const byHand = net(3, targets ? 2 : 3);
    const records = nn.fit(fitted, data, {
      loss,
      batchSize: 8,
      shuffle: false,
      epochs: 2,
      optimizer: new nn.SGD(fitted.parameters(), { lr: 0.2 }),
    });
    const order = inOrder(20, 8);
    const hand = handFit(byHand, data, [order, order], { loss, optimizer: new nn.SGD(byHand.parameters(), { lr: 0.2 }) });
    expect(weights(fitted)).toEqual(weights(byHand));
    expect(records.map((r) => r.loss)).toEqual(hand.losses.map(near));
    dispose(data);
  });

  it('loss: softmaxCrossEntropy by default', () => {
    const data = dataset(20);
    const [byDefault, named] = [{}, { loss: 'softmaxCrossEntropy' as const }].map((options) => {
      const model = net();
      return nn.fit(model, data, { batchSize: 8, seed: 1, ...options }).map((r) => r.loss);
    });
    expect(byDefault).toEqual(named);
    const svm = nn.fit(net(), data, { batchSize: 8, seed: 1, loss: 'svm' }).map((r) => r.loss);
    expect(svm).not.toEqual(byDefault);
    dispose(data);
  });

  it('onProgress: after every step and every epoch, the phase, epoch, epochs, step, steps and running mean loss a hand loop computes', () => {
    const data = dataset(20);
    const fitted = net();
    const byHand = net();
    const events: nn.Progress[] = [];
    nn.fit(fitted, data, {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }),
      onProgress: (p) => events.push(p),
    });
    const order = inOrder(20, 8);
    const hand = handFit(byHand, data, [order, order], { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.3 }) });
    expect(events.map(withoutRate)).toEqual(hand.events.map(nearEvent));
    // 8 batch events and 2 epoch events: steps 1, 2, 3 (of 3) twice, each epoch closing on step 3.
    expect(events.map((p) => `${p.phase} ${p.epoch}/${p.epochs} ${p.step}/${p.steps}`)).toEqual([
      'batch 1/2 1/3',
      'batch 1/2 2/3',
      'batch 1/2 3/3',
      'epoch 1/2 3/3',
      'batch 2/2 1/3',
      'batch 2/2 2/3',
      'batch 2/2 3/3',
      'epoch 2/2 3/3',
    ]);
    for (const p of events) expect(p.samplesPerSecond).toBeGreaterThan(0);
    dispose(data);
  });

  it('a batch’s samplesPerSecond: the samples seen this epoch over the seconds since it began, no fewer than the clock around fit allows', () => {
    const data = dataset(20);
    const marks: { seen: number; rate: number; elapsed: number }[] = [];
    const before = performance.now();
    nn.fit(net(), data, {
      batchSize: 8,
      epochs: 2,
      onProgress: (p) => {
        // fit's epoch began after `before` and its rate was taken before now: its seconds are fewer.
        if (p.phase === 'batch')
          marks.push({ seen: Math.min(p.step * 8, 20), rate: p.samplesPerSecond, elapsed: (performance.now() - before) / 1000 });
      },
    });
    expect(marks.map((m) => m.seen)).toEqual([8, 16, 20, 8, 16, 20]);
    for (const m of marks) expect(m.rate).toBeGreaterThanOrEqual(m.seen / m.elapsed);
    dispose(data);
  });

  it('validation: scored after every epoch as a hand evaluation computes, in the record and the epoch event, without changing the weights', () => {
    const data = dataset(20);
    const held = dataset(13, 9);
    const fitted = net();
    const byHand = net();
    const events: nn.Progress[] = [];
    const { module, predicted } = recording(fitted, data);
    const records = nn.fit(module, data, {
      epochs: 2,
      batchSize: 8,
      shuffle: false,
      validation: held,
      optimizer: new nn.SGD(fitted.parameters(), { lr: 0.3 }),
      onProgress: (p) => events.push(p),
    });
    const order = inOrder(20, 8);
    // Scored with predict, in batches of fit's batchSize: 13 rows as 8 + 5, after each epoch.
    expect(predicted).toEqual([8, 5, 8, 5]);
    const hand = handFit(byHand, data, [order, order], { optimizer: new nn.SGD(byHand.parameters(), { lr: 0.3 }), validation: [held, 8] });
    expect(weights(fitted)).toEqual(weights(byHand));
    expect(records.map((r) => r.validation)).toEqual(hand.validations.map(nearEvaluation));
    expect(events.map(withoutRate)).toEqual(hand.events.map(nearEvent));
    expect(events.filter((p) => p.phase === 'batch').every((p) => p.validation === undefined)).toBe(true);
    const without = nn.fit(net(), data, { epochs: 2, batchSize: 8, shuffle: false });
    expect(without.every((r) => r.validation === undefined)).toBe(true);
    dispose(data);
    dispose(held);
  });
});

describe('nn.evaluate is a hand loop over model.predict', () => {
  it('the mean loss over samples and the fraction whose highest score is their label; batches of 256 by default', () => {
    const data = dataset(300, 5);
    const model = net(5);
    const { module, predicted } = recording(model, data);
    const result = nn.evaluate(module, data);
    expect(predicted).toEqual([256, 44]);
    expect(result).toEqual(nearEvaluation(handEvaluate(model, data, 256)));
    // Neither none nor all right: a wrong count either way would show.
    expect(result.accuracy).toBeGreaterThan(0);
    expect(result.accuracy).toBeLessThan(1);
    dispose(data);
  });

  it('batchSize: predict runs on that many rows at a time, and the numbers are those of one batch', () => {
    const data = dataset(50, 5);
    const model = net(5);
    const { module, predicted } = recording(model, data);
    const batched = nn.evaluate(module, data, { batchSize: 7 });
    expect(predicted).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
    expect(batched).toEqual(nearEvaluation(handEvaluate(model, data, 7)));
    // The batch means are weighted by their rows, so batching changes nothing but rounding.
    expect(batched.loss).toBeCloseTo(handEvaluate(model, data, 50).loss, 6);
    dispose(data);
  });

  it.each([
    ['svm', false],
    ['mse', true],
  ] as const)('loss: %s', (loss, targets) => {
    const data = dataset(30, 6, targets);
    const model = net(6, targets ? 2 : 3);
    const result = nn.evaluate(model, data, { loss, batchSize: 8 });
    expect(result).toEqual(nearEvaluation(handEvaluate(model, data, 8, loss)));
    if (targets) expect(result.accuracy).toBe(0); // no labels, nothing to count
    dispose(data);
  });

  it('leaves the weights and the training caches alone: a backward after it differentiates the forward before it', () => {
    const data = dataset(8);
    const a = net();
    const b = net();
    const other = dataset(5, 3);
    for (const model of [a, b]) {
      const { dlogits } = nn.softmaxCrossEntropy(model.forward(data.x), data.y as Int32Array);
      if (model === a) nn.evaluate(a, other);
      model.backward(dlogits);
    }
    expect(a.parameters().map((p) => Array.from(p.grad.data))).toEqual(b.parameters().map((p) => Array.from(p.grad.data)));
    expect(weights(a)).toEqual(weights(b));
    dispose(data);
    dispose(other);
  });
});

describe('nn.argmax', () => {
  it('the index of each row’s highest score, a tie to the first class (as accuracy counts it)', () => {
    const scores = Tensor.from([
      [1, 3, 3],
      [2, 2, 2],
      [0, -1, 5],
      [-4, -2, -3],
    ]);
    expect(Array.from(nn.argmax(scores))).toEqual([1, 0, 2, 1]);
    scores.dispose();
  });
});

describe('nn.fit’s and nn.evaluate’s arguments', () => {
  it('refuse a bad batchSize, loss or validation set before any step, naming it; batchSize 1 trains', () => {
    const data = dataset(6);
    const targets = dataset(6, 2, true);
    const model = net();
    const before = weights(model);
    const refusals: [() => unknown, string][] = [
      [() => nn.fit(model, data, { batchSize: 0 }), 'fit: batchSize must be a positive integer, got 0'],
      [() => nn.fit(model, data, { batchSize: 2.5 }), 'fit: batchSize must be a positive integer, got 2.5'],
      [() => nn.fit(model, data, { loss: 'hinge' as never }), 'fit: loss must be one of softmaxCrossEntropy, svm, mse, got hinge'],
      [() => nn.fit(model, data, { loss: 'mse' }), 'fit: the mse loss needs target rows (a Tensor) as y'],
      [() => nn.fit(model, targets), 'fit: the softmaxCrossEntropy loss needs class labels (an Int32Array) as y'],
      [() => nn.fit(model, data, { validation: targets }), 'fit (validation): the softmaxCrossEntropy loss needs class labels'],
      [() => nn.evaluate(model, data, { loss: 'mse' }), 'evaluate: the mse loss needs target rows (a Tensor) as y'],
    ];
    for (const [call, message] of refusals) expect(call).toThrow(message);
    expect(weights(model)).toEqual(before);
    const [record] = nn.fit(model, data, { batchSize: 1, shuffle: false });
    expect(record?.loss).toBeTypeOf('number');
    expect(weights(model)).not.toEqual(before);
    dispose(data);
    dispose(targets);
  });
});
