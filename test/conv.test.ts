// Convolution, pooling and reshape as gates: forward and both gradients against the
// definitions' loops (test/conv-reference.ts) over random configurations (strides,
// paddings, dilations, odd sizes), in float64 and float32; every gate gradchecked in
// float64; and the errors bad shapes and options get, which leave the gate as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AvgPool2dGate,
  Conv2dGate,
  type DType,
  gradcheck,
  init,
  MaxPool2dGate,
  ReshapeGate,
  ShapeError,
  StateError,
  Tensor,
  ValueError,
} from '../src/index';
import { WEIGHT_GROUPS } from '../src/ops';
import * as ref from './conv-reference';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(14);
const tensor = (shape: number[], dtype: DType = 'float64', values: () => number = () => random() * 2 - 1) =>
  Tensor.from(Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, values), shape, { dtype });
/** L = Σ y ⊙ r for a fixed random r: every output element carries its own weight, and dL/dy = r. */
const weighted = (y: Tensor, r: Tensor) => {
  const [a, b] = [y.data, r.data];
  let total = 0;
  for (let i = 0; i < a.length; i++) total += (a[i] as number) * (b[i] as number);
  return total;
};

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    if (!(Math.abs(a - e) <= tol * scale)) expect.fail(`${what}[${i}]: ${a}, expected ${e} (tolerance ${tol * scale})`);
  }
}

const convOptions = (c: ref.Config) => ({ stride: [c.sh, c.sw], padding: [c.ph, c.pw], dilation: [c.dh, c.dw] }) as const;
const poolOptions = (c: ref.Config) => ({ stride: [c.sh, c.sw], padding: [c.ph, c.pw] }) as const;
const shown = (c: ref.Config) => JSON.stringify(c);
/** float32 rounds each product and sum: a relative tolerance for sums of up to ~100 terms. */
const TOLERANCE = { float64: 1e-12, float32: 2e-5 } as const;

