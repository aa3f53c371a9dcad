// The threaded build: a large GEMM split across threads over one shared memory gives the
// same bits as one thread (each element of C is still summed by one thread, in the same
// order), for every transpose, ragged bands and accumulate; and threads never keep a
// Node process alive.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { backend, init, StateError, Tensor } from '../src/index';
import { wasm } from '../src/wasm/instance';
import { kernels } from '../src/wasm/kernels';
import { rng } from './helpers';

beforeAll(() => init({ threads: 2 }));

describe('init({ threads: 2 }) in Node', () => {
  it('runs the threaded build with two threads', () => {
    expect(backend().threads).toBe(2);
    expect(wasm().memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('rejects a thread count that is not a positive integer, loaded or not', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN]) {
      await expect(init({ threads }), String(threads)).rejects.toThrow(/init: threads must be a positive integer/);
    }
    expect(backend().threads).toBe(2);
  });

  it('returns the same promise for threads: 2 again, and rejects another count, naming both', async () => {
    expect(init({ threads: 2 })).toBe(init());
    await expect(init({ threads: 3 })).rejects.toThrow(StateError);
    await expect(init({ threads: 1 })).rejects.toThrow(
      /is loaded with \{ wasm: the packaged build, simd: \w+, threads: 2 \}, and this call asks for \{ threads: 1 \}/,
    );
    expect(backend().threads).toBe(2);
  });
});

describe('a GEMM split across threads', () => {
  const shapes = [
    [512, 96, 64], // rows split
    [64, 784, 128], // columns split (C wider than tall), as MNIST's forward is
    [131, 517, 67], // ragged bands: neither extent a multiple of the band unit
    [300, 300, 300],
  ] as const;

  it.each(shapes)('equals one thread bit for bit: m = %i, n = %i, k = %i, all transposes, with and without accumulate', (m, n, k) => {
    const random = rng(m * n + k);
    const fill = (size: number) =>
      Tensor.from(
        Float32Array.from({ length: size }, () => random() * 2 - 1),
        [size],
      );
    const a = fill(m * k);
    const b = fill(k * n);
    const start = fill(m * n);
    const threaded = Tensor.zeros([m * n]);
    const single = Tensor.zeros([m * n]);
    const one = wasm() as unknown as { gemm_f32: (...args: number[]) => void };
    for (const [transA, transB] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]) {
      for (const accumulate of [0, 1]) {
        const lda = transA ? m : k;
        const ldb = transB ? k : n;
        threaded.data.set(start.data);
        single.data.set(start.data);
        kernels('float32').gemm(transA as number, transB as number, m, n, k, a.ptr, lda, b.ptr, ldb, threaded.ptr, n, accumulate);
        one.gemm_f32(transA as number, transB as number, m, n, k, a.ptr, lda, b.ptr, ldb, single.ptr, n, accumulate);
        const differing = threaded.data.findIndex((v, i) => !Object.is(v, single.data[i]));
        expect(differing, `transA ${transA}, transB ${transB}, accumulate ${accumulate}`).toBe(-1);
      }
    }
    for (const t of [a, b, start, threaded, single]) t.dispose();
  });
});

describe('threads and the process', () => {
  it('a Node program that used two threads exits on its own', () => {
    const script = `
      import { init, backend, MatMulGate, Tensor } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
      await init({ threads: 2 });
      const c = new MatMulGate().forward(Tensor.ones([256, 256]), Tensor.ones([256, 256]));
      console.log(backend().threads, c.data[0]);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.error, 'the process did not exit within 30 s').toBeUndefined();
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('2 256');
    expect(child.status).toBe(0);
  });
});
