// The convolutional layers: PyTorch's shapes and initialization, gradchecked in float64
// as part of a Sequential, predict beside training caches, save/load round trips that
// reproduce outputs bit for bit, the errors bad arguments get, memory that stays flat
// after a training loop's first step, and a small net that learns.
import { beforeAll, describe, expect, it } from 'vitest';
import { type DType, gradcheck, init, memoryStats, nn, ShapeError, StateError, Tensor, ValueError } from '../src/index';
import * as ref from './conv-reference';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(7);
const tensor = (shape: readonly number[], dtype: DType = 'float32') =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    shape,
    { dtype },
  );
const weighted = (y: Tensor, r: Tensor) => {
  let total = 0;
  for (let i = 0; i < y.size; i++) total += (y.data[i] as number) * (r.data[i] as number);
  return total;
};

/** A net with every new layer, odd sizes and options: [N, 2, 9, 8] → [N, 3]. */
function smallCnn(dtype: DType, seed = 1): nn.Sequential {
  return new nn.Sequential([
    new nn.Conv2d(2, 4, 3, { padding: 1, dtype, seed }),
    new nn.ReLU(),
    new nn.MaxPool2d(2, { stride: [2, 1], padding: [1, 0] }),
    new nn.Conv2d(4, 3, [2, 3], { stride: [1, 2], dilation: [2, 1], bias: false, dtype, seed: seed + 1 }),
    new nn.AvgPool2d([2, 2], { stride: 1, padding: 1 }),
    new nn.Flatten(),
    new nn.Linear(3 * 4 * 4, 3, { dtype, seed: seed + 2 }),
  ]);
}

describe('nn.Conv2d', () => {
  it('has PyTorch’s shapes and Kaiming-uniform (a = √5) initialization: uniform in ±1/√fanIn, the same for the same seed', () => {
    const conv = new nn.Conv2d(3, 16, 5, { seed: 3 });
    expect(conv.weight.value.shape).toEqual([16, 3, 5, 5]);
    expect(conv.bias?.value.shape).toEqual([16]);
    expect(conv.parameters().map((p) => p.name)).toEqual(['weight', 'bias']);
    const bound = 1 / Math.sqrt(3 * 25);
    const w = Array.from(conv.weight.value.data);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    // 1200 uniform draws: their extremes near the bounds, their mean near 0 and variance near bound²/3.
    expect(Math.max(...w)).toBeGreaterThan(0.95 * bound);
    expect(Math.min(...w)).toBeLessThan(-0.95 * bound);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.1 * bound);
    expect(variance / ((bound * bound) / 3)).toBeGreaterThan(0.85);
    expect(variance / ((bound * bound) / 3)).toBeLessThan(1.15);
    const b = Array.from(conv.bias?.value.data ?? []);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(new Set(b).size).toBe(16);
    expect(Array.from(new nn.Conv2d(3, 16, 5, { seed: 3 }).weight.value.data)).toEqual(w);
    expect(new nn.Conv2d(3, 16, [3, 1], { bias: false }).parameters().map((p) => p.value.shape)).toEqual([[16, 3, 3, 1]]);
  });

  it('forward and backward are the definition’s, and backward adds into the parameters’ gradients', () => {
    const cfg: ref.Config = { n: 2, c: 3, h: 7, w: 6, o: 4, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 2, dh: 1, dw: 2 };
    const conv = new nn.Conv2d(3, 4, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], dtype: 'float64' });
    const x = tensor([2, 3, 7, 6], 'float64');
    const y = conv.forward(x);
    const [w, b] = [conv.weight.value.data, (conv.bias as nn.Parameter).value.data];
    const expectedY = ref.conv2d(cfg, x.data, w, b);
    y.data.forEach((v, i) => {
      expect(v).toBeCloseTo(expectedY[i] as number, 12);
    });
    const dy = tensor(y.shape, 'float64');
    const grads = ref.conv2dGradients(cfg, x.data, w, dy.data);
    const dx = conv.backward(dy);
    conv.forward(x);
    conv.backward(dy, { inputGrad: false });
    dx.data.forEach((v, i) => {
      expect(v).toBeCloseTo(grads.dx[i] as number, 12);
    });
    // Two backwards: twice the gradient, until the optimizer's zeroGrad.
    conv.weight.grad.data.forEach((v, i) => {
      expect(v).toBeCloseTo(2 * (grads.dw[i] as number), 11);
    });
    (conv.bias as nn.Parameter).grad.data.forEach((v, i) => {
      expect(v).toBeCloseTo(2 * (grads.db[i] as number), 11);
    });
  });

  it('bad arguments are errors naming the layer and the value', () => {
    expect(() => new nn.Conv2d(0, 4, 3)).toThrow(/^Conv2d: inChannels must be a positive integer, got 0$/);
    expect(() => new nn.Conv2d(1, 4, 0)).toThrow(/^Conv2d: kernelSize must be an integer ≥ 1/);
    expect(() => new nn.Conv2d(1, 4, 3, { stride: [1, 0] })).toThrow(
      /^Conv2d: stride must be an integer ≥ 1 or a pair \[height, width\] of them, got \[1, 0\]$/,
    );
    expect(() => new nn.Conv2d(1, 4, 3, { bias: 'yes' as never })).toThrow(ValueError);
    expect(() => new nn.Conv2d(1, 4, 3, { padding: 'same' as never })).toThrow(/padding must be an integer ≥ 0/);
    const conv = new nn.Conv2d(1, 4, 3);
    expect(() => conv.forward(tensor([2, 3, 8, 8]))).toThrow(
      /^Conv2d.forward: x \[2,3,8,8\] and w \[4,1,3,3\]: x has 3 channels, w takes 1$/,
    );
    expect(() => conv.forward(tensor([2, 1, 8, 8], 'float64'))).toThrow(/dtypes differ: x is float64, w is float32/);
    expect(() => conv.backward(tensor([2, 4, 6, 6]))).toThrow(StateError);
    expect(() => new nn.MaxPool2d(3, { padding: 2 })).toThrow(/^MaxPool2dGate: padding 2 is more than half the window/);
    expect(() => new nn.Flatten().backward(tensor([2, 3]))).toThrow(/^Flatten.backward: called before forward$/);
    expect(() => new nn.Flatten().forward(Tensor.from(1) as Tensor)).toThrow(ShapeError);
  });
});

