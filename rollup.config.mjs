import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
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

/**
 * The chunks dist/ would have without wasmgrad/onnx: a module goes to the chunk of the
 * entries other than onnx that import it, as rollup itself splits. Left to rollup, the
 * onnx entry, which imports some of the shared modules and not others, splits them further
 * and reorders them, and the main bundle a user's bundler makes of dist/ changes by a few
 * bytes although none of the ONNX code is in it. Modules only onnx imports stay with it.
 */
function chunksWithoutOnnx(entryIds) {
  let reach = null;
  return (id, { getModuleInfo }) => {
    if (reach === null) {
      reach = new Map();
      for (const [name, entry] of entryIds) {
        const seen = new Set();
        const stack = [resolve(entry)];
        while (stack.length > 0) {
          const at = stack.pop();
          if (seen.has(at)) continue;
          seen.add(at);
          reach.set(at, [...(reach.get(at) ?? []), name]);
          stack.push(...(getModuleInfo(at)?.importedIds ?? []));
        }
      }
    }
    const names = reach.get(id);
    // Reached by one entry (its own chunk) or by onnx alone: rollup's choice.
    if (names === undefined || names.length < 2) return undefined;
    return `shared-${names.sort().join('-')}`;
  };
}

const inputs = {
  ...entries,
  worker: 'src/worker/worker.ts',
  // Plain JavaScript with no imports, started by URL as a GEMM thread: copied as it is.
  'thread-worker': 'src/wasm/thread-worker.js',
};
const manualChunks = chunksWithoutOnnx(Object.entries(inputs).filter(([name]) => name !== 'onnx'));

const code = {
  input: inputs,
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', sourcemap: true, manualChunks },
    { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', sourcemap: true, manualChunks },
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
// The same for the declarations: split by rollup-plugin-dts along onnx's imports (Module,
// Sequential), the nn namespace declared its interfaces as values (TS2693).
const typeChunks = chunksWithoutOnnx(Object.entries(entries).filter(([name]) => name !== 'onnx'));
const types = {
  input: entries,
  output: [
    { dir: 'dist', format: 'es', entryFileNames: '[name].d.ts', chunkFileNames: 'types-[hash].d.ts', manualChunks: typeChunks },
    { dir: 'dist', format: 'es', entryFileNames: '[name].d.cts', chunkFileNames: 'types-[hash].d.cts', manualChunks: typeChunks },
  ],
  external,
  plugins: [dts({ tsconfig: './tsconfig.build.json' })],
};

export default [code, types];
