import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, GraphError, gradcheck, init, memoryStats, type Node, StateError, ValueError } from '../src/index';
import { expectNear, GATES, RULES, rng } from './helpers';

beforeAll(() => init());

describe('Graph: build once, run many times', () => {
  it('each forward takes new inputs; each backward starts from zeroed gradients', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const f = g.mul(x, y);
    for (const [a, b] of [
      [2, 3],
      [-1, 5],
      [0.5, 0.25],
    ] as const) {
      expect(g.forward({ x: a, y: b })).toBe(a * b);
      g.backward(f);
      g.backward(f); // twice: no accumulation across passes
      expect([g.grad(x), g.grad(y)]).toEqual([b, a]);
    }
  });

  it('gradients add at branches: a node used twice accumulates', () => {
    const g = new Graph();
    const x = g.input('x');
    const f = g.add(g.mul(x, x), x); // x² + x
    g.forward({ x: 3 });
    g.backward(f);
    expect(g.grad(x)).toBe(7);
  });

  it('params keep their values between runs until set', () => {
    const g = new Graph();
    const w = g.param('w', 2);
    const x = g.input('x');
    const f = g.mul(w, x);
    expect(g.forward({ x: 3 })).toBe(6);
    g.backward(f);
    g.set(w, w.value - 0.5 * g.grad(w)); // one step of gradient descent
    expect(g.value(w)).toBe(0.5);
    expect(g.forward({ x: 3 })).toBe(1.5);
    expect(g.node('w').value).toBe(0.5);
  });

  it('returns the output node’s value, else the last node’s; backward from any node', () => {
    const g = new Graph();
    const x = g.input('x');
    const q = g.offset(x, 1);
    const f = g.output(g.scale(q, 3));
    g.exp(x); // made after the output: still computed, not returned
    expect(g.forward({ x: 1 })).toBe(6);
    g.backward(q);
    expect([g.grad(x), g.grad(q), g.grad(f)]).toEqual([1, 1, 0]);
    g.backward();
    expect([g.grad(x), g.grad(q), g.grad(f)]).toEqual([3, 3, 1]);
  });

  it('grows after running: new nodes compile on the next forward, values and params survive', () => {
    const g = new Graph();
    const w = g.param('w', 1);
    const x = g.input('x');
    const first = g.mul(w, x);
    g.forward({ x: 2 });
    g.backward(first);
    g.set(w, 4);
    const second = g.output(g.add(first, g.const(1)));
    expect(g.forward({ x: 2 })).toBe(9);
    g.backward(second);
    expect(g.grad(w)).toBe(2);
  });

  it('a chain of 1,000,000 nodes runs forward and backward (no recursion)', () => {
    const g = new Graph();
    const x = g.input('x');
    let node: Node = x;
    for (let i = 0; i < 1_000_000; i++) node = i % 2 === 0 ? g.scale(node, 1.000001) : g.offset(node, -0.000001);
    const expected = (() => {
      let v = 1;
      for (let i = 0; i < 1_000_000; i++) v = i % 2 === 0 ? v * 1.000001 : v - 0.000001;
      return v;
    })();
    expect(g.forward({ x: 1 })).toBe(expected);
    g.backward();
    expect(g.grad(x)).toBeCloseTo(1.000001 ** 500_000, 9);
    g.dispose();
  });

  it('toDot draws every node with its value and gradient', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const z = g.input('z');
    g.mul(g.add(x, y), z);
    expect(g.toDot()).not.toMatch(/value/);
    g.forward({ x: -2, y: 5, z: -4 });
    g.backward();
    const dot = g.toDot();
    expect(dot).toMatch(/^digraph wasmgrad \{/);
    expect(dot).toContain('n0 [shape=box, label="x\\nvalue -2\\ngrad -4"]');
    expect(dot).toContain('n4 [shape=ellipse, label="mul\\nvalue -12\\ngrad 1"]');
    expect(dot.match(/->/g)?.length).toBe(4);
  });

  it('memory stays flat over repeated forward/backward', () => {
    const g = new Graph();
    const x = g.input('x');
    g.tanh(g.mul(x, g.param('w', 0.5)));
    g.forward({ x: 1 });
    g.backward();
    const before = memoryStats();
    for (let i = 0; i < 10_000; i++) {
      g.forward({ x: i / 10_000 });
      g.backward();
    }
    expect(memoryStats()).toEqual(before);
    g.dispose();
    expect(memoryStats().bytesInUse).toBeLessThan(before.bytesInUse);
  });
});

