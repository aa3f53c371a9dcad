// Runs every suite, or the ones named: `npx tsx bench/run.ts [suite…] [--quick]`.
// Pin it to one CPU for steady numbers: `taskset -c 1 npx tsx bench/run.ts`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init } from '../src/index';
import { log, markdown, type Options, runSuite, type Suite, writeResults } from './harness';
import { scalarGraph } from './scalar-graph';

/**
 * A suite runs here through the harness, or is a script of its own: the GEMM and MNIST
 * suites (MLP and CNN) time every peer in fresh processes (the relaxed-SIMD build needs a Node flag
 * the peers must not get), so they are started as they would be by hand, and write
 * their own results.
 */
type Entry = { suite: (options: Options) => Suite } | { script: string };

const SUITES: Record<string, Entry> = {
  'scalar-graph': { suite: scalarGraph },
  gemm: { script: 'gemm.ts' },
  'mnist-mlp': { script: 'mnist-mlp.ts' },
  'mnist-cnn': { script: 'mnist-cnn.ts' },
  threads: { script: 'threads.ts' },
  soak: { script: 'soak.ts' },
};

const RESULTS = new URL('./results/', import.meta.url);

/** A wrong command line: the message says it all, no stack needed. */
class UsageError extends Error {}

async function main(args: string[]): Promise<void> {
  const options: Options = { quick: args.includes('--quick') };
  const unknownFlags = args.filter((arg) => arg.startsWith('-') && arg !== '--quick');
  const names = args.filter((arg) => !arg.startsWith('-'));
  const unknownSuites = names.filter((name) => !(name in SUITES));
  if (unknownFlags.length > 0 || unknownSuites.length > 0) {
    throw new UsageError(
      `unknown ${[...unknownFlags, ...unknownSuites].join(', ')}\nusage: tsx bench/run.ts [${Object.keys(SUITES).join(' | ')}] [--quick]`,
    );
  }
  await init({ threads: 1 });
  for (const name of names.length > 0 ? names : Object.keys(SUITES)) {
    const entry = SUITES[name] as Entry;
    if ('script' in entry) {
      log(`${name}: bench/${entry.script}${options.quick ? ' --quick' : ''}`);
      const script = fileURLToPath(new URL(entry.script, import.meta.url));
      const child = spawnSync(process.execPath, ['--import', 'tsx', script, ...(options.quick ? ['--quick'] : [])], { stdio: 'inherit' });
      if (child.status !== 0) throw new Error(`bench/${entry.script} failed (exit ${child.status ?? child.signal})`);
      continue;
    }
    const result = await runSuite(entry.suite(options), options);
    const written = writeResults(result, RESULTS);
    process.stdout.write(`${markdown(result)}\n`);
    log(`wrote ${written.join(', ')}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const shown = error instanceof UsageError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${shown}\n`);
  process.exitCode = 1;
});
