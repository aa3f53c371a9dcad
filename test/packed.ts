// The package as a user installs it: `npm pack` of this checkout into a throwaway project
// and `npm install --offline` of the tarball there. Node only (test/package-types.test.ts,
// test/chromium/consumer.test.ts); dist/ must be built.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

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

/** Runs `file` in `cwd` with a clean environment: no NODE_ENV=test, no npm_config_* of the outer npm run. */
export function runIn(cwd: string, file: string, args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_ENV' && !/^npm_/i.test(key)));
  return execFileSync(file, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Packs wasmgrad into `project`, writes `packageJson` there and installs the tarball; returns
 * the tarball's path. --ignore-scripts keeps pack from rebuilding dist/. The runtime
 * dependencies are packed from this checkout's node_modules, so that the offline install
 * needs neither the network nor npm's cache.
 */
export function installPacked(project: string, packageJson: object): string {
  const dirs = ['.', ...runtimeDependencies(root)];
  const packed: { name: string; filename: string }[] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project, ...dirs], { cwd: root, encoding: 'utf8' }),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify(packageJson));
  runIn(project, 'npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...packed.map((p) => `./${p.filename}`)]);
  const own = packed.find((p) => p.name === 'wasmgrad');
  if (own === undefined) throw new Error(`npm pack did not pack wasmgrad: ${JSON.stringify(packed)}`);
  return join(project, own.filename);
}
