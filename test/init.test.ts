// Loading the core: the same promise for every caller, and the build this project
// expects (vitest.config.ts provides it: relaxed SIMD where the engine has it, else plain,
// unless the project asked for plain on purpose).
import { describe, expect, inject, it } from 'vitest';
import { backend, init } from '../src/index';

describe('init', () => {
  it('is idempotent and safe to call concurrently', async () => {
    const calls = [init(), init(), init()];
    expect(new Set(calls).size).toBe(1);
    await Promise.all(calls);
    expect(init()).toBe(calls[0]);
  });
});

describe('the binary', () => {
  it('is the one this project expects', async () => {
    await init();
    expect(backend().simd).toBe(inject('simd'));
  });
});
