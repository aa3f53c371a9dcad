// wasmgrad for mnist-cnn: the training step a user writes, with the convolutional layers
// of issue 14 (nn.Conv2d, nn.MaxPool2d, nn.Flatten, PyTorch's API and layouts):
//
//   new nn.Sequential([
//     new nn.Conv2d(1, 8, 5, { stride: 1, padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2, { stride: 2 }),
//     new nn.Conv2d(8, 16, 5, { stride: 1, padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(3, { stride: 3 }),
//     new nn.Flatten(), new nn.Linear(256, 10),
//   ])
//
// then per step optimizer.zeroGrad(), model.forward(x [32, 1, 28, 28]),
// nn.softmaxCrossEntropy, model.backward(dlogits), optimizer.step()
// (nn.SGD), on batches made into Tensors once, as mnist-mlp's "wasmgrad step".
import { nn, Tensor } from '../../src/index';
import { C1, C2, CLASSES, CNN_BATCH, CNN_KEYS, CNN_LEARNING_RATE, type CnnPeer, type CnnWeights, FLAT, KERNEL, PAD, SIDE } from './cnn';
import { argmaxRow, type Problem } from './peer';

export function wasmgradCnnPeer(problem: Problem<CnnWeights>): CnnPeer {
  const model = new nn.Sequential([
    new nn.Conv2d(1, C1, KERNEL, { stride: 1, padding: PAD }),
    new nn.ReLU(),
    new nn.MaxPool2d(2, { stride: 2 }),
    new nn.Conv2d(C1, C2, KERNEL, { stride: 1, padding: PAD }),
    new nn.ReLU(),
    new nn.MaxPool2d(3, { stride: 3 }),
    new nn.Flatten(),
    new nn.Linear(FLAT, CLASSES),
  ]);
  const params = model.parameters();
  // PyTorch's order and shapes: conv weight [out, in, kh, kw], bias [out]; fc [out, in].
  const expected: Record<(typeof CNN_KEYS)[number], number[]> = {
    conv1w: [C1, 1, KERNEL, KERNEL],
    conv1b: [C1],
    conv2w: [C2, C1, KERNEL, KERNEL],
    conv2b: [C2],
    fcw: [CLASSES, FLAT],
    fcb: [CLASSES],
  };
  if (params.length !== CNN_KEYS.length) throw new Error(`wasmgrad: ${params.length} parameters, expected ${CNN_KEYS.length}`);
  CNN_KEYS.forEach((key, i) => {
    const shape = [...(params[i] as nn.Parameter).value.shape];
    if (shape.join() !== expected[key].join())
      throw new Error(`wasmgrad: parameter ${(params[i] as nn.Parameter).name} is [${shape}], expected [${expected[key]}] (${key})`);
  });
  const optimizer = new nn.SGD(params, { lr: CNN_LEARNING_RATE });
  const pixels = SIDE * SIDE;
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    Tensor.from(problem.train.x.subarray(b * CNN_BATCH * pixels, (b + 1) * CNN_BATCH * pixels), [CNN_BATCH, 1, SIDE, SIDE]),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) => problem.train.y.subarray(b * CNN_BATCH, (b + 1) * CNN_BATCH));
  const TEST_BLOCK = 500;
  const testXs = Array.from({ length: Math.ceil(problem.test.count / TEST_BLOCK) }, (_, i) => {
    const from = i * TEST_BLOCK;
    const to = Math.min(problem.test.count, from + TEST_BLOCK);
    return Tensor.from(problem.test.x.subarray(from * pixels, to * pixels), [to - from, 1, SIDE, SIDE]);
  });
  let lastLoss = Number.NaN;
  return {
    id: 'wasmgrad step',
    label:
      'wasmgrad: nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear in an nn.Sequential; model.forward, nn.softmaxCrossEntropy, model.backward (no input gradient), nn.SGD step',
    reset() {
      CNN_KEYS.forEach((key, i) => {
        const p = params[i] as nn.Parameter;
        p.value.data.set(problem.init[key]);
        p.grad.data.fill(0);
      });
    },
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        optimizer.zeroGrad();
        const logits = model.forward(xs[b] as Tensor);
        const { loss, dlogits } = nn.softmaxCrossEntropy(logits, ys[b] as Int32Array);
        model.backward(dlogits);
        optimizer.step();
        lastLoss = loss;
      }
    },
    loss() {
      return lastLoss;
    },
    accuracy() {
      let correct = 0;
      testXs.forEach((x, i) => {
        const scores = (model.predict(x) as Tensor).data;
        const rows = scores.length / CLASSES;
        for (let r = 0; r < rows; r++) if (argmaxRow(scores, r * CLASSES, CLASSES) === problem.test.y[i * TEST_BLOCK + r]) correct++;
      });
      return correct / problem.test.count;
    },
    weights() {
      return Object.fromEntries(
        CNN_KEYS.map((key, i) => [key, Float32Array.from((params[i] as nn.Parameter).value.data)]),
      ) as unknown as CnnWeights;
    },
    dispose() {
      for (const x of [...xs, ...testXs]) x.dispose();
    },
  };
}