describe('Conv2dGate', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`forward, dx, dw and db agree with the definition's loops (${dtype}, 40 random configurations)`, () => {
      for (let trial = 0; trial < 40; trial++) {
        const cfg = ref.randomConfig(random, 'conv');
        const bias = trial % 3 !== 0;
        const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w], dtype);
        const w = tensor([cfg.o, cfg.c, cfg.kh, cfg.kw], dtype);
        const b = bias ? tensor([cfg.o], dtype) : null;
        const gate = new Conv2dGate(convOptions(cfg));
        const y = gate.forward(x, w, b);
        const [oh, ow] = ref.outSize(cfg);
        expect(y.shape).toEqual([cfg.n, cfg.o, oh, ow]);
        expectClose(y.data, ref.conv2d(cfg, x.data, w.data, b?.data ?? null), TOLERANCE[dtype], `y of ${shown(cfg)}`);
        const dy = tensor(y.shape as number[], dtype);
        const expected = ref.conv2dGradients(cfg, x.data, w.data, dy.data);
        const [dx, dw, db] = gate.backward(dy);
        expectClose(dx.data, expected.dx, TOLERANCE[dtype], `dx of ${shown(cfg)}`);
        expectClose(dw.data, expected.dw, TOLERANCE[dtype], `dw of ${shown(cfg)}`);
        if (bias) expectClose((db as Tensor).data, expected.db, TOLERANCE[dtype], `db of ${shown(cfg)}`);
        else expect(db).toBeNull();
        for (const t of [x, w, b, dy]) t?.dispose();
      }
    });
  }

  // The weight gradient is summed over WEIGHT_GROUPS groups of images, then the groups:
  // batches of one group per image, of uneven groups, and of several images in each.
  it.each([WEIGHT_GROUPS - 1, WEIGHT_GROUPS, WEIGHT_GROUPS + 3, 3 * WEIGHT_GROUPS + 1])(
    'a batch of %i images: dw and db (summed by image groups) agree with the definition',
    (n) => {
      for (const dtype of ['float64', 'float32'] as const) {
        const cfg = { n, c: 2, h: 6, w: 5, o: 3, kh: 3, kw: 2, sh: 1, sw: 2, ph: 1, pw: 0, dh: 1, dw: 1 };
        const [x, wt, b] = [tensor([n, 2, 6, 5], dtype), tensor([3, 2, 3, 2], dtype), tensor([3], dtype)];
        const gate = new Conv2dGate(convOptions(cfg));
        const y = gate.forward(x, wt, b);
        const dy = tensor(y.shape as number[], dtype);
        const expected = ref.conv2dGradients(cfg, x.data, wt.data, dy.data);
        const [, dw, db] = gate.backward(dy);
        expectClose(dw.data, expected.dw, TOLERANCE[dtype], `dw of ${shown(cfg)}`);
        expectClose((db as Tensor).data, expected.db, TOLERANCE[dtype], `db of ${shown(cfg)}`);
        for (const t of [x, wt, b, dy]) t.dispose();
      }
    },
  );

  // 5 to 12 output channels over more than 12 taps: the weight gradient is computed
  // transposed (dWᵀ = col·dYᵀ, matrix–vector products); 13 and more, as dW, packed.
  it.each([5, 8, 12, 13, 20])('%i output channels over 18 taps: dw and db agree with the definition', (o) => {
    for (const dtype of ['float64', 'float32'] as const) {
      const cfg = { n: 10, c: 2, h: 9, w: 7, o, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1 };
      const [x, wt, b] = [tensor([10, 2, 9, 7], dtype), tensor([o, 2, 3, 3], dtype), tensor([o], dtype)];
      const gate = new Conv2dGate(convOptions(cfg));
      const y = gate.forward(x, wt, b);
      const dy = tensor(y.shape as number[], dtype);
      const expected = ref.conv2dGradients(cfg, x.data, wt.data, dy.data);
      const [dx, dw, db] = gate.backward(dy);
      expectClose(dx.data, expected.dx, TOLERANCE[dtype], `dx of ${shown(cfg)}`);
      expectClose(dw.data, expected.dw, TOLERANCE[dtype], `dw of ${shown(cfg)}`);
      expectClose((db as Tensor).data, expected.db, TOLERANCE[dtype], `db of ${shown(cfg)}`);
      for (const t of [x, wt, b, dy]) t.dispose();
    }
  });

  // Stride 1, no dilation, 2·padding = kernel − 1: the output keeps the input's size, and
  // im2col copies shifted planes whole (conv.ts, unfoldSame) rather than run by run.
  it.each([
    [5, 2, 2, 3, 14, 14],
    [5, 2, 1, 8, 7, 9],
    [3, 1, 3, 2, 1, 6],
    [3, 1, 2, 1, 5, 1],
    [1, 0, 2, 3, 4, 5],
    [7, 3, 1, 2, 3, 4],
  ])(
    'a "same" convolution, kernel %i, padding %i (x [%i, %i, %i, %i]): y, dx, dw and db agree with the definition',
    (k, pad, n, c, h, w) => {
      for (const dtype of ['float64', 'float32'] as const) {
        const cfg = { n, c, h, w, o: 3, kh: k, kw: k, sh: 1, sw: 1, ph: pad, pw: pad, dh: 1, dw: 1 };
        const [x, wt, b] = [tensor([n, c, h, w], dtype), tensor([3, c, k, k], dtype), tensor([3], dtype)];
        const gate = new Conv2dGate(convOptions(cfg));
        const y = gate.forward(x, wt, b);
        expect(y.shape).toEqual([n, 3, h, w]);
        expectClose(y.data, ref.conv2d(cfg, x.data, wt.data, b.data), TOLERANCE[dtype], `y of ${shown(cfg)}`);
        const dy = tensor(y.shape as number[], dtype);
        const expected = ref.conv2dGradients(cfg, x.data, wt.data, dy.data);
        const [dx, dw] = gate.backward(dy);
        expectClose(dx.data, expected.dx, TOLERANCE[dtype], `dx of ${shown(cfg)}`);
        expectClose(dw.data, expected.dw, TOLERANCE[dtype], `dw of ${shown(cfg)}`);
        for (const t of [x, wt, b, dy]) t.dispose();
      }
    },
  );

  it('gradchecks in float64 over random shapes, strides, paddings and dilations', () => {
    for (let trial = 0; trial < 12; trial++) {
      const cfg = ref.randomConfig(random, 'conv');
      const gate = new Conv2dGate(convOptions(cfg));
      const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w]);
      const w = tensor([cfg.o, cfg.c, cfg.kh, cfg.kw]);
      const b = tensor([cfg.o]);
      const [oh, ow] = ref.outSize(cfg);
      const r = tensor([cfg.n, cfg.o, oh, ow]);
      const result = gradcheck(
        ([xs, ws, bs]) => {
          const value = weighted(gate.forward(xs, ws, bs), r);
          const [dx, dw, db] = gate.backward(r);
          return { value, grads: [dx, dw, db as Tensor] };
        },
        [x, w, b],
      );
      expect(result.ok, `${shown(cfg)}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });

  it('a backward after another forward is a StateError, not the gradient of other numbers', () => {
    const gate = new Conv2dGate({ padding: 1 });
    const w = tensor([2, 1, 3, 3]);
    const y = gate.forward(tensor([1, 1, 4, 4]), w);
    const dy = tensor(y.shape as number[]);
    gate.forward(tensor([1, 1, 4, 4]), w);
    expect(() => gate.backward(y)).toThrow(StateError);
    w.set(tensor([2, 1, 3, 3]).data);
    expect(() => gate.backward(dy)).toThrow(/w, kept by the forward this backward differentiates, has been overwritten/);
  });

  it('bad shapes and options are errors that name the op and the shapes, and leave the gate as it was', () => {
    const gate = new Conv2dGate({ stride: 2 });
    const x = tensor([2, 3, 5, 5]);
    const w = tensor([4, 3, 3, 3]);
    const y = gate.forward(x, w);
    const cases: [() => unknown, RegExp, typeof ShapeError | typeof ValueError][] = [
      [
        () => gate.forward(tensor([3, 5, 5]), w),
        /^Conv2dGate.forward: x must be 4-D \[batch, channels, height, width\], got \[3,5,5\]$/,
        ShapeError,
      ],
      [() => gate.forward(x, tensor([4, 3, 3])), /w must be 4-D \[out, in, kh, kw\], got \[4,3,3\]/, ShapeError],
      [() => gate.forward(x, tensor([4, 2, 3, 3])), /x \[2,3,5,5\] and w \[4,2,3,3\]: x has 3 channels, w takes 2/, ShapeError],
      [() => gate.forward(x, w, tensor([3])), /b must be \[4\], one per output channel of w \[4,3,3,3\], got \[3\]/, ShapeError],
      [
        () => gate.forward(x, tensor([4, 3, 7, 7])),
        /x \[2,3,5,5\] with kernel 7×7, stride 2, padding 0: the padded input 5×5 is smaller than the window's reach 7×7/,
        ShapeError,
      ],
      [() => gate.forward(x, tensor([4, 3, 3, 3], 'float32')), /dtypes differ: x is float64, w is float32/, ValueError],
      [() => gate.forward(x, 'w' as never), /w must be a Tensor, got "w"/, ValueError],
      [() => gate.backward(tensor([2, 4, 3, 3])), /dy is float64 \[2,4,3,3\], the output was float64 \[2,4,2,2\]/, ShapeError],
      [
        () => new Conv2dGate({ stride: 0 }),
        /^Conv2dGate: stride must be an integer ≥ 1 or a pair \[height, width\] of them, got 0$/,
        ValueError,
      ],
      [() => new Conv2dGate({ padding: [1, -1] as never }), /padding must be an integer ≥ 0 .*got \[1, -1\]/, ValueError],
      [() => new Conv2dGate({ dilation: 1.5 }), /dilation must be an integer ≥ 1/, ValueError],
      [() => new Conv2dGate({ strides: 2 } as never), /unknown option "strides" \(it takes stride, padding, dilation\)/, ValueError],
    ];
    for (const [call, message, type] of cases) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    // The output and caches of the last good forward are still valid: backward runs from them.
    expect(y.stale).toBe(false);
    const [dx] = gate.backward(tensor(y.shape as number[]));
    expect(dx.shape).toEqual([2, 3, 5, 5]);
  });

  it('one gate called with other batches, with and without a bias, gives what a new gate gives each time (its geometry follows the shapes)', () => {
    const gate = new Conv2dGate({ padding: 1 });
    const w = tensor([4, 3, 3, 3]);
    const b = tensor([4]);
    for (const [batch, bias] of [
      [2, b],
      [3, b],
      [3, null],
      [2, null],
      [2, b],
    ] as const) {
      const x = tensor([batch, 3, 5, 5]);
      const expected = Array.from(new Conv2dGate({ padding: 1 }).forward(x, w, bias).data);
      expect(Array.from(gate.forward(x, w, bias).data)).toEqual(expected);
    }
  });
});

describe('pooling', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`MaxPool2dGate: the max of each window, its winner, and dy routed there (${dtype}, 40 random configurations)`, () => {
      for (let trial = 0; trial < 40; trial++) {
        const cfg = ref.randomConfig(random, 'max');
        // Ties, some of them: values from a few levels, so that the first-of-equals rule is exercised.
        const levels = trial % 2 === 0;
        const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w], dtype, levels ? () => Math.floor(random() * 4) : undefined);
        const gate = new MaxPool2dGate([cfg.kh, cfg.kw], { ...poolOptions(cfg), dilation: [cfg.dh, cfg.dw] });
        const y = gate.forward(x);
        const expected = ref.maxPool2d(cfg, x.data);
        expectClose(y.data, expected.y, 0, `y of ${shown(cfg)}`);
        expect(Array.from(gate.winnerIndices), shown(cfg)).toEqual(Array.from(expected.winners));
        const dy = tensor(y.shape as number[], dtype);
        const [dx] = gate.backward(dy);
        const dxExpected = ref.maxPool2dGradient(cfg, expected.winners, dy.data);
        expectClose(dx.data, dxExpected, TOLERANCE[dtype], `dx of ${shown(cfg)}`);
        // Again: dx is written afresh, not added to the last backward's.
        expectClose(gate.backward(dy)[0].data, dxExpected, TOLERANCE[dtype], `dx again of ${shown(cfg)}`);
      }
    });

    it(`MaxPool2dGate on planes wide enough for four windows at a time (float32's vector path): the same maxima and winners, ties included (${dtype})`, () => {
      let wide = 0;
      while (wide < 30) {
        const cfg = { ...ref.randomConfig(random, 'max'), h: 3 + Math.floor(random() * 10), w: 12 + Math.floor(random() * 29) };
        const [outH, outW] = ref.outSize(cfg);
        if (outH < 1 || outW < 4 || ref.maxPool2d({ ...cfg, n: 1, c: 1 }, new Float64Array(cfg.h * cfg.w)).winners.includes(-1)) continue;
        wide++;
        const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w], dtype, wide % 2 === 0 ? () => Math.floor(random() * 3) : undefined);
        const gate = new MaxPool2dGate([cfg.kh, cfg.kw], { ...poolOptions(cfg), dilation: [cfg.dh, cfg.dw] });
        const expected = ref.maxPool2d(cfg, x.data);
        expectClose(gate.forward(x).data, expected.y, 0, `y of ${shown(cfg)}`);
        expect(Array.from(gate.winnerIndices), shown(cfg)).toEqual(Array.from(expected.winners));
      }
    });

    it(`MaxPool2dGate 2×2, stride 2 (its own float32 kernel), on widths 8 to 21 with and without padding: the same maxima and winners, ties included (${dtype})`, () => {
      for (let w = 8; w <= 21; w++) {
        for (const padding of [0, 1]) {
          const cfg = { n: 2, c: 3, h: 2 + (w % 6), w, o: 3, kh: 2, kw: 2, sh: 2, sw: 2, ph: padding, pw: padding, dh: 1, dw: 1 };
          const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w], dtype, w % 2 === 0 ? () => Math.floor(random() * 3) : undefined);
          const gate = new MaxPool2dGate(2, { padding });
          const expected = ref.maxPool2d(cfg, x.data);
          expectClose(gate.forward(x).data, expected.y, 0, `y of ${shown(cfg)}`);
          expect(Array.from(gate.winnerIndices), shown(cfg)).toEqual(Array.from(expected.winners));
        }
      }
    });

    it(`AvgPool2dGate: each window's mean, padding counted (count_include_pad), and dy shared out (${dtype})`, () => {
      for (let trial = 0; trial < 40; trial++) {
        const cfg = ref.randomConfig(random, 'avg');
        const x = tensor([cfg.n, cfg.c, cfg.h, cfg.w], dtype);
        const gate = new AvgPool2dGate([cfg.kh, cfg.kw], poolOptions(cfg));
        const y = gate.forward(x);
        expectClose(y.data, ref.avgPool2d(cfg, x.data), TOLERANCE[dtype], `y of ${shown(cfg)}`);
        const dy = tensor(y.shape as number[], dtype);
        const [dx] = gate.backward(dy);
        expectClose(dx.data, ref.avgPool2dGradient(cfg, dy.data), TOLERANCE[dtype], `dx of ${shown(cfg)}`);
      }
    });
  }

  it('both gradcheck in float64 over random windows', () => {
    for (let trial = 0; trial < 16; trial++) {
      const max = trial % 2 === 0;
      const cfg = ref.randomConfig(random, max ? 'max' : 'avg');
      const gate = max
        ? new MaxPool2dGate([cfg.kh, cfg.kw], { ...poolOptions(cfg), dilation: [cfg.dh, cfg.dw] })
        : new AvgPool2dGate([cfg.kh, cfg.kw], poolOptions(cfg));
      const [oh, ow] = ref.outSize(cfg);
      const r = tensor([cfg.n, cfg.c, oh, ow]);
      const result = gradcheck(
        ([xs]) => ({ value: weighted(gate.forward(xs), r), grads: gate.backward(r) }),
        [tensor([cfg.n, cfg.c, cfg.h, cfg.w])],
      );
      expect(result.ok, `${max ? 'max' : 'avg'} ${shown(cfg)}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });

  it('stride defaults to the kernel size, as in PyTorch', () => {
    const y = new MaxPool2dGate(2).forward(tensor([1, 1, 5, 4]));
    expect(y.shape).toEqual([1, 1, 2, 2]);
    const z = new AvgPool2dGate([3, 2]).forward(tensor([1, 2, 6, 6]));
    expect(z.shape).toEqual([1, 2, 2, 3]);
  });

  it('bad windows and inputs are errors naming the op, the option and the shape', () => {
    expect(() => new MaxPool2dGate(0)).toThrow(/^MaxPool2dGate: kernelSize must be an integer ≥ 1/);
    expect(() => new MaxPool2dGate(2, { padding: 2 })).toThrow(
      /^MaxPool2dGate: padding 2 is more than half the window \(kernel 2×2, stride 2, padding 2\)$/,
    );
    expect(() => new AvgPool2dGate(2, { dilation: 2 } as never)).toThrow(/unknown option "dilation" \(it takes stride, padding\)/);
    const gate = new AvgPool2dGate(3);
    expect(() => gate.forward(tensor([1, 1, 2, 2]))).toThrow(
      /^AvgPool2dGate.forward: x \[1,1,2,2\] with kernel 3×3, stride 3, padding 0: the padded input 2×2 is smaller than the window's reach 3×3$/,
    );
    expect(() => gate.forward(tensor([4, 4]))).toThrow(ShapeError);
    expect(() => gate.backward(tensor([1]))).toThrow(/called before forward/);
  });
});

describe('ReshapeGate', () => {
  it('views x in the new shape (−1 inferred), and dy back in x’s: gradchecked', () => {
    const gate = new ReshapeGate([-1, 6]);
    const x = tensor([2, 3, 2, 1]);
    const y = gate.forward(x);
    expect(y.shape).toEqual([2, 6]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    const r = tensor([2, 6]);
    const result = gradcheck(([xs]) => ({ value: weighted(gate.forward(xs), r), grads: gate.backward(r) }), [x]);
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    expect(gate.backward(r)[0].shape).toEqual([2, 3, 2, 1]);
  });

  it('sizes that do not fit and bad shapes are errors', () => {
    expect(() => new ReshapeGate([-1, -1])).toThrow(/^ReshapeGate: only one dimension may be −1, got \[-1, -1\]$/);
    expect(() => new ReshapeGate([2, 0])).toThrow(
      /the shape must be a non-empty array of positive integers \(one may be −1\), got \[2, 0\]/,
    );
    expect(() => new ReshapeGate([-1, 5]).forward(tensor([2, 3]))).toThrow(
      /^ReshapeGate.forward: x \[2,3\] has 6 values, which do not fit \[-1, 5\]$/,
    );
  });
});
