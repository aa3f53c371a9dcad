import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { inlineWasm, wasmAsset } from './scripts/wasm-plugins.mjs';

// The entries a user imports: their declarations are bundled too (see `types` below).
const entries = {
  index: 'src/index.ts',
  inline: 'src/inline.ts',
  // wasmgrad/viz: its own entry, so the layout library stays out of the main bundle.
  viz: 'src/viz/index.ts',
};

// A runtime dependency in package.json: the user's resolver (Node, a bundler) finds it.
const external = ['@dagrejs/dagre'];

const code = {
  input: {
    ...entries,
    worker: 'src/worker/worker.ts',
    // Plain JavaScript with no imports, started by URL as a GEMM thread: copied as it is.
    'thread-worker': 'src/wasm/thread-worker.js',
  },
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', sourcemap: true },
    { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', sourcemap: true },
  ],
  external,
  plugins: [
    wasmAsset(),
    inlineWasm(),
    nodeResolve(),
    typescript({ tsconfig: './tsconfig.build.json', noEmitOnError: true }),
    // Minified for the 40 KB gzipped budget (the source maps keep it readable). Class names
    // stay: error messages name the gate or layer by its class. reduce_vars off: it would
    // fold `const workerThreads = 'node:worker_threads'` back into import('node:…'), the
    // literal that the variable is there to keep from browser bundlers.
    terser({ keep_classnames: true, compress: { reduce_vars: false }, format: { comments: false } }),
  ],
};

// One declaration file per entry and module format, so that every TypeScript resolution
// finds types of the right format: dist/<entry>.d.ts for `import` (ESM, as the package is
// "type": "module"), dist/<entry>.d.cts for `require`. Per-file declarations would import
// each other without extensions, which node16/nodenext cannot resolve. What the entries
// share (Tensor, Graph, …) goes to one chunk per format, so that a Graph from `wasmgrad`
// is the very type `wasmgrad/viz` takes; the plugin writes its imports as ./x.js and
// ./x.cjs, which resolve to the .d.ts and .d.cts beside them.
const types = {
  input: entries,
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'types-[hash].d.ts' },
    { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: 'types-[hash].d.cts' },
  ],
  external,
  plugins: [dts({ tsconfig: './tsconfig.build.json' })],
};

export default [code, types];
