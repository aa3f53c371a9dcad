// Runs one README block (an ES module that readme.ts rewrote) in a fresh Node process, in
// a project that depends on the packed wasmgrad, and writes what the block passed to
// globalThis.__readme(line, value) to a JSON file. It does not end the process itself: a
// block that leaves something running never exits, and the test fails on its timeout.
//   node readme-run.mjs <block.mjs> <results.json>
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [block, out] = process.argv.slice(2);

/** `value` as JSON can carry it, read now: a tensor a gate returns is reused by its next call. */
function plain(value, depth = 0) {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (value === undefined) return { $undefined: true };
  if (typeof value === 'function') return `[function ${value.name}]`;
  if (typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value, (x) => plain(x));
  if (Array.isArray(value)) return value.map((x) => plain(x, depth + 1));
  if (typeof value.toArray === 'function' && Array.isArray(value.shape)) return plain(value.toArray(), depth + 1);
  if (depth > 8) return '[too deep]';
  return Object.fromEntries(Object.entries(value).map(([key, x]) => [key, plain(x, depth + 1)]));
}

const results = [];
globalThis.__readme = (line, value) => {
  results.push({ line, value: plain(value) });
};
try {
  await import(pathToFileURL(resolve(block)).href);
} catch (error) {
  // The stack alone: Node would print the throwing line first, a whole minified bundle.
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
}
writeFileSync(out, JSON.stringify(results));
