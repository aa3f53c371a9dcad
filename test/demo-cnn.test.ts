// The net, schedule and augmentation of `npm run demo -- --cnn` (examples/cnn.ts), checked
// on a few images so that a change that breaks the demo fails here, in a fraction of the
// demo's time: the demo itself (8,000 digits, 8 epochs) is too slow for the suite.
import { beforeAll, describe, expect, it } from 'vitest';
import { CNN_LR, CNN_NET, cnnModel, oneCycle, shiftDigits } from '../examples/cnn';
import { init, nn, Tensor } from '../src/index';
import { Random } from '../src/random';

beforeAll(() => init());

const SIDE = 28;

describe('the CNN demo’s net (examples/cnn.ts)', () => {
  it('maps [N, 1, 28, 28] digits to [N, 10] scores, in training and in evaluation', () => {
    const model = cnnModel({ seed: 1 });
    const x = Tensor.rand([3, 1, SIDE, SIDE], { seed: 1 });
    expect(model.forward(x).shape).toEqual([3, 10]);
    expect(model.predict(x).shape).toEqual([3, 10]);
  });

  it('is the net the demo prints: its convolutions’ filters in the order CNN_NET names them', () => {
    const convs = cnnModel().layers.filter((layer) => layer instanceof nn.Conv2d);
    const named = [...CNN_NET.matchAll(/conv (\d+)×\1, (\d+) filters/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(convs.map((c) => [c.spec.kernel[0], c.outChannels])).toEqual(named);
  });

  it('learns: a few Adam steps at the demo’s learning rate lower the loss on a batch, and the same seed gives the same weights', () => {
    const x = Tensor.rand([8, 1, SIDE, SIDE], { seed: 2 });
    const y = Int32Array.from({ length: 8 }, (_, i) => i % 8);
    const run = () => {
      const model = cnnModel({ seed: 3 });
      const optimizer = new nn.Adam(model.parameters(), { lr: CNN_LR });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        optimizer.zeroGrad();
        const { loss, dlogits } = nn.softmaxCrossEntropy(model.forward(x), y);
        losses.push(loss);
        model.backward(dlogits);
        optimizer.step();
      }
      losses.push(nn.softmaxCrossEntropy(model.forward(x), y).loss);
      return { losses, weights: model.parameters().map((p) => Array.from(p.value.data)) };
    };
    const first = run();
    expect(first.losses.every(Number.isFinite)).toBe(true);
    expect(first.losses.at(-1) as number).toBeLessThan((first.losses[0] as number) * 0.9);
    expect(run().weights).toEqual(first.weights);
  });
});

describe('oneCycle', () => {
  it('warms up from a tenth of the peak over the first 20% of steps, then falls on a cosine towards 0', () => {
    const steps = 1000;
    const lrs = Array.from({ length: steps }, (_, t) => oneCycle(t, steps, 1));
    expect(lrs[0]).toBeCloseTo(0.1, 12);
    expect(lrs[200]).toBeCloseTo(1, 12);
    expect(Math.max(...lrs)).toBeCloseTo(1, 12);
    expect(lrs[600]).toBeCloseTo(0.5, 12);
    expect(lrs[steps - 1]).toBeGreaterThan(0);
    expect(lrs[steps - 1]).toBeLessThan(1e-4);
    for (let t = 1; t < steps; t++) {
      if (t <= 200) expect(lrs[t]).toBeGreaterThan(lrs[t - 1] as number);
      else expect(lrs[t]).toBeLessThan(lrs[t - 1] as number);
    }
    expect(oneCycle(0, 10)).toBeCloseTo(CNN_LR / 10, 12);
  });
});

describe('shiftDigits', () => {
  /** `source`'s digit `i` moved right by dx and down by dy, zeros shifted in. */
  function shifted(source: Float32Array, i: number, dx: number, dy: number): number[] {
    return Array.from({ length: SIDE * SIDE }, (_, p) => {
      const r = Math.floor(p / SIDE) - dy;
      const c = (p % SIDE) - dx;
      return r >= 0 && r < SIDE && c >= 0 && c < SIDE ? (source[i * SIDE * SIDE + r * SIDE + c] as number) : 0;
    });
  }

  it('moves every digit by a whole (dx, dy) in −1…1, draws each of the nine, and overwrites the whole target', () => {
    const count = 40;
    const source = Float32Array.from({ length: count * SIDE * SIDE }, (_, i) => 1 + (i % 997));
    const target = new Float32Array(source.length).fill(Number.NaN);
    shiftDigits(source, target, new Random(1));
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const got = Array.from(target.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE));
      const matches: string[] = [];
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const want = shifted(source, i, dx, dy);
          if (got.every((v, p) => v === want[p])) matches.push(`${dx},${dy}`);
        }
      }
      expect(matches, `digit ${i}`).toHaveLength(1);
      seen.add(matches[0] as string);
    }
    expect(seen.size).toBe(9);
  });

  it('with maxShift 0 copies the digits; the same seed draws the same shifts', () => {
    const source = Float32Array.from({ length: 5 * SIDE * SIDE }, (_, i) => i);
    const target = new Float32Array(source.length);
    shiftDigits(source, target, new Random(1), 0);
    expect(target).toEqual(source);
    const a = new Float32Array(source.length);
    const b = new Float32Array(source.length);
    shiftDigits(source, a, new Random(7), 2);
    shiftDigits(source, b, new Random(7), 2);
    expect(a).toEqual(b);
  });
});
