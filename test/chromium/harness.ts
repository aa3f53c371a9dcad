// The Node side of test/chromium/: a small static server (node:http) and Chromium driven by
// playwright-core, launched as scripts/chromium.mjs says.
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { chromiumLaunch } from '../../scripts/chromium.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** Every path asked for, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `mounts` (URL prefix → directory; the longest prefix wins) on 127.0.0.1 with
 * `headers` on every response; anything outside the mounts is a 404.
 */
export async function serve(mounts: Record<string, string>, headers: Record<string, string> = {}): Promise<StaticServer> {
  const requests: string[] = [];
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (path === '/favicon.ico') {
      response.writeHead(204, headers).end(); // Chromium asks for one; no 404 in the console
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    const dir = prefix === undefined ? undefined : resolve(mounts[prefix] as string);
    const file = dir === undefined ? undefined : resolve(dir, `.${sep}${path.slice((prefix as string).length)}`);
    try {
      if (dir === undefined || file === undefined || !(file === dir || file.startsWith(dir + sep))) throw new Error('outside');
      const body = await readFile((await stat(file)).isDirectory() ? join(file, 'index.html') : file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        ...headers,
      });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain', ...headers });
      response.end('not found');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunch);
}

/** What check.js returns, plus what the page saw. */
export interface Outcome {
  error?: string;
  violations: string[];
  inWorker?: boolean;
  simd: 'plain' | 'relaxed';
  threads: number;
  /** globalThis.crossOriginIsolated where check.js ran. */
  isolated: boolean;
  lecture: number[];
  gate: number[];
  gemmError: number;
  /** A hash of the bits of a GEMM large enough to be split across threads. */
  bigGemm: string;
  /** A hash of a convolutional net's weights after two steps on a batch large enough to be split across threads. */
  bigConv: string;
  gradcheck: { ok: boolean; maxRelError: number };
  training: { before: { accuracy: number }; after: { accuracy: number; loss: number }; lastLoss: number };
}

/**
 * Opens `url` in a fresh page and waits for `globalThis.wasmgradResult`; uncaught page
 * errors and console errors come back in `problems`.
 */
export async function open(browser: Browser, url: string): Promise<{ outcome: Outcome; problems: string[] }> {
  const page: Page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'wasmgradResult' in globalThis, undefined, { timeout: 30_000 });
    const outcome = (await page.evaluate(() => (globalThis as { wasmgradResult?: unknown }).wasmgradResult)) as Outcome;
    return { outcome, problems };
  } finally {
    await page.close();
  }
}

/** What every run of check.js must show, wherever it ran. */
export function expectWorks(outcome: Outcome, simd: 'auto' | 'plain'): void {
  expect(outcome.error).toBeUndefined();
  expect(outcome.violations).toEqual([]);
  // Chromium has relaxed SIMD, so 'auto' must pick the FMA build.
  expect(outcome.simd).toBe(simd === 'plain' ? 'plain' : 'relaxed');
  expect(outcome.lecture).toEqual([-12, -4, -4, 3]);
  expect(outcome.gate).toEqual([-10, 5, -2]);
  expect(outcome.gemmError).toBeLessThanOrEqual(1);
  expect(outcome.bigConv).toMatch(/^[0-9a-f]{1,8}$/);
  expect(outcome.gradcheck.ok).toBe(true);
  expect(outcome.training.before.accuracy).toBeLessThan(0.6);
  expect(outcome.training.after.accuracy).toBeGreaterThanOrEqual(0.95);
}
