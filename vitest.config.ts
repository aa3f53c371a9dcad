import { playwright } from '@vitest/browser-playwright';
import { configDefaults, defineConfig } from 'vitest/config';
import { chromiumLaunch } from './scripts/chromium.mjs';
import { inlineWasm } from './scripts/wasm-plugins.mjs';

// The public-API specs (test/*.test.ts) run on both builds of the core, in Node and in
// real Chromium: plain SIMD128 in a default Node, relaxed SIMD (FMA) where Node is started
// with the flag that enables it; Chromium has relaxed SIMD, and the browser-plain instance
// loads the plain build there on purpose. Each project provides `simd`, the build it must
// run (test/provided.d.ts). The dist project tests the built package in Chromium.
const specs = 'test/*.test.ts';
// onnxruntime-web in a page (its wasm served from node_modules by the browser mode): the
// browser projects' alone; Node's engine is onnxruntime-node (test/onnx-runtime.test.ts).
const browserOnly = ['test/onnx-web.test.ts'];
const node = { include: [specs], exclude: [...configDefaults.exclude, ...browserOnly], environment: 'node' as const, testTimeout: 60_000 };
// The packed package's type declarations, as TypeScript and arethetypeswrong see them: the
// same whichever build of the core runs, so checked once, in the node project.
const packageTypes = 'test/package-types.test.ts';

// What the browser projects leave out: Node's own.
const nodeOnly = [
  // Spawns Node processes to load dist/ as ESM and CommonJS: Node's own packaging,
  // nothing a page can do. The browser's side of dist/ is test/chromium/.
  'test/package.test.ts',
  // init({ threads: 2 }) on Node's worker_threads, and a child process that must
  // exit on its own. A page gets threads only when cross-origin isolated (COOP +
  // COEP headers), which the browser-mode server does not send.
  'test/threads.test.ts',
  // nn.worker from dist/ in fresh Node processes (ESM and CommonJS, process exit).
  'test/worker-package.test.ts',
  // 2.1 GiB of linear memory, to see memoryStats() count past 2³¹: too much to ask
  // of a page in a test run.
  'test/memory-large.test.ts',
  // nn.worker's script behind a stand-in for node:worker_threads' parentPort: Node's
  // module, mocked; a page's worker script is the same code behind self.
  'test/worker-script.test.ts',
  // Reads the generated sources to compare them with what scripts/generate.ts makes.
  'test/generated.test.ts',
  // Runs V8's collector through node:v8 and node:vm, to see a dropped Graph's memory
  // freed; a page has neither.
  'test/graph-collected.test.ts',
  // ONNX Runtime's Node binding (a native addon) runs toOnnx's files; a page's engine,
  // onnxruntime-web, is test/onnx-web.test.ts.
  'test/onnx-runtime.test.ts',
  packageTypes,
];

export default defineConfig({
  test: {
    projects: [
      { plugins: [inlineWasm()], test: { ...node, name: 'node', provide: { simd: 'plain' } } },
      {
        plugins: [inlineWasm()],
        test: {
          ...node,
          name: 'node-relaxed',
          exclude: [...configDefaults.exclude, ...browserOnly, packageTypes],
          provide: { simd: 'relaxed' },
          execArgv: ['--experimental-wasm-relaxed-simd'],
        },
      },
      {
        plugins: [inlineWasm()],
        // onnxruntime-web is ESM already: served as it is, it finds its .wasm beside itself.
        // protobufjs (CommonJS) is converted before the first spec, not discovered midway
        // (a mid-run re-optimization reloads the page and fails the spec being imported).
        optimizeDeps: { exclude: ['onnxruntime-web'], include: ['protobufjs/minimal.js'] },
        test: {
          name: 'browser',
          include: [specs],
          exclude: nodeOnly,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromiumLaunch }),
            screenshotFailures: false,
            instances: [
              { browser: 'chromium', name: 'browser-relaxed', provide: { simd: 'relaxed' } },
              // Chromium picks relaxed SIMD by itself; this instance loads the plain build
              // before any spec runs, so every spec also runs on the plain kernels here.
              {
                browser: 'chromium',
                name: 'browser-plain',
                provide: { simd: 'plain' },
                setupFiles: ['test/setup/plain-simd.ts'],
                // Its setup file loads src/ before the memory specs' vi.mock of src/wasm/instance could
                // apply; the allocator it wraps is JavaScript, the same on either build.
                exclude: [...nodeOnly, 'test/graph-memory.test.ts', 'test/nn-memory.test.ts'],
              },
            ],
          },
        },
      },
      {
        // Node drives Chromium against the built dist/ (npm test builds it first): plain
        // pages and module Workers with no bundler, a Content-Security-Policy, and a
        // throwaway project that bundles the packed package with Vite. Also README.md's
        // code blocks, run by Node and type-checked by tsc against the packed package
        // (readme.test.ts): no browser, but the same need of a build and child processes.
        test: { name: 'dist', include: ['test/chromium/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 },
      },
    ],
  },
});
