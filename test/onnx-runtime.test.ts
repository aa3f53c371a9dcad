// toOnnx's files run by a real engine: ONNX Runtime (onnxruntime-node, its CPU binary) gives
// the outputs wasmgrad gives, to 1e-5 in float32, for seeded random models of every layer
// toOnnx writes (each opset it writes where an op's form changes), and for the MNIST MLP and
// CNN of the demos after a short fit on real digits. Files PyTorch's exporter wrote (ONNX's
// pytorch-converted test data) read back into models that give PyTorch's outputs. Node only
// (a native addon); Chromium's engine, onnxruntime-web, is test/onnx-web.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cnnModel } from '../examples/cnn';
import { loadMnist } from '../examples/data/mnist';
import { init, nn, Tensor } from '../src/index';
import { fromOnnx, toOnnx } from '../src/onnx/index';
import { maxDiff, onnx } from './onnx-helpers';

beforeAll(() => init());

const TOLERANCE = 1e-5;

/** ONNX Runtime's output for x, through a session on `bytes`. */
async function runtime(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
    const output = result.output;
    if (output === undefined) throw new Error('ONNX Runtime gave no "output"');
    expect(output.dims[0]).toBe(x.shape[0]);
    return output.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The model's own output for x (evaluation: dropout the identity, batch norm's running statistics). */
const predict = (model: nn.Sequential, x: Tensor) => Float32Array.from(model.predict(x).data);

/** Running statistics that are not 0 and 1, so that the file's mean and variance matter. */
function warmBatchNorm(model: nn.Sequential, x: Tensor): void {
  model.train();
  for (let i = 0; i < 3; i++) model.forward(x);
  model.eval();
}

const MODELS: Record<string, { make: () => nn.Sequential; input: number[] }> = {
  'Linear + ReLU + Linear (the MLP)': {
    make: () => new nn.Sequential([new nn.Linear(12, 16, { seed: 1 }), new nn.ReLU(), new nn.Linear(16, 5, { seed: 2 })]),
    input: [12],
  },
  'Linear without bias, Sigmoid, Tanh': {
    make: () =>
      new nn.Sequential([new nn.Linear(6, 7, { seed: 3, bias: false }), new nn.Sigmoid(), new nn.Linear(7, 4, { seed: 4 }), new nn.Tanh()]),
    input: [6],
  },
  'LeakyReLU (α 0.1 and 0.2), ELU (α 1 and 0.5), Softplus': {
    make: () =>
      new nn.Sequential([
        new nn.Linear(5, 8, { seed: 5 }),
        new nn.LeakyReLU(),
        new nn.Linear(8, 8, { seed: 6 }),
        new nn.LeakyReLU(0.2),
        new nn.Linear(8, 8, { seed: 7 }),
        new nn.ELU(),
        new nn.Linear(8, 8, { seed: 8 }),
        new nn.ELU(0.5),
        new nn.Linear(8, 3, { seed: 9 }),
        new nn.Softplus(),
      ]),
    input: [5],
  },
  'Maxout (k = 2 and 3) and Dropout': {
    make: () =>
      new nn.Sequential([
        new nn.Maxout(9, 6, 2, { seed: 10 }),
        new nn.Dropout(0.3),
        new nn.Maxout(6, 4, 3, { seed: 11 }),
        new nn.Linear(4, 2, { seed: 12 }),
      ]),
    input: [9],
  },
  'BatchNorm1d (affine and not) between Linears': {
    make: () =>
      new nn.Sequential([
        new nn.Linear(6, 10, { seed: 13 }),
        new nn.BatchNorm1d(10),
        new nn.ReLU(),
        new nn.Linear(10, 8, { seed: 14 }),
        new nn.BatchNorm1d(8, { affine: false, eps: 1e-3, momentum: 0.2 }),
        new nn.Linear(8, 3, { seed: 15 }),
      ]),
    input: [6],
  },
  'Conv2d (padding, stride, dilation, no bias), BatchNorm2d, MaxPool2d, AvgPool2d, Flatten': {
    make: () =>
      new nn.Sequential([
        new nn.Conv2d(2, 4, 3, { padding: 1, seed: 16 }),
        new nn.BatchNorm2d(4),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(4, 5, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], bias: false, seed: 17 }),
        new nn.AvgPool2d(2, { stride: 1, padding: 1 }),
        new nn.MaxPool2d(3, { stride: 2, padding: 1, dilation: 1 }),
        new nn.Flatten(),
        new nn.Linear(5 * 2 * 2, 3, { seed: 18 }),
      ]),
    input: [2, 10, 9],
  },
  'MaxPool2d with dilation, AvgPool2d unpadded': {
    make: () =>
      new nn.Sequential([
        new nn.Conv2d(1, 3, 2, { seed: 19 }),
        new nn.MaxPool2d(2, { stride: 1, dilation: 2 }),
        new nn.AvgPool2d([2, 3]),
        new nn.Flatten(),
      ]),
    input: [1, 9, 11],
  },
};

