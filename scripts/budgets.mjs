// The size and safety budgets of the built package (issue 5), measured on dist/:
//   - each .wasm binary ≤ 68 KiB (48 until convolution, pooling and batch norm came in; 64
//     until the f32 elementwise kernels checked what they write and zeroed a fresh
//     gradient in the same pass, a few instructions in each op's two inlined loops, 2.9 KB
//     in all, for a CNN step 1% faster; gzipped, a binary is about 20 KB);
//   - what a user pays in JavaScript: the bundle a user's bundler makes of
//     `import { init, Graph, nn } from 'wasmgrad'`, minified and gzipped, ≤ 44 KiB (40
//     until issue 14's layers and threads: `nn` is one namespace, so every layer is in it,
//     and convolution, pooling, batch norm, dropout and the thread split took it to 40.0). dist/
//     itself is unminified (readable stack traces), so its own size says little: the
//     package is resolved through its package.json as installed (exports, sideEffects) by
//     rollup with @rollup/plugin-node-resolve for the browser, minified by
//     @rollup/plugin-terser with its defaults, every chunk gzipped at level 9;
//   - what an app that also imports wasmgrad/onnx pays (issue 16: its own entry, with
//     protobufjs/minimal and long.js, which the main bundle above must not grow by) ≤ 60 KiB;
//   - no eval( and no Function( / new Function anywhere in dist/, nor in that ONNX app's
//     bundle (protobufjs's reflection would compile coders so; the generated static coders
//     do not), so that a page whose Content-Security-Policy allows only 'wasm-unsafe-eval'
//     can run the library.
// Prints a table; exits 1 when an enforced budget is broken. `--report` prints and never
// fails (the build uses it; `npm test` enforces). `--package dir` measures another
// package directory (its package.json and dist/), for checking this script.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup, VERSION as rollupVersion } from 'rollup';

const KiB = 1024;
const BUDGETS = {
  wasm: { bytes: 68 * KiB, enforced: true },
  consumerGzip: { bytes: 44 * KiB, enforced: true },
  onnxGzip: { bytes: 60 * KiB, enforced: true },
};
const at = process.argv.indexOf('--package');
const pkg = at > 0 ? resolve(process.argv[at + 1] ?? '.') : fileURLToPath(new URL('..', import.meta.url));
const dist = join(pkg, 'dist');
const reportOnly = process.argv.includes('--report');

const files = readdirSync(dist, { recursive: true, encoding: 'utf8' })
  .map((file) => file.split('\\').join('/'))
  .filter((file) => statSync(join(dist, file)).isFile())
  .sort();
const gzipped = (code) => gzipSync(code, { level: 9 }).length;
const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;

/**
 * What a user's bundler makes of an app: the chunks' minified code. The app (`code`, or
 * the package's own `file` as an entry, as a bundler takes a Worker's script) sits in a
 * throwaway directory whose node_modules/wasmgrad links to the package, so that the
 * resolver reads its package.json (exports, sideEffects) as it would installed.
 */
