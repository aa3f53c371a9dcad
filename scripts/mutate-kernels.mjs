// Mutation testing of the AssemblyScript kernels (`npm run mutate:kernels`): StrykerJS
// cannot parse or rebuild assembly/, so the mutations are written by hand in
// scripts/kernel-mutations.json ({ name, file, find, replace, checks }: `find` must occur
// exactly once in `file`; `checks` says what a test must look at to kill it). The list also
// holds the few TypeScript bugs of issue 12's table (files in src/), so that one command
// replays the whole table; Stryker mutates those files too, but not with these bugs.
// Each is applied in turn to a temporary copy of the repository (never the working tree),
// the plain wasm build is rebuilt there (for a file of assembly/), and every spec of
// vitest.mutate.config.ts (the node project without the dist/ tests) runs against it. The
// report names every test that failed: a mutation must be caught by at least two tests
// (`"atLeast"` in an entry lowers or raises that, with a reason in its `checks`), so that
// one test rewritten or skipped does not let the bug back in. A mutation fewer tests catch
// is a gap in the tests (or an equivalent mutation, to be named as such). Exit 0: every
// mutation caught often enough; 1: some survived or were caught too rarely; 2: the list or
// the unmutated copy is broken — a `find` text that no longer occurs exactly once (the
// source changed under the list) stops the script before anything runs.
//
//   taskset -c 1 npm run mutate:kernels                    # all of them (~1 h on one core)
//   npm run mutate:kernels -- adam-no-bias-correction …     # some, by name
//   npm run mutate:kernels -- --check                       # only validate the list
//   npm run mutate:kernels -- --keep                        # keep the temporary copy
//
// Writes reports/kernel-mutations.json (git-ignored) with each verdict and the tests that
// failed.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const only = args.filter((a) => !a.startsWith('--'));
for (const flag of flags) {
  if (flag !== '--check' && flag !== '--keep') fail(`unknown option ${flag}`);
}

function fail(message) {
  console.error(`mutate-kernels: ${message}`);
  process.exit(2);
}

function occurrences(text, find) {
  let count = 0;
  for (let at = text.indexOf(find); at >= 0; at = text.indexOf(find, at + 1)) count++;
  return count;
}

// ---- the list ------------------------------------------------------------------------------
const list = JSON.parse(readFileSync(join(root, 'scripts/kernel-mutations.json'), 'utf8'));
const names = new Set();
for (const m of list) {
  for (const key of ['name', 'file', 'find', 'replace', 'checks']) {
    if (typeof m[key] !== 'string' || m[key] === '') fail(`${m.name ?? JSON.stringify(m)}: "${key}" must be a non-empty string`);
  }
  for (const key of Object.keys(m)) {
    if (!['name', 'file', 'find', 'replace', 'checks', 'atLeast'].includes(key)) fail(`${m.name}: unknown field "${key}"`);
  }
  if (m.atLeast !== undefined && !(Number.isInteger(m.atLeast) && m.atLeast >= 1)) fail(`${m.name}: "atLeast" must be a positive integer`);
  if (names.has(m.name)) fail(`two mutations are named ${m.name}`);
  names.add(m.name);
  if (!m.file.startsWith('assembly/') && !m.file.startsWith('src/')) fail(`${m.name}: ${m.file} is not in assembly/ or src/`);
  if (m.find === m.replace) fail(`${m.name}: the replacement is the text itself`);
  const path = join(root, m.file);
  if (!existsSync(path)) fail(`${m.name}: no file ${m.file}`);
  const count = occurrences(readFileSync(path, 'utf8'), m.find);
  // The kernel changed under the list: the entry must be rewritten, not skipped.
  if (count !== 1) fail(`${m.name}: its text occurs ${count} times in ${m.file}, not once`);
}
for (const name of only) if (!names.has(name)) fail(`no mutation named ${name}`);
const chosen = only.length ? list.filter((m) => only.includes(m.name)) : list;
if (flags.has('--check')) {
  console.log(`mutate-kernels: ${list.length} mutations, each text found once`);
  process.exit(0);
}