describe('ONNX Runtime runs toOnnx’s files with wasmgrad’s outputs (1e-5, float32)', () => {
  for (const [name, { make, input }] of Object.entries(MODELS)) {
    for (const opset of [17, 18, 22]) {
      it(`${name}, opset ${opset}; and the file read back gives bit-identical weights and outputs`, async () => {
        const model = make();
        const x = Tensor.randn([7, ...input], { seed: opset });
        warmBatchNorm(model, x);
        const bytes = toOnnx(model, { inputShape: input, opset });
        const ours = predict(model, x);
        expect(maxDiff(await runtime(bytes, x), ours)).toBeLessThanOrEqual(TOLERANCE);
        // A symbolic batch: another batch size runs too.
        const one = Tensor.randn([1, ...input], { seed: 99 });
        expect(maxDiff(await runtime(bytes, one), predict(model, one))).toBeLessThanOrEqual(TOLERANCE);

        const back = fromOnnx(bytes);
        expect(back.layers.map((l) => l.constructor.name)).toEqual(model.layers.map((l) => l.constructor.name));
        const bits = (t: Tensor) => Array.from(new Uint8Array(Float32Array.from(t.data).buffer));
        const state = (m: nn.Sequential) => [...m.parameters(), ...m.buffers()].map((p) => [p.name, bits(p.value)]);
        expect(state(back)).toEqual(state(model));
        expect(bits(back.predict(x))).toEqual(bits(model.predict(x)));
        one.dispose();
        x.dispose();
      });
    }
  }

  it('a final Softmax when asked: ONNX Runtime gives probabilities, fromOnnx leaves it out (logits)', async () => {
    const model = MODELS['Linear + ReLU + Linear (the MLP)']?.make() as nn.Sequential;
    const x = Tensor.randn([4, 12], { seed: 1 });
    const logits = predict(model, x);
    const probabilities = await runtime(toOnnx(model, { inputShape: [12], softmax: true }), x);
    for (let row = 0; row < 4; row++) {
      const z = logits.slice(row * 5, row * 5 + 5);
      const top = Math.max(...z);
      const e = z.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      expect(
        maxDiff(
          probabilities.slice(row * 5, row * 5 + 5),
          e.map((v) => v / sum),
        ),
      ).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(Array.from(fromOnnx(toOnnx(model, { inputShape: [12], softmax: true })).predict(x).data)).toEqual(Array.from(logits));
  });
});

describe('the demos’ MNIST nets, briefly trained on real digits', () => {
  it('the MLP (784-128-10) after a short fit: ONNX Runtime’s outputs and predictions are wasmgrad’s', async () => {
    const { train, test } = loadMnist({ train: 1000, seed: 1 });
    const model = new nn.Sequential([new nn.Linear(784, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
    nn.fit(model, train, { epochs: 3, batchSize: 64, optimizer: new nn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }), seed: 0 });
    const bytes = toOnnx(model, { inputShape: [784] });
    const ours = predict(model, test.x);
    const theirs = await runtime(bytes, test.x);
    expect(maxDiff(theirs, ours)).toBeLessThanOrEqual(TOLERANCE);
    const argmax = (scores: Float32Array, row: number) => {
      const z = scores.subarray(row * 10, row * 10 + 10);
      return z.indexOf(Math.max(...z));
    };
    let agree = 0;
    let right = 0;
    for (let row = 0; row < test.y.length; row++) {
      if (argmax(theirs, row) === argmax(ours, row)) agree++;
      if (argmax(theirs, row) === test.y[row]) right++;
    }
    expect(agree).toBe(test.y.length);
    expect(right / test.y.length).toBeGreaterThan(0.8);
    expect(Array.from(fromOnnx(bytes).predict(test.x).data)).toEqual(Array.from(ours));
  });

  it('the CNN (examples/cnn.ts) after a few steps: ONNX Runtime’s outputs are wasmgrad’s', async () => {
    const { train, test } = loadMnist({ train: 256, seed: 2, images: true });
    const model = cnnModel({ seed: 1 });
    nn.fit(model, train, { epochs: 1, batchSize: 64, optimizer: new nn.Adam(model.parameters(), { lr: 5e-3 }), seed: 0 });
    model.eval();
    const bytes = toOnnx(model, { inputShape: [1, 28, 28] });
    const x = Tensor.from(test.x.data.slice(0, 200 * 784), [200, 1, 28, 28]);
    expect(maxDiff(await runtime(bytes, x), predict(model, x))).toBeLessThanOrEqual(TOLERANCE);
    expect(Array.from(fromOnnx(bytes).predict(x).data)).toEqual(Array.from(predict(model, x)));
  });
});

describe('files PyTorch’s exporter wrote (ONNX’s pytorch-converted test data, test/fixtures/onnx-pytorch)', () => {
  const root = new URL('./fixtures/onnx-pytorch/', import.meta.url);
  const tensorFile = (url: URL): Tensor => {
    const t = onnx.TensorProto.decode(readFileSync(url));
    const raw = t.raw_data;
    const data =
      raw.length > 0
        ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
        : Float32Array.from(t.float_data);
    return Tensor.from(data, t.dims.map(Number));
  };
  const tests = readdirSync(root).filter((name) => name.startsWith('test_'));

  it('are all there', () => {
    expect(tests.length).toBe(16);
  });

  it.each(tests)('%s: fromOnnx’s model gives PyTorch’s output (1e-6), and ONNX Runtime runs toOnnx’s file of it alike', async (name) => {
    const model = fromOnnx(readFileSync(new URL(`${name}/model.onnx`, root)));
    const x = tensorFile(new URL(`${name}/input_0.pb`, root));
    const expected = tensorFile(new URL(`${name}/output_0.pb`, root));
    const ours = Float32Array.from(model.predict(x).data);
    expect(maxDiff(ours, expected.data)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(await runtime(toOnnx(model, { inputShape: x.shape.slice(1) }), x), ours)).toBeLessThanOrEqual(TOLERANCE);
  });
});
