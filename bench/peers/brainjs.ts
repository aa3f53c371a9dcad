// brain.js 1.6 (npm `brain.js`, its latest release; the 2.0 betas need gpu.js 2 and
// headless-gl): NeuralNetwork({ hiddenLayers: [128], activation: 'relu' }) trained with
// its own train(data, { iterations: 1, learningRate: 0.1, momentum: 0 }) on each batch of
// 64 digits, in the same order as the others.
//
// Not the same step: brain.js updates after every sample (batch size 1; its API has no
// other), puts its activation on the output layer too (ReLU outputs, no softmax), and
// its gradient is that of a squared error against one-hot targets. Its test accuracy
// is its own model's; its speed is what its API gives for this network.
import { createRequire } from 'node:module';
import { argmaxRow, BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, type Peer, type Problem, type Weights } from './peer';

interface Sample {
  input: number[];
  output: number[];
}
interface NeuralNetwork {
  sizes: number[] | null;
  weights: Float32Array[][];
  biases: Float32Array[];
  initialize(): void;
  train(data: Sample[], options: object): { error: number; iterations: number };
  run(input: number[] | Float32Array): Float32Array;
}
interface Brain {
  NeuralNetwork: new (options: object) => NeuralNetwork;
}

export function brainjsPeer(problem: Problem): Peer {
  const require = createRequire(import.meta.url);
  const brain = require('brain.js') as Brain;
  const version = (require('brain.js/package.json') as { version: string }).version;
  // Its option checks refuse momentum 0 (and an errorThresh of 0): the smallest they take.
  const momentum = 1e-10;
  const options = { hiddenLayers: [HIDDEN], activation: 'relu', learningRate: LEARNING_RATE, momentum };
  const trainOptions = { iterations: 1, errorThresh: 1e-9, learningRate: LEARNING_RATE, momentum, log: false };
  let net = new brain.NeuralNetwork(options);
  // Its train() takes plain arrays (typed arrays it would read as key-value objects).
  const batches = new Map<number, Sample[]>();
  const batch = (b: number): Sample[] => {
    let samples = batches.get(b);
    if (!samples) {
      samples = Array.from({ length: BATCH }, (_, i) => {
        const s = b * BATCH + i;
        const output = new Array<number>(CLASSES).fill(0);
        output[problem.train.y[s] as number] = 1;
        return { input: Array.from(problem.train.x.subarray(s * INPUTS, (s + 1) * INPUTS)), output };
      });
      batches.set(b, samples);
    }
    return samples;
  };
  const setLayer = (layer: number, w: Float32Array, b: Float32Array, inputs: number) => {
    net.weights[layer]?.forEach((row, o) => {
      row.set(w.subarray(o * inputs, (o + 1) * inputs));
    });
    net.biases[layer]?.set(b);
  };
  const getLayer = (layer: number, inputs: number) => {
    const rows = net.weights[layer] as Float32Array[];
    const w = new Float32Array(rows.length * inputs);
    rows.forEach((row, o) => {
      w.set(row, o * inputs);
    });
    return { w, b: Float32Array.from(net.biases[layer] as Float32Array) };
  };
  return {
    id: 'brain.js',
    label: `brain.js ${version}: NeuralNetwork, relu, train() with learningRate 0.1, momentum 1e-10 (it refuses 0), batch size 1`,
    differs: 'batch size 1, ReLU on the output layer, squared-error gradient (its API has no softmax cross-entropy)',
    reset() {
      net = new brain.NeuralNetwork(options);
      net.sizes = [INPUTS, HIDDEN, CLASSES];
      net.initialize();
      setLayer(1, problem.init.w1, problem.init.b1, INPUTS);
      setLayer(2, problem.init.w2, problem.init.b2, HIDDEN);
    },
    train(first, count) {
      for (let i = 0; i < count; i++) net.train(batch((first + i) % problem.batches), trainOptions);
    },
    accuracy() {
      let correct = 0;
      for (let i = 0; i < problem.test.count; i++) {
        const out = net.run(problem.test.x.subarray(i * INPUTS, (i + 1) * INPUTS));
        if (argmaxRow(out, 0, CLASSES) === problem.test.y[i]) correct++;
      }
      return correct / problem.test.count;
    },
    weights(): Weights {
      const l1 = getLayer(1, INPUTS);
      const l2 = getLayer(2, HIDDEN);
      return { w1: l1.w, b1: l1.b, w2: l2.w, b2: l2.b };
    },
    dispose() {
      batches.clear();
    },
  };
}
