// The threaded build: a large GEMM, a convolution's forward and both gradients, the
// poolings and the optimizers' updates, split across threads over one shared memory, give the same bits as one
// thread (each value is still computed by one thread, in the same order), for every
// transpose, ragged bands and accumulate, odd batches and channel counts; a network
// trained with two threads ends with the same weights as with one; and threads never
// keep a Node process alive.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WindowBlock } from '../src/gates/window';
import { backend, init, StateError, Tensor } from '../src/index';
import { OPS, WEIGHT_GROUPS } from '../src/ops';
import { conv2dGeometry, pool2dGeometry, poolSpec, type WindowGeometry, weightPartials } from '../src/shapes';
import { threadPool, wasm } from '../src/wasm/instance';
import { B_CONST, B_ROW, B_SAME, kernels } from '../src/wasm/kernels';
import { THREAD_KERNELS, threadScratchBytes } from '../src/wasm/split';
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
    [6, 20, 4096], // two row bands of 4 and 2: rows a lone GEMM would compute as matrix–vector products
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

/** The raw exports, to run a kernel whole on this thread: what one thread computes. */
const raw = () => wasm() as unknown as Record<string, (...args: number[]) => void>;
const random = rng(7);
const filled = (size: number) =>
  Tensor.from(
    Float32Array.from({ length: size }, () => random() * 2 - 1),
    [size],
  );
function expectSameBits(actual: Tensor, expected: Tensor, what: string): void {
  const differing = actual.data.findIndex((v, i) => !Object.is(v, expected.data[i]));
  expect(differing, `${what}: first differing index`).toBe(-1);
}
/**
 * Counts the parts each pool.run is given: a split that never happened would make these
 * tests vacuous. The finite checks that making a tensor runs are counted only when asked.
 */
function spyOnParts(countScans = false): number[] {
  const pool = threadPool();
  if (!pool) throw new Error('no thread pool');
  const parts: number[] = [];
  const original = pool.run.bind(pool);
  vi.spyOn(pool, 'run').mockImplementation((job, given) => {
    if (countScans || THREAD_KERNELS[job] !== 'first_non_finite_f32') parts.push(given.length);
    return original(job, given);
  });
  return parts;
}

describe('a convolution split across threads', () => {
  afterEach(() => vi.restoreAllMocks());
  // [batch, channels, height, width, out, kernel, stride, padding]: ConvNetJS's two layers,
  // an odd batch, out channels not a multiple of the tile's rows, stride 2.
  const configs = [
    [32, 1, 28, 28, 8, 5, 1, 2],
    [32, 8, 14, 14, 16, 5, 1, 2],
    [9, 3, 17, 19, 13, 3, 2, 1],
    [5, 5, 20, 20, 6, 3, 1, 0],
  ] as const;

  it.each(configs)(
    'forward, dW, db and dx equal one thread bit for bit: x [%i, %i, %i, %i], %i filters of %i×k, stride %i, padding %i',
    (n, c, h, w, o, k, stride, padding) => {
      const parts = spyOnParts();
      const g: WindowGeometry = conv2dGeometry('test', [n, c, h, w], [o, c, k, k], [o], { stride, padding });
      const block = new WindowBlock('test');
      const geometry = block.write(g);
      const perImage = c * k * k * g.outH * g.outW;
      const ySize = n * o * g.outH * g.outW;
      const [x, weights, bias, dy] = [filled(n * c * h * w), filled(o * c * k * k), filled(o), filled(ySize)];
      const [y1, y2] = [Tensor.zeros([ySize]), Tensor.zeros([ySize])];
      // Each part unfolds into its own image's worth of columns.
      const shared = threadScratchBytes(perImage * 4, kernels('float32').threads) / 4;
      const [col1, col2] = [Tensor.zeros([shared]), Tensor.zeros([perImage])];
      const k32 = kernels('float32');
      k32.conv2dForward(geometry, x.ptr, weights.ptr, bias.ptr, y1.ptr, col1.ptr);
      raw().conv2d_forward_f32?.(geometry, x.ptr, weights.ptr, bias.ptr, y2.ptr, col2.ptr, 0, n);
      expectSameBits(y1, y2, 'y');
      for (const inputGrad of [true, false]) {
        const start = [filled(o * c * k * k), filled(o), filled(n * c * h * w)] as const;
        const [dw1, db1, dx1] = [start[0].clone(), start[1].clone(), start[2].clone()];
        const [dw2, db2, dx2] = [start[0].clone(), start[1].clone(), start[2].clone()];
        const [scratch1, scratch2] = [Tensor.zeros([shared]), Tensor.zeros([perImage])];
        const [partials1, partials2] = [Tensor.zeros([weightPartials(g)]), Tensor.zeros([weightPartials(g)])];
        k32.conv2dBackward(geometry, x.ptr, weights.ptr, dy.ptr, partials1.ptr, 1, inputGrad ? dx1.ptr : 0, scratch1.ptr);
        k32.conv2dWeightSum(geometry, partials1.ptr, dw1.ptr, db1.ptr);
        const groups = Math.min(n, WEIGHT_GROUPS);
        raw().conv2d_backward_f32?.(
          geometry,
          x.ptr,
          weights.ptr,
          dy.ptr,
          partials2.ptr,
          1,
          inputGrad ? dx2.ptr : 0,
          scratch2.ptr,
          0,
          groups,
          0,
          n,
        );
        k32.conv2dWeightSum(geometry, partials2.ptr, dw2.ptr, db2.ptr);
        expectSameBits(dw1, dw2, `dW (input gradient ${inputGrad})`);
        expectSameBits(db1, db2, `db (input gradient ${inputGrad})`);
        expectSameBits(dx1, dx2, `dx (input gradient ${inputGrad})`);
        for (const t of [...start, dw1, db1, dx1, dw2, db2, dx2, scratch1, scratch2, partials1, partials2]) t.dispose();
      }
      // The forward and both backwards: all three split in two.
      expect(parts).toEqual([2, 2, 2]);
      for (const t of [x, weights, bias, dy, y1, y2, col1, col2]) t.dispose();
    },
  );
});

