// Convolution, pooling and reshape as tensor Graph ops: against the definitions' loops
// (test/conv-reference.ts) for random configurations, gradchecked in float64 through a
// whole small network, gradients adding where a conv's input is used twice, the same
// shape errors as the gates, and memory that stays flat over repeated runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { type DType, Graph, gradcheck, init, memoryStats, type Node, ShapeError, Tensor, ValueError } from '../src/index';
import * as ref from './conv-reference';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(1414);
const tensor = (shape: readonly number[], dtype: DType = 'float64') =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    shape,
    { dtype },
  );

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    if (!(Math.abs(a - e) <= tol * scale)) expect.fail(`${what}[${i}]: ${a}, expected ${e} (tolerance ${tol * scale})`);
  }
}

const TOLERANCE = { float64: 1e-12, float32: 2e-5 } as const;
const shown = (c: ref.Config) => JSON.stringify(c);

describe('g.conv2d, g.maxPool2d, g.avgPool2d against the loops', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`values and gradients of L = Σ r ⊙ op(…) (${dtype}, 20 random configurations each)`, () => {
      for (let trial = 0; trial < 60; trial++) {
        const kind = (['conv', 'max', 'avg'] as const)[trial % 3] as 'conv' | 'max' | 'avg';
        const cfg = ref.randomConfig(random, kind);
        const [oh, ow] = ref.outSize(cfg);
        const g = new Graph({ dtype });
        const x = g.input('x', [cfg.n, cfg.c, cfg.h, cfg.w]);
        const xv = tensor(x.shape, dtype);
        let y: Node<Tensor>;
        let w: Node<Tensor> | null = null;
        let b: Node<Tensor> | null = null;
        const window = { stride: [cfg.sh, cfg.sw], padding: [cfg.ph, cfg.pw] } as const;
        if (kind === 'conv') {
          w = g.param('w', tensor([cfg.o, cfg.c, cfg.kh, cfg.kw], dtype));
          b = trial % 2 === 0 ? g.param('b', tensor([cfg.o], dtype)) : null;
          y = g.conv2d(x, w, b, { ...window, dilation: [cfg.dh, cfg.dw] });
        } else if (kind === 'max') {
          y = g.maxPool2d(x, [cfg.kh, cfg.kw], { ...window, dilation: [cfg.dh, cfg.dw] });
        } else {
          y = g.avgPool2d(x, [cfg.kh, cfg.kw], window);
        }
        const channels = kind === 'conv' ? cfg.o : cfg.c;
        expect(y.shape).toEqual([cfg.n, channels, oh, ow]);
        const r = tensor(y.shape, dtype);
        const loss = g.sum(g.mul(y, g.const(r)));
        g.forward({ x: xv });
        const what = `${kind} ${shown(cfg)}`;
        g.backward(loss);
        const value = g.value(y).data;
        const dx = g.grad(x).data;
        if (kind === 'conv') {
          const [wv, bv] = [g.value(w as Node<Tensor>).data, b ? g.value(b).data : null];
          expectClose(value, ref.conv2d(cfg, xv.data, wv, bv), TOLERANCE[dtype], `y of ${what}`);
          const expected = ref.conv2dGradients(cfg, xv.data, wv, r.data);
          expectClose(dx, expected.dx, TOLERANCE[dtype], `dx of ${what}`);
          expectClose(g.grad(w as Node<Tensor>).data, expected.dw, TOLERANCE[dtype], `dw of ${what}`);
          if (b) expectClose(g.grad(b).data, expected.db, TOLERANCE[dtype], `db of ${what}`);
        } else if (kind === 'max') {
          const expected = ref.maxPool2d(cfg, xv.data);
          expectClose(value, expected.y, 0, `y of ${what}`);
          expectClose(dx, ref.maxPool2dGradient(cfg, expected.winners, r.data), TOLERANCE[dtype], `dx of ${what}`);
        } else {
          expectClose(value, ref.avgPool2d(cfg, xv.data), TOLERANCE[dtype], `y of ${what}`);
          expectClose(dx, ref.avgPool2dGradient(cfg, r.data), TOLERANCE[dtype], `dx of ${what}`);
        }
        g.dispose();
        xv.dispose();
        r.dispose();
      }
    });
  }
});

