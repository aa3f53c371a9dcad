// Every gate: its gradient proven by central differences and by the lecture's rule in
// closed form (on both sides of every kink, and on it by the documented tie rule), its
// cache exactly what its rule reads, and its results equal to the compiled Graph's (both
// run the rules of assembly/rules.ts; that test checks the two paths feed them alike,
// not the rules). Gates composed by hand add the gradients of a value used twice.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AddGate,
  EluGate,
  ExpGate,
  Graph,
  gradcheck,
  init,
  LeakyReluGate,
  LogGate,
  MaxGate,
  MultiplyGate,
  PowGate,
  ReciprocalGate,
  ReluGate,
  ScaleGate,
  StateError,
  ValueError,
} from '../src/index';
import { expectNear, GATES, RULE_GATES, rng } from './helpers';

beforeAll(() => init());

describe.each(GATES)('$name', ({ make, graph, sample }) => {
  it('passes gradcheck at 50 random points', () => {
    const random = rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const gate = make();
      const point = sample(random);
      const result = gradcheck((inputs) => {
        const value = (gate.forward as (...xs: number[]) => number)(...(inputs as number[]));
        return { value, grads: gate.backward(1) };
      }, point);
      expect(result.ok, `at ${point}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });

  it('agrees with the compiled Graph, value and gradients (plumbing: both feed the same rule)', () => {
    const random = rng(11);
    const g = new Graph();
    const inputs = sample(random).map((_, i) => g.input(`x${i}`));
    graph(g, inputs);
    for (let trial = 0; trial < 20; trial++) {
      const point = sample(random);
      const dout = random() * 4 - 2;
      const gate = make();
      const value = (gate.forward as (...xs: number[]) => number)(...point);
      const grads = gate.backward(dout);
      const feed = Object.fromEntries(point.map((v, i) => [`x${i}`, v]));
      expect(g.forward(feed)).toBe(value);
      g.backward();
      // The graph seeds 1, so its gradient times dout can differ from the gate's in the last bit.
      inputs.forEach((node, i) => {
        const expected = grads[i] as number;
        expect(Math.abs(g.grad(node) * dout - expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(expected)));
      });
    }
  });

  it('refuses backward before forward, and wrong inputs, and stays usable', () => {
    const gate = make();
    expect(() => gate.backward(1)).toThrow(StateError);
    expect(() => gate.backward(1)).toThrow(/backward: called before forward/);
    const arity = gate.forward.length === 0 ? sample(rng(1)).length : gate.forward.length;
    const call = (...xs: unknown[]) => (gate.forward as (...args: unknown[]) => number)(...xs);
    expect(() => call(...Array(arity).fill(Number.NaN))).toThrow(ValueError);
    expect(() => call(...Array(arity).fill('1'))).toThrow(/must be a finite number, got "1"/);
    expect(() => call(...Array(arity + 1).fill(1))).toThrow(/takes \d input/);
    const point = sample(rng(3));
    const value = call(...point);
    expect(Number.isFinite(value)).toBe(true);
    expect(() => gate.backward(Number.POSITIVE_INFINITY)).toThrow(/dout must be a finite number/);
    expect(gate.backward(1).length).toBe(point.length);
  });
});

type ScalarGate = { forward: (...xs: number[]) => number; backward: (dout: number) => number[] };

describe.each(RULE_GATES)('$name against the lecture’s rule in closed form', ({ make, rule, points, onKink = [] }) => {
  it('forward gives f, backward dout × the local gradient: on both sides of any kink, and on it by the documented tie rule', () => {
    for (const point of [...points, ...onKink]) {
      const gate = make() as ScalarGate;
      const expected = rule([...point]);
      expectNear(gate.forward(...point), expected.value, 1e-12, `f(${point})`);
      // A dout that is not 1, so that the chain rule's product is checked too.
      const grads = gate.backward(-1.3);
      expected.grads.forEach((local, i) => {
        expectNear(grads[i] as number, -1.3 * local, 1e-12, `d${i} at ${point}`);
      });
    }
  });

  it('passes gradcheck at the same points, on both sides of any kink', () => {
    for (const point of points) {
      const gate = make() as ScalarGate;
      const result = gradcheck((xs) => ({ value: gate.forward(...(xs as number[])), grads: gate.backward(1) }), [...point]);
      expect(result.ok, `at ${point}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });
});

describe('gradients add at forks: gates composed by hand', () => {
  /**
   * f(x, y) = x·y + eˣ + max(x, y), one gate per op: x feeds three gates, y two. Each
   * gate's backward hands back its share, and the caller adds the shares of x (and of y).
   */
  function threeUses(x: number, y: number) {
    const [mul, exp, max, inner, outer] = [new MultiplyGate(), new ExpGate(), new MaxGate(), new AddGate(), new AddGate()];
    const value = outer.forward(inner.forward(mul.forward(x, y), exp.forward(x)), max.forward(x, y));
    const [dInner, dMax] = outer.backward(1);
    const [dMul, dExp] = inner.backward(dInner);
    const [dxMul, dyMul] = mul.backward(dMul);
    const [dxExp] = exp.backward(dExp);
    const [dxMax, dyMax] = max.backward(dMax);
    return { value, grads: [dxMul + dxExp + dxMax, dyMul + dyMax] };
  }

  it('x used three times, f = x·y + eˣ + max(x, y): df/dx = y + eˣ + [x ≥ y], df/dy = x + [x < y]', () => {
    for (const [x, y] of [
      [1.2, -0.7],
      [-0.4, 0.9],
      [0.5, 0.5], // a tie: max's share goes to x
    ] as const) {
      const { value, grads } = threeUses(x, y);
      expectNear(value, x * y + Math.exp(x) + Math.max(x, y), 1e-12, 'f');
      expectNear(grads[0] as number, y + Math.exp(x) + (x >= y ? 1 : 0), 1e-12, `df/dx at ${[x, y]}`);
      expectNear(grads[1] as number, x + (x < y ? 1 : 0), 1e-12, `df/dy at ${[x, y]}`);
      if (x !== y) {
        const result = gradcheck(([a, b]) => threeUses(a, b), [x, y]);
        expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      }
    }
  });

  it.each(GATES.filter(({ points }) => points[0]?.length === 2))(
    '$name(x, x): both of its input gradients belong to x, and they add',
    ({ make, rule }) => {
      for (const x of [0.7, 1.3]) {
        const gate = make() as ScalarGate;
        const selfOp = (v: number) => {
          const value = gate.forward(v, v);
          const [dFirst, dSecond] = gate.backward(1);
          return { value, grads: [(dFirst as number) + (dSecond as number)] };
        };
        const { grads } = rule([x, x]);
        expectNear(selfOp(x).grads[0] as number, (grads[0] as number) + (grads[1] as number), 1e-12, `d/dx at ${x}`);
        // max(x, x) = x is smooth in x though max is on its tie: the tie rule's 1 and 0 add to 1.
        const result = gradcheck(([v]) => selfOp(v), [x]);
        expect(result.ok, JSON.stringify(result.worst)).toBe(true);
      }
    },
  );
});

describe('what each gate caches', () => {
  it('exactly the values its backward reads', () => {
    const cacheAfter = (gate: { forward: (...xs: number[]) => number; cached: unknown }, ...xs: number[]) => {
      gate.forward(...xs);
      return gate.cached;
    };
    expect(cacheAfter(new MultiplyGate(), 2, 3)).toEqual({ x: 2, y: 3 });
    expect(cacheAfter(new ExpGate(), 0)).toEqual({ out: 1 });
    expect(cacheAfter(new ReciprocalGate(), 4)).toEqual({ x: 4 });
    expect(cacheAfter(new ScaleGate(3), 4)).toEqual({});
    expect(cacheAfter(new ReluGate(), -2)).toEqual({ x: -2 });
    expect(cacheAfter(new LogGate(), 1)).toEqual({ x: 1 });
    expect(cacheAfter(new PowGate(), 2, 3)).toEqual({ x: 2, y: 3, out: 8 });
    expect(cacheAfter(new EluGate(), -1)).toEqual({ x: -1, out: Math.expm1(-1) });
  });

  it('leaky ReLU defaults to the lecture’s max(0.1x, x)', () => {
    const leaky = new LeakyReluGate();
    expect(leaky.forward(-2)).toBeCloseTo(-0.2, 15);
    expect(leaky.backward(1)).toEqual([0.1]);
    expect(leaky.forward(3)).toBe(3);
  });

  it('a failed forward keeps the previous cache', () => {
    const log = new LogGate();
    log.forward(2);
    expect(() => log.forward(-1)).toThrow(/LogGate\.forward: log\(-1\) is NaN/);
    expect(log.cached).toEqual({ x: 2 });
    expect(log.backward(1)).toEqual([0.5]);
  });

  it('a gradient that is not finite is an error that names the gate', () => {
    const pow = new PowGate();
    expect(pow.forward(0, 0.5)).toBe(0);
    expect(() => pow.backward(1)).toThrow(/PowGate\.backward: the gradient for x is Infinity/);
  });

  it('constructor parameters must be finite numbers', () => {
    expect(() => new ScaleGate(Number.NaN)).toThrow(/ScaleGate: a must be a finite number, got NaN/);
    expect(() => new EluGate('1' as unknown as number)).toThrow(ValueError);
  });
});
