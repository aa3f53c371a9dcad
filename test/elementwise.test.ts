// The float32 kernels run most ops four lanes at a time (assembly/rules-f32x4.ts) and
// the last 1–3 values of a run through the same vector rule, padded. Every gate on
// float32 tensors must agree, element by element, with its scalar rule in float64 on the
// same inputs: in every broadcast mode, on sizes with and without a tail.
import { beforeAll, describe, expect, it } from 'vitest';
import { ExpGate, Graph, init, type Node, SigmoidGate, TanhGate, Tensor } from '../src/index';
import { GATES, rng } from './helpers';

beforeAll(() => init());

type Gate = { forward: (...xs: never[]) => unknown; backward: (dout: never) => unknown };
const forward = (gate: Gate, ...xs: (number | Tensor)[]) => (gate.forward as (...v: (number | Tensor)[]) => number | Tensor)(...xs);
const backward = <V>(gate: Gate, dout: V) => (gate.backward as (d: V) => V[])(dout);

/** float32 agrees with float64 to a few float32 roundings of the terms' magnitude. */
function expectClose(actual: number, expected: number, scale: number, what: string) {
  const tolerance = 4e-6 * Math.max(1, Math.abs(expected), scale);
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Inputs sampled the gate's way, rounded to float32 so both sides start equal. */
function sampled(sample: (r: () => number) => number[], count: number, random: () => number): number[][] {
  return Array.from({ length: count }, () => sample(random).map(Math.fround));
}

const SHAPES = [[1], [3], [4], [5, 7], [2, 8]];
const KINKED = new Set(['MaxGate', 'ReluGate', 'LeakyReluGate', 'EluGate']);
const BINARY = GATES.filter(({ sample }) => sample(() => 0.5).length === 2);

describe.each(GATES)('$name on float32 tensors agrees with its scalar rule', ({ name, make, sample }) => {
  const arity = sample(() => 0.5).length;

  it.each(SHAPES)('same shape, %j', (...shape) => {
    const random = rng(shape.reduce((a, b) => a * b, 7));
    const size = shape.reduce((a, b) => a * b, 1);
    const points = sampled(sample, size, random);
    // Every third point sits on the kink, where a tie rule decides (max: x = y; ReLU-like: x = 0).
    for (let i = 1; KINKED.has(name) && i < size; i += 3) {
      const p = points[i] as number[];
      if (arity === 2) p[1] = p[0] as number;
      else p[0] = 0;
    }
    const dout = Array.from({ length: size }, () => Math.fround(random() * 2 - 1));
    const inputs = Array.from({ length: arity }, (_, k) =>
      Tensor.from(
        Float32Array.from(points, (p) => p[k] as number),
        shape,
      ),
    );
    const gate = make() as Gate;
    const out = forward(gate, ...inputs) as Tensor;
    const grads = backward(gate, Tensor.from(Float32Array.from(dout), shape));
    points.forEach((point, i) => {
      const scalar = make() as Gate;
      expectClose(out.data[i] as number, forward(scalar, ...point) as number, 0, `out[${i}] at ${point}`);
      const expected = backward(scalar, dout[i] as number);
      grads.forEach((grad, k) => {
        expectClose(grad.data[i] as number, expected[k] as number, 0, `d${k}[${i}] at ${point}`);
      });
    });
  });
});

describe.each(BINARY)('$name on float32 tensors with a broadcast second operand', ({ make, sample, graph }) => {
  it('a row broadcast down the rows: [5, 7] and [7]', () => {
    const random = rng(57);
    const [rows, cols] = [5, 7];
    // One sample per element; the row's value of column c is the first row's.
    const points = sampled(sample, rows * cols, random);
    const row = Float32Array.from({ length: cols }, (_, c) => (points[c] as number[])[1] as number);
    points.forEach((p, i) => {
      p[1] = row[i % cols] as number;
    });
    // Inputs for which max has a tie or div a tiny divisor are re-drawn by the sampler;
    // forcing the row's value can bring x next to it, which the rules still define.
    const x = Tensor.from(
      Float32Array.from(points, (p) => p[0] as number),
      [rows, cols],
    );
    const dout = Float32Array.from({ length: rows * cols }, () => Math.fround(random() * 2 - 1));
    const gate = make() as Gate;
    const out = forward(gate, x, Tensor.from(row, [cols])) as Tensor;
    const [dx, drow] = backward(gate, Tensor.from(dout, [rows, cols])) as Tensor[];
    const rowSum = new Float64Array(cols);
    const rowScale = new Float64Array(cols);
    points.forEach((point, i) => {
      const scalar = make() as Gate;
      expectClose(out.data[i] as number, forward(scalar, ...point) as number, 0, `out[${i}]`);
      const [ex, ey] = backward(scalar, dout[i] as number) as number[];
      expectClose(dx?.data[i] as number, ex as number, 0, `dx[${i}]`);
      const c = i % cols;
      rowSum[c] = (rowSum[c] as number) + (ey as number);
      rowScale[c] = (rowScale[c] as number) + Math.abs(ey as number);
    });
    rowSum.forEach((sum, c) => {
      expectClose(drow?.data[c] as number, sum, rowScale[c] as number, `drow[${c}]`);
    });
  });

  it('a scalar second operand in a Graph: [5, 7] and []', () => {
    const random = rng(35);
    const [rows, cols] = [5, 7];
    const points = sampled(sample, rows * cols, random);
    const s = (points[0] as number[])[1] as number;
    points.forEach((p) => {
      p[1] = s;
    });
    const g = new Graph();
    const x = g.input('x', [rows, cols]);
    const y = g.input('s');
    const f = graph(g, [x, y] as unknown as Node<number>[]) as unknown as Node<Tensor>;
    const w = Tensor.from(
      Float32Array.from({ length: rows * cols }, () => Math.fround(random() * 2 - 1)),
      [rows, cols],
    );
    const loss = g.sum(g.mul(f, g.const(w)));
    g.forward({
      x: Tensor.from(
        Float32Array.from(points, (p) => p[0] as number),
        [rows, cols],
      ),
      s,
    });
    g.backward(loss);
    let ds = 0;
    let scale = 0;
    points.forEach((point, i) => {
      const scalar = make() as Gate;
      expectClose((g.value(f) as Tensor).data[i] as number, forward(scalar, ...point) as number, 0, `out[${i}]`);
      const [ex, ey] = backward(scalar, w.data[i] as number) as number[];
      expectClose((g.grad(x) as Tensor).data[i] as number, ex as number, 0, `dx[${i}]`);
      ds += ey as number;
      scale += Math.abs(ey as number);
    });
    expectClose(g.grad(y) as number, ds, scale, 'ds');
  });
});

// rules-f32x4.ts promises each lane the scalar rule's bits, not just its value: the same
// products in the same order, each rounded to float32. Written out here with Math.fround
// per step, from the forward's own y (these check the backward, given y).
const f = Math.fround;
const ROUNDED = [
  { name: 'sigmoid', Gate: SigmoidGate, rule: (y: number, d: number) => f(f(d * y) * f(1 - y)) },
  { name: 'tanh', Gate: TanhGate, rule: (y: number, d: number) => f(d * f(1 - f(y * y))) },
  { name: 'exp', Gate: ExpGate, rule: (y: number, d: number) => f(d * y) },
] as const;

describe('float32 tensors round as the scalar rule does, step by step (bits, not a tolerance)', () => {
  // Nine values: two groups of four and one padded lane.
  const random = rng(91);
  const xs = Float32Array.from({ length: 9 }, () => f(random() * 6 - 3));
  const douts = Float32Array.from({ length: 9 }, () => f(random() * 2 - 1));

  it.each(ROUNDED)('$name gate: dx from dout and y, each product rounded in the rule’s order', ({ Gate, rule }) => {
    const gate = new Gate();
    const y = gate.forward(Tensor.from(xs, [9]));
    const [dx] = gate.backward(Tensor.from(douts, [9]));
    expect(Array.from(dx?.data ?? [])).toEqual(Array.from(y.data, (v, i) => rule(v, douts[i] as number)));
  });

  it.each(ROUNDED)('$name in a float32 Graph, its dout from a product with weights', ({ name, rule }) => {
    const g = new Graph();
    const x = g.input('x', [9]);
    const y = (g as unknown as Record<string, (x: Node) => Node>)[name]?.(x) as Node;
    g.output(g.sum(g.mul(y, g.const(Tensor.from(douts, [9])))));
    g.forward({ x: Tensor.from(xs, [9]) });
    g.backward();
    const ys = (g.value(y) as Tensor).data;
    expect(Array.from((g.grad(x) as Tensor).data)).toEqual(Array.from(ys, (v, i) => rule(v, douts[i] as number)));
  });
});

describe('exp on float32 (assembly/expf.ts, no tables)', () => {
  it('is within 2 ulp of eˣ from −103 to 88.7, +∞ above, 0 far below', () => {
    const count = 200_001;
    const xs = Float32Array.from({ length: count }, (_, i) => -103 + (191.72 * i) / (count - 1));
    const x = Tensor.from(xs, [count]);
    const gate = new ExpGate();
    const out = gate.forward(x).data;
    let worst = 0;
    xs.forEach((v, i) => {
      const exact = Math.exp(v);
      // An ulp of the float32 result: the gap to the next float32 up from |exact|.
      const ulp = exact < 1.1754943508222875e-38 ? 1.401298464324817e-45 : 2 ** (Math.floor(Math.log2(exact)) - 23);
      worst = Math.max(worst, Math.abs((out[i] as number) - exact) / ulp);
    });
    expect(worst).toBeLessThanOrEqual(2);
    const edges = gate.forward(Tensor.from([0, -0, 1, -1, -200, 88.72, 0.5, 1e-30], [8])).data;
    expect(Array.from(edges)).toEqual([
      1,
      1,
      Math.fround(Math.E),
      Math.fround(1 / Math.E),
      0,
      expect.closeTo(Math.exp(88.72), -33),
      expect.closeTo(Math.exp(0.5), 6),
      1,
    ]);
    x.dispose();
  });

  it('an overflow is an error naming the op, never a silent Infinity', () => {
    expect(() => new ExpGate().forward(Tensor.from([1, 89, 2], [3]))).toThrow(/exp.*Infinity at element 1/);
  });
});