describe('every Graph op passes gradcheck inside a composite graph', () => {
  it.each(GATES)('$name', ({ graph, sample }) => {
    const random = rng(5);
    const g = new Graph();
    const point = sample(random);
    const inputs = point.map((_, i) => g.input(`x${i}`));
    const w = g.param('w', 0.7);
    // The op sits between other ops so the chain rule is exercised on both sides.
    const op = graph(g, inputs);
    const f = g.add(g.mul(op, w), g.mul(inputs[0] as Node<number>, 0.3));
    for (let trial = 0; trial < 20; trial++) {
      const result = gradcheck((xs) => {
        g.forward(Object.fromEntries(xs.map((v, i) => [`x${i}`, v as number])));
        const value = g.value(f);
        g.backward();
        return { value, grads: inputs.map((n) => g.grad(n)) };
      }, sample(random));
      expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    }
  });

  it('pow with a number exponent, and a neuron of every activation, its ReLUs on both sides of their kink', () => {
    const random = rng(9);
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    // h = x³ + y^−½ − 2.2 runs from about −1.3 to 2.6 over the sampled square: the ReLU
    // family sees negative inputs (their α branches) as well as positive ones.
    const h = g.offset(g.add(g.pow(x, 3), g.pow(y, -0.5)), -2.2);
    const acts = [g.sigmoid(h), g.tanh(h), g.relu(h), g.leakyRelu(h, 0.25), g.elu(h, 0.5), g.exp(g.scale(h, 0.1))];
    let total = acts[0] as Node<number>;
    for (const a of acts.slice(1)) total = g.add(total, a);
    const f = g.output(g.div(total, g.offset(g.log(g.add(g.mul(x, x), 1)), 1)));
    const sides = { negative: 0, positive: 0 };
    for (let trial = 0; trial < 30; trial++) {
      const point = [0.5 + random(), 0.5 + random()];
      g.forward({ x: point[0] as number, y: point[1] as number });
      const at = g.value(h);
      // gradcheck's steps must not cross the kink at h = 0.
      if (Math.abs(at) < 0.01) continue;
      sides[at < 0 ? 'negative' : 'positive']++;
      const result = gradcheck((xs) => {
        g.forward({ x: xs[0] as number, y: xs[1] as number });
        const value = g.value(f);
        g.backward();
        return { value, grads: [g.grad(x), g.grad(y)] };
      }, point);
      expect(result.ok, `h = ${at}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
    expect(sides.negative).toBeGreaterThanOrEqual(5);
    expect(sides.positive).toBeGreaterThanOrEqual(5);
  });
});

describe.each(RULES)('$name as a scalar Graph op, against the lecture’s rule in closed form', ({ graph, rule, points, onKink = [] }) => {
  const build = (arity: number) => {
    const g = new Graph();
    const inputs = Array.from({ length: arity }, (_, i) => g.input(`x${i}`));
    const op = graph(g, inputs);
    return { g, inputs, op };
  };
  const feed = (point: readonly number[]) => Object.fromEntries(point.map((v, i) => [`x${i}`, v]));

  it('value and gradients at fixed points, on both sides of any kink and on it by the documented tie rule', () => {
    const { g, inputs, op } = build((points[0] as number[]).length);
    for (const point of [...points, ...onKink]) {
      const expected = rule([...point]);
      expectNear(g.forward(feed(point)) as number, expected.value, 1e-12, `f(${point})`);
      g.backward(op);
      inputs.forEach((node, i) => {
        expectNear(g.grad(node), expected.grads[i] as number, 1e-12, `d${i} at ${point}`);
      });
    }
  });

  it('passes gradcheck at the same points inside a composite graph', () => {
    const { g, inputs, op } = build((points[0] as number[]).length);
    // Ops on both sides of it, so that its dout is not 1 and its input is read twice.
    const f = g.add(g.mul(op, g.param('w', 0.7)), g.mul(inputs[0] as Node<number>, 0.3));
    for (const point of points) {
      const result = gradcheck(
        (xs) => {
          g.forward(feed(xs as number[]));
          const value = g.value(f);
          g.backward(f);
          return { value, grads: inputs.map((n) => g.grad(n)) };
        },
        [...point],
      );
      expect(result.ok, `at ${point}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });
});

describe('gradients add at forks: a value used more than once (the scalar tape)', () => {
  it('x used three times by three ops, f = x·y + eˣ + max(x, y): df/dx = y + eˣ + [x ≥ y], df/dy = x + [x < y]', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const f = g.add(g.add(g.mul(x, y), g.exp(x)), g.max(x, y));
    const run = ([a, b]: readonly number[]) => {
      const value = g.forward({ x: a as number, y: b as number }) as number;
      g.backward(f);
      return { value, grads: [g.grad(x), g.grad(y)] };
    };
    for (const [a, b] of [
      [1.2, -0.7],
      [-0.4, 0.9],
      [0.5, 0.5], // a tie: max's share goes to x
    ] as const) {
      const { grads } = run([a, b]);
      expectNear(grads[0] as number, b + Math.exp(a) + (a >= b ? 1 : 0), 1e-12, `df/dx at ${[a, b]}`);
      expectNear(grads[1] as number, a + (a < b ? 1 : 0), 1e-12, `df/dy at ${[a, b]}`);
      if (a !== b) {
        const result = gradcheck((xs) => run(xs), [a, b]);
        expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      }
    }
  });

  it('x used three times along a chain, f = (x·x)·x: df/dx = 3x²', () => {
    const g = new Graph();
    const x = g.input('x');
    const f = g.mul(g.mul(x, x), x);
    for (const v of [-1.5, 0.4, 2]) {
      g.forward({ x: v });
      g.backward(f);
      expectNear(g.grad(x), 3 * v * v, 1e-12, `at ${v}`);
      const result = gradcheck(
        ([a]) => {
          const value = g.forward({ x: a }) as number;
          g.backward(f);
          return { value, grads: [g.grad(x)] };
        },
        [v],
      );
      expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    }
  });

  it.each(GATES.filter(({ points }) => points[0]?.length === 2))(
    '$name of x with itself: both operands’ gradients land on x and add',
    ({ graph, rule }) => {
      const g = new Graph();
      const x = g.input('x');
      const f = graph(g, [x, x]);
      for (const v of [0.7, 1.3]) {
        g.forward({ x: v });
        g.backward(f);
        const { grads } = rule([v, v]);
        expectNear(g.grad(x), (grads[0] as number) + (grads[1] as number), 1e-12, `at ${v}`);
        const result = gradcheck(
          ([a]) => {
            const value = g.forward({ x: a }) as number;
            g.backward(f);
            return { value, grads: [g.grad(x)] };
          },
          [v],
        );
        expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      }
    },
  );
});

describe('Graph: bad input is a clear error, and the graph stays usable', () => {
  const circuit = () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const f = g.mul(g.add(x, y), g.param('z', -4));
    return { g, x, y, f };
  };

  it('a missing or unknown input name', () => {
    const { g } = circuit();
    expect(() => g.forward({ x: 1 })).toThrow(GraphError);
    expect(() => g.forward({ x: 1 })).toThrow('forward: missing input "y"');
    expect(() => g.forward({ x: 1, y: 2, w: 3 })).toThrow('forward: unknown input "w" (inputs: "x", "y")');
    expect(g.forward({ x: -2, y: 5 })).toBe(-12);
  });

  it('a non-number or non-finite input', () => {
    const { g } = circuit();
    expect(() => g.forward({ x: '1' as unknown as number, y: 2 })).toThrow('forward: input "x" must be a finite number, got "1"');
    expect(() => g.forward({ x: Number.NaN, y: 2 })).toThrow(ValueError);
    expect(() => g.forward({ x: 1, y: Number.NEGATIVE_INFINITY })).toThrow('input "y" must be a finite number, got -Infinity');
    expect(() => g.forward(null as never)).toThrow(/inputs must be an object/);
    expect(g.forward({ x: -2, y: 5 })).toBe(-12);
  });

  it('a node of another graph, or something that is not a node', () => {
    const { g, x } = circuit();
    const other = new Graph();
    const stranger = other.input('x');
    expect(() => g.add(x, stranger)).toThrow(GraphError);
    expect(() => g.add(x, stranger)).toThrow('add: node x belongs to another Graph');
    expect(() => g.grad(stranger)).toThrow(/grad: node x belongs to another Graph/);
    expect(() => g.mul(x, 'y' as unknown as number)).toThrow('mul: the second operand must be a Node or a number, got "y"');
    expect(() => g.scale(x, Number.NaN)).toThrow('scale: its constant must be a finite number, got NaN');
    expect(() => g.input('x')).toThrow('input: the name "x" is taken');
    expect(g.forward({ x: -2, y: 5 })).toBe(-12);
  });

  it('backward, value or grad before forward', () => {
    const { g, x, f } = circuit();
    expect(() => g.backward(f)).toThrow(StateError);
    expect(() => g.backward(f)).toThrow('backward: run forward first');
    expect(() => g.value(f)).toThrow('value: mul#4 has no value until forward has run');
    expect(() => g.grad(x)).toThrow('grad: x has no gradient until backward has run');
    expect(g.value(g.node('z'))).toBe(-4);
    g.forward({ x: -2, y: 5 });
    g.backward(f);
    expect(g.grad(x)).toBe(-4);
  });

  it('a forward that leaves an op’s domain names the op and its inputs', () => {
    const g = new Graph();
    const x = g.input('x');
    const f = g.exp(g.log(x));
    expect(() => g.forward({ x: -1 })).toThrow('forward: log#1 (log of x = -1) is NaN');
    expect(() => g.backward(f)).toThrow(StateError);
    expect(g.forward({ x: 2 })).toBeCloseTo(2, 15);
  });

  it('a backward whose gradient is not finite names the op', () => {
    const g = new Graph();
    const x = g.input('x');
    g.pow(x, 0.5);
    expect(g.forward({ x: 0 })).toBe(0);
    expect(() => g.backward()).toThrow('backward: pow#2 (pow 0.5 of x = 0) gave its input a gradient that is not finite');
    expect(() => g.grad(x)).toThrow(StateError);
    g.forward({ x: 4 });
    g.backward();
    expect(g.grad(x)).toBe(0.25);
  });

  it('a disposed graph', () => {
    const { g, x } = circuit();
    g.dispose();
    expect(() => g.forward({ x: 1, y: 2 })).toThrow('forward: the graph has been disposed');
    expect(() => g.add(x, 1)).toThrow(StateError);
  });
});

