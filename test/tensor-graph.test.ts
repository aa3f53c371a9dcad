// Graphs with tensors: compiled to the tensor tape, gradchecked in float64, the lecture's
// ‖W·x‖², every elementwise op against its rule in closed form (float64, and float32's
// vector kernels), gradients adding where a tensor is used more than once, broadcasting,
// losses over labels, bad input, and memory that stays flat.
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, GraphError, gradcheck, init, memoryStats, type Node, ShapeError, StateError, Tensor, ValueError } from '../src/index';
import { expectNear, GATES, RULES, rng, svmReference } from './helpers';

beforeAll(() => init());

const values = (t: number | Tensor) => (typeof t === 'number' ? [t] : Array.from(t.data));

describe('f(x, W) = ‖W·x‖² as a Graph', () => {
  it('q = [0.22, 0.26], f = 0.116, ∇W = [[0.088, 0.176], [0.104, 0.208]], ∇x = [−0.112, 0.636]', () => {
    const g = new Graph();
    const W = g.param(
      'W',
      Tensor.from([
        [0.1, 0.5],
        [-0.3, 0.8],
      ]),
    );
    const x = g.input('x', [2, 1]);
    const q = g.matmul(W, x);
    const f = g.l2(q);
    expect(g.forward({ x: [[0.2], [0.4]] })).toBeCloseTo(0.116, 6);
    expect(values(g.value(q))).toEqual([expect.closeTo(0.22, 6), expect.closeTo(0.26, 6)]);
    g.backward(f);
    expect(values(g.grad(W))).toEqual([0.088, 0.176, 0.104, 0.208].map((v) => expect.closeTo(v, 6)));
    expect(values(g.grad(x))).toEqual([expect.closeTo(-0.112, 6), expect.closeTo(0.636, 6)]);
    expect(g.grad(q).shape).toEqual([2, 1]);
  });
});

