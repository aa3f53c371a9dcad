// A Graph's program when linear memory has no room for it: each block the program asks
// for (its values, its forward tape, a backward tape) is named in the OutOfMemoryError,
// what it got before the failure is freed, and the graph runs afterwards as if the
// failure had never happened. The allocator is wrapped so that one chosen allocation
// fails, as a full memory makes it fail; every other passes through unchanged.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Graph, init, memoryStats, OutOfMemoryError } from '../src/index';
import { failAllocation } from './fail-allocation';

vi.mock('../src/wasm/instance', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/wasm/instance')>();
  return { ...actual, allocate: vi.fn(actual.allocate) };
});

beforeAll(() => init());

/** x, e = exp(x), y = x·x: a forward runs two ops; a backward from y one. */
function numbers() {
  const g = new Graph();
  const x = g.input('x');
  const e = g.exp(x);
  const y = g.output(g.mul(x, x));
  return { g, x, e, y };
}

/** The same with a [2, 3] tensor, in float64. */
function tensors() {
  const g = new Graph({ dtype: 'float64' });
  const x = g.input('x', [2, 3]);
  const e = g.exp(x);
  const y = g.output(g.sum(g.mul(x, x)));
  return { g, x, e, y };
}
const X = [1, 2, 3, -1, -2, -3];

describe('a graph of numbers when linear memory has no room', () => {
  it('for its values: the error names them, nothing is held, and the next forward runs', () => {
    const { g, x, y } = numbers();
    const before = memoryStats();
    failAllocation(1);
    expect(() => g.forward({ x: 3 })).toThrow(OutOfMemoryError);
    failAllocation(1);
    expect(() => g.forward({ x: 3 })).toThrow(/^forward: the values of 3 nodes: \d+ bytes do not fit/);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    expect(g.forward({ x: 3 })).toBe(9);
    g.backward(y);
    expect(g.grad(x)).toBe(6);
    g.dispose();
  });

  it('for its forward tape: the error names it, the values it got are freed, and the next forward runs', () => {
    const { g, x, y } = numbers();
    const before = memoryStats();
    failAllocation(2);
    expect(() => g.forward({ x: 3 })).toThrow(/^forward: a tape of 2 ops: \d+ bytes do not fit/);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    expect(g.forward({ x: 3 })).toBe(9);
    g.backward(y);
    expect(g.grad(x)).toBe(6);
    g.dispose();
  });

  it('for a backward tape: the error names it, the forward’s values stay, and the next backward runs', () => {
    const { g, x, e, y } = numbers();
    g.forward({ x: 3 });
    const ran = g.value(e);
    const before = memoryStats();
    failAllocation(1);
    expect(() => g.backward(y)).toThrow(/^backward: a tape of 1 ops: \d+ bytes do not fit/);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(() => g.grad(x)).toThrow(/has no gradient until backward has run/);
    expect([g.value(e), g.value(y)]).toEqual([ran, 9]);
    g.backward(y);
    expect(g.grad(x)).toBe(6);
    g.dispose();
  });
});

describe('a graph with tensors when linear memory has no room', () => {
  it('for its forward tape: the error names it, the block it got is freed, and the next forward runs', () => {
    const { g, x, y } = tensors();
    const before = memoryStats();
    failAllocation(2);
    expect(() => g.forward({ x: X })).toThrow(/^forward: a tape of 3 ops: \d+ bytes do not fit/);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    expect(g.forward({ x: X })).toBe(28);
    g.backward(y);
    expect(Array.from(g.grad(x).data)).toEqual(X.map((v) => 2 * v));
    g.dispose();
  });

  it('for a backward tape: the error names it, the forward’s values stay, and the next backward runs', () => {
    const { g, x, e, y } = tensors();
    g.forward({ x: X });
    const ran = Array.from(g.value(e).data);
    const before = memoryStats();
    failAllocation(1);
    expect(() => g.backward(y)).toThrow(/^backward: a tape of 2 ops: \d+ bytes do not fit/);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(Array.from(g.value(e).data)).toEqual(ran);
    g.backward(y);
    expect(Array.from(g.grad(x).data)).toEqual(X.map((v) => 2 * v));
    g.dispose();
  });
});
