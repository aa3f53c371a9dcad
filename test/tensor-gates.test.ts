// The gates on Tensors: every one gradchecked in float64 over random shapes and checked
// against the lecture's rule in closed form (float64, and float32's vector kernels), the
// lecture's vectorized example, gates composed by hand where a tensor is used twice
// (gradients add at forks), and the shape errors.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AddGate,
  DivGate,
  type GradInput,
  gradcheck,
  init,
  jacobian,
  L2Gate,
  MatMulGate,
  MaxoutGate,
  MeanGate,
  MultiplyGate,
  ReluGate,
  ShapeError,
  SigmoidGate,
  SoftmaxCrossEntropyGate,
  SoftmaxGate,
  SubGate,
  SumGate,
  SvmLossGate,
  Tensor,
  ValueError,
} from '../src/index';
import { expectNear, GATES, RULE_GATES, rng, svmReference } from './helpers';

beforeAll(() => init());

const f64 = (shape: number[], values: (i: number) => number) =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => values(i)),
    shape,
    { dtype: 'float64' },
  );

/** L = Σ w ⊙ y for fixed random w, so every output element carries its own weight. */
function weightedLoss(y: Tensor, w: Tensor): number {
  let total = 0;
  for (let i = 0; i < y.size; i++) total += (y.data[i] as number) * (w.data[i] as number);
  return total;
}

