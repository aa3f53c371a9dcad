// GEMM against a float64 reference: all four transpose cases, ragged sizes that cross the
// tile (4×8 plain, 3×12 relaxed) and cache-block (KC 256, MC 60, NC 512/768) edges,
// leading dimensions wider than the matrix, accumulate on and off; on both builds (the
// node-relaxed and browser-relaxed projects run the FMA kernel, browser-plain the plain one).
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { backend, init, memoryStats } from '../src/index';
import { allocate, f32, release } from '../src/wasm/instance';
import { kernels } from '../src/wasm/kernels';
import { type GemmCase, gemmError } from './gemm-reference';
import { rng } from './helpers';

beforeAll(() => init());

type Dtype = 'f32' | 'f64';
const check = (dtype: Dtype, spec: GemmCase, seed: number) => gemmError(dtype === 'f32' ? 'float32' : 'float64', spec, seed);

const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const name = (transA: boolean, transB: boolean) => `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;

// [m, n, k]: ones, exact and ragged sizes around the tiles (4×8 plain, 3×12 relaxed), sizes
// that cross KC = 256, MC = 60 and NC = 512 (plain) or 768 (relaxed), and the
// matrix–vector paths (m ≤ 4 rows, n ≤ 12 columns) with long and short k, among them the
// dot tiles of A·Bᵀ (4 rows of A against 2 of B) with ragged rows and an odd last column;
// B read in place where its rows allow (not a multiple of 32 values apart), ragged panel packed.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 13],
  [7, 1, 13],
  [13, 7, 1],
  [5, 8, 4],
  [6, 8, 9],
  [4, 8, 3],
  [3, 12, 5],
  [8, 24, 2],
  [9, 36, 17],
  [25, 37, 11],
  [7, 13, 67],
  [13, 67, 7],
  [67, 129, 13],
  [129, 67, 129],
  [64, 10, 128],
  [2, 100, 300],
  [4, 33, 40],
  [300, 3, 70],
  [40, 12, 33],
  [5, 13, 260],
  [61, 9, 257],
  [130, 17, 600],
  [67, 530, 31],
  [7, 800, 9],
  [300, 270, 520],
  [25, 8, 784],
  [26, 11, 783],
  [16, 197, 203],
];

describe.each(['f32', 'f64'] as Dtype[])('gemm_%s', (dtype) => {
  it('runs on the build this project expects', () => {
    expect(backend().simd).toBe(inject('simd'));
  });

  for (const [transA, transB] of TRANSPOSES) {
    describe(name(transA, transB), () => {
      for (const accumulate of [false, true]) {
        it(`matches a float64 reference, ${accumulate ? 'C += op(A)·op(B)' : 'C = op(A)·op(B)'}`, () => {
          SHAPES.forEach(([m, n, k], index) => {
            const spec = { transA, transB, m, n, k, accumulate };
            expect(check(dtype, spec, 1000 + index), JSON.stringify(spec)).toBeLessThanOrEqual(1);
          });
        });
      }

      it('honours leading dimensions wider than the matrix', () => {
        const shapes: [number, number, number][] = [
          [1, 1, 1],
          [7, 13, 67],
          [67, 129, 13],
          [61, 20, 300],
        ];
        shapes.forEach(([m, n, k], index) => {
          for (const accumulate of [false, true]) {
            const spec = { transA, transB, m, n, k, padA: 3, padB: 5, padC: 7, accumulate };
            expect(check(dtype, spec, 2000 + index), JSON.stringify(spec)).toBeLessThanOrEqual(1);
          }
        });
      });
    });
  }

  it('matches on random shapes, transposes, leading dimensions and accumulate', () => {
    const random = rng(dtype === 'f32' ? 7 : 8);
    const pick = (max: number) => 1 + Math.floor(random() ** 2 * max);
    for (let trial = 0; trial < 60; trial++) {
      const spec: GemmCase = {
        transA: random() < 0.5,
        transB: random() < 0.5,
        m: pick(140),
        n: pick(140),
        k: pick(300),
        padA: random() < 0.5 ? 0 : pick(9),
        padB: random() < 0.5 ? 0 : pick(9),
        padC: random() < 0.5 ? 0 : pick(9),
        accumulate: random() < 0.5,
      };
      expect(check(dtype, spec, 3000 + trial), JSON.stringify(spec)).toBeLessThanOrEqual(1);
    }
  });
});

describe('gemm_f32 memory', () => {
  it('repeated calls of the same sizes do not grow memory', () => {
    const m = 64;
    const k = 784;
    const n = 128;
    const x = allocate(m * k * 4, 'x');
    const w = allocate(k * n * 4, 'w');
    const y = allocate(m * n * 4, 'y');
    const dx = allocate(m * k * 4, 'dx');
    const dw = allocate(k * n * 4, 'dw');
    const random = rng(5);
    f32().set(
      Array.from({ length: m * k }, () => random()),
      x / 4,
    );
    f32().set(
      Array.from({ length: k * n }, () => random()),
      w / 4,
    );
    const step = () => {
      const gemm = kernels('float32').gemm;
      gemm(0, 0, m, n, k, x, k, w, n, y, n, 0); // forward: y = x·w
      gemm(1, 0, k, n, m, x, k, y, n, dw, n, 0); // dw = xᵀ·dy
      gemm(0, 1, m, k, n, y, n, w, n, dx, k, 0); // dx = dy·wᵀ
      gemm(1, 1, 7, 5, 3, x, 7, w, 3, y, 5, 1); // a few columns: matrix–vector products
      gemm(1, 1, 2, 9, 64, x, 2, w, 64, y, 9, 0); // a few rows, strided x gathered
    };
    try {
      step();
      const first = memoryStats();
      for (let i = 0; i < 20; i++) step();
      expect(memoryStats()).toEqual(first);
    } finally {
      for (const ptr of [dw, dx, y, w, x]) release(ptr);
    }
  });

  it('smaller problems after larger ones reuse the packing buffers', () => {
    const a = allocate(300 * 300 * 4, 'a');
    const c = allocate(300 * 300 * 4, 'c');
    try {
      kernels('float32').gemm(0, 0, 300, 300, 300, a, 300, a, 300, c, 300, 0);
      const first = memoryStats();
      for (const size of [1, 7, 64, 129, 300]) kernels('float32').gemm(1, 1, size, size, size, a, size, a, size, c, size, 0);
      expect(memoryStats()).toEqual(first);
    } finally {
      release(c);
      release(a);
    }
  });
});
