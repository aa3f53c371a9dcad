// A consumer's project: `npm pack` the package, install the tarball offline into a
// throwaway directory, bundle four pages with Vite (the main entry in a page and in a
// module Worker, the inline entry in a page, wasmgrad/onnx in a page) and run what Vite
// wrote in Chromium, also cross-origin isolated with two GEMM threads, and the ONNX page
// under a strict Content-Security-Policy.
import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, installPacked, runIn } from '../packed';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';

const project = mkdtempSync(join(tmpdir(), 'wasmgrad-consumer-'));
const vite = join(createRequire(import.meta.url).resolve('vite/package.json'), '../bin/vite.js');

let browser: Browser;
let server: StaticServer;
let isolated: StaticServer;
let strict: StaticServer;
/** What Vite wrote: every file under out/. */
let bundle: string[];
/** What Vite printed while building, at logLevel 'warn': its warnings. */
let viteOutput: string;

function run(file: string, args: string[]): string {
  return runIn(project, file, args);
}

beforeAll(async () => {
  installPacked(project, { name: 'wasmgrad-consumer', private: true, type: 'module' });
  cpSync(join(root, 'test/chromium/consumer'), project, { recursive: true });
  cpSync(join(root, 'test/chromium/pages/check.js'), join(project, 'check.js'));
  const built = spawnSync(process.execPath, [vite, 'build'], { cwd: project, env: cleanEnv(), encoding: 'utf8' });
  viteOutput = `${built.stdout}${built.stderr}`;
  if (built.status !== 0) throw new Error(`vite build failed (${built.status}):\n${viteOutput}`);
  bundle = readdirSync(join(project, 'out'), { recursive: true, encoding: 'utf8' });
  const mounts = { '/': join(project, 'out') };
  [browser, server, isolated, strict] = await Promise.all([
    launchChromium(),
    serve(mounts),
    serve(mounts, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }),
    serve(mounts, {
      'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'",
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), isolated?.close(), strict?.close()]);
  rmSync(project, { recursive: true, force: true });
});

describe('a Vite project that depends on the packed wasmgrad', () => {
  it('installed the tarball, not a link to this checkout', () => {
    const installed = JSON.parse(run('npm', ['ls', 'wasmgrad', '--json'])).dependencies.wasmgrad;
    expect(installed.resolved).toMatch(/^file:.*\/wasmgrad-\d+\.\d+\.\d+.*\.tgz$/);
    expect(lstatSync(join(project, 'node_modules/wasmgrad')).isSymbolicLink()).toBe(false);
  });

  // dist/ keeps Node's module specifiers in variables (src/wasm/load.ts): a literal
  // import('node:…') would make Vite warn that it externalized a Node built-in.
  it('was bundled by Vite without a warning', () => {
    expect(viteOutput).toBe('');
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

  it('onnx.html: wasmgrad/onnx, bundled with protobufjs, writes and reads a model under a strict CSP', async () => {
    const { outcome, problems } = await open(browser, `${strict.origin}/onnx.html`);
    expect(problems).toEqual([]);
    expect(outcome).toEqual({ back: true, kinds: [true, true, true, true], same: true, violations: [] });
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