describe('g.conv2d over larger batches and more channels', () => {
  // The tape sums the weight gradient over image groups in its node's scratch, after one
  // image's column gradient; 8 output channels over 18 taps take the transposed form, 13 the packed.
  it.each([
    [11, 8],
    [11, 13],
    [25, 8],
  ])('a batch of %i images, %i output channels: values and gradients agree with the loops', (n, o) => {
    for (const dtype of ['float64', 'float32'] as const) {
      const cfg = { n, c: 2, h: 7, w: 6, o, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 };
      const g = new Graph({ dtype });
      const x = g.input('x', [n, 2, 7, 6]);
      const w = g.param('w', tensor([o, 2, 3, 3], dtype));
      const b = g.param('b', tensor([o], dtype));
      const y = g.conv2d(x, w, b, { padding: 1 });
      const [xv, r] = [tensor(x.shape, dtype), tensor(y.shape, dtype)];
      const loss = g.sum(g.mul(y, g.const(r)));
      g.forward({ x: xv });
      g.backward(loss);
      const [wv, bv] = [g.value(w).data, g.value(b).data];
      const what = shown(cfg);
      expectClose(g.value(y).data, ref.conv2d(cfg, xv.data, wv, bv), TOLERANCE[dtype], `y of ${what}`);
      const expected = ref.conv2dGradients(cfg, xv.data, wv, r.data);
      expectClose(g.grad(x).data, expected.dx, TOLERANCE[dtype], `dx of ${what}`);
      expectClose(g.grad(w).data, expected.dw, TOLERANCE[dtype], `dw of ${what}`);
      expectClose(g.grad(b).data, expected.db, TOLERANCE[dtype], `db of ${what}`);
      g.dispose();
      xv.dispose();
      r.dispose();
    }
  });
});

describe('a small convolutional net as one Graph', () => {
  it('conv → relu → max pool → conv (no bias, dilated) → avg pool → reshape → matmul passes gradcheck for the input and every parameter', () => {
    const g = new Graph({ dtype: 'float64' });
    const shapes: Record<string, number[]> = { x: [2, 2, 5, 6], w1: [3, 2, 3, 3], b1: [3], w2: [2, 3, 2, 3] };
    const nodes: Record<string, Node<Tensor>> = {};
    for (const [name, shape] of Object.entries(shapes)) nodes[name] = g.input(name, shape);
    const n = (name: string) => nodes[name] as Node<Tensor>;
    const h1 = g.relu(g.conv2d(n('x'), n('w1'), n('b1'), { stride: 1, padding: 1 }));
    const p1 = g.maxPool2d(h1, 2, { stride: [2, 1], padding: [1, 0] });
    const h2 = g.conv2d(p1, n('w2'), null, { stride: [1, 2], dilation: [2, 1], padding: [2, 1] });
    const p2 = g.avgPool2d(h2, [2, 3], { stride: 1, padding: 1 });
    const flat = g.reshape(p2, [2, -1]);
    shapes.v = [flat.shape[1] as number, 4];
    nodes.v = g.input('v', shapes.v);
    const out = g.matmul(flat, n('v'));
    const loss = g.sum(g.mul(out, g.const(tensor(out.shape))));
    const names = Object.keys(shapes);
    const result = gradcheck(
      (given) => {
        g.forward(Object.fromEntries(names.map((name, i) => [name, given[i] as Tensor])));
        g.backward(loss);
        return { value: g.value(loss), grads: names.map((name) => g.grad(n(name))) };
      },
      names.map((name) => tensor(shapes[name] as number[])),
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    g.dispose();
  });

  it('gradients add where one input feeds two convolutions, and memory stays flat over runs', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [1, 2, 6, 6]);
    const w = g.param('w', tensor([2, 2, 3, 3]));
    const a = g.conv2d(x, w, null, { padding: 1 });
    const b = g.conv2d(x, w, null, { stride: 2 });
    const loss = g.add(g.sum(a), g.sum(g.mul(b, b)));
    const xv = tensor([1, 2, 6, 6]);
    g.forward({ x: xv });
    g.backward(loss);
    const both = Float64Array.from(g.grad(x).data);
    const wv = g.value(w).data;
    const [ha, hb] = [{ ...cfg(1, 0), ph: 1, pw: 1 }, { ...cfg(2, 0) }];
    const bOut = ref.conv2d(hb, xv.data, wv, null);
    const expected = ref.conv2dGradients(ha, xv.data, wv, new Float64Array(2 * 36).fill(1)).dx.map(
      (v, i) =>
        v +
        (ref.conv2dGradients(
          hb,
          xv.data,
          wv,
          bOut.map((y) => 2 * y),
        ).dx[i] as number),
    );
    expectClose(both, expected, 1e-12, 'dx');
    const before = memoryStats();
    for (let i = 0; i < 5; i++) {
      g.forward({ x: xv });
      g.backward(loss);
    }
    expect(memoryStats()).toEqual(before);
    g.dispose();

    function cfg(stride: number, pad: number): ref.Config {
      return { n: 1, c: 2, h: 6, w: 6, o: 2, kh: 3, kw: 3, sh: stride, sw: stride, ph: pad, pw: pad, dh: 1, dw: 1 };
    }
  });
});

