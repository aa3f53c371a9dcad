// TensorFlow.js (tfjs-core 4.22) for mnist-cnn, on its cpu backend (plain JavaScript) or
// its wasm backend (XNNPACK, SIMD, 1 thread in Node). The step is the idiomatic one, as
// tfjs.ts's for the MLP: variables, tf.conv2d (NHWC, filters [kh, kw, in, out]) + bias,
// tf.relu, tf.maxPool (valid), tf.matMul, tf.losses.softmaxCrossEntropy (mean over the
// batch) and tf.train.sgd(lr).minimize, inside tf.tidy.
//
// On the wasm backend this cannot train: its conv2d has no registered gradient kernel
// (`Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'`), so minimize throws.
// The suite records that error as the case's result.
import { createRequire } from 'node:module';
import {
  C1,
  C2,
  CLASSES,
  CNN_BATCH,
  CNN_LEARNING_RATE,
  type CnnPeer,
  type CnnWeights,
  convToHwio,
  FLAT,
  fcFromChannelsLast,
  fcToChannelsLast,
  hwioToConv,
  KERNEL,
  PAD,
  SIDE,
} from './cnn';
import { oneHot, type Problem, transpose } from './peer';
import { loadTf } from './tfjs';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
type Tensor4D = import('@tensorflow/tfjs').Tensor4D;
type Scalar = import('@tensorflow/tfjs').Scalar;

export async function tfjsCnnPeer(problem: Problem<CnnWeights>, backend: 'wasm' | 'cpu'): Promise<CnnPeer> {
  const tf = await loadTf();
  const version = (createRequire(import.meta.url)('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const activate = () => {
    if (tf.getBackend() !== backend) void tf.setBackend(backend);
    if (tf.getBackend() !== backend) throw new Error(`tfjs: backend ${tf.getBackend()}, expected ${backend}`);
  };
  activate();
  const w1 = tf.variable(tf.zeros([KERNEL, KERNEL, 1, C1]), true, `cnn-w1-${backend}`);
  const b1 = tf.variable(tf.zeros([C1]), true, `cnn-b1-${backend}`);
  const w2 = tf.variable(tf.zeros([KERNEL, KERNEL, C1, C2]), true, `cnn-w2-${backend}`);
  const b2 = tf.variable(tf.zeros([C2]), true, `cnn-b2-${backend}`);
  const w3 = tf.variable(tf.zeros([FLAT, CLASSES]), true, `cnn-w3-${backend}`);
  const b3 = tf.variable(tf.zeros([CLASSES]), true, `cnn-b3-${backend}`);
  const vars = [w1, b1, w2, b2, w3, b3];
  const pixels = SIDE * SIDE;
  // [N, 1, 28, 28] and [N, 28, 28, 1] are the same data: one channel.
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    tf.tensor4d(problem.train.x.subarray(b * CNN_BATCH * pixels, (b + 1) * CNN_BATCH * pixels), [CNN_BATCH, SIDE, SIDE, 1]),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) =>
    tf.tensor2d(oneHot(problem.train.y, b * CNN_BATCH, CNN_BATCH), [CNN_BATCH, CLASSES]),
  );
  const testX = tf.tensor4d(problem.test.x, [problem.test.count, SIDE, SIDE, 1]);
  let optimizer = tf.train.sgd(CNN_LEARNING_RATE);
  let lastLoss = Number.NaN;

  const logits = (x: Tensor4D) => {
    const n = x.shape[0];
    const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1 as Tensor4D, 1, PAD), b1)) as Tensor4D, 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, w2 as Tensor4D, 1, PAD), b2)) as Tensor4D, 3, 3, 'valid');
    return tf.add(tf.matMul(tf.reshape(h2, [n, FLAT]), w3), b3) as Tensor2D;
  };
  const read = (t: Tensor) => Float32Array.from(t.dataSync() as Float32Array);
  return {
    id: `tfjs-${backend}`,
    label: `@tensorflow/tfjs-core ${version} on the ${backend} backend${backend === 'wasm' ? ' (XNNPACK, SIMD, 1 thread)' : ''}: tf.conv2d, tf.maxPool, tf.train.sgd(${CNN_LEARNING_RATE}).minimize in tf.tidy, NHWC`,
    reset() {
      activate();
      tf.tidy(() => {
        w1.assign(tf.tensor4d(convToHwio(problem.init.conv1w, C1, 1), [KERNEL, KERNEL, 1, C1]));
        b1.assign(tf.tensor1d(problem.init.conv1b));
        w2.assign(tf.tensor4d(convToHwio(problem.init.conv2w, C2, C1), [KERNEL, KERNEL, C1, C2]));
        b2.assign(tf.tensor1d(problem.init.conv2b));
        w3.assign(tf.tensor2d(transpose(fcToChannelsLast(problem.init.fcw), CLASSES, FLAT), [FLAT, CLASSES]));
        b3.assign(tf.tensor1d(problem.init.fcb));
      });
      optimizer.dispose();
      optimizer = tf.train.sgd(CNN_LEARNING_RATE);
    },
    train(first, count) {
      activate();
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        const cost = tf.tidy(
          () =>
            optimizer.minimize(
              () => tf.losses.softmaxCrossEntropy(ys[b] as Tensor2D, logits(xs[b] as Tensor4D)) as Scalar,
              true,
              vars,
            ) as Scalar,
        );
        // Reading the last step's loss waits for the steps, as the other peers' do.
        if (i === count - 1) lastLoss = (cost.dataSync() as Float32Array)[0] as number;
        cost.dispose();
      }
    },
    loss() {
      return lastLoss;
    },
    accuracy() {
      activate();
      const predicted = tf.tidy(() => tf.argMax(logits(testX), 1).dataSync());
      let correct = 0;
      for (let i = 0; i < problem.test.count; i++) if (predicted[i] === problem.test.y[i]) correct++;
      return correct / problem.test.count;
    },
    weights(): CnnWeights {
      activate();
      return {
        conv1w: hwioToConv(read(w1), C1, 1),
        conv1b: read(b1),
        conv2w: hwioToConv(read(w2), C2, C1),
        conv2b: read(b2),
        fcw: fcFromChannelsLast(transpose(read(w3), FLAT, CLASSES)),
        fcb: read(b3),
      };
    },
    dispose() {
      activate();
      optimizer.dispose();
      tf.dispose([...vars, ...xs, ...ys, testX]);
    },
  };
}