describe('a pooling split across threads', () => {
  afterEach(() => vi.restoreAllMocks());
  // [batch, channels, height, width, kernel, stride, padding]
  const configs = [
    [16, 16, 32, 32, 3, 2, 1],
    [17, 19, 31, 29, 2, 2, 0],
  ] as const;

  it.each(configs)(
    'max and average, forward and backward, equal one thread bit for bit: x [%i, %i, %i, %i], windows of %i×k, stride %i, padding %i',
    (n, c, h, w, k, stride, padding) => {
      const parts = spyOnParts();
      const g = pool2dGeometry('test', [n, c, h, w], poolSpec('test', k, { stride, padding }, true));
      const geometry = new WindowBlock('test').write(g);
      const ySize = n * c * g.outH * g.outW;
      const [x, dy] = [filled(n * c * h * w), filled(ySize)];
      const k32 = kernels('float32');
      const [y1, y2] = [Tensor.zeros([ySize]), Tensor.zeros([ySize])];
      const winners = [Tensor.zeros([ySize]), Tensor.zeros([ySize])]; // i32 words in f32-sized slots
      k32.maxPool2dForward(geometry, x.ptr, y1.ptr, (winners[0] as Tensor).ptr);
      raw().max_pool2d_forward_f32?.(geometry, x.ptr, y2.ptr, (winners[1] as Tensor).ptr, 0, n * c);
      expectSameBits(y1, y2, 'max pool y');
      expectSameBits(winners[0] as Tensor, winners[1] as Tensor, 'max pool winners');
      const start = filled(n * c * h * w);
      const [dx1, dx2] = [start.clone(), start.clone()];
      // Added into a gradient that holds values, then into a fresh one (each plane zeroed first).
      for (const fresh of [0, 1]) {
        k32.maxPool2dBackward(geometry, dy.ptr, (winners[0] as Tensor).ptr, dx1.ptr, fresh);
        raw().max_pool2d_backward_f32?.(geometry, dy.ptr, (winners[1] as Tensor).ptr, dx2.ptr, fresh, 0, n * c);
        expectSameBits(dx1, dx2, `max pool dx (fresh ${fresh})`);
      }
      k32.avgPool2d(geometry, x.ptr, y1.ptr, 0);
      raw().avg_pool2d_f32?.(geometry, x.ptr, y2.ptr, 0, 0, n * c);
      expectSameBits(y1, y2, 'average pool y');
      k32.avgPool2d(geometry, dy.ptr, dx1.ptr, 1);
      raw().avg_pool2d_f32?.(geometry, dy.ptr, dx2.ptr, 1, 0, n * c);
      expectSameBits(dx1, dx2, 'average pool dx');
      expect(parts).toEqual([2, 2, 2, 2, 2]);
      for (const t of [x, dy, y1, y2, ...winners, start, dx1, dx2]) t.dispose();
    },
  );
});