describe('a Sequential of conv, pooling and flatten layers', () => {
  it('passes gradcheck in float64: the input and every parameter', () => {
    const model = smallCnn('float64');
    const x = tensor([2, 2, 9, 8], 'float64');
    const r = tensor([2, 3], 'float64');
    const params = model.parameters();
    const result = gradcheck(
      ([xs]) => {
        // gradcheck perturbs the parameters in place; their gradients start from 0 on each call.
        for (const p of params) p.grad.data.fill(0);
        const value = weighted(model.forward(xs), r);
        const dx = model.backward(r, { inputGrad: true });
        return { value, grads: [dx, ...params.map((p) => p.grad)] };
      },
      [x, ...params.map((p) => p.value)],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('predict gives forward’s numbers without touching what backward needs', () => {
    const model = smallCnn('float32');
    const x = tensor([3, 2, 9, 8]);
    const y = model.forward(x).clone();
    const other = model.predict(tensor([5, 2, 9, 8]));
    expect(other.shape).toEqual([5, 3]);
    expect(Array.from(model.predict(x).data)).toEqual(Array.from(y.data));
    expect(() => model.backward(tensor([3, 3]))).not.toThrow();
  });

  it('save → nn.load rebuilds the layers, and the loaded model gives the same outputs bit for bit', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const model = smallCnn(dtype, 11);
      const bytes = model.save();
      const loaded = nn.load(bytes);
      expect(loaded.layers.map((l) => l.constructor.name)).toEqual(model.layers.map((l) => l.constructor.name));
      expect(loaded.parameters().map((p) => [p.name, p.value.shape, p.value.dtype])).toEqual(
        model.parameters().map((p) => [p.name, p.value.shape, p.value.dtype]),
      );
      const x = tensor([4, 2, 9, 8], dtype);
      expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
      const conv = loaded.layers[3] as nn.Conv2d;
      expect(conv.spec).toEqual({ kernel: [2, 3], stride: [1, 2], padding: [0, 0], dilation: [2, 1] });
      expect(conv.bias).toBeNull();
      expect((loaded.layers[2] as nn.MaxPool2d).spec).toEqual({ kernel: [2, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 1] });
      expect(Array.from(nn.load(loaded.save()).predict(x).data)).toEqual(Array.from(model.predict(x).data));
    }
  });

  it('a file whose layer list describes an impossible window is a FormatError', () => {
    const bytes = new nn.Sequential([new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4, 2)]).save();
    // One character per byte, so that an edit of the same length keeps the tensors' offsets.
    const text = Array.from(bytes, (b) => String.fromCharCode(b)).join('');
    const encode = (t: string) => Uint8Array.from(t, (ch) => ch.charCodeAt(0));
    // The layer list is JSON inside the header's JSON: its quotes are escaped.
    const edited = text.replace('\\"padding\\":[0,0]', '\\"padding\\":[2,0]');
    expect(edited).not.toBe(text);
    expect(() => nn.load(encode(edited))).toThrow(/describes a layer that cannot be made: MaxPool2dGate: padding 2 is more than half/);
    expect(() => nn.load(encode(text.replace('\\"padding\\":[0,0]', '\\"padding\\":[0.5]')))).toThrow(
      /\(MaxPool2d\) has padding \[0\.5\], not a pair \[height, width\] of integers ≥ 0/,
    );
  });

  it('a training loop’s memory stays flat after its first step, a smaller last batch included', () => {
    const model = smallCnn('float32');
    const opt = new nn.Adam(model.parameters(), { lr: 1e-3 });
    const batches = [8, 8, 5, 8, 5].map((n) => ({ x: tensor([n, 2, 9, 8]), y: Int32Array.from({ length: n }, (_, i) => i % 3) }));
    const step = (b: { x: Tensor; y: Int32Array }) => {
      opt.zeroGrad();
      const { dlogits } = nn.softmaxCrossEntropy(model.forward(b.x), b.y);
      model.backward(dlogits);
      opt.step();
    };
    step(batches[0] as { x: Tensor; y: Int32Array });
    const after = memoryStats();
    for (let epoch = 0; epoch < 3; epoch++) for (const b of batches) step(b);
    expect(memoryStats()).toEqual(after);
  });

  it('learns: a small CNN tells vertical from horizontal bars at any position', () => {
    // 16 × 16 images of one bar (length 5) at a random place, plus noise; label: its orientation.
    const make = (count: number) => {
      const x = new Float32Array(count * 256);
      const y = new Int32Array(count);
      for (let n = 0; n < count; n++) {
        const vertical = random() < 0.5;
        y[n] = vertical ? 1 : 0;
        const [r, c] = [Math.floor(random() * 12), Math.floor(random() * 12)];
        for (let i = 0; i < 256; i++) x[n * 256 + i] = 0.2 * (random() - 0.5);
        for (let t = 0; t < 5; t++) {
          const at = n * 256 + (vertical ? (r + t) * 16 + c : r * 16 + c + t);
          x[at] = (x[at] as number) + 1;
        }
      }
      return { x: Tensor.from(x, [count, 1, 16, 16]), y };
    };
    const train = make(256);
    const test = make(128);
    const model = new nn.Sequential([
      new nn.Conv2d(1, 4, 3, { padding: 1, seed: 5 }),
      new nn.ReLU(),
      new nn.MaxPool2d(4),
      new nn.Flatten(),
      new nn.Linear(4 * 16, 2, { seed: 6 }),
    ]);
    const accuracy = () => {
      const scores = model.predict(test.x).data;
      let correct = 0;
      for (let n = 0; n < 128; n++) if (((scores[2 * n + 1] as number) > (scores[2 * n] as number) ? 1 : 0) === test.y[n]) correct++;
      return correct / 128;
    };
    const before = accuracy();
    nn.fit(model, train, { epochs: 15, batchSize: 16, optimizer: new nn.Adam(model.parameters(), { lr: 0.01 }), seed: 1 });
    expect(before).toBeLessThan(0.8);
    expect(accuracy()).toBeGreaterThan(0.95);
  });
});
