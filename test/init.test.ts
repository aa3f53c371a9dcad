// Loading the core: the same promise for every caller, and the build this project
// expects (vitest.config.ts provides it: relaxed SIMD where the engine has it, else plain,
// unless the project asked for plain on purpose). One core per page or process: a call
// whose options disagree with it is refused and changes nothing.
import { describe, expect, inject, it } from 'vitest';
import { backend, init, StateError, Tensor } from '../src/index';

describe('init', () => {
  it('is idempotent and safe to call concurrently', async () => {
    const calls = [init(), init(), init()];
    expect(new Set(calls).size).toBe(1);
    await Promise.all(calls);
    expect(init()).toBe(calls[0]);
  });

  it('returns the same promise for options that agree with the loaded core', async () => {
    await init();
    expect(init({ simd: inject('simd') })).toBe(init());
    expect(init({ threadWorker: 'elsewhere/thread-worker.js' })).toBe(init());
  });

  it('rejects options that ask for another build or binary, naming what is loaded and what was asked', async () => {
    await init();
    const before = backend();
    const other = inject('simd') === 'plain' ? 'relaxed' : 'plain';
    await expect(init({ simd: other })).rejects.toThrow(StateError);
    await expect(init({ simd: other })).rejects.toThrow(
      `init: wasmgrad is loaded with { wasm: the packaged build, simd: ${inject('simd')}, threads: `,
    );
    await expect(init({ simd: other })).rejects.toThrow(`and this call asks for { simd: ${other} }`);
    // The smallest valid module: refused before it is compiled, whatever it holds.
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    await expect(init({ wasm: empty })).rejects.toThrow(/asks for \{ wasm: 8 bytes \}/);
    await expect(init({ wasm: empty, simd: inject('simd') })).rejects.toThrow(StateError);
    expect(backend()).toEqual(before);
    const t = Tensor.from([1, 2]);
    expect(t.toArray()).toEqual([1, 2]);
    t.dispose();
  });
});

describe('the binary', () => {
  it('is the one this project expects', async () => {
    await init();
    expect(backend().simd).toBe(inject('simd'));
  });
});