describe('every tensor op passes gradcheck through a float64 Graph', () => {
  const random = rng(101);
  const randn = (shape: number[], offset = 0) =>
    Tensor.from(
      Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1 + offset),
      shape,
      { dtype: 'float64' },
    );

  /** Builds f(inputs) → scalar with `build`, then gradchecks it at the given points. */
  function check(build: (g: Graph, xs: Node<Tensor>[]) => Node<number>, points: Tensor[]) {
    const g = new Graph({ dtype: 'float64' });
    const xs = points.map((p, i) => g.input(`x${i}`, p.shape));
    const f = build(g, xs);
    const result = gradcheck((given) => {
      g.forward(Object.fromEntries(given.map((t, i) => [`x${i}`, t as Tensor])));
      g.backward(f);
      return { value: g.value(f), grads: xs.map((x) => g.grad(x)) };
    }, points);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  }

  /** A weighted sum of a tensor, so every element carries its own gradient. */
  const weighted = (g: Graph, t: Node<Tensor>) => g.sum(g.mul(t, g.const(randn(t.shape as number[]).to('float64'))));

  it('elementwise ops with a same-shape, a row and a scalar second operand', () => {
    check(
      (g, [a, b, row]) => weighted(g, g.add(g.mul(a as Node<Tensor>, b as Node<Tensor>), row as Node<Tensor>)),
      [randn([3, 4]), randn([3, 4]), randn([4])],
    );
    check(
      (g, [a, s]) => weighted(g, g.div(g.sub(a as Node<Tensor>, s as Node<Tensor>), g.offset(g.exp(s as Node<Tensor>), 0.5))),
      [randn([2, 3]), randn([1])],
    );
  });

  it('activations and unary ops, the ReLU family on both sides of its kink and with α off its default', () => {
    check(
      (g, [a]) => {
        const x = a as Node<Tensor>;
        const parts = [
          g.sigmoid(x),
          g.tanh(x),
          g.relu(x),
          g.leakyRelu(x),
          g.leakyRelu(x, 0.3),
          g.elu(x),
          g.elu(x, 0.6),
          g.scale(x, -2),
          g.neg(x),
          g.pow(g.offset(g.mul(x, x), 1), 1.5),
        ];
        return parts.reduce((total: Node<number>, p) => g.add(total, weighted(g, p)), g.const(0) as Node<number>);
      },
      // −1.43 … 1.43 in steps of 0.19: half below 0, half above, none within 0.09 of it.
      [
        Tensor.from(
          Float64Array.from({ length: 15 }, (_, i) => (i - 7.5) * 0.19),
          [3, 5],
          { dtype: 'float64' },
        ),
      ],
    );
    check((g, [a]) => weighted(g, g.log(g.recip(a as Node<Tensor>))), [randn([4], 2)]);
  });

  it('matmul, reductions, softmax, the losses, maxout', () => {
    check((g, [a, b]) => g.l2(g.matmul(a as Node<Tensor>, b as Node<Tensor>)), [randn([3, 4]), randn([4, 2])]);
    check(
      (g, [a]) =>
        g.add(weighted(g, g.sum(a as Node<Tensor>, 0)), g.mul(weighted(g, g.mean(a as Node<Tensor>, 1)), g.mean(a as Node<Tensor>))),
      [randn([3, 4])],
    );
    check((g, [a]) => weighted(g, g.softmax(a as Node<Tensor>)), [randn([2, 5])]);
    check(
      (g, [a]) => weighted(g, g.maxout(a as Node<Tensor>, 3)),
      [
        Tensor.from(
          Float64Array.from({ length: 12 }, (_, i) => ((i * 7) % 12) * 0.3),
          [2, 6],
          { dtype: 'float64' },
        ),
      ],
    );
    const g = new Graph({ dtype: 'float64' });
    const z = g.input('z', [4, 3]);
    const y = g.labels('y', 4);
    const ce = g.softmaxCrossEntropy(z, y);
    const svm = g.svmLoss(z, y);
    const loss = g.add(ce, g.scale(svm, 0.5));
    const labels = Int32Array.from([2, 0, 1, 2]);
    const scores = Tensor.from(
      Float64Array.from({ length: 12 }, (_, i) => ((i * 5) % 12) * 0.41 - 2),
      [4, 3],
      { dtype: 'float64' },
    );
    const result = gradcheck(
      (given) => {
        g.forward({ z: given[0] as Tensor, y: labels });
        g.backward(loss);
        return { value: g.value(loss), grads: [g.grad(z)] };
      },
      [scores],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});

/** `points` repeated to n elements: two whole f32x4 vectors and a tail of 3 when n = 11. */
const tiled = (points: readonly (readonly number[])[], n: number) =>
  Array.from({ length: n }, (_, i) => points[i % points.length] as number[]);

describe.each(RULES)('$name as a tensor Graph op, against the lecture’s rule in closed form', ({ graph, rule, points, onKink = [] }) => {
  const arity = (points[0] as number[]).length;

  /** f = Σ w ⊙ op(x…) over 11 elements: df/dxᵢ = wᵢ·∂op/∂xᵢ, each element with its own weight. */
  function run(dtype: 'float32' | 'float64', at: number[][]) {
    const round = dtype === 'float32' ? Math.fround : (v: number) => v;
    const g = new Graph({ dtype });
    const inputs = Array.from({ length: arity }, (_, k) => g.input(`x${k}`, [at.length]));
    const w = at.map((_, i) => round(((i * 7) % 11) / 5 - 1.1));
    const op = graph(g, inputs as unknown as Node<number>[]) as unknown as Node<Tensor>;
    const f = g.sum(g.mul(op, g.const(Tensor.from(w, [at.length], { dtype }))));
    const given = at.map((p) => p.map(round));
    g.forward(Object.fromEntries(inputs.map((_, k) => [`x${k}`, given.map((p) => p[k] as number)])));
    g.backward(f);
    return { g, inputs, op, w, given };
  }

  it.each(['float64', 'float32'] as const)(
    '%s: values and gradients on both sides of any kink, and on it by the documented tie rule',
    (dtype) => {
      // float32 runs the f32x4 rules (assembly/rules-f32x4.ts): within a few roundings of float64.
      const tolerance = dtype === 'float64' ? 1e-12 : 1e-5;
      const { g, inputs, op, w, given } = run(dtype, tiled([...points, ...onKink], 11));
      const outs = (g.value(op) as Tensor).data;
      const grads = inputs.map((node) => (g.grad(node) as Tensor).data);
      given.forEach((point, i) => {
        const expected = rule(point);
        expectNear(outs[i] as number, expected.value, tolerance, `f(${point})`);
        grads.forEach((grad, k) => {
          expectNear(grad[i] as number, (w[i] as number) * (expected.grads[k] as number), tolerance, `d${k}[${i}] at ${point}`);
        });
      });
    },
  );

  it('float64: passes gradcheck at the points on both sides of any kink', () => {
    const g = new Graph({ dtype: 'float64' });
    const at = tiled(points, 11);
    const inputs = Array.from({ length: arity }, (_, k) => g.input(`x${k}`, [at.length]));
    const w = Tensor.from(
      at.map((_, i) => ((i * 7) % 11) / 5 - 1.1),
      [at.length],
      { dtype: 'float64' },
    );
    const f = g.sum(g.mul(graph(g, inputs as unknown as Node<number>[]) as unknown as Node<Tensor>, g.const(w)));
    const result = gradcheck(
      (xs) => {
        g.forward(Object.fromEntries(xs.map((x, k) => [`x${k}`, x as Tensor])));
        g.backward(f);
        return { value: g.value(f), grads: inputs.map((x) => g.grad(x)) };
      },
      inputs.map((_, k) =>
        Tensor.from(
          Float64Array.from(at, (p) => p[k] as number),
          [at.length],
          { dtype: 'float64' },
        ),
      ),
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});

describe('gradients add at forks: a tensor used more than once (the tensor tape, float64)', () => {
  const random = rng(303);
  const randn = (shape: number[]) =>
    Tensor.from(
      Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
      shape,
      { dtype: 'float64' },
    );

  /** gradchecks f = build(g, inputs) at `points`; returns the graph's gradients there. */
  function check(build: (g: Graph, xs: Node<Tensor>[]) => Node<number>, points: (Tensor | number)[]) {
    const g = new Graph({ dtype: 'float64' });
    const xs = points.map((p, i) => (typeof p === 'number' ? g.input(`x${i}`) : g.input(`x${i}`, p.shape))) as Node<Tensor>[];
    const f = build(g, xs);
    const run = (given: readonly (number | Tensor)[]) => {
      g.forward(Object.fromEntries(given.map((t, i) => [`x${i}`, t])));
      g.backward(f);
      return { value: g.value(f), grads: xs.map((x) => g.grad(x)) };
    };
    const result = gradcheck((given) => run(given as unknown as (number | Tensor)[]), points);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    return run(points).grads.map(values);
  }
  /** A·B of row-major m×k and k×n arrays, and the transpose of an n×n one, for closed forms. */
  const product = (a: number[], b: number[], m: number, k: number, n: number) =>
    Array.from({ length: m * n }, (_, i) => {
      let s = 0;
      for (let j = 0; j < k; j++) s += (a[Math.floor(i / n) * k + j] as number) * (b[j * n + (i % n)] as number);
      return s;
    });
  const transpose = (a: number[], n: number) => a.map((_, i) => a[(i % n) * n + Math.floor(i / n)] as number);

  it('matmul(x, x), x square: df/dx = w·xᵀ + xᵀ·w for f = Σ w ⊙ x·x', () => {
    const x = randn([3, 3]);
    const w = randn([3, 3]);
    const [dx] = check((g, [a]) => g.sum(g.mul(g.matmul(a as Node<Tensor>, a as Node<Tensor>), g.const(w))), [x]);
    const [xs, ws] = [values(x), values(w)];
    const expected = product(ws, transpose(xs, 3), 3, 3, 3).map((v, i) => v + (product(transpose(xs, 3), ws, 3, 3, 3)[i] as number));
    dx?.forEach((v, i) => {
      expectNear(v, expected[i] as number, 1e-12, `dx[${i}]`);
    });
  });

  it('x·x·x = matmul(matmul(x, x), x): x is an operand of two matmuls, three times', () => {
    // Backward runs the outer matmul first: x's share as its B must survive the inner
    // matmul's dA and dB, which add to it.
    check(
      (g, [a]) => {
        const x = a as Node<Tensor>;
        return g.l2(g.matmul(g.matmul(x, x), x));
      },
      [randn([3, 3])],
    );
  });

  it('x feeds a matmul, then an add: z = x·W + x', () => {
    // Backward runs in reverse creation order: the add's share reaches x first, and the
    // matmul's dA must add to it, not replace it.
    check(
      (g, [a, W]) => {
        const x = a as Node<Tensor>;
        return g.l2(g.add(g.matmul(x, W as Node<Tensor>), x));
      },
      [randn([4, 3]), randn([3, 3])],
    );
  });

  it('x feeds an add, then a matmul: f = ‖x + b‖² + ‖x·W‖²', () => {
    // The other order: the matmul's share comes first, and the add's adds to it.
    check(
      (g, [a, b, W]) => {
        const x = a as Node<Tensor>;
        const first = g.l2(g.add(x, b as Node<Tensor>));
        return g.add(first, g.l2(g.matmul(x, W as Node<Tensor>)));
      },
      [randn([4, 3]), randn([3]), randn([3, 2])],
    );
  });

  it('W used by two matmuls: f = ‖x·W·W‖²', () => {
    check((g, [a, W]) => g.l2(g.matmul(g.matmul(a as Node<Tensor>, W as Node<Tensor>), W as Node<Tensor>)), [randn([2, 3]), randn([3, 3])]);
  });

  it('a scalar used three times, f = Σ w ⊙ x·s + ‖x + s‖² + eˢ: df/ds = Σ w ⊙ x + 2Σ(x + s) + eˢ', () => {
    const x = randn([2, 3]);
    const w = randn([2, 3]);
    const s = 0.4;
    const [dx, ds] = check(
      (g, [a, b]) => {
        const [t, scalar] = [a as Node<Tensor>, b as unknown as Node<number>];
        return g.add(g.add(g.sum(g.mul(g.mul(t, scalar), g.const(w))), g.l2(g.add(t, scalar))), g.exp(scalar));
      },
      [x, s],
    );
    const [xs, ws] = [values(x), values(w)];
    const expected = xs.reduce((total, v, i) => total + (ws[i] as number) * v + 2 * (v + s), Math.exp(s));
    expectNear(ds?.[0] as number, expected, 1e-12, 'df/ds');
    dx?.forEach((v, i) => {
      expectNear(v, (ws[i] as number) * s + 2 * ((xs[i] as number) + s), 1e-12, `dx[${i}]`);
    });
  });

  it.each(GATES.filter(({ points }) => points[0]?.length === 2))(
    '$name of a tensor with itself: both operands’ gradients land on it and add',
    ({ graph }) => {
      // Positive and away from 0: in pow's domain, and no divisor near 0.
      const x = Tensor.from(
        Float64Array.from({ length: 6 }, (_, i) => 0.5 + 0.3 * i),
        [2, 3],
        { dtype: 'float64' },
      );
      check(
        (g, [a]) => {
          const t = a as Node<Tensor>;
          return g.l2(graph(g, [t, t] as unknown as Node<number>[]) as unknown as Node<Tensor>);
        },
        [x],
      );
    },
  );
});

describe('max routes a tie to the operand written first, whichever broadcasts', () => {
  // The Graph broadcasts the second operand only, so it runs max(0, X) as max(X, 0): the
  // tie rule must not swap with the operands (max(0, x) is ReLU, whose gradient at 0 is 0).
  const tie = (build: (g: Graph, x: Node) => Node) => {
    const g = new Graph();
    const x = g.input('x', [2, 2]);
    g.output(g.sum(build(g, x)));
    g.forward({ x: [0, 1, -1, 0] });
    g.backward();
    return (g.grad(x) as Tensor).toArray();
  };
  const zeros = (g: Graph) => g.const(0);
  const row = (g: Graph) => g.const(Tensor.from([0, 0]));

  it('max(0, X) and max(row, X): X gets nothing where it ties, as ReLU', () => {
    expect(tie((g, x) => g.max(0, x))).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(tie((g, x) => g.max(zeros(g), x))).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(tie((g, x) => g.max(row(g), x))).toEqual([
      [0, 1],
      [0, 0],
    ]);
  });

  it('max(X, 0) and max(X, row): X gets all of it where it ties', () => {
    expect(tie((g, x) => g.max(x, 0))).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(tie((g, x) => g.max(x, row(g)))).toEqual([
      [1, 1],
      [0, 1],
    ]);
  });

  it('the same ties by the scalar rule: float64, and float32 past its last group of 4', () => {
    // Five values: a float32 tensor runs four in a vector and the fifth by the scalar rule,
    // as float64 runs all five; the ties sit on both sides of that split.
    const ties = (dtype: 'float32' | 'float64', build: (g: Graph, x: Node) => Node) => {
      const g = new Graph({ dtype });
      const x = g.input('x', [5]);
      g.output(g.sum(build(g, x)));
      g.forward({ x: [0, 1, -1, 0, 0] });
      g.backward();
      return values(g.grad(x));
    };
    for (const dtype of ['float32', 'float64'] as const) {
      expect(
        ties(dtype, (g, x) => g.max(0, x)),
        `max(0, X), ${dtype}`,
      ).toEqual([0, 1, 0, 0, 0]);
      expect(
        ties(dtype, (g, x) => g.max(x, 0)),
        `max(X, 0), ${dtype}`,
      ).toEqual([1, 1, 0, 1, 1]);
    }
  });

  it('the scalar operand gets the gradient of every tie it wins, and draws in the order written', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [3]);
    const s = g.input('s');
    const m = g.max(s, x);
    g.output(g.sum(m));
    g.forward({ x: [2, 2, 5], s: 2 });
    g.backward();
    expect([g.grad(s), (g.grad(x) as Tensor).toArray()]).toEqual([2, [0, 0, 1]]);
    expect(m.inputs.map((n) => n.op)).toEqual(['input', 'input']);
    expect(m.inputs[0]?.id).toBe(s.id);
    expect(m.op).toBe('max');
  });
});

describe('a tensor Graph', () => {
  it('names a mean a mean, over one element too (its scale is 1, as a sum’s)', () => {
    const g = new Graph();
    const one = g.mean(g.input('x', [1]));
    const rows = g.mean(g.input('y', [1, 3]), 0);
    const sum = g.sum(g.input('z', [2]));
    expect([one.op, rows.op, sum.op]).toEqual(['mean', 'mean', 'sum']);
    expect(g.toDot().match(/label="mean/g)).toHaveLength(2);
  });

  it('returns scalars as numbers and tensors as graph-owned views; params keep their values', () => {
    const g = new Graph();
    const W = g.param('W', Tensor.ones([2, 3]));
    const x = g.input('x', [3, 1]);
    const y = g.output(g.matmul(W, x));
    const out = g.forward({ x: [1, 2, 3] }) as Tensor;
    expect(out.toArray()).toEqual([[6], [6]]);
    expect(() => out.dispose()).toThrow(/belongs to Graph/);
    g.backward(y);
    expect(values(g.grad(W))).toEqual([1, 2, 3, 1, 2, 3]);
    g.set(W, Tensor.full([2, 3], 2));
    expect(values(g.forward({ x: [1, 1, 1] }))).toEqual([6, 6]);
    expect(values(g.value(W))).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('a training loop of 10,000 steps grows linear memory by 0 bytes after the first', () => {
    const g = new Graph();
    const W = g.param('W', Tensor.randn([4, 8], { seed: 1, std: 0.1 }));
    const b = g.param('b', Tensor.zeros([8]));
    const x = g.input('x', [16, 4]);
    const y = g.labels('y', 16);
    const loss = g.softmaxCrossEntropy(g.add(g.matmul(x, W), b), y);
    const batch = Tensor.randn([16, 4], { seed: 2 });
    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 8);
    const step = () => {
      g.forward({ x: batch, y: labels });
      g.backward(loss);
      const w = g.value(W).data;
      const dw = g.grad(W).data;
      for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - 0.1 * (dw[i] as number);
    };
    step();
    const first = g.value(loss);
    const before = memoryStats();
    for (let i = 0; i < 10_000; i++) step();
    expect(memoryStats()).toEqual(before);
    expect(g.value(loss)).toBeLessThan(first);
  });

  it('bad input: shapes at build time, inputs and labels at forward time, each naming what is wrong', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [4, 5]);
    expect(() => g.matmul(a, b)).toThrow(ShapeError);
    expect(() => g.matmul(a, b)).toThrow('matmul: [2,3] · [4,5]: inner dims 3 ≠ 4');
    expect(() => g.add(a, b)).toThrow('add: [2,3] and [4,5]: the second must match the first, be a row of 3, or be a scalar');
    expect(() => g.input('c', [2, 0])).toThrow('input: a shape is an array of positive integers, got [2,0]');
    const y = g.labels('y', 2);
    expect(() => g.add(a, y)).toThrow(GraphError);
    const loss = g.softmaxCrossEntropy(a, y);
    expect(() => g.svmLoss(b, y)).toThrow('svmLoss: 2 labels for 4 rows');
    expect(() => g.forward({ a: [1, 2, 3], b: Tensor.zeros([4, 5]), y: [0, 1] })).toThrow(
      'forward: input "a" has shape [3], declared [2,3]',
    );
    expect(() => g.forward({ a: Tensor.zeros([3, 2]), b: Tensor.zeros([4, 5]), y: [0, 1] })).toThrow(
      'forward: input "a" has shape [3,2], declared [2,3]',
    );
    expect(() => g.forward({ a: Tensor.zeros([2, 3]), b: Tensor.zeros([4, 5]), y: [0, 3] })).toThrow(
      'forward: labels "y" entry 1 is 3, not a class index in [0, 3)',
    );
    expect(() => g.forward({ a: [Number.NaN, 0, 0, 0, 0, 0], b: Tensor.zeros([4, 5]), y: [0, 1] })).toThrow(ValueError);
    const disposed = Tensor.zeros([2, 3]);
    disposed.dispose();
    expect(() => g.forward({ a: disposed, b: Tensor.zeros([4, 5]), y: [0, 1] })).toThrow(StateError);
    expect(g.forward({ a: Tensor.zeros([2, 3]), b: Tensor.zeros([4, 5]), y: [0, 1] })).toBeCloseTo(Math.log(3), 6);
    g.backward(loss);
  });

  it('a forward that leaves an op’s domain names the op', () => {
    const g = new Graph();
    const a = g.input('a', [2]);
    g.sum(g.log(a));
    expect(() => g.forward({ a: [1, -1] })).toThrow(/forward: log#1 \(log of a = \[2\] \[1, -1\]\) is \[2\] \[0, NaN\]/);
    expect(g.forward({ a: [1, 1] })).toBe(0);
  });
});

describe('a Graph’s svmLoss on its margin', () => {
  it('a class exactly a margin (0.5) below the correct one adds nothing to loss or gradient', () => {
    const scores = [
      [3, 2.5, 1],
      [0.25, 0.75, 1],
    ];
    const labels = [0, 1];
    const expected = svmReference(scores, labels, 0.5);
    expect(expected.ties).toBe(2);
    const g = new Graph({ dtype: 'float64' });
    const z = g.input('z', [2, 3]);
    const loss = g.svmLoss(z, g.labels('y', 2), 0.5);
    g.output(loss);
    expect(g.forward({ z: Tensor.from(scores, undefined, { dtype: 'float64' }), y: Int32Array.from(labels) })).toBeCloseTo(
      expected.loss,
      12,
    );
    g.backward();
    expect((g.grad(z) as Tensor).toArray()).toEqual(expected.grad.map((row) => row.map((v) => expect.closeTo(v, 12))));
  });
});

describe('a Graph’s softmax and maxout at their edges', () => {
  it('softmax cross-entropy on float32 logits 200 apart: the loss and (p − onehot)/rows, no overflow', () => {
    const scores = [
      [100, 0, -100],
      [-50, 50, 0],
    ];
    const labels = [1, 1];
    const g = new Graph();
    const z = g.input('z', [2, 3]);
    g.output(g.softmaxCrossEntropy(z, g.labels('y', 2)));
    const loss = g.forward({ z: Tensor.from(scores), y: Int32Array.from(labels) });
    g.backward();
    // −log softmax and its gradient, each row shifted by its max, in float64.
    const p = scores.map((row) => {
      const top = Math.max(...row);
      const e = row.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    });
    const expected = -labels.reduce((total, y, r) => total + Math.log(p[r]?.[y] as number), 0) / 2;
    expect(loss).toBeCloseTo(expected, 3);
    const grad = p.map((row, r) => row.map((v, c) => (v - (c === labels[r] ? 1 : 0)) / 2));
    expect((g.grad(z) as Tensor).toArray()).toEqual(grad.map((row) => row.map((v) => expect.closeTo(v, 6))));
  });

  it('two maxouts and two softmax cross-entropies in one graph each keep their own cache (winners, probabilities)', () => {
    // Each op's backward reads what its own forward cached; a cache shared between two ops
    // would route one maxout's gradient by the other's winners.
    const g = new Graph({ dtype: 'float64' });
    const a = g.input('a', [1, 4]);
    const b = g.input('b', [1, 6]);
    const y = g.labels('y', 1);
    const [ma, mb] = [g.maxout(a, 2), g.maxout(b, 3)];
    g.output(g.add(g.softmaxCrossEntropy(ma, y), g.softmaxCrossEntropy(mb, y)));
    g.forward({ a: [[5, 1, -2, 3]], b: [[0, 4, 1, 2, 7, -1]], y: [1] });
    g.backward();
    // ma = [5, 3] (pieces 0 and 1 win), mb = [4, 7] (pieces 1 and 4 win); label 1.
    const softmax = (v: number[]) => v.map((x) => Math.exp(x) / v.reduce((t, u) => t + Math.exp(u), 0));
    const [pa, pb] = [softmax([5, 3]), softmax([4, 7])];
    expect(values(g.grad(a))).toEqual([pa[0], 0, 0, (pa[1] as number) - 1].map((v) => expect.closeTo(v as number, 12)));
    expect(values(g.grad(b))).toEqual([0, pb[0], 0, 0, (pb[1] as number) - 1, 0].map((v) => expect.closeTo(v as number, 12)));
  });

  it('maxout gives a tie to the first of the tied pieces', () => {
    const g = new Graph({ dtype: 'float64' });
    const z = g.input('z', [2, 4]);
    const w = Tensor.from(
      [
        [1, -3],
        [0.5, 2],
      ],
      undefined,
      { dtype: 'float64' },
    );
    // Units of k = 2: the pieces of the first row tie in both units, of the second in its last.
    g.output(g.sum(g.mul(g.maxout(z, 2), g.const(w))));
    g.forward({
      z: Tensor.from(
        [
          [4, 4, -1, -1],
          [0, 2, 7, 7],
        ],
        undefined,
        { dtype: 'float64' },
      ),
    });
    g.backward();
    expect((g.grad(z) as Tensor).toArray()).toEqual([
      [1, 0, -3, 0],
      [0, 0.5, 2, 0],
    ]);
  });
});

describe('a tensor Graph’s reductions and operand order, against values worked out here', () => {
  const X = [
    [1, -2, 3],
    [4, 0.5, -6],
  ];
  const f64 = (v: number[][] | number[]) => Tensor.from(v, undefined, { dtype: 'float64' });
  const run = (build: (g: Graph, x: Node, s: Node, r: Node) => Node, s = 1.5, r = [2, -1, 0.5]) => {
    const g = new Graph({ dtype: 'float64' });
    const [x, sn, rn] = [g.input('x', [2, 3]), g.input('s'), g.input('r', [3])];
    const out = build(g, x, sn, rn);
    g.output(out.shape.length === 0 ? out : g.sum(out));
    g.forward({ x: f64(X), s, r: f64(r) });
    g.backward();
    return { value: values(g.value(out)), dx: values(g.grad(x)), ds: g.grad(sn) as number, dr: values(g.grad(rn)) };
  };
  const flat = X.flat();

  it('mean: the sum over the count, overall and along each axis; its gradient 1/count (a gradcheck cannot see a wrong scale)', () => {
    expect(run((g, x) => g.mean(x))).toMatchObject({ value: [flat.reduce((a, b) => a + b, 0) / 6], dx: new Array(6).fill(1 / 6) });
    expect(run((g, x) => g.mean(x, 0))).toMatchObject({ value: [0, 1, 2].map((c) => ((X[0]?.[c] as number) + (X[1]?.[c] as number)) / 2) });
    expect(run((g, x) => g.mean(x, 0)).dx).toEqual(new Array(6).fill(0.5));
    expect(run((g, x) => g.mean(x, 1)).value).toEqual(X.map((row) => expect.closeTo(row.reduce((a, b) => a + b, 0) / 3, 12)));
    expect(run((g, x) => g.mean(x, 1)).dx).toEqual(new Array(6).fill(1 / 3));
  });

  it('a scalar or a row written first in add, mul and max: the expression as written, and each operand’s gradient', () => {
    const [s, r] = [1.5, [2, -1, 0.5]];
    const add = run((g, x, sn) => g.add(sn, x));
    expect(add.value).toEqual(flat.map((v) => s + v));
    expect([add.dx, add.ds]).toEqual([new Array(6).fill(1), 6]);
    const mul = run((g, x, sn) => g.mul(sn, x));
    expect(mul.value).toEqual(flat.map((v) => s * v));
    expect([mul.dx, mul.ds]).toEqual([new Array(6).fill(s), flat.reduce((a, b) => a + b, 0)]);
    const max = run((g, x, sn) => g.max(sn, x));
    expect(max.value).toEqual(flat.map((v) => Math.max(s, v)));
    expect([max.dx, max.ds]).toEqual([flat.map((v) => (v > s ? 1 : 0)), flat.filter((v) => s >= v).length]);
    const row = run((g, x, _s, rn) => g.mul(rn, x));
    expect(row.value).toEqual(flat.map((v, i) => (r[i % 3] as number) * v));
    expect(row.dx).toEqual(flat.map((_, i) => r[i % 3]));
    expect(row.dr).toEqual([0, 1, 2].map((c) => (X[0]?.[c] as number) + (X[1]?.[c] as number)));
  });
});

describe('what a tensor Graph’s forward refuses, before it writes anything', () => {
  it('names the input and what is wrong with it: not an object, disposed, not finite at element 0, labels of the wrong kind or count', () => {
    const g = new Graph();
    const x = g.input('x', [2, 2]);
    const y = g.labels('y', 2);
    g.output(g.softmaxCrossEntropy(x, y));
    const labels = Int32Array.from([0, 1]);
    const good = Tensor.from([
      [1, 2],
      [3, 4],
    ]);
    expect(g.forward({ x: good, y: labels })).toBeTypeOf('number');
    const gone = Tensor.zeros([2, 2]);
    gone.dispose();
    // Tensor.from refuses a NaN; written into a tensor's data, it reaches forward.
    const nan = Tensor.zeros([2, 2]);
    nan.data[0] = Number.NaN;
    const refusals: [unknown, string][] = [
      [null, 'forward: inputs must be an object of name → value, got null'],
      [{ x: gone, y: labels }, 'forward: input "x" has been disposed'],
      [{ x: nan, y: labels }, 'forward: input "x" element 0 is NaN'],
      [{ x: [Number.POSITIVE_INFINITY, 1, 2, 3], y: labels }, 'forward: input "x" element 0 is Infinity'],
      [
        {
          x: [
            [1, 2],
            [3, 4, 5],
          ],
          y: labels,
        },
        'Tensor.from',
      ],
      [{ x: good, y: 'ab' }, 'forward: labels "y" must be an Int32Array or array of class indices'],
      [{ x: good, y: [0, 1, 1] }, 'forward: labels "y" has 3 entries, declared 2'],
      [{ x: [1, 2, 3, 4, 5, 6], y: labels }, 'forward: input "x" has shape [6], declared [2,2]'],
    ];
    for (const [inputs, message] of refusals) expect(() => g.forward(inputs as never), message).toThrow(message);
    // A nested array of the declared shape and a flat one of its size are read as the tensor they spell.
    expect(
      g.forward({
        x: [
          [1, 2],
          [3, 4],
        ],
        y: [0, 1],
      }),
    ).toBe(g.forward({ x: [1, 2, 3, 4], y: labels }));
  });
});

describe('a tensor Graph whose first op leaves its domain', () => {
  it('forward names the op when it overflows, and backward when its gradient is not finite; the graph runs again after', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const e = g.output(g.exp(x));
    expect(() => g.forward({ x: [1, 100] })).toThrow(/^forward: exp#1 \(exp of x = .*\) is .*Infinity/);
    expect(() => g.backward(e)).toThrow(StateError);
    expect(values(g.forward({ x: [0, 0] }))).toEqual([1, 1]);
    const h = new Graph();
    const y = h.input('y', [2]);
    h.output(h.pow(y, 0.5));
    h.forward({ y: [4, 0] });
    expect(() => h.backward()).toThrow(/^backward: pow#2 \(pow 0\.5 of y = .*\) gave its input a gradient that is not finite/);
    expect(() => h.grad(y)).toThrow(StateError);
  });
});

describe('a tensor Graph’s backward names the op whose gradient for its second operand is not finite', () => {
  // a = 1 and b = 1e-30, one value each: every value stays small, while the scale by 2e38
  // gives each op's output the gradient 2e38, which reaches b as 2e38·a = 2e38 (and a as
  // 2e38·b, or 2e38 for add). b already holds 2e38 from the later scale(b): the sum, 4e38, is
  // past float32's largest (3.4e38). Only the check of the second operand's gradient sees it.
  const cases: Array<[string, number[], (g: Graph, a: Node<Tensor>, b: Node<Tensor>) => Node<Tensor>]> = [
    ['add', [1], (g, a, b) => g.add(a, b)],
    ['mul', [1], (g, a, b) => g.mul(a, b)],
    ['concat', [1], (g, a, b) => g.concat([a, b])],
    ['matmul', [1, 1], (g, a, b) => g.matmul(g.reshape(a, [1, 1]), b)],
    ['conv2d', [1, 1, 1, 1], (g, a, b) => g.conv2d(g.reshape(a, [1, 1, 1, 1]), b)],
  ];
  it.each(cases)('%s', (op, shape, build) => {
    const g = new Graph();
    const a = g.input('a', [1]);
    const b = g.param('b', Tensor.full(shape, 1e-30));
    const out = build(g, a, b);
    g.output(g.add(g.sum(g.scale(out, 2e38)), g.sum(g.scale(b, 2e38))));
    expect(g.forward({ a: [1] })).toBeLessThan(3e38);
    let message = '';
    try {
      g.backward();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(new RegExp(`^backward: ${op}#\\d+ \\(${op} of .*\\) gave its input a gradient that is not finite$`));
    expect(() => g.grad(b)).toThrow(StateError);
  });
});
