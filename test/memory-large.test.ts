// memoryStats() past 2 GiB: the core counts bytes in an unsigned 32-bit word, which read
// as a signed one wrapped negative (−2,087,091,296 was seen). Node only: a page cannot be
// asked for 2.3 GB of linear memory in a test run (see vitest.config.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, init, memoryStats, Tensor } from '../src/index';

// The single-threaded build: the threaded one's shared memory stops at 1 GiB.
beforeAll(() => init({ threads: 1 }));

describe('memoryStats past 2 GiB', () => {
  const held: Tensor[] = [];
  afterAll(() => {
    for (const t of held) t.dispose();
  });

  it('counts bytes in use exactly, as an unsigned number', () => {
    expect(backend().threads).toBe(1);
    const before = memoryStats();
    const block = 720 * 2 ** 20; // three of them: 2.11 GiB, past 2³¹ bytes
    for (let i = 0; i < 3; i++) held.push(Tensor.zeros([block / 4]));
    const during = memoryStats();
    expect(during.bytesInUse).toBeGreaterThan(2 ** 31);
    // The allocator rounds each block up a little; never down, never by more than a page.
    expect(during.bytesInUse - before.bytesInUse).toBeGreaterThanOrEqual(3 * block);
    expect(during.bytesInUse - before.bytesInUse).toBeLessThan(3 * block + 3 * 65536);
    expect(during.memoryBytes).toBeGreaterThanOrEqual(during.bytesInUse);
    expect(during.userTensorBytes - before.userTensorBytes).toBe(3 * block);
    expect(during.userTensors - before.userTensors).toBe(3);
  });
});
