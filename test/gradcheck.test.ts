import { describe, expect, it } from 'vitest';
import { type GradInput, gradcheck, ValueError } from '../src/index';

describe('gradcheck', () => {
  const f = (xs: GradInput[]) => {
    const [a, v] = xs as [number, Float64Array];
    const value = a * a * (v[0] as number) + Math.sin(v[1] as number);
    return { value, grads: [2 * a * (v[0] as number), [a * a, Math.cos(v[1] as number)]] };
  };

  it('passes a correct gradient, for numbers and arrays', () => {
    const result = gradcheck(f, [1.5, [0.3, -2]]);
    expect(result.ok).toBe(true);
    expect(result.maxRelError).toBeLessThan(1e-8);
  });

  it('fails a wrong gradient and names the worst element', () => {
    const wrong = (xs: GradInput[]) => {
      const right = f(xs);
      return { value: right.value, grads: [right.grads[0] as number, [(right.grads[1] as number[])[0] as number, 0.5]] };
    };
    const result = gradcheck(wrong, [1.5, [0.3, -2]]);
    expect(result.ok).toBe(false);
    expect(result.worst).toMatchObject({ input: 1, index: 1, analytic: 0.5 });
    expect(result.worst?.numeric).toBeCloseTo(Math.cos(-2), 8);
  });

  it('fails a NaN gradient', () => {
    expect(gradcheck(() => ({ value: 1, grads: [Number.NaN] }), [1]).ok).toBe(false);
  });

  it('refuses nonsense options and mismatched gradients', () => {
    expect(() => gradcheck(f, [1, [1, 1]], { eps: 0 })).toThrow(ValueError);
    expect(() => gradcheck(() => ({ value: 0, grads: [] }), [1])).toThrow('gradcheck: fn returned 0 gradients for 1 inputs');
  });
});
