// jax-js (@jax-js/jax) for mnist-cnn: the whole step — forward, loss, valueAndGrad, SGD
// update — is one jit-compiled function, on the wasm backend, 1 thread (as jax.ts for the
// MLP). Two forms of the same net:
//
// - 'lax': as JAX code writes a CNN: lax.convGeneralDilated (NCHW, OIHW weights, the
//   layouts of PyTorch) and max-pooling by lax.reduceWindow(x, max, window, strides).
// - 'im2col': the convolutions written by hand as im2col + one matmul each, over
//   channels-last activations (the windows are 25 slices of the padded input, stacked;
//   the matmul's output is the next layer's input without a transpose), and the pools as
//   reshapes + max (the windows tile the map). jax-js's best form of the net here: its
//   conv and reduceWindow lower to loops that its matmul outruns (bench/README.md).
//
// ReLU is np.maximum(0, x), not nn.relu(x) (= np.maximum(x, 0)): jax-js's max sends the
// gradient to its first operand on ties, so nn.relu has slope 1 at 0 where PyTorch,
// wasmgrad, numpy, ConvNetJS and TensorFlow.js have 0. On this net that is not a detail:
// the digits' blank background and the zero initial biases make many pre-activations
// exactly 0, and with nn.relu the first update of the conv biases is off from the float64
// reference's by 114% (first conv) and 5% (second); the weights, which meet blank
// pixels there, agree. With the constant first, it is the same step, at the same cost.
//
// jax-js counts references: a function consumes its array arguments, so arrays used
// again are passed as `.ref`. Reading each step's loss (dataSync) waits for the step, as
// the MLP peer does: left to queue, jax-js slows down.
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
  S1,
  SIDE,
} from './cnn';
import { loadJax } from './jax';
import { argmaxRow, type Problem, transpose } from './peer';

type JaxArray = import('@jax-js/jax').numpy.Array;
type Params = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray; w3: JaxArray; b3: JaxArray };

export type JaxCnnForm = 'lax' | 'im2col';

export async function jaxCnnPeer(problem: Problem<CnnWeights>, form: JaxCnnForm): Promise<CnnPeer> {
  const { jax, version } = await loadJax();
  const { jit, nn, numpy: np, tree, valueAndGrad } = jax;
  const { w3Layout, logits } = form === 'lax' ? laxForm(jax) : im2colForm(jax);

  // Conv weights in PyTorch's layout, [out, in, 5, 5]; the fc weight as x·W, [256, 10],
  // its rows in the order the form flattens.
  const upload = (w: CnnWeights): Params => ({
    w1: np.array(w.conv1w, { shape: [C1, 1, KERNEL, KERNEL] }),
    b1: np.array(w.conv1b, { shape: [C1] }),
    w2: np.array(w.conv2w, { shape: [C2, C1, KERNEL, KERNEL] }),
    b2: np.array(w.conv2b, { shape: [C2] }),
    w3: np.array(transpose(w3Layout.to(w.fcw), CLASSES, FLAT), { shape: [FLAT, CLASSES] }),
    b3: np.array(w.fcb, { shape: [CLASSES] }),
  });
  // [N, 1, 28, 28] for the lax form; the im2col form reshapes it to [N, 28, 28, 1] (the same data).
  const inputShape = (n: number) => (form === 'lax' ? [n, 1, SIDE, SIDE] : [n, SIDE, SIDE, 1]);
  const pixels = SIDE * SIDE;
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    np.array(problem.train.x.subarray(b * CNN_BATCH * pixels, (b + 1) * CNN_BATCH * pixels), { shape: inputShape(CNN_BATCH) }),
  );
  const ys = Array.from({ length: problem.batches }, (_, b) => {
    const y = new Float32Array(CNN_BATCH * CLASSES);
    for (let i = 0; i < CNN_BATCH; i++) y[i * CLASSES + (problem.train.y[b * CNN_BATCH + i] as number)] = 1;
    return np.array(y, { shape: [CNN_BATCH, CLASSES] });
  });
  // The test digits in blocks of 500: the forward's intermediates of 2,000 at once are large.
  const TEST_BLOCK = 500;
  const testXs = Array.from({ length: Math.ceil(problem.test.count / TEST_BLOCK) }, (_, i) => {
    const from = i * TEST_BLOCK;
    const to = Math.min(problem.test.count, from + TEST_BLOCK);
    return np.array(problem.test.x.subarray(from * pixels, to * pixels), { shape: inputShape(to - from) });
  });

  // Mean over the batch of −log softmax(logits)[label].
  const loss = (p: Params, x: JaxArray, y: JaxArray): JaxArray =>
    nn
      .logSoftmax(logits(p, x))
      .mul(y)
      .sum()
      .mul(-1 / CNN_BATCH);
  const step = jit((p: Params, x: JaxArray, y: JaxArray): [Params, JaxArray] => {
    const [value, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    const next = {} as Params;
    for (const key of Object.keys(p) as (keyof Params)[]) next[key] = p[key].sub(g[key].mul(CNN_LEARNING_RATE));
    return [next, value];
  });
  const predict = jit(logits);

  let params = upload(problem.init);
  let lastLoss = Number.NaN;
  const read = (a: JaxArray) => Float32Array.from(a.ref.dataSync() as Float32Array);
  return {
    id: form === 'lax' ? 'jax-js (conv_general_dilated)' : 'jax-js (im2col)',
    label:
      form === 'lax'
        ? `@jax-js/jax ${version}: lax.convGeneralDilated + lax.reduceWindow max, the whole step under jit(valueAndGrad), wasm backend, 1 thread`
        : `@jax-js/jax ${version}: convs as im2col (25 slices, stacked) + matmul, pools as reshape + max, channels last; the whole step under jit(valueAndGrad), wasm backend, 1 thread`,
    reset() {
      tree.dispose(params);
      params = upload(problem.init);
    },
    train(first, count) {
      for (let i = 0; i < count; i++) {
        const b = (first + i) % problem.batches;
        let value: JaxArray;
        [params, value] = step(params, (xs[b] as JaxArray).ref, (ys[b] as JaxArray).ref);
        lastLoss = (value.dataSync() as Float32Array)[0] as number;
      }
    },
    loss() {
      return lastLoss;
    },
    accuracy() {
      let correct = 0;
      testXs.forEach((x, i) => {
        const scores = predict(tree.ref(params), x.ref).dataSync() as Float32Array;
        const rows = scores.length / CLASSES;
        for (let r = 0; r < rows; r++) if (argmaxRow(scores, r * CLASSES, CLASSES) === problem.test.y[i * TEST_BLOCK + r]) correct++;
      });
      return correct / problem.test.count;
    },
    weights() {
      return {
        conv1w: read(params.w1),
        conv1b: read(params.b1),
        conv2w: read(params.w2),
        conv2b: read(params.b2),
        fcw: w3Layout.from(transpose(read(params.w3), FLAT, CLASSES)),
        fcb: read(params.b3),
      };
    },
    dispose() {
      tree.dispose(params);
      for (const a of [...xs, ...ys, ...testXs]) a.dispose();
      step.dispose();
      predict.dispose();
    },
  };
}