describe("an optimizer's update split across threads", () => {
  afterEach(() => vi.restoreAllMocks());
  // An odd size: the second part starts mid-buffer and ends on a tail of 3.
  const n = 100_003;

  it.each([
    ['plain', 0, 0, 0],
    ['momentum', 0.9, 0, 0],
    ['Nesterov momentum and weight decay', 0.9, 1, 1e-3],
  ] as const)('SGD (%s) equals one thread bit for bit, in two parts', (_, momentum, nesterov, weightDecay) => {
    const parts = spyOnParts();
    const [w, g, v] = [filled(n), filled(n), filled(n)];
    const [w2, v2] = [w.clone(), v.clone()];
    kernels('float32').sgdUpdate(w.ptr, g.ptr, v.ptr, n, 0.05, momentum, nesterov, weightDecay);
    raw().sgd_update_f32?.(w2.ptr, g.ptr, v2.ptr, n, 0.05, momentum, nesterov, weightDecay);
    expectSameBits(w, w2, 'weights');
    expectSameBits(v, v2, 'velocity');
    expect(parts).toEqual([2]);
    for (const t of [w, g, v, w2, v2]) t.dispose();
  });

  it('Adam equals one thread bit for bit, in two parts, at step 3', () => {
    const parts = spyOnParts();
    const [w, g, m] = [filled(n), filled(n), filled(n)];
    const v = Tensor.from(filled(n).data.map(Math.abs), [n]); // a second moment is never negative
    const [w2, m2, v2] = [w.clone(), m.clone(), v.clone()];
    kernels('float32').adamUpdate(w.ptr, g.ptr, m.ptr, v.ptr, n, 1e-3, 0.9, 0.999, 1e-8, 1e-4, 3);
    raw().adam_update_f32?.(w2.ptr, g.ptr, m2.ptr, v2.ptr, n, 1e-3, 0.9, 0.999, 1e-8, 1e-4, 3);
    expectSameBits(w, w2, 'weights');
    expectSameBits(m, m2, 'first moment');
    expectSameBits(v, v2, 'second moment');
    expect(parts).toEqual([2]);
    for (const t of [w, g, m, v, w2, m2, v2]) t.dispose();
  });

  it('a parameter below 65,536 elements is updated on one thread', () => {
    const parts = spyOnParts();
    const [w, g] = [filled(65_535), filled(65_535)];
    kernels('float32').sgdUpdate(w.ptr, g.ptr, 0, 65_535, 0.05, 0, 0, 0);
    expect(parts).toEqual([]);
    for (const t of [w, g]) t.dispose();
  });
});

