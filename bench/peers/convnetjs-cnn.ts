// ConvNetJS 0.3 (npm `convnetjs`) for mnist-cnn: its own MNIST demo net, layer for layer
// (conv sx 5, 8 filters, stride 1, pad 2, relu; pool sx 2, stride 2; conv sx 5, 16
// filters, pad 2, relu; pool sx 3, stride 3; softmax 10, which is an fc layer and a
// softmax), trained by its SGDTrainer with momentum 0, batch_size 32 and no weight decay:
// one sample per train() call, gradients summed, an update every 32nd call with the sum
// / 32 — the same step as a mean loss over the batch. Float64, one sample at a time.
//
// Its Vols are channels last: a filter's weight (ky, kx, c) is w[(ky·5 + kx)·in + c], a
// map's value (y, x, c) is w[(y·side + x)·depth + c], and its fc layer reads the last
// pool's output in that order (fcToChannelsLast). Its max-pool keeps the first maximum
// of a window scanned column by column (x outer, y inner), where the float64 reference
// and PyTorch scan row by row: on a tie above 0 the gradient goes to another element.
// That does not change the step here (tied sums come from identical input patches): its
// first update equals the reference's to the last float32 bit.
import { createRequire } from 'node:module';
import {
  C1,
  C2,
  CLASSES,
  CNN_BATCH,
  CNN_LEARNING_RATE,
  type CnnPeer,
  type CnnWeights,
  FLAT,
  fcFromChannelsLast,
  fcToChannelsLast,
  KERNEL,
  PAD,
  SIDE,
} from './cnn';
import { argmaxRow, type Problem } from './peer';

// The little of its API used here (it ships no types).
interface Vol {
  w: Float64Array;
  dw: Float64Array;
}
interface WeightedLayer {
  layer_type: 'conv' | 'fc';
  filters: Vol[];
  biases: Vol;
}
interface Net {
  layers: { layer_type: string }[];
  makeLayers(defs: object[]): void;
  forward(v: Vol, isTraining?: boolean): Vol;
}
interface Trainer {
  train(x: Vol, y: number): { cost_loss: number };
}
interface ConvNetJS {
  Net: new () => Net;
  Vol: new (sx: number, sy: number, depth: number, fill?: number) => Vol;
  SGDTrainer: new (net: Net, options: object) => Trainer;
}

/** A conv weight [out, in, 5, 5] → ConvNetJS's filter o as (ky, kx, c), and back. */
const toFilter = (w: Float32Array, o: number, inC: number, filter: Float64Array) => {
  for (let c = 0; c < inC; c++)
    for (let ky = 0; ky < KERNEL; ky++)
      for (let kx = 0; kx < KERNEL; kx++) filter[(ky * KERNEL + kx) * inC + c] = w[((o * inC + c) * KERNEL + ky) * KERNEL + kx] as number;
};
const fromFilter = (filter: Float64Array, o: number, inC: number, w: Float32Array) => {
  for (let c = 0; c < inC; c++)
    for (let ky = 0; ky < KERNEL; ky++)
      for (let kx = 0; kx < KERNEL; kx++) w[((o * inC + c) * KERNEL + ky) * KERNEL + kx] = filter[(ky * KERNEL + kx) * inC + c] as number;
};

export function convnetjsCnnPeer(problem: Problem<CnnWeights>): CnnPeer {
  const require = createRequire(import.meta.url);
  const convnetjs = require('convnetjs') as ConvNetJS;
  const version = (require('convnetjs/package.json') as { version: string }).version;
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: SIDE, out_sy: SIDE, out_depth: 1 },
    { type: 'conv', sx: KERNEL, filters: C1, stride: 1, pad: PAD, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: KERNEL, filters: C2, stride: 1, pad: PAD, activation: 'relu' },
    { type: 'pool', sx: 3, stride: 3 },
    { type: 'softmax', num_classes: CLASSES },
  ]);
  const weighted = net.layers.filter((layer): layer is WeightedLayer => layer.layer_type === 'conv' || layer.layer_type === 'fc');
  if (weighted.map((layer) => layer.layer_type).join() !== 'conv,conv,fc') throw new Error('ConvNetJS: unexpected layers');
  const [conv1, conv2, fc] = weighted as [WeightedLayer, WeightedLayer, WeightedLayer];
  const pixels = SIDE * SIDE;
  const vols = (x: Float32Array, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const v = new convnetjs.Vol(SIDE, SIDE, 1, 0);
      v.w.set(x.subarray(i * pixels, (i + 1) * pixels));
      return v;
    });
  const train = vols(problem.train.x, problem.train.count);
  const test = vols(problem.test.x, problem.test.count);
  const makeTrainer = () =>
    new convnetjs.SGDTrainer(net, { method: 'sgd', learning_rate: CNN_LEARNING_RATE, momentum: 0, batch_size: CNN_BATCH, l2_decay: 0 });
  let trainer = makeTrainer();
  let lastLoss = Number.NaN;

  const setConv = (layer: WeightedLayer, w: Float32Array, b: Float32Array, inC: number) => {
    layer.filters.forEach((filter, o) => {
      toFilter(w, o, inC, filter.w);
      filter.dw.fill(0);
    });
    layer.biases.w.set(b);
    layer.biases.dw.fill(0);
  };
  const getConv = (layer: WeightedLayer, inC: number) => {
    const w = new Float32Array(layer.filters.length * inC * KERNEL * KERNEL);
    layer.filters.forEach((filter, o) => {
      fromFilter(filter.w, o, inC, w);
    });
    return { w, b: Float32Array.from(layer.biases.w) };
  };
  return {
    id: 'ConvNetJS',
    label: `convnetjs ${version}: its MNIST demo's layers (conv, pool, conv, pool, softmax), SGDTrainer (batch_size 32, momentum 0), float64`,
    reset() {
      // Its conv layers before a ReLU start with biases of 0.1: the shared init replaces them.
      setConv(conv1, problem.init.conv1w, problem.init.conv1b, 1);
      setConv(conv2, problem.init.conv2w, problem.init.conv2b, C1);
      const fcw = fcToChannelsLast(problem.init.fcw);
      fc.filters.forEach((filter, o) => {
        filter.w.set(fcw.subarray(o * FLAT, (o + 1) * FLAT));
        filter.dw.fill(0);
      });
      fc.biases.w.set(problem.init.fcb);
      fc.biases.dw.fill(0);
      trainer = makeTrainer();
    },
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        let sum = 0;
        for (let s = b * CNN_BATCH; s < (b + 1) * CNN_BATCH; s++)
          sum += trainer.train(train[s] as Vol, problem.train.y[s] as number).cost_loss;
        lastLoss = sum / CNN_BATCH;
      }
    },
    loss() {
      return lastLoss;
    },
    accuracy() {
      let correct = 0;
      test.forEach((v, i) => {
        if (argmaxRow(net.forward(v, false).w, 0, CLASSES) === problem.test.y[i]) correct++;
      });
      return correct / problem.test.count;
    },
    weights(): CnnWeights {
      const l1 = getConv(conv1, 1);
      const l2 = getConv(conv2, C1);
      const fcw = new Float32Array(CLASSES * FLAT);
      fc.filters.forEach((filter, o) => {
        fcw.set(filter.w, o * FLAT);
      });
      return { conv1w: l1.w, conv1b: l1.b, conv2w: l2.w, conv2b: l2.b, fcw: fcFromChannelsLast(fcw), fcb: Float32Array.from(fc.biases.w) };
    },
    dispose() {
      train.length = 0;
      test.length = 0;
    },
  };
}
