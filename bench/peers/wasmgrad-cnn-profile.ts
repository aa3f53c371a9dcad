// Where a wasmgrad mnist-cnn step's time goes (`npx tsx bench/mnist-cnn.ts --profile`):
// the benchmark's own model and step, with a clock read around every layer's forward and
// backward, the loss, the optimizer's step and zeroGrad. Timed steps alternate with
// untimed ones, so the clock's own cost shows as the difference between the two.
import { performance } from 'node:perf_hooks';
import { nn, Tensor } from '../../src/index';
import type { Module } from '../../src/nn/module';
import { C1, C2, CLASSES, CNN_BATCH, CNN_KEYS, CNN_LEARNING_RATE, type CnnWeights, FLAT, KERNEL, PAD, SIDE } from './cnn';
import type { Problem } from './peer';

const BLOCK = 50;

export function profileCnn(problem: Problem<CnnWeights>, blocks: number): string {
  const layers: [string, Module][] = [
    [`conv1 5×5, 1→${C1}, pad ${PAD}`, new nn.Conv2d(1, C1, KERNEL, { padding: PAD })],
    ['relu1', new nn.ReLU()],
    ['max pool 2×2', new nn.MaxPool2d(2)],
    [`conv2 5×5, ${C1}→${C2}, pad ${PAD}`, new nn.Conv2d(C1, C2, KERNEL, { padding: PAD })],
    ['relu2', new nn.ReLU()],
    ['max pool 3×3', new nn.MaxPool2d(3)],
    ['flatten', new nn.Flatten()],
    [`fc ${FLAT}→${CLASSES}`, new nn.Linear(FLAT, CLASSES)],
  ];
  const model = new nn.Sequential(layers.map(([, layer]) => layer));
  const params = model.parameters();
  for (const [i, key] of CNN_KEYS.entries()) (params[i] as nn.Parameter).value.data.set(problem.init[key]);
  const optimizer = new nn.SGD(params, { lr: CNN_LEARNING_RATE });
  // The benchmark's batches: the training digits in order, 32 at a time.
  const digits = Tensor.from(problem.train.x, [problem.train.count, 1, SIDE, SIDE]);
  const loader = new nn.DataLoader({ x: digits, y: problem.train.y }, { batchSize: CNN_BATCH, dropLast: true });
  const parts = new Map<string, number>();
  const add = (part: string, since: number) => parts.set(part, (parts.get(part) ?? 0) + performance.now() - since);
  const timedStep = (x: Tensor, y: Int32Array) => {
    let t = performance.now();
    optimizer.zeroGrad();
    add('zeroGrad', t);
    let out = x;
    for (const [name, layer] of layers) {
      t = performance.now();
      out = layer.forward(out);
      add(`${name} · forward`, t);
    }
    t = performance.now();
    const { dlogits } = nn.softmaxCrossEntropy(out, y);
    add('softmax cross-entropy', t);
    let grad: Tensor | null = dlogits;
    for (let i = layers.length - 1; i >= 0; i--) {
      const [name, layer] = layers[i] as [string, Module];
      t = performance.now();
      grad = layer.backward(grad as Tensor, { inputGrad: i > 0 });
      add(`${name} · backward`, t);
    }
    t = performance.now();
    optimizer.step();
    add('SGD step', t);
  };
  const plainStep = (x: Tensor, y: Int32Array) => {
    optimizer.zeroGrad();
    model.backward(nn.softmaxCrossEntropy(model.forward(x), y).dlogits);
    optimizer.step();
  };
  let plain = 0;
  let timedSteps = 0;
  let plainSteps = 0;
  const it = (function* () {
    for (;;) for (const batch of loader) yield batch;
  })();
  for (let i = 0; i < 2 * BLOCK; i++) {
    const { x, y } = it.next().value as nn.Batch<Int32Array>;
    plainStep(x, y);
  }
  parts.clear();
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < BLOCK; i++) {
      const { x, y } = it.next().value as nn.Batch<Int32Array>;
      timedStep(x, y);
      timedSteps++;
    }
    const start = performance.now();
    for (let i = 0; i < BLOCK; i++) {
      const { x, y } = it.next().value as nn.Batch<Int32Array>;
      plainStep(x, y);
      plainSteps++;
    }
    plain += performance.now() - start;
  }
  loader.dispose();
  digits.dispose();
  const perStep = plain / plainSteps;
  const rows = [...parts].map(([part, ms]) => [part, (ms / timedSteps) * 1000] as const);
  const measured = rows.reduce((total, [, us]) => total + us, 0);
  const lines = [
    '| part | µs | % of the step |',
    '|---|--:|--:|',
    ...rows.map(([part, us]) => `| ${part} | ${us.toFixed(1)} | ${((100 * us) / (perStep * 1000)).toFixed(1)}% |`),
    `| the parts, summed | ${measured.toFixed(1)} | ${((100 * measured) / (perStep * 1000)).toFixed(1)}% |`,
    `| **the step, untimed** (${Math.round((CNN_BATCH * 1000) / perStep).toLocaleString('en')} samples/s) | **${(perStep * 1000).toFixed(1)}** | 100% |`,
  ];
  return lines.join('\n');
}
