// g.transpose and g.concat: ops that only move values, so their gradients only move back;
// and g.dropout, which moves them through its mask.
// Values against the definitions written out here, gradients by gradcheck (float64),
// fan-out by construction (x·xᵀ, a tensor concatenated with itself).
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, gradcheck, init, memoryStats, type Node, ShapeError, Tensor, ValueError } from '../src/index';
import { Random } from '../src/random';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(5150);
const tensor = (shape: readonly number[], dtype: 'float32' | 'float64' = 'float64') =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    shape,
    { dtype },
  );

/** Gradchecks L = Σ r ⊙ build(inputs) over the named inputs. */
function check(shapes: Record<string, number[]>, build: (g: Graph, n: Record<string, Node<Tensor>>) => Node<Tensor>): void {
  const g = new Graph({ dtype: 'float64' });
  const nodes = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, g.input(name, shape)]));
  const out = build(g, nodes);
  const loss = g.sum(g.mul(out, g.const(tensor(out.shape))));
  const names = Object.keys(shapes);
  const result = gradcheck(
    (given) => {
      g.forward(Object.fromEntries(names.map((name, i) => [name, given[i] as Tensor])));
      g.backward(loss);
      return { value: g.value(loss), grads: names.map((name) => g.grad(nodes[name] as Node<Tensor>)) };
    },
    names.map((name) => tensor(shapes[name] as number[])),
  );
  expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  g.dispose();
}

describe('g.transpose', () => {
  it.each(['float64', 'float32'] as const)('%s: out[j, i] = x[i, j], and dx is dout transposed back', (dtype) => {
    const g = new Graph({ dtype });
    const x = g.input('x', [3, 5]);
    const t = g.transpose(x);
    expect(t.shape).toEqual([5, 3]);
    const r = tensor([5, 3], dtype);
    const loss = g.sum(g.mul(t, g.const(r)));
    const xv = tensor([3, 5], dtype);
    g.forward({ x: xv });
    g.backward(loss);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        expect(g.value(t).data[j * 3 + i]).toBe(xv.data[i * 5 + j]);
        expect(g.grad(x).data[i * 5 + j]).toBe(r.data[j * 3 + i]);
      }
    }
    g.dispose();
  });

  it('x·xᵀ passes gradcheck: x gets the gradient through both operands', () => {
    check({ x: [4, 3] }, (g, n) => g.matmul(n.x as Node<Tensor>, g.transpose(n.x as Node<Tensor>)));
  });

  it('refuses a tensor that is not 2-D', () => {
    const g = new Graph();
    expect(() => g.transpose(g.input('x', [2, 3, 4]))).toThrow(/transpose: x must be 2-D, got \[2,3,4\]/);
  });
});

describe('g.concat', () => {
  it.each([
    [0, [2, 3], [4, 3]],
    [1, [2, 3], [2, 1]],
    [-1, [2, 2, 3], [2, 2, 2]],
    [1, [2, 1, 3], [2, 4, 3]],
  ] as const)('along axis %i, [%s] and [%s]: the values side by side, and each input its part of the gradient', (axis, sa, sb) => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.input('a', sa);
    const b = g.input('b', sb);
    const c = g.concat([a, b], axis);
    const at = axis < 0 ? axis + sa.length : axis;
    const expectedShape = sa.map((dim, d) => (d === at ? dim + (sb[d] as number) : dim));
    expect(c.shape).toEqual(expectedShape);
    const [av, bv, r] = [tensor(sa), tensor(sb), tensor(expectedShape)];
    const loss = g.sum(g.mul(c, g.const(r)));
    g.forward({ a: av, b: bv });
    g.backward(loss);
    // By the definition: index (outer o, position p along the axis and after) of the output.
    const outer = sa.slice(0, at).reduce((x: number, y: number) => x * y, 1);
    const innerA = av.size / outer;
    const innerB = bv.size / outer;
    for (let o = 0; o < outer; o++) {
      for (let p = 0; p < innerA + innerB; p++) {
        const from = p < innerA ? av.data[o * innerA + p] : bv.data[o * innerB + p - innerA];
        const outAt = o * (innerA + innerB) + p;
        expect(g.value(c).data[outAt]).toBe(from);
        const grad = p < innerA ? g.grad(a).data[o * innerA + p] : g.grad(b).data[o * innerB + p - innerA];
        expect(grad).toBe(r.data[outAt]);
      }
    }
    g.dispose();
  });

  it('three inputs along axis 1 pass gradcheck, and one concatenated with itself gets both parts', () => {
    check({ a: [2, 3], b: [2, 2], c: [2, 1] }, (g, n) => g.concat([n.a, n.b, n.c] as Node<Tensor>[], 1));
    check({ a: [3, 2] }, (g, n) => g.concat([n.a, g.relu(n.a as Node<Tensor>), n.a] as Node<Tensor>[], 0));
  });

  it('refuses dimensions that disagree off the axis, an axis out of range, and no inputs; the graph still works', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [3, 2]);
    expect(() => g.concat([a, b], 0)).toThrow(ShapeError);
    expect(() => g.concat([a, b], 0)).toThrow(
      /concat: along axis 0, every other dimension must agree, got \[2,3\], \[3,2\] \(input 1 differs\)/,
    );
    expect(() => g.concat([a, a], 2)).toThrow(/axis must be an integer in \[-2, 1\] for 2-D tensors, got 2/);
    expect(() => g.concat([], 0)).toThrow(ValueError);
    const c = g.concat([a, a], 1);
    g.forward({ a: Tensor.ones([2, 3]), b: Tensor.ones([3, 2]) });
    expect(g.value(c).shape).toEqual([2, 6]);
  });
});

