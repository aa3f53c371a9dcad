// What a Graph reports about its nodes — their op, label, gate and inputs as written, the
// list of nodes and of params — which its drawings and error messages are built from; a
// constant's sign; and nodes made after the graph first ran (the graph recompiles when it
// grows, and must neither lose what training wrote nor hand a new node an old node's slot).
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, init, type Node, StateError, Tensor } from '../src/index';

beforeAll(() => init());

const f64 = (v: number[] | number[][]) => Tensor.from(v, undefined, { dtype: 'float64' });

describe('what a Graph reports about its nodes: op, label, gate and inputs as written', () => {
  it('one row per kind of node', () => {
    const g = new Graph({ dtype: 'float64' });
    const s = g.input('s');
    const t = g.input('t', [2, 3]);
    const t2 = g.input('t2', [2, 3]);
    const y = g.labels('y', 2);
    const p = g.param(0.5);
    const c = g.const(0.25);
    const ct = g.const(Tensor.zeros([3]));
    const tt = g.transpose(t);
    const img = g.input('img', [1, 1, 3, 3]);
    const k = g.param('k', Tensor.zeros([2, 1, 2, 2]));
    const b = g.param('b', Tensor.zeros([2]));
    const rows: Array<[Node, string, string, string, Node[]]> = [
      [s, 'input', 's', 's', []],
      [y, 'labels', 'y', 'y', []],
      [p, 'param', `param#${p.id}`, `param#${p.id}`, []],
      [c, 'const', '0.25', '0.25', []],
      [ct, 'const', `const#${ct.id}`, `const#${ct.id}`, []],
      [g.exp(s), 'exp', '', 'exp', [s]],
      [g.scale(t, -1), 'scale', '', 'scale -1', [t]],
      [g.pow(s, 2), 'pow', '', 'pow 2', [s]],
      [g.pow(s, p), 'pow', '', 'pow', [s, p]],
      [g.sub(t, c), 'sub', '', 'sub', [t, c]],
      [g.add(t, t2), 'add', '', 'add', [t, t2]],
      [g.mul(t2, t), 'mul', '', 'mul', [t2, t]],
      // A scalar written first is swapped to broadcast; it is still max of (s, t), in that order.
      [g.max(s, t), 'max', '', 'max', [s, t]],
      [g.softmaxCrossEntropy(t, y), 'softmaxCrossEntropy', '', 'softmaxCrossEntropy', [t, y]],
      [g.svmLoss(t, y), 'svmLoss', '', 'svmLoss', [t, y]],
      [g.matmul(t, tt), 'matmul', '', 'matmul', [t, tt]],
      [g.concat([t, t]), 'concat', '', 'concat', [t, t]],
      // One tensor concatenated is a new node that copies it.
      [g.concat([t]), 'reshape', '', 'reshape', [t]],
      [g.mean(t), 'mean', '', 'mean', [t]],
      [g.sum(t), 'sum', '', 'sum', [t]],
      [g.conv2d(img, k, b), 'conv2d', '', 'conv2d', [img, k, b]],
      [g.conv2d(img, k), 'conv2d', '', 'conv2d', [img, k]],
    ];
    for (const [node, op, label, gate, inputs] of rows) {
      const what = `${op} #${node.id}`;
      expect(node.op, what).toBe(op);
      expect(node.toString(), what).toBe(label || `${op}#${node.id}`);
      expect(node.gate, what).toBe(gate);
      expect(
        node.inputs.map((n) => n.id),
        what,
      ).toEqual(inputs.map((n) => n.id));
    }
  });

  it('nodes() lists every node but the fixed constants of ops; params() the params by name', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 1);
    const a = g.scale(x, 2);
    const u = g.param(3);
    const b = g.leakyRelu(a, 0.2);
    expect(g.nodes().map((n) => [n.id, n.op])).toEqual([
      [x.id, 'input'],
      [w.id, 'param'],
      [a.id, 'scale'],
      [u.id, 'param'],
      [b.id, 'leakyRelu'],
    ]);
    expect(g.params().map(({ name, node }) => [name, node.id])).toEqual([
      ['w', w.id],
      [`param#${u.id}`, u.id],
    ]);
  });

  it('a constant of 0 and one of −0 are two constants: each op keeps its sign', () => {
    const g = new Graph();
    const x = g.input('x');
    const plus = g.scale(x, 0);
    const minus = g.scale(x, -0);
    const plusAgain = g.scale(x, 0);
    const minusAgain = g.offset(g.scale(x, 0), -0);
    g.forward({ x: 1 });
    // 1·0 = 0, 1·(−0) = −0, and 0 + (−0) = 0: the signs IEEE 754 gives.
    expect(Object.is(g.value(plus), 0)).toBe(true);
    expect(Object.is(g.value(minus), -0)).toBe(true);
    expect(Object.is(g.value(plusAgain), 0)).toBe(true);
    expect(Object.is(g.value(minusAgain), 0)).toBe(true);
    const h = new Graph();
    const z = h.input('z');
    const first = h.scale(z, -0);
    const second = h.scale(z, 0);
    h.forward({ z: 1 });
    expect([Object.is(h.value(first), -0), Object.is(h.value(second), 0)]).toEqual([true, true]);
  });

  it('a fixed constant that several ops use is one node: g.size counts it once', () => {
    const g = new Graph();
    const x = g.input('x');
    const a = g.scale(x, 2);
    const b = g.scale(x, 2);
    const c = g.offset(x, 2);
    // x, the constant 2, and three ops; each op's id follows the last.
    expect(g.size).toBe(5);
    expect([a.id, b.id, c.id]).toEqual([2, 3, 4]);
    g.forward({ x: 3 });
    expect([g.value(a), g.value(b), g.value(c)]).toEqual([6, 6, 5]);
  });

  it('an input of −0 goes in as −0', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.scale(x, 3);
    g.forward({ x: -0 });
    expect([Object.is(g.value(x), -0), Object.is(g.value(y), -0)]).toEqual([true, true]);
  });
});

