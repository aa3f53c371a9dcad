// Runs every suite, or the one named: `npx tsx bench/run.ts [suite] [--quick]`.
// Pin it to one CPU for steady numbers: `taskset -c 1 npx tsx bench/run.ts`.
import { init } from '../src/index';
import { log, markdown, type Options, runSuite, type Suite, writeResults } from './harness';
import { scalarGraph } from './scalar-graph';

const SUITES: Record<string, (options: Options) => Suite> = {
  'scalar-graph': scalarGraph,
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
  await init();
  for (const name of names.length > 0 ? names : Object.keys(SUITES)) {
    const suite = (SUITES[name] as (options: Options) => Suite)(options);
    const result = await runSuite(suite, options);
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
