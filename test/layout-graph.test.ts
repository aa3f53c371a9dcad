// g.transpose and g.concat: ops that only move values, so their gradients only move back.
// Values against the definitions written out here, gradients by gradcheck (float64),
// fan-out by construction (x·xᵀ, a tensor concatenated with itself).
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, gradcheck, init, type Node, ShapeError, Tensor, ValueError } from '../src/index';
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