type Jax = Awaited<ReturnType<typeof loadJax>>['jax'];

/** max(0, x) with slope 0 at 0 (see the top of the file). */
const relu = (np: Jax['numpy'], x: JaxArray) => np.maximum(0, x);

interface Form {
  /** The fc weight [10, 256] from PyTorch's flatten order to the form's, and back. */
  w3Layout: { to: (w: Float32Array) => Float32Array; from: (w: Float32Array) => Float32Array };
  logits: (p: Params, x: JaxArray) => JaxArray;
}

const same = (w: Float32Array) => w;

/** NCHW throughout, as PyTorch: the flatten is PyTorch's own order. */
function laxForm(jax: Jax): Form {
  const { lax, numpy: np } = jax;
  const conv = (x: JaxArray, w: JaxArray, b: JaxArray, channels: number) =>
    lax
      .convGeneralDilated(
        x,
        w,
        [1, 1],
        [
          [PAD, PAD],
          [PAD, PAD],
        ],
      )
      .add(b.reshape([1, channels, 1, 1]));
  const pool = (x: JaxArray, k: number) => lax.reduceWindow(x, (window) => np.max(window), [k, k], [k, k]);
  return {
    w3Layout: { to: same, from: same },
    logits(p, x) {
      const n = x.shape[0] as number;
      const h1 = pool(relu(np, conv(x, p.w1, p.b1, C1)), 2);
      const h2 = pool(relu(np, conv(h1, p.w2, p.b2, C2)), 3);
      return np.matmul(h2.reshape([n, FLAT]), p.w3).add(p.b3);
    },
  };
}

/** Channels last ([N, H, W, C]); the fc weight's inputs in the (y, x, c) order. */
function im2colForm(jax: Jax): Form {
  const { numpy: np } = jax;
  // [N, H, W, C] → [N·H·W, C·25], columns in (c, ky, kx) order: a conv weight [out, in, 5, 5]
  // reshaped to [out, in·25] is the matrix the rows meet.
  const im2col = (x: JaxArray, side: number, channels: number) => {
    const n = x.shape[0] as number;
    const padded = np.pad(x, [
      [0, 0],
      [PAD, PAD],
      [PAD, PAD],
      [0, 0],
    ]);
    const windows: JaxArray[] = [];
    for (let ky = 0; ky < KERNEL; ky++)
      for (let kx = 0; kx < KERNEL; kx++) windows.push(padded.ref.slice([], [ky, ky + side], [kx, kx + side], []));
    padded.dispose();
    return np.stack(windows, 4).reshape([n * side * side, channels * KERNEL * KERNEL]);
  };
  const conv = (x: JaxArray, w: JaxArray, b: JaxArray, side: number, inC: number, outC: number) => {
    const n = x.shape[0] as number;
    const wm = w.reshape([outC, inC * KERNEL * KERNEL]).transpose([1, 0]);
    return np
      .matmul(im2col(x, side, inC), wm)
      .add(b)
      .reshape([n, side, side, outC]);
  };
  // Max over k×k windows that tile the top-left (side / k)·k square.
  const pool = (x: JaxArray, k: number, side: number, channels: number) => {
    const n = x.shape[0] as number;
    const out = Math.floor(side / k);
    const tiled = out * k === side ? x : x.slice([], [0, out * k], [0, out * k], []);
    return tiled.reshape([n, out, k, out, k, channels]).max([2, 4]);
  };
  return {
    w3Layout: { to: fcToChannelsLast, from: fcFromChannelsLast },
    logits(p, x) {
      const n = x.shape[0] as number;
      const h1 = pool(relu(np, conv(x, p.w1, p.b1, SIDE, 1, C1)), 2, SIDE, C1);
      const h2 = pool(relu(np, conv(h1, p.w2, p.b2, S1, C1, C2)), 3, S1, C2);
      return np.matmul(h2.reshape([n, FLAT]), p.w3).add(p.b3);
    },
  };
}
