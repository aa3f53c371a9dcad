// A consumer's project: `npm pack` the package, install the tarball offline into a
// throwaway directory, bundle three pages with Vite (the main entry in a page and in a
// module Worker, the inline entry in a page) and run what Vite wrote in Chromium, also
// cross-origin isolated with two GEMM threads.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';

const project = mkdtempSync(join(tmpdir(), 'wasmgrad-consumer-'));
const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');

let browser: Browser;
let server: StaticServer;
let isolated: StaticServer;
/** What Vite wrote: every file under out/. */
let bundle: string[];

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

function run(file: string, args: string[]): string {
  // A clean environment for the child: no NODE_ENV=test, no npm_config_* of the outer npm run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_ENV' && !/^npm_/i.test(key)));
  return execFileSync(file, args, { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  // dist/ is already built (npm test builds it); --ignore-scripts keeps pack from rebuilding.
  // The package's runtime dependencies are packed from this checkout's node_modules, so
  // that the offline install needs neither the network nor npm's cache.
  const dirs = ['.', ...runtimeDependencies(root)];
  const packed: { filename: string }[] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project, ...dirs], { cwd: root, encoding: 'utf8' }),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wasmgrad-consumer', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...packed.map((p) => `./${p.filename}`)]);
  cpSync(join(root, 'test/chromium/consumer'), project, { recursive: true });
  cpSync(join(root, 'test/chromium/pages/check.js'), join(project, 'check.js'));
  run(process.execPath, [vite, 'build']);
  bundle = readdirSync(join(project, 'out'), { recursive: true, encoding: 'utf8' });
  const mounts = { '/': join(project, 'out') };
  [browser, server, isolated] = await Promise.all([
    launchChromium(),
    serve(mounts),
    serve(mounts, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), isolated?.close()]);
  rmSync(project, { recursive: true, force: true });
});

describe('a Vite project that depends on the packed wasmgrad', () => {
  it('installed the tarball, not a link to this checkout', () => {
    const installed = JSON.parse(run('npm', ['ls', 'wasmgrad', '--json'])).dependencies.wasmgrad;
    expect(installed.resolved).toMatch(/^file:.*\/wasmgrad-\d+\.\d+\.\d+.*\.tgz$/);
    expect(lstatSync(join(project, 'node_modules/wasmgrad')).isSymbolicLink()).toBe(false);
  });

  it.each([
    ['asset', 'the main entry in a page'],
    ['worker', 'the main entry in a module Worker'],
    ['inline', 'the inline entry in a page'],
  ] as const)('%s.html: %s works once bundled', async (page, _what) => {
    const from = server.requests.length;
    const { outcome, problems } = await open(browser, `${server.origin}/${page}.html`);
    expect(problems).toEqual([]);
    expectWorks(outcome, 'auto');
    expect(outcome.inWorker).toBe(page === 'worker' ? true : undefined);
    expect([outcome.isolated, outcome.threads]).toEqual([false, 1]);
    const wasm = server.requests.slice(from).filter((path) => path.endsWith('.wasm'));
    expect(wasm).toEqual(page === 'inline' ? [] : [expect.stringMatching(/^\/assets\/wasmgrad-relaxed-[\w-]+\.wasm$/)]);
  });

  it('emitted every .wasm build the package ships as an asset', () => {
    const shipped = readdirSync(join(root, 'dist')).filter((file) => file.endsWith('.wasm'));
    expect(shipped.length).toBeGreaterThanOrEqual(2);
    const emitted = bundle.filter((file) => file.endsWith('.wasm')).map((file) => file.replace(/^assets\/(.*)-[\w-]{8}\.wasm$/, '$1.wasm'));
    expect(emitted.sort()).toEqual(shipped.sort());
  });

  // Vite inlines dist/thread-worker.js (under its 4 KiB asset limit) as a data: URL; the
  // GEMM threads must start from it all the same.
  it.each(['asset', 'worker'] as const)('%s.html cross-origin isolated: two threads, the same bits as one', async (page) => {
    const { outcome, problems } = await open(browser, `${isolated.origin}/${page}.html?threads=2`);
    expect(problems).toEqual([]);
    expectWorks(outcome, 'auto');
    expect([outcome.isolated, outcome.threads]).toEqual([true, 2]);
    const single = await open(browser, `${server.origin}/${page}.html`);
    expect({ ...outcome, isolated: false, threads: 1 }).toEqual(single.outcome);
  });
});
