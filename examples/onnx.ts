// A model trained here, served by ONNX Runtime; a model from an ONNX file, fine-tuned here.
//   npm run onnx            the MNIST MLP of `npm run demo` (784-128-10, 3 epochs)
//   npm run onnx -- --cnn   the CNN of `npm run demo -- --cnn` (1 epoch: slower)
//
// 1. trains the net on 8,000 MNIST digits, as the demo does;
// 2. writes it as an ONNX file (wasmgrad/onnx's toOnnx) to the system's temporary folder;
// 3. runs that file in ONNX Runtime (onnxruntime-node) on the 2,000 held-out digits and
//    compares its outputs and predictions with wasmgrad's;
// 4. reads the file back (fromOnnx) — as it would read one that torch.onnx.export wrote —
//    and fine-tunes it for an epoch at a lower learning rate.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { init, nn, type Tensor } from '../src/index';
import { fromOnnx, toOnnx } from '../src/onnx/index';
import { cnnModel } from './cnn';
import { loadMnist } from './data/mnist';

const cnn = process.argv.includes('--cnn');
await init();
const { train, test } = loadMnist({ seed: 0, images: cnn });
const inputShape = cnn ? [1, 28, 28] : [784];

const model = cnn
  ? cnnModel({ seed: 1 })
  : new nn.Sequential([new nn.Linear(784, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
const optimizer = cnn ? new nn.Adam(model.parameters(), { lr: 2e-3 }) : new nn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
const epochs = cnn ? 1 : 3;
console.log(`training the ${cnn ? 'CNN' : 'MLP'} on ${train.y.length} digits, ${epochs} epoch${epochs === 1 ? '' : 's'}…`);
nn.fit(model, train, { epochs, batchSize: 64, optimizer, seed: 0 });
const accuracy = (m: nn.Sequential) => nn.evaluate(m, test, { batchSize: 500 }).accuracy;
console.log(`wasmgrad: ${(100 * accuracy(model)).toFixed(2)}% of ${test.y.length} held-out digits`);

// 2. Out: an ONNX file.
const bytes = toOnnx(model, { inputShape, opset: 17 });
const file = join(tmpdir(), cnn ? 'wasmgrad-mnist-cnn.onnx' : 'wasmgrad-mnist-mlp.onnx');
writeFileSync(file, bytes);
console.log(`\nwrote ${file} (${(bytes.length / 1024).toFixed(1)} KiB, opset 17)`);

// 3. ONNX Runtime runs it.
const session = await ort.InferenceSession.create(file);
const ours = Float32Array.from(model.predict(test.x).data);
const { output } = await session.run({ input: new ort.Tensor('float32', Float32Array.from(test.x.data), [...test.x.shape]) });
const theirs = output?.data as Float32Array;
let maxDiff = 0;
for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs((ours[i] as number) - (theirs[i] as number)));
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
console.log(
  `ONNX Runtime ${ort.env.versions.common}: ${((100 * right) / test.y.length).toFixed(2)}% correct; the same prediction as wasmgrad for ${agree} of ${test.y.length} digits; largest |difference| of an output ${maxDiff.toExponential(2)}`,
);
await session.release();

// 4. In: read the file back and fine-tune it.
const loaded = fromOnnx(bytes);
const bits = (t: Tensor) => new Uint8Array(Float32Array.from(t.data).buffer).join();
const same = loaded.parameters().every((p, i) => bits(p.value) === bits((model.parameters()[i] as nn.Parameter).value));
console.log(`\nread back: ${loaded.layers.map((l) => l.constructor.name).join(' → ')}; weights bit-identical: ${same}`);
const tune = cnn ? new nn.Adam(loaded.parameters(), { lr: 5e-4 }) : new nn.SGD(loaded.parameters(), { lr: 0.01, momentum: 0.9 });
nn.fit(loaded, train, { epochs: 1, batchSize: 64, optimizer: tune, seed: 1 });
console.log(`fine-tuned one epoch: ${(100 * accuracy(loaded)).toFixed(2)}% of the held-out digits`);
