import { readFileSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { inlineWasm, wasmAsset } from './scripts/wasm-plugins.mjs';

// The entries a user imports: their declarations are bundled too (see `types` below).
const entries = {
  index: 'src/index.ts',
  inline: 'src/inline.ts',
  // wasmgrad/viz: its own entry, so the layout library stays out of the main bundle.
  viz: 'src/viz/index.ts',
  // wasmgrad/onnx: its own entry, so that protobufjs stays out of the main bundle.
  onnx: 'src/onnx/index.ts',
};

/**
 * `__WASMGRAD_VERSION__` → the package's version (src/wasm/shared.ts): copies of one
 * version share the loaded core, other versions do not. After TypeScript, which has
 * dropped the `declare`; the edit stays on its line, so the map needs no change.
 */
function packageVersion() {
  const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  return {
    name: 'wasmgrad-version',
    transform(code) {
      if (!code.includes('__WASMGRAD_VERSION__')) return null;
      return { code: code.replaceAll('__WASMGRAD_VERSION__', JSON.stringify(version)), map: null };
    },
  };
}

// A runtime dependency in package.json: the user's resolver (Node, a bundler) finds it.
// protobufjs/minimal.js is what wasmgrad/onnx's generated coders import.
const external = ['@dagrejs/dagre', 'protobufjs/minimal.js'];

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
    // Unminified, so that a stack trace or a debugger in node_modules reads as code, and
    // the maps carry their sources (inlineSources): the package does not ship src/. Size
    // is what a user's bundler makes of it, minified there (scripts/budgets.mjs).
    typescript({ tsconfig: './tsconfig.build.json', noEmitOnError: true, inlineSources: true }),
    packageVersion(),
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
