// The size and safety budgets of the built package (issue 5), measured on dist/:
//   - each .wasm binary ≤ 48 KiB;
//   - the ESM bundle (dist/index.js and every chunk it imports) ≤ 40 KiB gzipped;
//   - no eval( and no Function( / new Function anywhere in dist/, so that a page whose
//     Content-Security-Policy allows only 'wasm-unsafe-eval' can run the library.
// Prints a table; exits 1 when an enforced budget is broken. `--report` prints and never
// fails (the build uses it; `npm test` enforces).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const KiB = 1024;
const BUDGETS = {
  wasm: { bytes: 48 * KiB, enforced: true },
  // Minified by terser in rollup.config.mjs (unminified it was ~52 KiB: comments and names).
  esmGzip: { bytes: 40 * KiB, enforced: true },
};
const at = process.argv.indexOf('--dist'); // another directory, for checking this script
const dist = at > 0 ? resolve(process.argv[at + 1] ?? '.') : fileURLToPath(new URL('../dist/', import.meta.url));
const reportOnly = process.argv.includes('--report');

const files = readdirSync(dist, { recursive: true, encoding: 'utf8' })
  .map((file) => file.split('\\').join('/'))
  .filter((file) => statSync(join(dist, file)).isFile())
  .sort();
const gzipped = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kib = (bytes) => `${(bytes / KiB).toFixed(1)} KiB`;

/** `entry` and every chunk it imports, statically or dynamically, in dist/. */
function bundleOf(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    for (const [, spec] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+\.js)['"]/g)) {
      visit(
        relative(dist, join(dist, dirname(file), spec))
          .split('\\')
          .join('/'),
      );
    }
  };
  visit(entry);
  return [...seen];
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

const esm = bundleOf('index.js');
row(
  `ESM bundle: index.js + ${esm.length - 1} chunks, gzip -9`,
  esm.map(gzipped).reduce((a, b) => a + b, 0),
  BUDGETS.esmGzip,
);
for (const entry of ['inline.js', 'worker.js'].filter((file) => files.includes(file))) {
  const chunks = bundleOf(entry);
  const note = entry === 'inline.js' ? 'no budget: the single-threaded binaries embedded as base64' : 'no budget';
  row(
    `${entry} + ${chunks.length - 1} chunks, gzip -9`,
    chunks.map(gzipped).reduce((a, b) => a + b, 0),
    undefined,
    note,
  );
}

// Code that compiles strings: what a strict Content-Security-Policy refuses.
const EVAL = [/\beval\s*\(/, /(?<![\w$.])Function\s*\(/];
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
failed ||= evals.length > 0;

const widths = [0, 1, 2, 3].map((c) => Math.max(...[['', 'size', 'budget', ''], ...rows].map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
console.log(`budgets (${relative(process.cwd(), dist) || '.'}):`);
console.log(line(['', 'size', 'budget', '']));
for (const r of rows) console.log(line(r));
console.log(
  evals.length === 0
    ? `eval( / new Function: none in ${files.length} files — ok`
    : `eval( / new Function found — a CSP without 'unsafe-eval' would refuse it:\n  ${evals.join('\n  ')}`,
);
if (failed) {
  console.log(reportOnly ? 'budgets: broken (reported only)' : 'budgets: broken');
  if (!reportOnly) process.exit(1);
}
