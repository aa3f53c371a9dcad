import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { inlineWasm, wasmAsset } from './scripts/wasm-plugins.mjs';

export default {
  input: {
    index: 'src/index.ts',
    inline: 'src/inline.ts',
    worker: 'src/worker/worker.ts',
    // wasmgrad/viz: its own entry, so the layout library stays out of the main bundle.
    viz: 'src/viz/index.ts',
    // Plain JavaScript with no imports, started by URL as a GEMM thread: copied as it is.
    'thread-worker': 'src/wasm/thread-worker.js',
  },
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', sourcemap: true },
    { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', sourcemap: true },
  ],
  // A runtime dependency in package.json: the user's resolver (Node, a bundler) finds it.
  external: ['@dagrejs/dagre'],
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
