// The mnist-mlp problem as data (bench/peers/peer.ts says what it is): the seeded digits
// and the shared initial weights, made once per process. Here, apart from the suite, so
// that the profile, the threads and the soak runs take the very same problem without
// importing the suite that drives them.
import { loadMnist } from '../examples/data/mnist';
import { nn } from '../src/index';
import { BATCH, CLASSES, type Digits, HIDDEN, INPUTS, type Problem, type Weights } from './peers/peer';

/** The digits and the initial weights, as plain arrays every library can take. */
export function makeProblem(): Problem {
  const { train, test } = loadDigits();
  return { train, test, batches: Math.floor(train.count / BATCH), init: initialWeights() };
}

/**
 * The 8,000 training and 2,000 test digits of loadMnist({ seed: 0 }), [count, 784] row-major,
 * as plain arrays: the MNIST suites' data (mnist-cnn reads the same rows as [count, 1, 28, 28]).
 */
export function loadDigits(): { train: Digits; test: Digits } {
  const { train, test } = loadMnist({ seed: 0 });
  const copy = (d: { x: { data: ArrayLike<number> }; y: Int32Array }): Digits => ({
    x: Float32Array.from(d.x.data),
    y: Int32Array.from(d.y),
    count: d.y.length,
  });
  const digits = { train: copy(train), test: copy(test) };
  train.x.dispose();
  test.x.dispose();
  return digits;
}

/** nn.Linear's He-normal weights (seeds 1 and 2, as the demo's), biases 0. */
function initialWeights(): Weights {
  const model = new nn.Sequential([new nn.Linear(INPUTS, HIDDEN, { seed: 1 }), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES, { seed: 2 })]);
  const [w1, b1, w2, b2] = model.parameters().map((p) => Float32Array.from(p.value.data));
  return { w1, b1, w2, b2 } as Weights;
}