describe('an elementwise op and the finite check split across threads', () => {
  afterEach(() => vi.restoreAllMocks());
  const n = 100_003; // the second part starts mid-buffer and ends on a tail of 3
  const k32 = () => kernels('float32');

  it.each([
    ['relu', B_CONST, 0],
    ['sigmoid', B_CONST, 0],
    ['exp', B_CONST, 0],
    ['leakyRelu', B_CONST, 0.1],
    ['mul', B_SAME, 0],
    ['max', B_SAME, 0],
  ] as const)('%s: forward and backward equal one thread bit for bit, in two parts', (name, mode, constant) => {
    const parts = spyOnParts();
    const code = OPS[name].code;
    const [a, b, dout] = [filled(n), filled(n), filled(n)];
    const [out1, out2] = [Tensor.zeros([n]), Tensor.zeros([n])];
    const bPtr = mode === B_SAME ? b.ptr : 0;
    k32().elementwiseForward(code, a.ptr, bPtr, out1.ptr, 1, n, mode, constant);
    raw().elementwise_forward_f32?.(code, a.ptr, bPtr, out2.ptr, 1, n, mode, constant);
    expectSameBits(out1, out2, `${name} forward`);
    const start = [filled(n), filled(n)] as const;
    // Added into gradients that hold values, and into a fresh da (zeroed as the kernel goes).
    for (const fresh of [0, 1]) {
      const [da1, db1, da2, db2] = [start[0].clone(), start[1].clone(), start[0].clone(), start[1].clone()];
      const db = (t: Tensor) => (mode === B_SAME ? t.ptr : 0);
      k32().elementwiseBackward(code, a.ptr, bPtr, out1.ptr, dout.ptr, da1.ptr, db(db1), 1, n, mode, constant, fresh);
      raw().elementwise_backward_f32?.(code, a.ptr, bPtr, out2.ptr, dout.ptr, da2.ptr, db(db2), 1, n, mode, constant, fresh);
      expectSameBits(da1, da2, `${name} backward, da (fresh ${fresh})`);
      expectSameBits(db1, db2, `${name} backward, db (fresh ${fresh})`);
      for (const t of [da1, db1, da2, db2]) t.dispose();
    }
    expect(parts).toEqual([2, 2, 2]);
    for (const t of [a, b, dout, out1, out2, ...start]) t.dispose();
  });

  it('a bias added down the rows is not split: its gradient sums over the rows', () => {
    const parts = spyOnParts();
    const [x, bias, out] = [filled(n * 2), filled(2), Tensor.zeros([n * 2])];
    k32().elementwiseForward(OPS.add.code, x.ptr, bias.ptr, out.ptr, n, 2, B_ROW, 0);
    expect(parts).toEqual([]);
    for (const t of [x, bias, out]) t.dispose();
  });

  it('firstNonFinite finds the first NaN or ±∞ wherever the parts split, in two parts', () => {
    const x = filled(n);
    const parts = spyOnParts(true);
    const half = Math.ceil(n / 8) * 4; // where the second part starts
    expect(k32().firstNonFinite(x.ptr, n)).toBe(-1);
    for (const [at, value] of [
      [half, Number.NaN],
      [n - 1, Number.POSITIVE_INFINITY],
      [half - 1, Number.NEGATIVE_INFINITY],
      [0, Number.NaN],
    ] as const) {
      const y = x.clone();
      y.data[at] = value;
      expect(k32().firstNonFinite(y.ptr, n), `${value} at ${at}`).toBe(at);
      y.data[n - 2] = Number.NaN; // a later one in the second part does not win
      expect(k32().firstNonFinite(y.ptr, n), `${value} at ${at}, and NaN at ${n - 2}`).toBe(Math.min(at, n - 2));
      y.dispose();
    }
    expect(parts).toEqual(Array(9).fill(2));
    x.dispose();
  });
});

describe('threads and the process', () => {
  it('a convolutional net and an MLP trained with two threads end with the same weights and predictions as with one', () => {
    // The README's CNN, batch 32, five SGD steps with momentum, then an MLP's five steps;
    // every parameter's bytes and the predictions hashed. Each thread count in a process of its own.
    const script = (threads: number) => `
      import { createHash } from 'node:crypto';
      import { backend, init, nn, Tensor } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
      await init({ threads: ${threads} });
      const hash = createHash('sha256');
      const train = (model, x, labels) => {
        const optimizer = new nn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
        for (let step = 0; step < 5; step++) {
          optimizer.zeroGrad();
          model.backward(nn.softmaxCrossEntropy(model.forward(x), labels).dlogits);
          optimizer.step();
        }
        for (const p of model.parameters()) hash.update(p.value.data);
        hash.update(model.predict(x).data);
      };
      const labels = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 10);
      train(new nn.Sequential([
        new nn.Conv2d(1, 8, 5, { padding: 2, seed: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
        new nn.Conv2d(8, 16, 5, { padding: 2, seed: 2 }), new nn.ReLU(), new nn.MaxPool2d(3),
        new nn.Flatten(), new nn.Linear(16 * 4 * 4, 10, { seed: 3 }),
      ]), Tensor.rand([32, 1, 28, 28], { seed: 4 }), labels);
      train(new nn.Sequential([new nn.Linear(784, 128, { seed: 5 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 6 })]),
        Tensor.rand([32, 784], { seed: 7 }), labels);
      console.log(backend().threads, hash.digest('hex'));
    `;
    const [one, two] = [1, 2].map((threads) => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(threads)], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr, `threads: ${threads}`).toBe('');
      expect(child.status, `threads: ${threads}`).toBe(0);
      return child.stdout.trim().split(' ');
    });
    expect(one?.[0]).toBe('1');
    expect(two?.[0]).toBe('2');
    expect(two?.[1]).toMatch(/^[0-9a-f]{64}$/);
    expect(two?.[1]).toBe(one?.[1]);
  });

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