// ---- the copy ------------------------------------------------------------------------------
// What the build and the specs read: the sources, the specs (test/ imports examples/), the
// scripts the vitest config imports, the configs; node_modules is linked, not copied.
const work = mkdtempSync(join(tmpdir(), 'wasmgrad-kernel-mutants-'));
const copied = ['assembly', 'src', 'test', 'examples', 'scripts'];
for (const dir of copied) cpSync(join(root, dir), join(work, dir), { recursive: true });
for (const file of readdirSync(root)) {
  if (/^(package\.json|asconfig.*\.json|tsconfig.*\.json|vitest\..*config\.ts)$/.test(file)) cpSync(join(root, file), join(work, file));
}
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
mkdirSync(join(work, 'build'));
const cleanUp = () => {
  if (flags.has('--keep')) console.log(`mutate-kernels: the copy is kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanUp);
// The child runs asynchronously, so that a signal stops it and the script at once (a
// synchronous spawn would hold the signal until every mutation had run).
let child = null;
const stop = () => {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stop();
    process.exit(130);
  });
}

const asc = join(work, 'node_modules/assemblyscript/bin/asc.js');
const vitest = join(work, 'node_modules/vitest/vitest.mjs');
const log = join(work, 'run.log');

function run(command, timeout) {
  const started = Date.now();
  return new Promise((done) => {
    const output = [];
    // A group of its own, so that its workers go with it.
    child = spawn(process.execPath, command, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeout);
    child.on('close', (status) => {
      clearTimeout(timer);
      child = null;
      const text = Buffer.concat(output).toString('utf8');
      writeFileSync(log, text);
      done({ status, stdout: text, stderr: '', seconds: (Date.now() - started) / 1000, timedOut });
    });
  });
}

/** The plain build only: the node project runs it (its relaxed twin is built once, unmutated, for the inline plugin). */
const build = (config = 'asconfig.json') => run([asc, 'assembly/index.ts', '--config', config, '--target', 'release'], 10 * 60_000);

const results = join(work, 'vitest.json');
/** Runs every spec (no bail: the report counts the tests a mutation fails); `failed` names them. */
async function specs(timeout) {
  rmSync(results, { force: true });
  const r = await run(
    [vitest, 'run', '--config', 'vitest.mutate.config.ts', '--project', 'node', '--reporter', 'json', '--outputFile', results],
    timeout,
  );
  const failed = [];
  if (existsSync(results)) {
    for (const file of JSON.parse(readFileSync(results, 'utf8')).testResults) {
      const tests = file.assertionResults.filter((t) => t.status === 'failed');
      for (const test of tests) failed.push(`${relative(work, file.name)} › ${test.fullName}`);
      // A spec that fails to load (or fails outside any test) fails as a whole.
      if (!tests.length && file.status === 'failed') failed.push(`${relative(work, file.name)} (${(file.message ?? '').split('\n')[0]})`);
    }
  }
  return { ...r, failed, parsed: existsSync(results) };
}

function tail(text, lines = 30) {
  return text.split('\n').slice(-lines).join('\n');
}

// ---- the unmutated copy must pass, or every mutation would look killed ---------------------
console.log(`mutate-kernels: copy in ${work}; building and testing it unmutated`);
for (const config of ['asconfig.json', 'asconfig.relaxed.json']) {
  const b = await build(config);
  if (b.status !== 0) fail(`the unmutated build (${config}) fails:\n${tail(b.stdout + b.stderr)}`);
}
const baseline = await specs(30 * 60_000);
if (baseline.status !== 0)
  fail(`the unmutated specs fail (${baseline.failed.join('; ') || 'no result'}):\n${tail(readFileSync(log, 'utf8'))}`);
console.log(`mutate-kernels: unmutated specs pass in ${baseline.seconds.toFixed(0)} s`);
// The unmutated wasm, put back after each kernel mutation: a mutation of src/ runs on it.
const unmutated = join(work, 'build-unmutated');
cpSync(join(work, 'build'), unmutated, { recursive: true });
// A mutation that makes a kernel loop for ever is killed by the clock. On a shared machine
// a mutated run can take three times the unmutated one without hanging, and a run cut
// short counts no tests: the limit is generous.
const limit = Math.max(300, baseline.seconds * 8) * 1000;

// ---- each mutation -------------------------------------------------------------------------
const verdicts = [];
for (const [index, m] of chosen.entries()) {
  const path = join(work, m.file);
  const original = readFileSync(path, 'utf8');
  writeFileSync(
    path,
    original.replace(m.find, () => m.replace),
  );
  const atLeast = m.atLeast ?? 2;
  // TypeScript runs from src/ as it is; a kernel is rebuilt (the relaxed build, which only
  // the inline plugin reads, stays unmutated).
  const kernel = m.file.startsWith('assembly/');
  const b = kernel ? await build() : { status: 0 };
  let verdict;
  if (b.status !== 0) {
    verdict = { status: 'invalid', detail: `does not compile: ${tail(b.stdout + b.stderr, 5)}`, failed: [] };
  } else {
    const s = await specs(limit);
    const count = `${s.failed.length} test${s.failed.length === 1 ? '' : 's'} failed`;
    if (s.timedOut) verdict = { status: 'killed', detail: `timed out after ${(limit / 1000).toFixed(0)} s`, failed: s.failed };
    else if (s.status === 0) verdict = { status: 'survived', detail: `every spec passed (${s.seconds.toFixed(0)} s)`, failed: [] };
    else if (!s.failed.length)
      verdict = {
        status: 'killed',
        detail: `by a failed run: ${tail(readFileSync(log, 'utf8'), 3)} (${s.seconds.toFixed(0)} s)`,
        failed: [],
      };
    else if (s.failed.length < atLeast)
      verdict = { status: 'weak', detail: `${count}, fewer than ${atLeast} (${s.seconds.toFixed(0)} s)`, failed: s.failed };
    else verdict = { status: 'killed', detail: `${count} (${s.seconds.toFixed(0)} s)`, failed: s.failed };
  }
  writeFileSync(path, original);
  if (kernel) cpSync(unmutated, join(work, 'build'), { recursive: true });
  verdicts.push({ name: m.name, file: m.file, checks: m.checks, ...verdict });
  console.log(`[${index + 1}/${chosen.length}] ${verdict.status.padEnd(8)} ${m.name} (${m.file}): ${verdict.detail}`);
  for (const test of verdict.failed.slice(0, 8)) console.log(`      ${test}`);
  if (verdict.failed.length > 8) console.log(`      … and ${verdict.failed.length - 8} more`);
}

const survived = verdicts.filter((v) => v.status === 'survived');
const weak = verdicts.filter((v) => v.status === 'weak');
const invalid = verdicts.filter((v) => v.status === 'invalid');
const killed = verdicts.filter((v) => v.status === 'killed');
mkdirSync(join(root, 'reports'), { recursive: true });
writeFileSync(join(root, 'reports/kernel-mutations.json'), `${JSON.stringify(verdicts, null, 2)}\n`);
console.log(
  `\nmutate-kernels: ${killed.length} of ${verdicts.length} killed, ${survived.length} survived` +
    (weak.length ? `, ${weak.length} caught by too few tests` : '') +
    (invalid.length ? `, ${invalid.length} do not compile` : ''),
);
for (const v of survived) console.log(`  survived: ${v.name} (${v.file}): no test checks that ${v.checks}`);
for (const v of weak) console.log(`  weak:     ${v.name} (${v.file}): only ${v.failed.join('; ')} checks that ${v.checks}`);
for (const v of invalid) console.log(`  invalid:  ${v.name} (${v.file}): fix its entry in scripts/kernel-mutations.json`);
process.exitCode = invalid.length ? 2 : survived.length || weak.length ? 1 : 0;
