// nn's losses and nn.load when linear memory has no room: the OutOfMemoryError names the
// block that did not fit, reaches the caller as itself (not as some other refusal), and
// leaves what was there before as it was. The allocator is wrapped so that one chosen
// allocation fails, as a full memory makes it fail; every other passes through unchanged.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { init, nn, OutOfMemoryError, Tensor } from '../src/index';
import { failAllocation } from './fail-allocation';

vi.mock('../src/wasm/instance', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/wasm/instance')>();
  return { ...actual, allocate: vi.fn(actual.allocate) };
});

beforeAll(() => init());

/** The error `call` throws. */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

describe('nn.mse when linear memory has no room', () => {
  // A first call on a prediction makes its three buffers, in this order.
  it.each([
    ['its difference p − t', 1, 'mse: a [1, 3] float32 result: 12 bytes'],
    ['its total', 2, 'mse: a [] float32 result: 4 bytes'],
    ['its gradient', 3, 'mse: a [1, 3] float32 gradient: 12 bytes'],
  ])('for %s: the error names the buffer, and the next call on the same prediction runs', (_what, nth, named) => {
    const prediction = Tensor.from([[1, 2, 3]]);
    const target = Tensor.from([[1, 0, 3]]);
    failAllocation(nth);
    const error = thrown(() => nn.mse(prediction, target));
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(error.message).toBe(`${named} do not fit (the test's allocator)`);
    const { loss, grad } = nn.mse(prediction, target);
    expect(loss).toBeCloseTo(4 / 3, 6);
    expect(Array.from(grad.data)).toEqual([0, expect.closeTo(4 / 3, 6), 0]);
  });
});

describe('nn.load when linear memory has no room for a layer', () => {
  it('throws the OutOfMemoryError itself, not a FormatError about the file, and the same file loads after', () => {
    const model = new nn.Sequential([new nn.Linear(2, 3, { seed: 1 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 2 })]);
    const bytes = model.save();
    failAllocation(/^Linear: a \[3, 2\] float32/);
    const error = thrown(() => nn.load(bytes));
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(error.message).toMatch(/^Linear: a \[3, 2\] float32 \w+: 24 bytes do not fit \(the test's allocator\)$/);
    const loaded = nn.load(bytes);
    expect(loaded.parameters().map((p) => Array.from(p.value.data))).toEqual(model.parameters().map((p) => Array.from(p.value.data)));
  });
});
