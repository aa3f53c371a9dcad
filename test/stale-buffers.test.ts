// Buffers you do not own: a gate, layer or loss reuses its result buffers, so a result
// kept past the next call — by the user, or by the next layer's cache — is stale. Using
// it is a StateError that names who overwrote it, never a silent read of newer numbers,
// and never a backward that differentiates a forward other than its own.
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, init, MatMulGate, MultiplyGate, nn, ReluGate, StateError, Tensor } from '../src/index';

beforeAll(() => init());

const mlp = () => new nn.Sequential([new nn.Linear(6, 8, { seed: 1 }), new nn.ReLU(), new nn.Linear(8, 3, { seed: 2 })]);
const batch = (rows: number, seed: number) => Tensor.randn([rows, 6], { seed });
const labels = (rows: number) => Int32Array.from({ length: rows }, (_, i) => i % 3);
const weights = (model: nn.Sequential) => model.parameters().map((p) => Array.from(p.value.data));

/** One SGD step on (x, y); `between` runs after the loss and before backward. */
function step(model: nn.Sequential, x: Tensor, y: Int32Array, between: () => void = () => {}): void {
  const optimizer = new nn.SGD(model.parameters(), { lr: 0.5 });
  optimizer.zeroGrad();
  const { dlogits } = nn.softmaxCrossEntropy(model.forward(x), y);
  between();
  model.backward(dlogits);
  optimizer.step();
}

describe('a result kept past the next call of its gate', () => {
  it('is stale: reading it names the gate that overwrote it', () => {
    const relu = new ReluGate();
    const first = relu.forward(Tensor.from([-1, 2]));
    expect(first.toArray()).toEqual([0, 2]);
    const second = relu.forward(Tensor.from([3, -4]));
    expect(second.toArray()).toEqual([3, 0]);
    expect(first.stale).toBe(true);
    expect(() => first.toArray()).toThrow(StateError);
    expect(() => first.toArray()).toThrow('has been overwritten since by a later ReluGate.forward; clone() a result you want to keep');
    expect(() => new ReluGate().forward(first)).toThrow(/^ReluGate\.forward: x is stale/);
  });

  it('kept with clone(), it keeps its numbers', () => {
    const relu = new ReluGate();
    const kept = relu.forward(Tensor.from([-1, 2])).clone();
    relu.forward(Tensor.from([3, -4]));
    expect(kept.toArray()).toEqual([0, 2]);
  });

  it("as another gate's cached input, makes that gate's backward a StateError", () => {
    const relu = new ReluGate();
    const mul = new MultiplyGate();
    const y = Tensor.from([2, 2]);
    mul.forward(relu.forward(Tensor.from([1, -1])), y);
    relu.forward(Tensor.from([5, 5])); // overwrites mul's cached x
    expect(() => mul.backward(Tensor.from([1, 1]))).toThrow(
      /^MultiplyGate\.backward: x, kept by the forward this backward differentiates, has been overwritten since by a later ReluGate\.forward/,
    );
    // add reads no input: what it kept is only a shape, so its backward still holds
    const matmul = new MatMulGate();
    matmul.forward(relu.forward(Tensor.from([[1, 2]])), Tensor.from([[1], [1]]));
    relu.forward(Tensor.from([[0, 0]]));
    expect(() => matmul.backward(Tensor.from([[1]]))).toThrow(/^MatMulGate\.backward: A, kept by the forward/);
  });

  it('Tensor.set on a cached input of yours is caught the same way', () => {
    const mul = new MultiplyGate();
    const x = Tensor.from([1, 2]);
    mul.forward(x, Tensor.from([3, 4]));
    x.set([5, 6]);
    expect(() => mul.backward(Tensor.from([1, 1]))).toThrow(/x, kept by the forward .* overwritten since by Tensor\.set/);
  });
});

describe("a Graph's tensor values and gradients", () => {
  it('are valid until the next forward (values) or backward (gradients)', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const y = g.relu(x);
    g.output(g.sum(y));
    g.forward({ x: [1, -2] });
    const value = g.value(y);
    g.backward();
    const grad = g.grad(x);
    expect([value.toArray(), grad.toArray()]).toEqual([
      [1, 0],
      [1, 0],
    ]);
    g.forward({ x: [-3, 4] });
    expect(() => value.toArray()).toThrow('has been overwritten since by a later Graph.forward');
    expect(grad.toArray()).toEqual([1, 0]); // no backward yet: still the last one's
    g.backward();
    expect(() => grad.toArray()).toThrow('has been overwritten since by a later Graph.backward');
    expect([g.value(y).toArray(), g.grad(x).toArray()]).toEqual([
      [0, 4],
      [0, 1],
    ]);
  });

  it('every handle is overwritten by the next forward: the first node’s value too, and two reads of one value', () => {
    const g = new Graph();
    const x = g.input('x', [2]); // node 0
    const y = g.relu(x);
    g.output(g.sum(y));
    g.forward({ x: [1, -2] });
    const [xv, first, second] = [g.value(x), g.value(y), g.value(y)];
    g.backward();
    // A backward rewrites gradients only: values stay readable.
    expect([xv.toArray(), first.toArray(), second.toArray()]).toEqual([
      [1, -2],
      [1, 0],
      [1, 0],
    ]);
    g.forward({ x: [3, 4] });
    for (const handle of [xv, first, second]) {
      expect(() => handle.toArray()).toThrow('has been overwritten since by a later Graph.forward');
    }
    expect(g.value(x).toArray()).toEqual([3, 4]);
  });

  it('are freed with the graph: after dispose, and after it grows (a new program), reading one is a StateError', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const y = g.relu(x);
    g.output(g.sum(y));
    g.forward({ x: [1, -2] });
    const before = g.value(y);
    g.backward();
    const grad = g.grad(x);
    g.exp(y); // the graph grows: the next forward compiles a new program and frees the old
    g.forward({ x: [1, -2] });
    expect(() => before.toArray()).toThrow(StateError);
    expect(() => grad.toArray()).toThrow(/^toArray: Tensor \[2\] has been disposed$/);
    const kept = g.value(y);
    g.dispose();
    expect(() => kept.toArray()).toThrow(/^toArray: Tensor \[2\] has been disposed$/);
  });
});

