// jax-js (@jax-js/jax): the whole training step — forward, loss, gradient, SGD update —
// is one jit-compiled function, as JAX code writes it. In Node it runs on its wasm
// backend, single-threaded (Node has no global Worker, which its thread pool needs).
//
// jax-js counts references: a function consumes its array arguments, so arrays used
// again are passed as `.ref`. Work is dispatched lazily; reading a step's loss (dataSync)
// waits for it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { argmaxRow, BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, oneHot, type Peer, type Problem, transpose, type Weights } from './peer';

type Jax = typeof import('@jax-js/jax');
type JaxArray = import('@jax-js/jax').numpy.Array;
type Params = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

/** jax-js on its wasm backend, and its version (mnist-cnn's peers load it here too). */
export async function loadJax(): Promise<{ jax: Jax; version: string }> {
  const jax: Jax = await import('@jax-js/jax');
  // A bare init() probes WebGPU, which throws in Node.
  await jax.init('wasm');
  jax.defaultDevice('wasm');
  // Its package.json is not among its exports: read it beside its entry point.
  const entry = createRequire(import.meta.url).resolve('@jax-js/jax');
  const version = (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { jax, version };
}

export async function jaxPeer(problem: Problem): Promise<Peer> {
  const { jax, version } = await loadJax();
  const { jit, nn, numpy: np, tree, valueAndGrad } = jax;

  // Params as JAX code keeps them: x·W with W [in, out].
  const upload = (w: Weights): Params => ({
    w1: np.array(transpose(w.w1, HIDDEN, INPUTS), { shape: [INPUTS, HIDDEN] }),
    b1: np.array(w.b1, { shape: [HIDDEN] }),
    w2: np.array(transpose(w.w2, CLASSES, HIDDEN), { shape: [HIDDEN, CLASSES] }),
    b2: np.array(w.b2, { shape: [CLASSES] }),
  });
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    np.array(problem.train.x.subarray(b * BATCH * INPUTS, (b + 1) * BATCH * INPUTS), { shape: [BATCH, INPUTS] }),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) =>
    np.array(oneHot(problem.train.y, b * BATCH, BATCH), { shape: [BATCH, CLASSES] }),
  );
  const testX = np.array(problem.test.x, { shape: [problem.test.count, INPUTS] });

  const logits = (p: Params, x: JaxArray): JaxArray => {
    const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
    return np.matmul(h, p.w2).add(p.b2);
  };
  // Mean over the batch of −log softmax(logits)[label].
  const loss = (p: Params, x: JaxArray, y: JaxArray): JaxArray =>
    nn
      .logSoftmax(logits(p, x))
      .mul(y)
      .sum()
      .mul(-1 / BATCH);
  const step = jit((p: Params, x: JaxArray, y: JaxArray): [Params, JaxArray] => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    const next: Params = {
      w1: p.w1.sub(g.w1.mul(LEARNING_RATE)),
      b1: p.b1.sub(g.b1.mul(LEARNING_RATE)),
      w2: p.w2.sub(g.w2.mul(LEARNING_RATE)),
      b2: p.b2.sub(g.b2.mul(LEARNING_RATE)),
    };
    return [next, value];
  });
  const predict = jit(logits);

  let params = upload(problem.init);
  const read = (a: JaxArray) => Float32Array.from(a.ref.dataSync() as Float32Array);
  return {
    id: 'jax-js',
    label: `@jax-js/jax ${version}: the whole step under jit, wasm backend, 1 thread`,
    reset() {
      tree.dispose(params);
      params = upload(problem.init);
    },
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        let value: JaxArray;
        [params, value] = step(params, (xs[b] as JaxArray).ref, (ys[b] as JaxArray).ref);
        // Reading each step's loss (as a training loop does to log it) waits for the step:
        // left to queue up, jax-js gets slower the more steps are pending (a probe: 31,000
        // samples/s reading every step, 11,000 reading every 125th, 2,000 every 500th).
        value.dataSync();
      }
    },
    accuracy() {
      const scores = predict(tree.ref(params), testX.ref).dataSync() as Float32Array;
      let correct = 0;
      for (let i = 0; i < problem.test.count; i++) if (argmaxRow(scores, i * CLASSES, CLASSES) === problem.test.y[i]) correct++;
      return correct / problem.test.count;
    },
    weights() {
      return {
        w1: transpose(read(params.w1), INPUTS, HIDDEN),
        b1: read(params.b1),
        w2: transpose(read(params.w2), HIDDEN, CLASSES),
        b2: read(params.b2),
      };
    },
    dispose() {
      tree.dispose(params);
      for (const a of [...xs, ...ys, testX]) a.dispose();
      step.dispose();
      predict.dispose();
    },
  };
}
