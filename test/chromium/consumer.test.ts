// A consumer's project: `npm pack` the package, install the tarball offline into a
// throwaway directory, bundle three pages with Vite (the main entry in a page and in a
// module Worker, the inline entry in a page) and run what Vite wrote in Chromium.
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';

const project = mkdtempSync(join(tmpdir(), 'wasmgrad-consumer-'));
const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');

let browser: Browser;
let server: StaticServer;
/** What Vite wrote: every file under out/. */
let bundle: string[];

function run(file: string, args: string[]): string {
  // A clean environment for the child: no NODE_ENV=test, no npm_config_* of the outer npm run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_ENV' && !/^npm_/i.test(key)));
  return execFileSync(file, args, { cwd: project, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  // dist/ is already built (npm test builds it); --ignore-scripts keeps pack from rebuilding.
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' }),
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wasmgrad-consumer', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${packed.filename}`]);
  cpSync(join(root, 'test/chromium/consumer'), project, { recursive: true });
  cpSync(join(root, 'test/chromium/pages/check.js'), join(project, 'check.js'));
  run(process.execPath, [vite, 'build']);
  bundle = readdirSync(join(project, 'out'), { recursive: true, encoding: 'utf8' });
  [browser, server] = await Promise.all([launchChromium(), serve({ '/': join(project, 'out') })]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
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
    const wasm = server.requests.slice(from).filter((path) => path.endsWith('.wasm'));
    expect(wasm).toEqual(page === 'inline' ? [] : [expect.stringMatching(/^\/assets\/wasmgrad-relaxed-[\w-]+\.wasm$/)]);
  });

  it('emitted both .wasm builds as assets', () => {
    expect(bundle.filter((file) => file.endsWith('.wasm')).sort()).toEqual([
      expect.stringMatching(/^assets\/wasmgrad-[\w-]+\.wasm$/),
      expect.stringMatching(/^assets\/wasmgrad-relaxed-[\w-]+\.wasm$/),
    ]);
  });
});