describe('nodes made after a Graph first ran', () => {
  it('an op made after a run: no value or gradient of that run is read until the next forward and backward, which take it in', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.mul(x, x);
    g.forward({ x: 3 });
    g.backward(y);
    // The program of that run has no slot for z: reading z from it, or backpropagating
    // from z through it, would go past the memory it holds.
    const z = g.add(y, 1);
    expect(() => g.value(z)).toThrow(StateError);
    expect(() => g.value(z)).toThrow(/^value: add#3 has no value until forward has run$/);
    expect(() => g.value(y)).toThrow(/^value: mul#1 has no value until forward has run$/);
    expect(() => g.grad(x)).toThrow(/^grad: x has no gradient until backward has run$/);
    expect(() => g.backward(z)).toThrow(/^backward: run forward first \(and after any change to the graph\)$/);
    expect(g.forward({ x: 3 })).toBe(10);
    g.backward(z);
    expect([g.value(y), g.grad(x), g.grad(y)]).toEqual([9, 6, 1]);
  });

  it('the same in a graph with tensors', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2]);
    const y = g.mul(x, x);
    g.forward({ x: [1, 2] });
    g.backward(y);
    const total = g.sum(y);
    expect(() => g.value(total)).toThrow(/^value: sum#2 has no value until forward has run$/);
    expect(() => g.grad(x)).toThrow(/^grad: x has no gradient until backward has run$/);
    expect(() => g.backward(total)).toThrow(/^backward: run forward first \(and after any change to the graph\)$/);
    expect(g.forward({ x: [1, 2] })).toBe(5);
    g.backward(total);
    expect(Array.from(g.grad(x).data)).toEqual([2, 4]);
    g.dispose();
  });

  it('a param made after forward has its own value, set holds, and the next forward uses it (scalars)', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 2);
    g.output(g.mul(w, x));
    expect(g.forward({ x: 3 })).toBe(6);
    g.backward();
    const late = g.param('late', 5);
    expect(g.value(late)).toBe(5);
    g.set(late, 7);
    expect(g.value(late)).toBe(7);
    g.output(g.add(g.mul(w, x), late));
    expect(g.forward({ x: 3 })).toBe(13);
    g.backward();
    expect([g.grad(w), g.grad(late)]).toEqual([3, 1]);
  });

  it('a tensor param or const made after forward has its own value, set holds, and the next forward uses it', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2]);
    g.output(g.sum(x));
    expect(g.forward({ x: [1, 2] })).toBe(3);
    const late = g.param('late', f64([5, 6]));
    const k = g.const(f64([0.5, 0.25]));
    expect(Array.from(g.value(late).data)).toEqual([5, 6]);
    expect(Array.from(g.value(k).data)).toEqual([0.5, 0.25]);
    g.set(late, [7, 8]);
    expect(Array.from(g.value(late).data)).toEqual([7, 8]);
    g.output(g.sum(g.mul(g.add(x, late), k)));
    expect(g.forward({ x: [1, 2] })).toBe((1 + 7) * 0.5 + (2 + 8) * 0.25);
  });

  it('a large tensor param set after forward and before the graph recompiles: its values, and nothing else, change', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2]);
    g.output(g.sum(x));
    g.forward({ x: [1, 2] });
    // Made after the program was compiled, so the program has no slot for it until the next forward.
    const big = g.param('big', Tensor.zeros([1 << 16], { dtype: 'float64' }));
    g.set(big, Tensor.full([1 << 16], 0.5, { dtype: 'float64' }));
    g.output(g.add(g.sum(x), g.sum(big)));
    expect(g.forward({ x: [1, 2] })).toBe(3 + 0.5 * (1 << 16));
    const t = Tensor.from([1, 2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
  });

  it('a scalar param set between two recompiles: the graph, grown again, runs with the value set', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 2);
    g.output(g.mul(w, x));
    expect(g.forward({ x: 3 })).toBe(6);
    g.output(g.offset(g.mul(w, x), 1));
    expect(g.forward({ x: 3 })).toBe(7);
    g.set(w, 5);
    expect(g.value(w)).toBe(5);
    g.output(g.offset(g.mul(w, x), 2));
    expect(g.forward({ x: 3 })).toBe(17);
    expect(g.value(w)).toBe(5);
  });

  it('a tensor param trained in place keeps its trained values when the graph grows', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [1, 2]);
    const W = g.param('W', f64([[1], [2]]));
    g.output(g.sum(g.matmul(x, W)));
    expect(g.forward({ x: [[1, 1]] })).toBe(3);
    // A training step writes into the param's value, as an optimizer loop does.
    const w = g.value(W).data;
    w[0] = 10;
    w[1] = 20;
    g.output(g.sum(g.offset(g.matmul(x, W), 1)));
    expect(g.forward({ x: [[1, 1]] })).toBe(31);
    expect(Array.from(g.value(W).data)).toEqual([10, 20]);
  });
});