describe('Graph.set, and what a Graph refuses until it has run', () => {
  it('set takes a param only; its value holds from the next forward, and backward waits for that forward', () => {
    const g = new Graph();
    const x = g.input('x');
    const w = g.param('w', 2);
    const y = g.output(g.mul(w, x));
    expect(() => g.backward()).toThrow('backward: run forward first (and after any change to the graph)');
    expect(g.forward({ x: 3 })).toBe(6);
    g.set(w, 5);
    expect(g.value(w)).toBe(5);
    expect(() => g.backward()).toThrow(StateError);
    expect(() => g.value(y)).toThrow(StateError);
    expect(g.forward({ x: 3 })).toBe(15);
    g.backward();
    expect([g.grad(w), g.grad(x)]).toEqual([3, 5]);
    expect(() => g.set(x, 1)).toThrow('set: x is not a param');
    expect(() => g.set(y, 1)).toThrow(GraphError);
  });

  it('a labels node has neither a value nor a gradient', () => {
    const g = new Graph();
    const z = g.input('z', [2, 3]);
    const y = g.labels('y', 2);
    g.output(g.softmaxCrossEntropy(z, y));
    g.forward({
      z: [
        [1, 2, 3],
        [0, 0, 1],
      ],
      y: Int32Array.from([2, 0]),
    });
    g.backward();
    expect(() => g.value(y as never)).toThrow('value: y holds labels, not values');
    expect(() => g.grad(y as never)).toThrow('grad: y holds labels, which have no gradient');
  });
});