describe('a model evaluated between forward and backward', () => {
  // Made in the tests: describe bodies run before init().
  const train = () => batch(4, 10);
  const validation = () => batch(4, 11);

  it('with forward and a loss on the validation batch: a StateError, and the weights stay as they were', () => {
    const model = mlp();
    const before = weights(model);
    expect(() =>
      step(model, train(), labels(4), () => {
        nn.softmaxCrossEntropy(model.forward(validation()), labels(4));
      }),
    ).toThrow(StateError);
    expect(weights(model)).toEqual(before);
  });

  it('with forward only (no loss), the gradient no longer matches the caches: a StateError naming the layer', () => {
    const model = mlp();
    expect(() => step(model, train(), labels(4), () => model.forward(validation()))).toThrow(
      /^Linear\.backward: dout is the gradient of an output of an earlier Linear\.forward: a later Linear\.forward has run since/,
    );
  });

  it('with a validation batch of another size: the same StateError, not a confusing "disposed"', () => {
    const model = mlp();
    expect(() =>
      step(model, train(), labels(4), () => {
        nn.softmaxCrossEntropy(model.forward(batch(7, 12)), labels(7));
      }),
    ).toThrow(/overwritten since by a later softmaxCrossEntropy call/);
  });

  it('with model.predict and nn.evaluate: the same update as without evaluating', () => {
    const plain = mlp();
    step(plain, train(), labels(4));
    const evaluated = mlp();
    step(evaluated, train(), labels(4), () => {
      const scores = evaluated.predict(validation());
      nn.softmaxCrossEntropy(scores, labels(4));
      nn.evaluate(evaluated, { x: validation(), y: labels(4) });
    });
    expect(weights(evaluated)).toEqual(weights(plain));
  });

  it('predict gives what forward gives', () => {
    const model = mlp();
    const expected = Array.from(model.forward(validation()).data);
    expect(Array.from(model.predict(validation()).data)).toEqual(expected);
  });
});

describe('loss gradients belong to where the scores came from', () => {
  it('two models: each keeps its own dlogits', () => {
    const [a, b] = [mlp(), new nn.Sequential([new nn.Linear(6, 3, { seed: 9 })])];
    const x = batch(4, 20);
    const alone = mlp();
    step(alone, x, labels(4));
    const optimizer = new nn.SGD(a.parameters(), { lr: 0.5 });
    optimizer.zeroGrad();
    const { dlogits } = nn.softmaxCrossEntropy(a.forward(x), labels(4));
    nn.softmaxCrossEntropy(b.forward(x), Int32Array.from([2, 2, 2, 2])); // another model's loss in between
    a.backward(dlogits);
    optimizer.step();
    expect(weights(a)).toEqual(weights(alone));
  });

  it('a loss on scores of yours does not touch the gradient of another tensor of yours', () => {
    const first = nn.softmaxCrossEntropy(Tensor.from([[1, 2, 3]]), [0]).dlogits;
    const expected = first.toArray();
    nn.softmaxCrossEntropy(Tensor.from([[3, 2, 1]]), [2]);
    expect(first.toArray()).toEqual(expected);
  });
});

describe("a model's input gradient", () => {
  it('is computed only when asked: backward returns null, { inputGrad: true } returns it', () => {
    const model = mlp();
    const x = batch(2, 30);
    const { dlogits } = nn.softmaxCrossEntropy(model.forward(x), labels(2));
    expect(model.backward(dlogits)).toBeNull();
    const again = nn.softmaxCrossEntropy(model.forward(x), labels(2)).dlogits;
    const dx = model.backward(again, { inputGrad: true });
    expect(dx.shape).toEqual([2, 6]);
    // dx = dout·W through the layers: check one element against a finite difference of the loss
    const eps = 1e-2;
    const lossAt = (delta: number) => {
      const shifted = Tensor.from(
        Float32Array.from(x.data, (v, i) => (i === 0 ? v + delta : v)),
        [2, 6],
      );
      return nn.softmaxCrossEntropy(model.predict(shifted), labels(2)).loss;
    };
    const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
    expect(dx.data[0]).toBeCloseTo(numeric, 3);
  });
});