describe('a param set before the graph first ran', () => {
  it('a scalar: value reads the number set, and the first forward uses it', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 2);
    g.output(g.mul(w, x));
    g.set(w, 5);
    expect(g.value(w)).toBe(5);
    expect(g.forward({ x: 3 })).toBe(15);
  });

  it('a tensor: value reads the values set, and the first forward uses them', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2]);
    const W = g.param('W', f64([1, 1]));
    g.output(g.sum(g.mul(W, x)));
    g.set(W, [3, -2]);
    expect(Array.from(g.value(W).data)).toEqual([3, -2]);
    expect(g.forward({ x: [10, 1] })).toBe(28);
  });
});

describe('set after a graph ran', () => {
  it('values of ops and every gradient wait for the next forward and backward, which use the value set', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 2);
    const y = g.output(g.mul(w, x));
    g.forward({ x: 3 });
    g.backward();
    expect(g.grad(x)).toBe(2);
    g.set(w, 5);
    expect(() => g.value(y)).toThrow(/^value: mul#2 has no value until forward has run$/);
    expect(() => g.grad(x)).toThrow(/^grad: x has no gradient until backward has run$/);
    g.forward({ x: 3 });
    g.backward();
    expect(g.grad(x)).toBe(5);
  });
});

describe('leaves read before the graph has run', () => {
  it('a const and a param read their own values; an unnamed param made first is param#0', () => {
    const g = new Graph({ dtype: 'float64' });
    const p = g.param(0.5);
    const c = g.const(0.25);
    const t = g.param('t', f64([0.1, 0.2]));
    expect([p.toString(), g.value(p), g.value(c)]).toEqual(['param#0', 0.5, 0.25]);
    // Read in the graph's dtype: 0.1 and 0.2 as float64, not rounded to float32.
    expect(g.value(t).dtype).toBe('float64');
    expect(Array.from(g.value(t).data)).toEqual([0.1, 0.2]);
  });
});