/** The masks g.dropout(x, p, { seed }) draws, one after another, drawn again here with the generator the test imports. */
function masks(p: number, seed: number, count: number): () => Float64Array {
  const generator = new Random(seed);
  return () => Float64Array.from({ length: count }, () => (generator.uniform() < 1 - p ? 1 / (1 - p) : 0));
}

describe('g.dropout', () => {
  it.each(['float64', 'float32'] as const)(
    '%s: while training, x times the mask its seed draws (a new one each forward); dx is dout times it',
    (dtype) => {
      const round = dtype === 'float32' ? Math.fround : (v: number) => v;
      const g = new Graph({ dtype });
      const x = g.input('x', [3, 7]);
      const y = g.dropout(x, 0.4, { seed: 21 });
      const r = tensor([3, 7], dtype);
      const loss = g.sum(g.mul(y, g.const(r)));
      const next = masks(0.4, 21, 21);
      for (let run = 0; run < 3; run++) {
        const xv = tensor([3, 7], dtype);
        g.forward({ x: xv });
        g.backward(loss);
        const mask = Array.from(next(), round);
        // + 0: a dropped gradient is added into a zeroed one, so it is +0 where the product is −0.
        const plain = (values: ArrayLike<number>) => Array.from(values, (v) => v + 0);
        expect(plain(g.value(y).data)).toEqual(Array.from(xv.data, (v, i) => round(v * (mask[i] as number)) + 0));
        expect(plain(g.grad(x).data)).toEqual(Array.from(r.data, (v, i) => round(v * (mask[i] as number)) + 0));
      }
      g.dispose();
    },
  );

  it('two dropouts in one graph each draw their own seed’s masks (each keeps its own generator and mask); p = 0 keeps every value', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2, 4]);
    const a = g.dropout(x, 0.5, { seed: 7 });
    const b = g.dropout(x, 0.25, { seed: 11 });
    const keep = g.dropout(x, 0, { seed: 5 });
    g.output(g.sum(g.add(g.add(a, b), keep)));
    const [nextA, nextB] = [masks(0.5, 7, 8), masks(0.25, 11, 8)];
    for (let run = 0; run < 2; run++) {
      const xv = tensor([2, 4]);
      g.forward({ x: xv });
      g.backward();
      const [ma, mb] = [nextA(), nextB()];
      expect(Array.from(g.value(a).data, (v) => v + 0)).toEqual(Array.from(xv.data, (v, i) => v * (ma[i] as number) + 0));
      expect(Array.from(g.value(b).data, (v) => v + 0)).toEqual(Array.from(xv.data, (v, i) => v * (mb[i] as number) + 0));
      expect(Array.from(g.value(keep).data)).toEqual(Array.from(xv.data));
      expect(Array.from(g.grad(x).data)).toEqual(Array.from(ma, (m, i) => m + (mb[i] as number) + 1));
    }
    g.dispose();
  });

  it('without a seed, a graph’s dropouts draw as seeds 1, 2, 3, … in the order they were made; a seeded one does not count', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2, 4]);
    const first = g.dropout(x, 0.5);
    const second = g.dropout(x, 0.5);
    const seeded = g.dropout(x, 0.5, { seed: 40 });
    const third = g.dropout(x, 0.5);
    g.output(g.sum(g.add(g.add(first, second), g.add(seeded, third))));
    const next = [masks(0.5, 1, 8), masks(0.5, 2, 8), masks(0.5, 40, 8), masks(0.5, 3, 8)];
    for (let run = 0; run < 2; run++) {
      const xv = tensor([2, 4]);
      g.forward({ x: xv });
      [first, second, seeded, third].forEach((node, i) => {
        const mask = (next[i] as () => Float64Array)();
        expect(Array.from(g.value(node).data, (v) => v + 0)).toEqual(Array.from(xv.data, (v, j) => v * (mask[j] as number) + 0));
      });
    }
    g.dispose();
  });

  it('in evaluation it passes x and dout through, and training picks up the stream where it left off', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2, 5]);
    const y = g.dropout(x, 0.5, { seed: 3 });
    const r = tensor([2, 5]);
    const loss = g.sum(g.mul(y, g.const(r)));
    const xv = tensor([2, 5]);
    const next = masks(0.5, 3, 10);
    g.forward({ x: xv });
    const first = next();
    expect(Array.from(g.value(y).data)).toEqual(Array.from(xv.data, (v, i) => v * (first[i] as number)));
    expect(g.eval()).toBe(g);
    expect(g.training).toBe(false);
    g.forward({ x: xv });
    g.backward(loss);
    expect(Array.from(g.value(y).data)).toEqual(Array.from(xv.data));
    expect(Array.from(g.grad(x).data)).toEqual(Array.from(r.data));
    g.train();
    g.forward({ x: xv });
    const second = next();
    expect(Array.from(g.value(y).data)).toEqual(Array.from(xv.data, (v, i) => v * (second[i] as number)));
    g.dispose();
  });

  it('passes gradcheck in training (float64): each evaluation a fresh graph of the same seed, so the same mask', () => {
    const shapes = { x: [3, 4], w: [4, 2] };
    const r = tensor([3, 2]);
    const result = gradcheck(
      (given) => {
        const g = new Graph({ dtype: 'float64' });
        const x = g.input('x', shapes.x);
        const w = g.input('w', shapes.w);
        const loss = g.sum(g.mul(g.matmul(g.dropout(g.tanh(x), 0.3, { seed: 9 }), w), g.const(r)));
        g.forward({ x: given[0] as Tensor, w: given[1] as Tensor });
        g.backward(loss);
        const out = { value: g.value(loss), grads: [Float64Array.from(g.grad(x).data), Float64Array.from(g.grad(w).data)] };
        g.dispose();
        return out;
      },
      [tensor(shapes.x), tensor(shapes.w)],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('refuses p outside [0, 1), a seed that is not an integer, a number for x, and a mode that is not a boolean', () => {
    const g = new Graph();
    const x = g.input('x', [2, 2]);
    expect(() => g.dropout(x, 1)).toThrow(/dropout: p, the probability of dropping a value, must be in \[0, 1\), got 1/);
    expect(() => g.dropout(x, 0.5, { seed: 0.5 })).toThrow(/dropout: seed must be an integer/);
    expect(() => g.dropout(g.input('s'), 0.5)).toThrow(/dropout: x must be a tensor/);
    expect(() => g.train('no' as never)).toThrow(/Graph.train: mode must be true or false/);
  });

  it('allocates nothing after its first run', () => {
    const g = new Graph();
    const x = g.input('x', [16, 16]);
    const loss = g.sum(g.dropout(g.relu(x), 0.5, { seed: 1 }));
    const xv = tensor([16, 16], 'float32');
    g.forward({ x: xv });
    g.backward(loss);
    const after = memoryStats().bytesInUse;
    for (let i = 0; i < 20; i++) {
      g.forward({ x: xv });
      g.backward(loss);
    }
    expect(memoryStats().bytesInUse).toBe(after);
    g.dispose();
  });
});
