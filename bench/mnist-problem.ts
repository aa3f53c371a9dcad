// The mnist-mlp problem as data (bench/peers/peer.ts says what it is): the seeded digits
// and the shared initial weights, made once per process. Here, apart from the suite, so
// that the profile, the threads and the soak runs take the very same problem without
// importing the suite that drives them.
import { loadMnist } from '../examples/data/mnist';
import { nn } from '../src/index';
import { BATCH, CLASSES, HIDDEN, INPUTS, type Problem, type Weights } from './peers/peer';

/** The digits and the initial weights, as plain arrays every library can take. */
export function makeProblem(): Problem {
  const { train, test } = loadMnist({ seed: 0 });
  const copy = (d: { x: { data: ArrayLike<number> }; y: Int32Array }) => ({
    x: Float32Array.from(d.x.data),
    y: Int32Array.from(d.y),
    count: d.y.length,
  });
  const problem = { train: copy(train), test: copy(test), batches: Math.floor(train.y.length / BATCH), init: initialWeights() };
  train.x.dispose();
  test.x.dispose();
  return problem;
}

/** nn.Linear's He-normal weights (seeds 1 and 2, as the demo's), biases 0. */
function initialWeights(): Weights {
  const model = new nn.Sequential([new nn.Linear(INPUTS, HIDDEN, { seed: 1 }), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES, { seed: 2 })]);
  const [w1, b1, w2, b2] = model.parameters().map((p) => Float32Array.from(p.value.data));
  return { w1, b1, w2, b2 } as Weights;
}
