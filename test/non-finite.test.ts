// NonFiniteError: every refusal of a value or gradient that came out NaN or ±∞ is one
// (still a ValueError), and its fields say what a program needs to explain it — the op,
// whether it was the op's value, a gradient or an input it will not go on from, the
// first bad value (and its element), the inputs when they are numbers, the Graph node.
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, init, LogGate, MaxPool2dGate, MultiplyGate, NonFiniteError, nn, ReciprocalGate, Tensor, ValueError } from '../src/index';

beforeAll(() => init());

/** The error `run` throws, required to be a NonFiniteError. */
function refusal(run: () => unknown): NonFiniteError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error).toBeInstanceOf(ValueError);
    return error as NonFiniteError;
  }
  throw new Error('expected a NonFiniteError, nothing was thrown');
}

describe('NonFiniteError from a Graph', () => {
  it("the lecture's sigmoid circuit at w0 = 800: exp of 797 overflows, the exp node is named with its input", () => {
    const g = new Graph();
    const [w0, x0, w1, x1, w2] = [g.input('w0'), g.input('x0'), g.input('w1'), g.input('x1'), g.input('w2')];
    const dot = g.add(g.add(g.mul(w0, x0), g.mul(w1, x1)), w2);
    const e = g.exp(g.scale(dot, -1));
    g.recip(g.offset(e, 1));
    const error = refusal(() => g.forward({ w0: 800, x0: -1, w1: -3, x1: -2, w2: -3 }));
    expect(error.op).toBe('exp');
    expect(error.kind).toBe('value');
    expect(error.inputs).toEqual([-(800 * -1 + -3 * -2 + -3)]); // −(w0·x0 + w1·x1 + w2) = 797
    expect(error.value).toBe(Number.POSITIVE_INFINITY);
    expect(error.index).toBeUndefined();
    expect(error.node?.id).toBe(e.id);
    expect(error.message).toMatch(/^forward: exp#\d+ \(exp of scale#\d+ = 797\) is Infinity$/);
  });

  it('a tensor graph: log of a negative element gives NaN at that element; tensor inputs are not listed', () => {
    const g = new Graph();
    const a = g.input('a', [3]);
    const log = g.log(a);
    const error = refusal(() => g.forward({ a: [1, -2, 3] }));
    expect([error.op, error.kind, error.index, error.inputs]).toEqual(['log', 'value', 1, undefined]);
    expect(error.value).toBeNaN();
    expect(error.node?.id).toBe(log.id);
  });

  it("backward: √b at b = 0 passes back an infinite gradient, named as the pow node's gradient", () => {
    const g = new Graph();
    const b = g.input('b');
    const root = g.pow(b, 0.5);
    g.forward({ b: 0 });
    const error = refusal(() => g.backward());
    expect([error.op, error.kind, error.inputs, error.value]).toEqual(['pow', 'gradient', [0], Number.POSITIVE_INFINITY]);
    expect(error.node?.id).toBe(root.id);
  });
});

describe('NonFiniteError from a gate', () => {
  it('1/x at x = 0, on numbers: the op, its input and Infinity', () => {
    const error = refusal(() => new ReciprocalGate().forward(0));
    expect([error.op, error.kind, error.inputs, error.value, error.node]).toEqual([
      'recip',
      'value',
      [0],
      Number.POSITIVE_INFINITY,
      undefined,
    ]);
  });

  it('a product of 1e200 and 1e200 overflows float64: both inputs listed', () => {
    const error = refusal(() => new MultiplyGate().forward(1e200, 1e200));
    expect([error.op, error.inputs, error.value]).toEqual(['mul', [1e200, 1e200], Number.POSITIVE_INFINITY]);
  });

  it('1/x of a number that is not 0 but whose gradient −1/x² overflows: a gradient refusal with the cached input', () => {
    const gate = new ReciprocalGate();
    gate.forward(1e-200);
    const error = refusal(() => gate.backward(1));
    expect([error.op, error.kind, error.inputs, error.value]).toEqual(['recip', 'gradient', [1e-200], Number.NEGATIVE_INFINITY]);
  });

  it('log of a tensor with a negative element: the first bad element and its index', () => {
    const error = refusal(() => new LogGate().forward(Tensor.from([1, 2, -1, -5])));
    expect([error.op, error.kind, error.index, error.inputs]).toEqual(['log', 'value', 2, undefined]);
    expect(error.value).toBeNaN();
  });

  it('float32 tensors: an overflow in a whole vector or in the last 1–3 elements, of a value or of a gradient, is found at its element', () => {
    // The f32x4 kernels check each vector as they write it; the tail goes through the same rule, padded.
    for (const [size, at] of [
      [8, 2],
      [7, 6],
      [3, 1],
    ] as const) {
      const big = (value: number) =>
        Tensor.from(
          Array.from({ length: size }, (_, i) => (i === at ? value : 2)),
          [size],
          { dtype: 'float32' },
        );
      const product = refusal(() => new MultiplyGate().forward(big(1e30), big(1e30)));
      expect([product.op, product.kind, product.index, product.value]).toEqual(['mul', 'value', at, Number.POSITIVE_INFINITY]);
      const gate = new MultiplyGate();
      gate.forward(big(1), big(1e30));
      const gradient = refusal(() => gate.backward(big(1e30)));
      expect([gradient.op, gradient.kind, gradient.index, gradient.value]).toEqual(['mul', 'gradient', at, Number.POSITIVE_INFINITY]);
    }
  });

  it('a max pool window that lies in the padding alone (dilation 3): a max of −∞', () => {
    const gate = new MaxPool2dGate(2, { stride: 1, padding: 1, dilation: 3 });
    const error = refusal(() => gate.forward(Tensor.from(new Float32Array(4), [1, 1, 2, 2])));
    expect([error.op, error.kind, error.value]).toEqual(['maxPool2d', 'value', Number.NEGATIVE_INFINITY]);
    expect(error.index).toBeGreaterThanOrEqual(0);
  });
});

describe('NonFiniteError from a loss', () => {
  it('softmax cross-entropy refuses a logit of Infinity as an input, naming its element', () => {
    const logits = Tensor.from([
      [0, 1],
      [0, 0],
    ]);
    logits.data[2] = Number.POSITIVE_INFINITY; // Tensor.from refuses it; a diverging layer writes it
    const error = refusal(() => nn.softmaxCrossEntropy(logits, [0, 1]));
    expect([error.op, error.kind, error.index, error.value]).toEqual(['softmaxCrossEntropy', 'input', 2, Number.POSITIVE_INFINITY]);
  });

  it('mse of predictions 1e30 away from the target overflows float32: the loss refused', () => {
    const error = refusal(() => nn.mse(Tensor.from([1e30, 0]), Tensor.from([-1e30, 0])));
    expect([error.op, error.kind, error.value]).toEqual(['mse', 'value', Number.POSITIVE_INFINITY]);
  });
});