describe('which ops a backward runs: the ops its target depends on, and only those', () => {
  it('an op the target does not read, made between two it does, neither runs nor hides them', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.scale(x, 2);
    g.pow(x, 0.5); // not read by the target: at x = 0 its gradient would be 0·∞, NaN
    const target = g.scale(y, 3);
    g.forward({ x: 0 });
    g.backward(target);
    expect(g.grad(x)).toBe(6);
  });

  it('nor does one whose id happens to equal another op’s integer parameter (maxout’s k)', () => {
    const g = new Graph();
    const x = g.input('x', [2]); // node 0
    g.pow(x, 0.5); // node 2 (its exponent is node 1): at x = 0 its gradient is 0·∞, NaN
    const t = g.input('t', [1, 4]);
    const loss = g.sum(g.maxout(t, 2)); // maxout's k = 2
    g.forward({ x: [0, 1], t: [[1, 2, 4, 3]] });
    g.backward(loss);
    expect(Array.from(g.grad(t).data)).toEqual([0, 1, 1, 0]);
  });

  it('a conv’s bias computed by an op gets its gradient through that op', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [1, 1, 1, 2]);
    const w = g.param('w', Tensor.from([3, -1], [2, 1, 1, 1], { dtype: 'float64' }));
    const b = g.param('b', f64([0.5, 4]));
    const y = g.conv2d(x, w, g.scale(b, 2));
    const r = Tensor.from([1, 2, -3, 5], [1, 2, 1, 2], { dtype: 'float64' });
    g.output(g.sum(g.mul(y, g.const(r))));
    g.forward({ x: [[[[1, 2]]]] });
    g.backward();
    // y[o, p] = w[o]·x[p] + 2·b[o]: d/db[o] of Σ r ⊙ y is 2 Σ_p r[o, p].
    expect(Array.from(g.value(y).data)).toEqual([3 * 1 + 1, 3 * 2 + 1, -1 * 1 + 8, -1 * 2 + 8]);
    expect(Array.from(g.grad(b).data)).toEqual([2 * (1 + 2), 2 * (-3 + 5)]);
  });
});

describe('scalars in a tensor graph', () => {
  it('a scalar param and a number operand hold their values', () => {
    const g = new Graph({ dtype: 'float64' });
    const x = g.input('x', [2]);
    const p = g.param('p', 3);
    const y = g.mul(g.add(x, 1), p);
    g.output(g.sum(y));
    g.forward({ x: [1, 2] });
    expect(Array.from(g.value(y).data)).toEqual([(1 + 1) * 3, (2 + 1) * 3]);
    g.backward();
    expect(g.grad(p)).toBe(2 + 3);
  });
});

describe('concat along a negative axis', () => {
  it('−rank is axis 0, −1 the last', () => {
    const g = new Graph({ dtype: 'float64' });
    const a = g.input('a', [1, 2]);
    const b = g.input('b', [1, 2]);
    const first = g.concat([a, b], -2);
    const last = g.concat([a, b], -1);
    g.sum(g.add(g.sum(first), g.sum(last)));
    g.forward({ a: [[1, 2]], b: [[3, 4]] });
    expect([first.shape, g.value(first).toArray()]).toEqual([
      [2, 2],
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    expect([last.shape, g.value(last).toArray()]).toEqual([[1, 4], [[1, 2, 3, 4]]]);
  });
});