describe('Graph ops: bad shapes and options', () => {
  it('are the gates’ errors, under the op’s name, and leave the graph as it was', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 5, 5]);
    const w = g.param('w', Tensor.zeros([4, 3, 3, 3]));
    const size = g.size;
    expect(() => g.conv2d(x, g.param('v', Tensor.zeros([4, 2, 3, 3])))).toThrow(
      /^conv2d: x \[2,3,5,5\] and w \[4,2,3,3\]: x has 3 channels, w takes 2$/,
    );
    expect(() => g.conv2d(x, w, null, { padding: -1 })).toThrow(ValueError);
    expect(() => g.conv2d(x, w, g.input('b', [3]))).toThrow(/^conv2d: b must be \[4\]/);
    expect(() => g.maxPool2d(x, 6)).toThrow(/^maxPool2d: x \[2,3,5,5\] with kernel 6×6, stride 6, padding 0: the padded input 5×5/);
    expect(() => g.avgPool2d(x, 2, { dilation: 2 } as never)).toThrow(/^avgPool2d: unknown option "dilation"/);
    expect(() => g.reshape(x, [7, -1])).toThrow(ShapeError);
    expect(() => g.maxPool2d(g.input('flat', [2, 3]), 2)).toThrow(/^maxPool2d: x must be 4-D/);
    // The nodes that failed to build were never added (the inputs b and flat were, before their ops failed).
    expect(g.size).toBe(size + 3);
    const y = g.conv2d(x, w);
    expect(y.shape).toEqual([2, 4, 3, 3]);
    expect(y.inputs.map((n) => n.op)).toEqual(['input', 'param']);
  });
});

describe('a conv’s bias made before every other node (node 0)', () => {
  it('is added to each output channel, and gets the sum of its channel’s output gradient', () => {
    const g = new Graph({ dtype: 'float64' });
    const b = g.param('b', Tensor.from([0.5, 4], undefined, { dtype: 'float64' }));
    expect(b.id).toBe(0);
    const x = g.input('x', [1, 1, 1, 2]);
    const w = g.param('w', Tensor.from([3, -1], [2, 1, 1, 1], { dtype: 'float64' }));
    const y = g.conv2d(x, w, b);
    const r = Tensor.from([1, 2, -3, 5], [1, 2, 1, 2], { dtype: 'float64' });
    g.output(g.sum(g.mul(y, g.const(r))));
    g.forward({ x: [[[[1, 2]]]] });
    g.backward();
    // A 1×1 kernel: output channel o at position p is w[o]·x[p] + b[o].
    const [xs, ws, bs] = [
      [1, 2],
      [3, -1],
      [0.5, 4],
    ];
    const expected = [0, 1].flatMap((o) => xs.map((v) => (ws[o] as number) * v + (bs[o] as number)));
    expect(Array.from(g.value(y).data)).toEqual(expected);
    // d/db[o] of Σ r ⊙ y: the sum of r over channel o.
    expect(Array.from(g.grad(b).data)).toEqual([1 + 2, -3 + 5]);
  });
});
