// ConvNetJS 0.3 (npm `convnetjs`): its own Net of fc(128, relu) and a softmax layer
// (fc(10) + softmax), and its SGD trainer with lr 0.1, momentum 0, batch_size 64. The
// trainer takes one sample per train() call and accumulates gradients; every 64th call
// it updates with the gradient sum / 64 — the same step as a mean loss over the batch.
// It computes in float64, one sample at a time.
import { createRequire } from 'node:module';
import { argmaxRow, BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, type Peer, type Problem, type Weights } from './peer';

// The little of its API used here (it ships no types).
interface Vol {
  w: Float64Array;
  dw: Float64Array;
}
interface FullyConnLayer {
  layer_type: 'fc';
  filters: Vol[];
  biases: Vol;
}
interface Net {
  layers: { layer_type: string }[];
  makeLayers(defs: object[]): void;
  forward(v: Vol, isTraining?: boolean): Vol;
}
interface Trainer {
  k: number;
  train(x: Vol, y: number): unknown;
}
interface ConvNetJS {
  Net: new () => Net;
  Vol: new (sx: number, sy: number, depth: number, fill?: number) => Vol;
  SGDTrainer: new (net: Net, options: object) => Trainer;
}

export function convnetjsPeer(problem: Problem): Peer {
  const require = createRequire(import.meta.url);
  const convnetjs = require('convnetjs') as ConvNetJS;
  const version = (require('convnetjs/package.json') as { version: string }).version;
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: 1, out_sy: 1, out_depth: INPUTS },
    { type: 'fc', num_neurons: HIDDEN, activation: 'relu' },
    { type: 'softmax', num_classes: CLASSES },
  ]);
  const fcs = net.layers.filter((layer): layer is FullyConnLayer => layer.layer_type === 'fc');
  if (fcs.length !== 2) throw new Error(`ConvNetJS: expected 2 fc layers, got ${fcs.length}`);
  const [fc1, fc2] = fcs as [FullyConnLayer, FullyConnLayer];
  const vols = (x: Float32Array, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const v = new convnetjs.Vol(1, 1, INPUTS, 0);
      v.w.set(x.subarray(i * INPUTS, (i + 1) * INPUTS));
      return v;
    });
  const train = vols(problem.train.x, problem.train.count);
  const test = vols(problem.test.x, problem.test.count);
  let trainer = new convnetjs.SGDTrainer(net, { learning_rate: LEARNING_RATE, momentum: 0, batch_size: BATCH, l2_decay: 0 });

  const setLayer = (fc: FullyConnLayer, w: Float32Array, b: Float32Array, inputs: number) => {
    fc.filters.forEach((filter, o) => {
      filter.w.set(w.subarray(o * inputs, (o + 1) * inputs));
      filter.dw.fill(0);
    });
    fc.biases.w.set(b);
    fc.biases.dw.fill(0);
  };
  const getLayer = (fc: FullyConnLayer, inputs: number) => {
    const w = new Float32Array(fc.filters.length * inputs);
    fc.filters.forEach((filter, o) => {
      w.set(filter.w, o * inputs);
    });
    return { w, b: Float32Array.from(fc.biases.w) };
  };
  return {
    id: 'ConvNetJS',
    label: `convnetjs ${version}: Net fc(128, relu) + softmax, SGDTrainer (batch_size 64, momentum 0), float64`,
    reset() {
      // Its fc layer before a ReLU starts with biases of 0.1: the shared init replaces them.
      setLayer(fc1, problem.init.w1, problem.init.b1, INPUTS);
      setLayer(fc2, problem.init.w2, problem.init.b2, HIDDEN);
      trainer = new convnetjs.SGDTrainer(net, { learning_rate: LEARNING_RATE, momentum: 0, batch_size: BATCH, l2_decay: 0 });
    },
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        for (let s = b * BATCH; s < (b + 1) * BATCH; s++) trainer.train(train[s] as Vol, problem.train.y[s] as number);
      }
    },
    accuracy() {
      let correct = 0;
      test.forEach((v, i) => {
        if (argmaxRow(net.forward(v, false).w, 0, CLASSES) === problem.test.y[i]) correct++;
      });
      return correct / problem.test.count;
    },
    weights(): Weights {
      const l1 = getLayer(fc1, INPUTS);
      const l2 = getLayer(fc2, HIDDEN);
      return { w1: l1.w, b1: l1.b, w2: l2.w, b2: l2.b };
    },
    dispose() {
      train.length = 0;
      test.length = 0;
    },
  };
}