async function consumerBundle({ code, file, cjs = false }) {
  const app = mkdtempSync(join(tmpdir(), 'wasmgrad-budget-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(pkg, join(app, 'node_modules', 'wasmgrad'), 'dir');
    const entry = file === undefined ? join(app, 'app.js') : join(app, 'node_modules', 'wasmgrad', file);
    const bundle = await rollup({
      input: entry,
      plugins: [
        { name: 'app', resolveId: (id) => (code !== undefined && id === entry ? id : null), load: (id) => (id === entry ? code : null) },
        nodeResolve({ browser: true }),
        // wasmgrad/onnx's protobufjs is CommonJS, which a user's bundler converts as this does.
        ...(cjs ? [commonjs()] : []),
      ],
      onwarn(warning) {
        throw new Error(`budgets: bundling ${code ?? file} warned: ${warning.message}`);
      },
    });
    const { output } = await bundle.generate({ format: 'es', plugins: [terser()] });
    await bundle.close();
    return output.filter((out) => out.type === 'chunk').map((chunk) => chunk.code);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

const rows = [];
let failed = false;
const row = (what, size, budget, note = '') => {
  const over = budget !== undefined && size > budget.bytes;
  failed ||= over && budget.enforced;
  const verdict = over ? (budget.enforced ? 'OVER BUDGET' : 'OVER BUDGET (reported, not enforced yet)') : 'ok';
  rows.push([what, kib(size), budget === undefined ? '—' : kib(budget.bytes), budget === undefined ? note : verdict]);
};

const wasm = files.filter((file) => file.endsWith('.wasm'));
if (wasm.length === 0) {
  console.error('budgets: no .wasm in dist/ — run `npm run build` first');
  process.exit(1);
}
for (const file of wasm) row(`dist/${file}`, statSync(join(dist, file)).size, BUDGETS.wasm);

// Every named import used as a value: the whole nn namespace is kept, as it is for an app
// that passes `nn` around rather than naming its members.
const app = (from) => `import { init, Graph, nn } from '${from}';\nawait init();\nconsole.log(new Graph(), nn);\n`;
const bundles = [
  { what: "app: import { init, Graph, nn } from 'wasmgrad'", code: app('wasmgrad'), budget: BUDGETS.consumerGzip },
  {
    what: "app: import { toOnnx, fromOnnx } from 'wasmgrad/onnx' with init and nn",
    code: "import { init, nn } from 'wasmgrad';\nimport { fromOnnx, toOnnx } from 'wasmgrad/onnx';\nawait init();\nconsole.log(nn, fromOnnx, toOnnx);\n",
    cjs: true,
    budget: BUDGETS.onnxGzip,
  },
  { what: "app: the same from 'wasmgrad/inline'", code: app('wasmgrad/inline'), note: 'no budget: the single-threaded binaries as base64' },
  // Scripts the package starts by URL: a bundler emits each as an entry of its own.
  { what: 'worker.js (nn.worker)', file: 'dist/worker.js', note: 'no budget: loaded when nn.worker starts' },
  { what: 'thread-worker.js (GEMM threads)', file: 'dist/thread-worker.js', note: 'no budget: loaded by init() with threads > 1' },
];
/** Minified code of bundles that take in dependencies, scanned for eval below. */
const scanned = [];
for (const { what, code, file, cjs, budget, note } of bundles) {
  const chunks = await consumerBundle({ code, file, cjs });
  if (cjs) scanned.push(...chunks.map((chunk, i) => ({ name: `${what} (chunk ${i})`, text: chunk })));
  const gzip = chunks.map(gzipped).reduce((a, b) => a + b, 0);
  row(`${what}, ${chunks.length} chunk${chunks.length === 1 ? '' : 's'}`, gzip, budget, note);
}

// Code that compiles strings: what a strict Content-Security-Policy refuses.
// A call of the global eval, not a method of that name (`model.eval()`, and its definition
// `eval() {` or `eval(): this` in the types); an indirect `(0, eval)(…)` too.
const EVAL = [/(?<![\w$.])eval\s*\((?!\s*\)\s*[{:])/, /(?<![\w$.])eval\s*\)\s*\(/, /(?<![\w$.])Function\s*\(/];
const evals = [];
for (const file of files.filter((name) => !name.endsWith('.wasm'))) {
  readFileSync(join(dist, file), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      for (const pattern of EVAL) {
        const at = line.search(pattern);
        if (at >= 0) evals.push(`dist/${file}:${i + 1}: ${line.slice(Math.max(0, at - 40), at + 60).trim()}`);
      }
    });
}
for (const { name, text } of scanned) {
  for (const pattern of EVAL) {
    const at = text.search(pattern);
    if (at >= 0) evals.push(`${name}: ${text.slice(Math.max(0, at - 40), at + 60).trim()}`);
  }
}
failed ||= evals.length > 0;

const widths = [0, 1, 2, 3].map((c) => Math.max(...[['', 'size', 'budget', ''], ...rows].map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
console.log(`budgets (${relative(process.cwd(), dist) || '.'}):`);
console.log(line(['', 'size', 'budget', '']));
for (const r of rows) console.log(line(r));
console.log(
  `app and workers: bundled by rollup ${rollupVersion} with @rollup/plugin-node-resolve (browser) from the package as ` +
    'installed, minified by @rollup/plugin-terser (defaults), each chunk gzip -9; the .wasm files are assets, counted above',
);
console.log(
  evals.length === 0
    ? `eval( / new Function: none in ${files.length} files nor in the ONNX app's bundle — ok`
    : `eval( / new Function found — a CSP without 'unsafe-eval' would refuse it:\n  ${evals.join('\n  ')}`,
);
if (failed) {
  console.log(reportOnly ? 'budgets: broken (reported only)' : 'budgets: broken');
  if (!reportOnly) process.exit(1);
}
