// The package as a consumer installs it: `npm pack`, then `npm install --offline` of the
// tarball into a throwaway project. Needs neither the network nor npm's cache.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './harness';

/** Where the runtime dependencies of the package at `dir` are installed, transitively. */
function runtimeDependencies(dir: string, found = new Set<string>()): string[] {
  const { dependencies = {} } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const name of Object.keys(dependencies)) {
    // Node's lookup: the nearest node_modules up from the dependent package.
    let at = dir;
    while (!existsSync(join(at, 'node_modules', name, 'package.json'))) {
      if (dirname(at) === at) throw new Error(`${name} (a dependency of ${dir}) is not installed: npm ci first`);
      at = dirname(at);
    }
    const installed = join(at, 'node_modules', name);
    if (!found.has(installed)) {
      found.add(installed);
      runtimeDependencies(installed, found);
    }
  }
  return [...found];
}

/** Runs `file` in `project` and returns its stdout. */
export function runIn(project: string, file: string, args: string[]): string {
  // A clean environment for the child: no NODE_ENV=test, no npm_config_* of the outer npm run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_ENV' && !/^npm_/i.test(key)));
  return execFileSync(file, args, { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Makes `project` an ESM package that depends on the packed wasmgrad, installed from the
 * tarball, with `alsoFromHere` (names of packages in this checkout's node_modules, such
 * as '@types/node') installed beside it the same way.
 */
export function installPacked(project: string, alsoFromHere: string[] = []): void {
  // dist/ is already built (npm test builds it); --ignore-scripts keeps pack from rebuilding.
  // The dependencies are packed from this checkout's node_modules, so that the offline
  // install finds every one of them.
  const extra = alsoFromHere.map((name) => join(root, 'node_modules', name));
  const dirs = ['.', ...runtimeDependencies(root), ...extra, ...extra.flatMap((dir) => runtimeDependencies(dir))];
  const packed: { filename: string }[] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project, ...new Set(dirs)], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wasmgrad-consumer', private: true, type: 'module' }));
  runIn(project, 'npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...packed.map((p) => `./${p.filename}`)]);
}
