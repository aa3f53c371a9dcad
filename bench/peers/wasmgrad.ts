// wasmgrad, two ways: the plain training step a user writes (forward, fused softmax
// cross-entropy, backward without the first layer's input gradient, SGD step), and
// nn.fit, which gathers its minibatches in wasm and runs the same step.
import { nn, Tensor } from '../../src/index';
import { BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, type Peer, type Problem, type Weights } from './peer';

interface Model {
  model: nn.Sequential;
  optimizer: nn.SGD;
  params: nn.Parameter[];
  reset(): void;
  weights(): Weights;
  accuracy(): number;
}

function makeModel(problem: Problem): Model {
  const model = new nn.Sequential([new nn.Linear(INPUTS, HIDDEN, { seed: 1 }), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES, { seed: 2 })]);
  const params = model.parameters();
  const optimizer = new nn.SGD(params, { lr: LEARNING_RATE });
  const test = { x: Tensor.from(problem.test.x, [problem.test.count, INPUTS]), y: problem.test.y };
  // Sequential names them "0.weight", "0.bias", "2.weight", "2.bias".
  const order: (keyof Weights)[] = ['w1', 'b1', 'w2', 'b2'];
  return {
    model,
    optimizer,
    params,
    reset() {
      params.forEach((p, i) => {
        p.value.data.set(problem.init[order[i] as keyof Weights]);
        p.grad.data.fill(0);
      });
    },
    weights() {
      const [w1, b1, w2, b2] = params.map((p) => Float32Array.from(p.value.data));
      return { w1, b1, w2, b2 } as Weights;
    },
    accuracy() {
      return nn.evaluate(model, test).accuracy;
    },
  };
}

/** The training step as user code writes it, over batches made into Tensors once. */
export function wasmgradStep(problem: Problem): Peer {
  const m = makeModel(problem);
  const { model, optimizer } = m;
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    Tensor.from(problem.train.x.subarray(b * BATCH * INPUTS, (b + 1) * BATCH * INPUTS), [BATCH, INPUTS]),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) => problem.train.y.subarray(b * BATCH, (b + 1) * BATCH));
  return {
    id: 'wasmgrad step',
    label: 'wasmgrad: model.forward, nn.softmaxCrossEntropy, model.backward (no input gradient), SGD step',
    reset: m.reset,
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        optimizer.zeroGrad();
        const logits = model.forward(xs[b] as Tensor);
        const { dlogits } = nn.softmaxCrossEntropy(logits, ys[b] as Int32Array);
        model.backward(dlogits, { inputGrad: false });
        optimizer.step();
      }
    },
    accuracy: m.accuracy,
    weights: m.weights,
    dispose() {
      for (const x of xs) x.dispose();
    },
  };
}

/** nn.fit over the whole training set, in order (shuffle: false): one call per epoch. */
export function wasmgradFit(problem: Problem): Peer {
  const m = makeModel(problem);
  const train = { x: Tensor.from(problem.train.x, [problem.train.count, INPUTS]), y: problem.train.y };
  // A run that is not whole epochs from batch 0 (the agreement check's one step) fits a slice.
  const slices = new Map<string, nn.Dataset>();
  const slice = (first: number, count: number): nn.Dataset => {
    const key = `${first}:${count}`;
    let data = slices.get(key);
    if (!data) {
      if (first + count > problem.batches) throw new Error('wasmgrad nn.fit: a run past the end of the epoch');
      const [from, to] = [first * BATCH, (first + count) * BATCH];
      data = {
        x: Tensor.from(problem.train.x.subarray(from * INPUTS, to * INPUTS), [to - from, INPUTS]),
        y: problem.train.y.subarray(from, to),
      };
      slices.set(key, data);
    }
    return data;
  };
  return {
    id: 'wasmgrad nn.fit',
    label: 'wasmgrad: nn.fit (minibatches gathered in wasm, shuffle off), one call per epoch',
    reset: m.reset,
    train(first, count) {
      const whole = first % problem.batches === 0 && count % problem.batches === 0;
      nn.fit(m.model, whole ? train : slice(first, count), {
        epochs: whole ? count / problem.batches : 1,
        batchSize: BATCH,
        optimizer: m.optimizer,
        shuffle: false,
      });
    },
    accuracy: m.accuracy,
    weights: m.weights,
    dispose() {
      train.x.dispose();
      for (const data of slices.values()) data.x.dispose();
    },
  };
}

/**
 * The training loop the README shows, as a user writes it: batches from an nn.DataLoader
 * over the training set (in order here, as every peer takes them), forward, loss,
 * backward with no options, step; nothing disposed. The suite's "natural loop".
 */
export function wasmgradLoop(problem: Problem): Peer {
  const m = makeModel(problem);
  const { model, optimizer } = m;
  const x = Tensor.from(problem.train.x, [problem.train.count, INPUTS]);
  const loader = new nn.DataLoader({ x, y: problem.train.y }, { batchSize: BATCH });
  let batches = loader[Symbol.iterator]();
  let position = 0;
  return {
    id: 'wasmgrad loop',
    label: 'wasmgrad: the README loop — for (const { x, y } of new nn.DataLoader(…)) forward, softmaxCrossEntropy, backward, step',
    reset: m.reset,
    train(first, count) {
      if (first !== position % problem.batches) {
        batches = loader[Symbol.iterator]();
        for (position = 0; position < first; position++) batches.next();
      }
      for (let i = 0; i < count; i++, position++) {
        let next = batches.next();
        if (next.done) {
          batches = loader[Symbol.iterator]();
          next = batches.next();
        }
        const { x, y } = next.value as nn.Batch;
        optimizer.zeroGrad();
        const { dlogits } = nn.softmaxCrossEntropy(model.forward(x), y as Int32Array);
        model.backward(dlogits);
        optimizer.step();
      }
    },
    accuracy: m.accuracy,
    weights: m.weights,
    dispose() {
      x.dispose();
    },
  };
}

/**
 * The README's other loop, for data that arrives from outside each step: one input tensor
 * refilled with Tensor.set from a Float32Array (checked for NaN in wasm), labels a subarray.
 */
export function wasmgradSetLoop(problem: Problem): Peer {
  const m = makeModel(problem);
  const { model, optimizer } = m;
  const x = Tensor.zeros([BATCH, INPUTS]);
  return {
    id: 'wasmgrad loop (Tensor.set)',
    label: 'wasmgrad: the README loop over data from outside — x.set(batch) each step, forward, loss, backward, step',
    reset: m.reset,
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        x.set(problem.train.x.subarray(b * BATCH * INPUTS, (b + 1) * BATCH * INPUTS));
        optimizer.zeroGrad();
        const { dlogits } = nn.softmaxCrossEntropy(model.forward(x), problem.train.y.subarray(b * BATCH, (b + 1) * BATCH));
        model.backward(dlogits);
        optimizer.step();
      }
    },
    accuracy: m.accuracy,
    weights: m.weights,
    dispose() {
      x.dispose();
    },
  };
}