describe.each(GATES)('$name on float64 tensors', ({ make, sample }) => {
  it('passes gradcheck on random shapes', () => {
    const random = rng(21);
    for (const shape of [[1], [7], [3, 5], [4, 1, 3]]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const points = Array.from({ length: size }, () => sample(random));
      const inputs = (points[0] as number[]).map((_, k) => f64(shape, (i) => (points[i] as number[])[k] as number));
      const w = f64(shape, () => random() * 2 - 1);
      const gate = make();
      const result = gradcheck((xs) => {
        const y = (gate.forward as (...t: Tensor[]) => Tensor)(...(xs as Tensor[]));
        return { value: weightedLoss(y, w), grads: (gate.backward as (d: Tensor) => Tensor[])(w) };
      }, inputs);
      expect(result.ok, `${shape}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });
});

type TensorGate = { forward: (...xs: Tensor[]) => Tensor; backward: (dout: Tensor) => Tensor[] };

describe.each(RULE_GATES)('$name on tensors, against the lecture’s rule in closed form', ({ make, rule, points, onKink = [] }) => {
  it.each(['float64', 'float32'] as const)(
    '%s: values and gradients on both sides of any kink, and on it by the documented tie rule',
    (dtype) => {
      const round = dtype === 'float32' ? Math.fround : (v: number) => v;
      // float32 runs the f32x4 rules (assembly/rules-f32x4.ts): within a few roundings of float64.
      const tolerance = dtype === 'float64' ? 1e-12 : 1e-5;
      const all = [...points, ...onKink];
      // 11 elements: two whole f32x4 vectors and a tail of 3, every point in the vectors.
      const at = Array.from({ length: 11 }, (_, i) => (all[i % all.length] as number[]).map(round));
      const dout = at.map((_, i) => round(((i * 7) % 11) / 5 - 1.1));
      const inputs = (at[0] as number[]).map((_, k) =>
        Tensor.from(
          at.map((p) => p[k] as number),
          [11],
          { dtype },
        ),
      );
      const gate = make() as TensorGate;
      const out = gate.forward(...inputs).data;
      const grads = gate.backward(Tensor.from(dout, [11], { dtype })).map((grad) => Array.from(grad.data));
      // A second backward of the same forward gives the same gradients: they are written, not added to the last.
      const again = gate.backward(Tensor.from(dout, [11], { dtype })).map((grad) => Array.from(grad.data));
      expect(again).toEqual(grads);
      at.forEach((point, i) => {
        const expected = rule(point);
        expectNear(out[i] as number, expected.value, tolerance, `f(${point})`);
        grads.forEach((grad, k) => {
          expectNear(grad[i] as number, (dout[i] as number) * (expected.grads[k] as number), tolerance, `d${k}[${i}] at ${point}`);
        });
      });
    },
  );
});

describe('gradients add at forks: tensor gates composed by hand', () => {
  const random = rng(404);
  const randn = (shape: number[]) => f64(shape, () => random() * 2 - 1);
  /** The caller's part at a fork: the shares of one tensor, added element by element. */
  const plus = (...shares: Tensor[]) =>
    Float64Array.from((shares[0] as Tensor).data, (_, i) => shares.reduce((s, t) => s + (t.data[i] as number), 0));

  it('matmul(x, x), x square: the gate’s dA and dB are both x’s, and the caller adds them', () => {
    const gate = new MatMulGate();
    const w = randn([3, 3]);
    const result = gradcheck(
      ([x]) => {
        const value = weightedLoss(gate.forward(x, x), w);
        const [dA, dB] = gate.backward(w);
        return { value, grads: [plus(dA, dB)] };
      },
      [randn([3, 3])],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('x feeds a matmul and an add, z = x·W + x: dx = dz·Wᵀ + dz', () => {
    const [matmul, add] = [new MatMulGate(), new AddGate()];
    const w = randn([4, 3]);
    const result = gradcheck(
      ([x, W]) => {
        const value = weightedLoss(add.forward(matmul.forward(x, W), x), w);
        const [dq, dxAdd] = add.backward(w);
        const [dxMatmul, dW] = matmul.backward(dq);
        return { value, grads: [plus(dxMatmul, dxAdd), Float64Array.from(dW.data)] };
      },
      [randn([4, 3]), randn([3, 3])],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('x·x·x through two MatMulGates: x is three operands, its three shares add', () => {
    const [inner, outer] = [new MatMulGate(), new MatMulGate()];
    const w = randn([3, 3]);
    const result = gradcheck(
      ([x]) => {
        const value = weightedLoss(outer.forward(inner.forward(x, x), x), w);
        const [dSquare, dxOuter] = outer.backward(w);
        const [dA, dB] = inner.backward(dSquare);
        return { value, grads: [plus(dxOuter, dA, dB)] };
      },
      [randn([3, 3])],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('a row b used three times, f = Σ w ⊙ (x·b + b)·b, each broadcast down the rows: its three shares add', () => {
    const [inner, add, outer] = [new MultiplyGate(), new AddGate(), new MultiplyGate()];
    const w = randn([2, 3]);
    const result = gradcheck(
      ([x, b]) => {
        const value = weightedLoss(outer.forward(add.forward(inner.forward(x, b), b), b), w);
        const [dSum, dbOuter] = outer.backward(w);
        const [dProduct, dbAdd] = add.backward(dSum);
        const [dx, dbInner] = inner.backward(dProduct);
        return { value, grads: [Float64Array.from(dx.data), plus(dbOuter, dbAdd, dbInner)] };
      },
      [randn([2, 3]), randn([3])],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});

describe('a row-broadcast bias', () => {
  it.each([
    ['add', () => new AddGate()],
    ['sub', () => new SubGate()],
    ['mul', () => new MultiplyGate()],
    ['div', () => new DivGate()],
  ] as const)('%s: y of shape [cols] broadcasts down the rows; its gradient sums them', (_, make) => {
    const random = rng(3);
    const x = f64([4, 3], () => random() * 4 - 2);
    const b = f64([3], () => (random() < 0.5 ? -1 : 1) * (0.5 + random()));
    const w = f64([4, 3], () => random() * 2 - 1);
    const gate = make();
    const result = gradcheck(
      (xs: GradInput[]) => {
        const y = gate.forward(xs[0] as Tensor, xs[1] as Tensor);
        return { value: weightedLoss(y, w), grads: gate.backward(w) };
      },
      [x, b],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    expect(gate.backward(w)[1]?.shape).toEqual([3]);
  });

  it('a [1, cols] row works too; any other shape is a ShapeError naming both', () => {
    const x = Tensor.zeros([2, 3]);
    expect(new AddGate().forward(x, Tensor.ones([1, 3])).toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(() => new AddGate().forward(x, Tensor.ones([2]))).toThrow(ShapeError);
    expect(() => new AddGate().forward(x, Tensor.ones([2]))).toThrow(
      "AddGate.forward: [2,3] and [2]: y must have x's shape or be a row of 3 values",
    );
    expect(() => new AddGate().forward(x, Tensor.ones([3], { dtype: 'float64' }))).toThrow(
      'AddGate.forward: dtypes differ: x is float32, y is float64',
    );
    expect(() => new AddGate().forward(x, 1 as never)).toThrow('AddGate.forward: y must be a Tensor, got 1');
  });
});

describe('f(x, W) = ‖W·x‖², the lecture’s vectorized example', () => {
  it('q = [0.22, 0.26], f = 0.116, ∇W = [[0.088, 0.176], [0.104, 0.208]], ∇x = [−0.112, 0.636]', () => {
    const W = Tensor.from([
      [0.1, 0.5],
      [-0.3, 0.8],
    ]);
    const x = Tensor.from([[0.2], [0.4]]);
    const matmul = new MatMulGate();
    const l2 = new L2Gate();
    const q = matmul.forward(W, x);
    const f = l2.forward(q);
    expect(Array.from(q.data)).toEqual([0.22, 0.26].map((v) => expect.closeTo(v, 6)));
    expect(f).toBeCloseTo(0.116, 6);
    const [dq] = l2.backward(1);
    expect(Array.from(dq.data)).toEqual([0.44, 0.52].map((v) => expect.closeTo(v, 6))); // 2q
    const [dW, dx] = matmul.backward(dq);
    expect(dW.toArray()).toEqual([
      [expect.closeTo(0.088, 6), expect.closeTo(0.176, 6)],
      [expect.closeTo(0.104, 6), expect.closeTo(0.208, 6)],
    ]);
    expect(Array.from(dx.data)).toEqual([expect.closeTo(-0.112, 6), expect.closeTo(0.636, 6)]);
  });
});

describe('matrix and reduction gates pass gradcheck (float64)', () => {
  const random = rng(77);
  const randn = (shape: number[]) => f64(shape, () => random() * 2 - 1);

  it('MatMulGate, ragged shapes', () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 2],
      [7, 4, 9],
    ] as const) {
      const a = randn([m, k]);
      const b = randn([k, n]);
      const w = randn([m, n]);
      const gate = new MatMulGate();
      const result = gradcheck(
        (xs) => ({ value: weightedLoss(gate.forward(xs[0] as Tensor, xs[1] as Tensor), w), grads: gate.backward(w) }),
        [a, b],
      );
      expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    }
  });

  it('SumGate and MeanGate over everything and along each axis; L2Gate', () => {
    const x = randn([4, 3]);
    for (const gate of [new SumGate(), new MeanGate()]) {
      const result = gradcheck((xs) => ({ value: 0.7 * gate.forward(xs[0] as Tensor), grads: gate.backward(0.7) }), [x]);
      expect(result.ok).toBe(true);
    }
    for (const axis of [0, 1] as const) {
      for (const gate of [new SumGate({ axis }), new MeanGate({ axis })]) {
        const w = randn([axis === 0 ? 3 : 4]);
        const result = gradcheck((xs) => ({ value: weightedLoss(gate.forward(xs[0] as Tensor), w), grads: gate.backward(w) }), [x]);
        expect(result.ok, `axis ${axis}`).toBe(true);
      }
    }
    const l2 = new L2Gate();
    expect(gradcheck((xs) => ({ value: l2.forward(xs[0] as Tensor), grads: l2.backward(1) }), [x]).ok).toBe(true);
  });

  it('SoftmaxGate, SoftmaxCrossEntropyGate and SvmLossGate', () => {
    const z = randn([5, 4]);
    const labels = Int32Array.from([0, 3, 1, 1, 2]);
    const softmax = new SoftmaxGate();
    const w = randn([5, 4]);
    expect(gradcheck((xs) => ({ value: weightedLoss(softmax.forward(xs[0] as Tensor), w), grads: softmax.backward(w) }), [z]).ok).toBe(
      true,
    );
    const ce = new SoftmaxCrossEntropyGate();
    expect(gradcheck((xs) => ({ value: ce.forward(xs[0] as Tensor, labels), grads: ce.backward(1) }), [z]).ok).toBe(true);
    const svm = new SvmLossGate();
    // Scores spread so that no margin sits at its kink.
    const s = f64([5, 4], (i) => ((i * 7919) % 23) * 0.37 - 4);
    expect(gradcheck((xs) => ({ value: svm.forward(xs[0] as Tensor, labels), grads: svm.backward(1) }), [s]).ok).toBe(true);
  });

  it('MaxoutGate routes to the winner it cached', () => {
    const z = f64([3, 6], (i) => ((i * 37) % 11) - 5 + i * 0.01);
    const gate = new MaxoutGate(3);
    const w = randn([3, 2]);
    const result = gradcheck((xs) => ({ value: weightedLoss(gate.forward(xs[0] as Tensor), w), grads: gate.backward(w) }), [z]);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    gate.forward(z);
    const winners = Array.from(gate.winnerIndices);
    const zs = z.toArray() as number[][];
    winners.forEach((j, i) => {
      const row = zs[Math.floor(i / 2)] as number[];
      const group = row.slice((i % 2) * 3, (i % 2) * 3 + 3);
      expect(j).toBe(group.indexOf(Math.max(...group)));
    });
  });
});

describe('softmax cross-entropy', () => {
  it('is stable for huge logits and matches −log softmax', () => {
    const gate = new SoftmaxCrossEntropyGate();
    const loss = gate.forward(Tensor.from([[1000, 0, -1000]], undefined, { dtype: 'float64' }), [1]);
    expect(loss).toBeCloseTo(1000, 9);
    const z = [0.5, -1, 2];
    const expected = -(z[0] as number) + Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    expect(gate.forward(Tensor.from([z], undefined, { dtype: 'float64' }), [0])).toBeCloseTo(expected, 12);
  });

  it('labels must be class indices, one per row', () => {
    const gate = new SoftmaxCrossEntropyGate();
    const z = Tensor.zeros([2, 3]);
    expect(() => gate.forward(z, [0])).toThrow('SoftmaxCrossEntropyGate.forward: 1 labels for 2 rows');
    expect(() => gate.forward(z, [0, 3])).toThrow('SoftmaxCrossEntropyGate.forward: label 1 is 3, not a class index in [0, 3)');
    expect(() => gate.forward(z, 'ab' as never)).toThrow(ValueError);
    expect(() => gate.backward()).toThrow(/called before forward/);
  });
});

describe('jacobian', () => {
  it('of an elementwise gate is diagonal: yᵢ depends on xᵢ alone', () => {
    const x = f64([5], (i) => i - 2);
    const J = jacobian(new SigmoidGate(), x).toArray() as number[][];
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        if (i !== j) expect(J[i]?.[j]).toBe(0);
      }
      const s = 1 / (1 + Math.exp(-(i - 2)));
      expect(J[i]?.[i]).toBeCloseTo(s * (1 - s), 12);
    }
    const relu = jacobian(
      new ReluGate(),
      f64([3], (i) => i - 1),
    ).toArray();
    expect(relu).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
  });

  it('of softmax is full: J = diag(y) − y·yᵀ', () => {
    const x = f64([1, 3], (i) => i * 0.5);
    const J = jacobian(new SoftmaxGate(), x).toArray() as number[][];
    const e = [0, 0.5, 1].map(Math.exp);
    const y = e.map((v) => v / e.reduce((s, t) => s + t, 0));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) expect(J[i]?.[j]).toBeCloseTo((i === j ? (y[i] as number) : 0) - (y[i] as number) * (y[j] as number), 12);
    }
  });
});

describe('SvmLossGate on the margin', () => {
  // Two classes sit exactly on the margin (s_c − s_y + 1 = 0): each adds max(0, 0) = 0 to
  // the loss, and so nothing to the gradient; the others are past it or short of it.
  const scores = [
    [3, 2, 0.5],
    [1, 1.5, 2],
    [0, -1, 0.25],
  ];
  const labels = [0, 2, 1];

  it.each(['float32', 'float64'] as const)('a class exactly on it gets no gradient, as max(0, ·) at 0 (%s)', (dtype) => {
    const expected = svmReference(scores, labels, 1);
    expect(expected.ties).toBe(2);
    const gate = new SvmLossGate();
    expect(gate.forward(Tensor.from(scores, undefined, { dtype }), labels)).toBeCloseTo(expected.loss, 6);
    const [ds] = gate.backward(1);
    expect(ds?.toArray()).toEqual(expected.grad.map((row) => row.map((v) => expect.closeTo(v, 6))));
  });
});

describe('softmax and maxout at their edges', () => {
  it('SoftmaxGate on float32 logits 200 apart (e²⁰⁰ overflows float32): each row is shifted by its max', () => {
    const z = [
      [100, 0, -100],
      [-50, 50, 0],
    ];
    const y = new SoftmaxGate().forward(Tensor.from(z)).toArray() as number[][];
    z.forEach((row, r) => {
      const top = Math.max(...row);
      const e = row.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      expect(y[r]).toEqual(e.map((v) => expect.closeTo(v / sum, 6)));
    });
  });

  it('MaxoutGate gives a tie to the first of the tied pieces, in forward’s winners and in backward', () => {
    // Two units of k = 3: pieces 1 and 2 tie in the first, pieces 0 and 1 in the second.
    const gate = new MaxoutGate(3);
    const out = gate.forward(Tensor.from([[1, 3, 3, 2, 2, 0]], undefined, { dtype: 'float64' }));
    expect(out.toArray()).toEqual([[3, 2]]);
    expect(Array.from(gate.winnerIndices)).toEqual([1, 0]);
    const [dz] = gate.backward(Tensor.from([[0.5, -2]], undefined, { dtype: 'float64' }));
    expect(dz?.toArray()).toEqual([[0, 0.5, 0, -2, 0, 0]]);
  });
});
