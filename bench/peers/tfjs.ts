// TensorFlow.js (tfjs-core 4.22) on its wasm backend (XNNPACK, SIMD; it never uses
// threads in Node) and on its plain JavaScript cpu backend. The step is the idiomatic
// one: variables, tf.losses.softmaxCrossEntropy (mean over the batch) and
// tf.train.sgd(0.1).minimize, inside tf.tidy.
//
// tfjs-core alone registers no gradients in Node: importing @tensorflow/tfjs (once)
// does. Both backends live in one engine; a peer switches to its own before each use
// (synchronous once a backend is initialized), so no tensor moves between them.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, oneHot, type Peer, type Problem, transpose, type Weights } from './peer';

type Tf = typeof import('@tensorflow/tfjs');
type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor2D = import('@tensorflow/tfjs').Tensor2D;
type Scalar = import('@tensorflow/tfjs').Scalar;

let loading: Promise<Tf> | null = null;

/** @tensorflow/tfjs with the wasm backend registered and both backends initialized (mnist-cnn's peer loads it here too). */
export function loadTf(): Promise<Tf> {
  loading ??= (async () => {
    const tf: Tf = await import('@tensorflow/tfjs');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`);
    await tf.setBackend('wasm');
    if (tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) throw new Error('tfjs-wasm: the multithreaded build is in use');
    await tf.setBackend('cpu');
    return tf;
  })();
  return loading;
}

export async function tfjsPeer(problem: Problem, backend: 'wasm' | 'cpu'): Promise<Peer> {
  const tf = await loadTf();
  const version = (createRequire(import.meta.url)('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const activate = () => {
    if (tf.getBackend() !== backend) void tf.setBackend(backend);
    if (tf.getBackend() !== backend) throw new Error(`tfjs: backend ${tf.getBackend()}, expected ${backend}`);
  };
  activate();
  const w1 = tf.variable(tf.zeros([INPUTS, HIDDEN]), true, `w1-${backend}`);
  const b1 = tf.variable(tf.zeros([HIDDEN]), true, `b1-${backend}`);
  const w2 = tf.variable(tf.zeros([HIDDEN, CLASSES]), true, `w2-${backend}`);
  const b2 = tf.variable(tf.zeros([CLASSES]), true, `b2-${backend}`);
  const vars = [w1, b1, w2, b2];
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    tf.tensor2d(problem.train.x.subarray(b * BATCH * INPUTS, (b + 1) * BATCH * INPUTS), [BATCH, INPUTS]),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) => tf.tensor2d(oneHot(problem.train.y, b * BATCH, BATCH), [BATCH, CLASSES]));
  const testX = tf.tensor2d(problem.test.x, [problem.test.count, INPUTS]);
  let optimizer = tf.train.sgd(LEARNING_RATE);

  const logits = (x: Tensor2D) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  const read = (t: Tensor) => Float32Array.from(t.dataSync() as Float32Array);
  return {
    id: `tfjs-${backend}`,
    label: `@tensorflow/tfjs-core ${version} on the ${backend} backend${backend === 'wasm' ? ' (XNNPACK, SIMD, 1 thread)' : ''}: tf.train.sgd(0.1).minimize in tf.tidy`,
    reset() {
      activate();
      tf.tidy(() => {
        w1.assign(tf.tensor2d(transpose(problem.init.w1, HIDDEN, INPUTS), [INPUTS, HIDDEN]));
        b1.assign(tf.tensor1d(problem.init.b1));
        w2.assign(tf.tensor2d(transpose(problem.init.w2, CLASSES, HIDDEN), [HIDDEN, CLASSES]));
        b2.assign(tf.tensor1d(problem.init.b2));
      });
      optimizer.dispose();
      optimizer = tf.train.sgd(LEARNING_RATE);
    },
    train(first, count) {
      activate();
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        tf.tidy(() => {
          optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys[b] as Tensor2D, logits(xs[b] as Tensor2D)) as Scalar, false, vars);
        });
      }
      b2.dataSync();
    },
    accuracy() {
      activate();
      const predicted = tf.tidy(() => tf.argMax(logits(testX), 1).dataSync());
      let correct = 0;
      for (let i = 0; i < problem.test.count; i++) if (predicted[i] === problem.test.y[i]) correct++;
      return correct / problem.test.count;
    },
    weights(): Weights {
      activate();
      return { w1: transpose(read(w1), INPUTS, HIDDEN), b1: read(b1), w2: transpose(read(w2), HIDDEN, CLASSES), b2: read(b2) };
    },
    dispose() {
      activate();
      optimizer.dispose();
      tf.dispose([...vars, ...xs, ...ys, testX]);
    },
  };
}
