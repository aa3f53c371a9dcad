// The lecture's worked examples, to 1e-12.
import { beforeAll, describe, expect, it } from 'vitest';
import { AddGate, ExpGate, Graph, init, MaxGate, MultiplyGate, OffsetGate, ReciprocalGate, ScaleGate, SigmoidGate } from '../src/index';

beforeAll(() => init());

const close = (actual: number, expected: number): void => {
  expect(Math.abs(actual - expected)).toBeLessThan(1e-12);
};
const closeAll = (actual: readonly (number | undefined)[], expected: readonly number[]): void => {
  expect(actual.length).toBe(expected.length);
  for (const [i, value] of expected.entries()) close(actual[i] as number, value);
};

describe('f(x, y, z) = (x + y)·z at x = −2, y = 5, z = −4', () => {
  it('as a Graph: f = −12, ∂f/∂x = −4, ∂f/∂y = −4, ∂f/∂z = 3', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const z = g.input('z');
    const q = g.add(x, y);
    const f = g.mul(q, z);
    expect(g.forward({ x: -2, y: 5, z: -4 })).toBe(-12);
    g.backward(f);
    expect(g.value(q)).toBe(3);
    expect([g.grad(x), g.grad(y), g.grad(z), g.grad(q)]).toEqual([-4, -4, 3, -4]);
  });

  it('as gates: q = x + y, then f = q·z, backward chains dq into the add gate', () => {
    const add = new AddGate();
    const mul = new MultiplyGate();
    const q = add.forward(-2, 5);
    const f = mul.forward(q, -4);
    expect(f).toBe(-12);
    const [dq, dz] = mul.backward(1);
    const [dx, dy] = add.backward(dq as number);
    expect([dx, dy, dz]).toEqual([-4, -4, 3]);
  });
});

describe('the sigmoid neuron f(w, x) = 1/(1 + e^−(w0·x0 + w1·x1 + w2)) at w = [2, −3, −3], x = [−1, −2]', () => {
  const w = [2, -3, -3];
  const x = [-1, -2];
  const expected = {
    f: 0.7310585786300049,
    dw: [-0.19661193324148185, -0.3932238664829637, 0.19661193324148185],
    dx: [0.3932238664829637, -0.5898357997244456],
  };

  it('built from primitive gates: *, +, *−1, exp, +1, 1/x', () => {
    const [w0, w1, w2] = w as [number, number, number];
    const [x0, x1] = x as [number, number];
    const mul0 = new MultiplyGate();
    const mul1 = new MultiplyGate();
    const add0 = new AddGate();
    const add1 = new AddGate();
    const negate = new ScaleGate(-1);
    const exp = new ExpGate();
    const plusOne = new OffsetGate(1);
    const recip = new ReciprocalGate();
    const dot = add1.forward(add0.forward(mul0.forward(w0, x0), mul1.forward(w1, x1)), w2);
    const f = recip.forward(plusOne.forward(exp.forward(negate.forward(dot))));
    close(f, expected.f);

    const [dDenominator] = recip.backward(1);
    const [dExp] = plusOne.backward(dDenominator as number);
    const [dNegated] = exp.backward(dExp as number);
    const [dDot] = negate.backward(dNegated as number);
    const [dSum, dw2] = add1.backward(dDot as number);
    const [dProduct0, dProduct1] = add0.backward(dSum as number);
    const [dw0, dx0] = mul0.backward(dProduct0 as number);
    const [dw1, dx1] = mul1.backward(dProduct1 as number);
    closeAll([dw0, dw1, dw2], expected.dw);
    closeAll([dx0, dx1], expected.dx);
  });

  it('with one SigmoidGate, whose local gradient is σ(1 − σ): the same gradients', () => {
    const [w0, w1, w2] = w as [number, number, number];
    const [x0, x1] = x as [number, number];
    const mul0 = new MultiplyGate();
    const mul1 = new MultiplyGate();
    const add0 = new AddGate();
    const add1 = new AddGate();
    const sigmoid = new SigmoidGate();
    const f = sigmoid.forward(add1.forward(add0.forward(mul0.forward(w0, x0), mul1.forward(w1, x1)), w2));
    close(f, expected.f);
    expect(sigmoid.cached).toEqual({ out: f });
    const [dDot] = sigmoid.backward(1);
    close(dDot as number, f * (1 - f));
    const [dSum, dw2] = add1.backward(dDot as number);
    const [dProduct0, dProduct1] = add0.backward(dSum as number);
    const [dw0, dx0] = mul0.backward(dProduct0 as number);
    const [dw1, dx1] = mul1.backward(dProduct1 as number);
    closeAll([dw0, dw1, dw2], expected.dw);
    closeAll([dx0, dx1], expected.dx);
  });

  it('as a Graph, primitive and sigmoid versions agree', () => {
    const build = (useSigmoidGate: boolean) => {
      const g = new Graph();
      const ws = w.map((value, i) => g.param(`w${i}`, value));
      const xs = x.map((_, i) => g.input(`x${i}`));
      const dot = g.add(g.add(g.mul(ws[0] as never, xs[0] as never), g.mul(ws[1] as never, xs[1] as never)), ws[2] as never);
      const out = useSigmoidGate ? g.sigmoid(dot) : g.recip(g.offset(g.exp(g.scale(dot, -1)), 1));
      g.forward({ x0: x[0] as number, x1: x[1] as number });
      const f = g.value(out);
      g.backward();
      return { f, dw: ws.map((n) => g.grad(n)), dx: xs.map((n) => g.grad(n)) };
    };
    for (const result of [build(false), build(true)]) {
      close(result.f, expected.f);
      closeAll(result.dw, expected.dw);
      closeAll(result.dx, expected.dx);
    }
  });
});

describe('patterns in backward flow', () => {
  it('add distributes: every input gets the upstream gradient unchanged', () => {
    const add = new AddGate();
    add.forward(4, -7);
    expect(add.backward(2)).toEqual([2, 2]);
    expect(add.cached).toEqual({});
  });

  it('max routes: the larger input gets all of it, the other none (a tie goes to the first)', () => {
    const max = new MaxGate();
    expect(max.forward(2, -1)).toBe(2);
    expect(max.backward(2)).toEqual([2, 0]);
    max.forward(-1, 2);
    expect(max.backward(2)).toEqual([0, 2]);
    max.forward(3, 3);
    expect(max.backward(2)).toEqual([2, 0]);
  });

  it('mul switches: each input gets the other input times the upstream gradient', () => {
    const mul = new MultiplyGate();
    mul.forward(3, -4);
    expect(mul.cached).toEqual({ x: 3, y: -4 });
    expect(mul.backward(2)).toEqual([-8, 6]);
  });

  it('the lecture circuit 2·(x·y + max(z, w)) at x = 3, y = −4, z = 2, w = −1', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    const z = g.input('z');
    const w = g.input('w');
    g.scale(g.add(g.mul(x, y), g.max(z, w)), 2);
    expect(g.forward({ x: 3, y: -4, z: 2, w: -1 })).toBe(-20);
    g.backward();
    expect([g.grad(x), g.grad(y), g.grad(z), g.grad(w)]).toEqual([-8, 6, 2, 0]);
  });
});
