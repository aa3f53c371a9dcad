import { beforeAll, describe, expect, it } from 'vitest';
import { AddGate, init, memoryStats, nn, ShapeError, StateError, Tensor } from '../src/index';

beforeAll(() => init());

describe('Tensor', () => {
  it('from nested arrays: float32 by default, row-major, read back as nested arrays', () => {
    const t = Tensor.from([
      [0.1, 0.5],
      [-0.3, 0.8],
    ]);
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(t.data)).toEqual([0.1, 0.5, -0.3, 0.8].map(Math.fround));
    expect(t.toArray()).toEqual([
      [Math.fround(0.1), 0.5],
      [Math.fround(-0.3), Math.fround(0.8)],
    ]);
    t.dispose();
  });

  it('from a flat array or typed array with a shape; float64 on request', () => {
    const t = Tensor.from(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3], { dtype: 'float64' });
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.itemBytes).toBe(8);
    const u = Tensor.from([1, 2, 3, 4], [2, 2]);
    expect(u.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(Tensor.from(7).item()).toBe(7);
  });

  it('zeros, ones, full, and seeded rand/randn that repeat', () => {
    expect(Tensor.zeros([2, 3]).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(Tensor.ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(Tensor.full([2], 2.5).toArray()).toEqual([2.5, 2.5]);
    const a = Tensor.randn([1000], { seed: 42 });
    const b = Tensor.randn([1000], { seed: 42 });
    const c = Tensor.randn([1000], { seed: 43 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const values = Array.from(a.data);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    const u = Array.from(Tensor.rand([1000], { low: -2, high: 3, seed: 1 }).data);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
  });

  it('clone copies; to() converts dtype', () => {
    const t = Tensor.from([1.5, -2]);
    const c = t.clone();
    t.data[0] = 9;
    expect(c.toArray()).toEqual([1.5, -2]);
    expect(t.to('float64').dtype).toBe('float64');
  });

  it('bad input: ragged nesting, wrong sizes, non-finite values, bad shapes and dtypes', () => {
    expect(() => Tensor.from([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => Tensor.from([[1, 2], [3]])).toThrow('Tensor.from: ragged nesting at data[1]: expected 2 entries, got 1');
    expect(() => Tensor.from([1, 2, 3], [2, 2])).toThrow('Tensor.from: 3 values do not fill shape [2, 2] (4 elements)');
    expect(() => Tensor.from([1, Number.NaN])).toThrow('Tensor.from: element 1 must be a finite number, got NaN');
    expect(() => Tensor.zeros([2, -1])).toThrow('Tensor.zeros: a shape is an array of non-negative integers, got [2, -1]');
    expect(() => Tensor.zeros([1.5])).toThrow(ShapeError);
    expect(() => Tensor.zeros([2], { dtype: 'int8' as never })).toThrow(`Tensor.zeros: dtype must be 'float32' or 'float64', got "int8"`);
  });

  it('a disposed tensor is a clear error, everywhere it is used', () => {
    const t = Tensor.from([1, 2]);
    t.dispose();
    t.dispose(); // twice is harmless
    expect(t.disposed).toBe(true);
    expect(() => t.data).toThrow(StateError);
    expect(() => t.toArray()).toThrow('Tensor [2] has been disposed');
    expect(() => new AddGate().forward(t, t)).toThrow('AddGate.forward: x (Tensor(float32 [2])) has been disposed');
  });

  it('a tensor too large for linear memory fails clearly, and everything else keeps working', () => {
    const before = memoryStats();
    expect(() => Tensor.zeros([1 << 20, 1 << 10])).toThrow(/exceed the largest block/);
    expect(() => Tensor.zeros([600, 1 << 20])).toThrow(/Tensor.zeros: .* bytes/);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    const t = Tensor.from([1, 2, 3]);
    expect(t.toArray()).toEqual([1, 2, 3]);
    t.dispose();
  });

  it('freed blocks are reused: allocating and disposing does not grow memory', () => {
    Tensor.zeros([256, 256]).dispose();
    const before = memoryStats();
    for (let i = 0; i < 1000; i++) Tensor.zeros([256, 256]).dispose();
    expect(memoryStats()).toEqual(before);
  });
});

describe('filling a tensor (in wasm: four or two values at a time, then the rest one by one)', () => {
  it.each(['float32', 'float64'] as const)('Tensor.full in %s writes every element, any length, −0 kept', (dtype) => {
    for (const length of [1, 3, 4, 5, 7, 8, 9, 31]) {
      for (const value of [2.5, -0, 0, -3]) {
        const t = Tensor.full([length], value, { dtype });
        const values = [...t.data];
        expect(values).toHaveLength(length);
        for (const v of values) expect(Object.is(v, value), `${dtype} length ${length} value ${value}`).toBe(true);
        t.dispose();
      }
    }
  });

  it('an optimizer’s zeroGrad zeroes every element of every gradient', () => {
    const model = new nn.Sequential([new nn.Linear(3, 5, { seed: 1 })]);
    const [weight, bias] = model.parameters() as [nn.Parameter, nn.Parameter];
    weight.grad.data.fill(4);
    bias.grad.data.fill(4);
    new nn.SGD(model.parameters(), { lr: 0.1 }).zeroGrad();
    expect([...weight.grad.data, ...bias.grad.data]).toEqual(new Array(20).fill(0));
  });
});
