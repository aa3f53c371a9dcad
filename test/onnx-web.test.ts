// toOnnx's files in a page's engine: onnxruntime-web (its wasm backend, one thread) in
// Chromium gives wasmgrad's outputs to 1e-5, for a CNN and an MLP of every layer kind. The
// engine's .wasm ships in the package and is served by vitest's browser mode from
// node_modules: no download. Chromium only (the browser projects); Node's engine is
// test/onnx-runtime.test.ts.
import * as ort from 'onnxruntime-web/wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, nn, Tensor } from '../src/index';
import { toOnnx } from '../src/onnx/index';
import { maxDiff } from './onnx-helpers';

beforeAll(async () => {
  await init();
  ort.env.wasm.numThreads = 1;
  // Its .wasm from the package, as vitest's server serves node_modules.
  ort.env.wasm.wasmPaths = { wasm: new URL('/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm', location.href).href };
});

async function runtime(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
    if (output === undefined) throw new Error('onnxruntime-web gave no "output"');
    return output.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('onnxruntime-web (wasm) in Chromium runs toOnnx’s files with wasmgrad’s outputs', () => {
  it('a CNN: Conv2d, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, Flatten, Linear', async () => {
    const model = new nn.Sequential([
      new nn.Conv2d(1, 4, 3, { padding: 1, seed: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.AvgPool2d(2, { stride: 1, padding: 1 }),
      new nn.Flatten(),
      new nn.Linear(4 * 5 * 5, 10, { seed: 2 }),
    ]);
    const x = Tensor.randn([6, 1, 8, 8], { seed: 3 });
    model.train();
    model.forward(x);
    model.eval();
    expect(maxDiff(await runtime(toOnnx(model, { inputShape: [1, 8, 8] }), x), model.predict(x).data)).toBeLessThanOrEqual(1e-5);
  });

  it('an MLP: Linear, LeakyReLU, Maxout, Dropout, ELU, Sigmoid, Tanh, Softplus, BatchNorm1d, with a final Softmax (opset 18)', async () => {
    const model = new nn.Sequential([
      new nn.Linear(8, 12, { seed: 4 }),
      new nn.LeakyReLU(),
      new nn.Maxout(12, 6, 2, { seed: 5 }),
      new nn.Dropout(0.5),
      new nn.ELU(),
      new nn.Linear(6, 6, { seed: 6 }),
      new nn.BatchNorm1d(6),
      new nn.Sigmoid(),
      new nn.Linear(6, 6, { seed: 7 }),
      new nn.Tanh(),
      new nn.Linear(6, 3, { seed: 8 }),
      new nn.Softplus(),
    ]);
    const x = Tensor.randn([5, 8], { seed: 9 });
    const z = Float32Array.from(model.predict(x).data);
    const probabilities = await runtime(toOnnx(model, { inputShape: [8], opset: 18, softmax: true }), x);
    for (let row = 0; row < 5; row++) {
      const e = Array.from(z.subarray(row * 3, row * 3 + 3), Math.exp);
      const sum = e.reduce((a, b) => a + b, 0);
      expect(
        maxDiff(
          probabilities.subarray(row * 3, row * 3 + 3),
          e.map((v) => v / sum),
        ),
      ).toBeLessThanOrEqual(1e-5);
    }
  });
});
