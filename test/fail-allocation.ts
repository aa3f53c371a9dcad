// One allocation made to fail, as a full linear memory makes it fail, for the specs that
// wrap src/wasm/instance's allocate in a vi.fn (the vi.mock must be in the spec itself,
// where vitest hoists it; this module then sees the wrapped allocate too).
import { vi } from 'vitest';
import { OutOfMemoryError } from '../src/index';
import { allocate } from '../src/wasm/instance';

/**
 * One allocation from now on fails, as one that does not fit: the `which`-th (1: the next),
 * or the next whose description matches `which`. The others are made.
 */
export function failAllocation(which: number | RegExp): void {
  const real = vi.mocked(allocate).getMockImplementation() as typeof allocate;
  let calls = 0;
  vi.mocked(allocate).mockImplementation((bytes, what) => {
    calls++;
    if (typeof which === 'number' ? calls !== which : !which.test(what)) return real(bytes, what);
    vi.mocked(allocate).mockImplementation(real);
    throw new OutOfMemoryError(`${what}: ${bytes} bytes do not fit (the test's allocator)`);
  });
}
