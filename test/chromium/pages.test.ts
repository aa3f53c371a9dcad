// The built dist/ as a page gets it with no bundler: a plain page on localhost imports
// dist/index.js (the .wasm found beside it through import.meta.url) or dist/inline.js
// (the wasm embedded), in the page itself and in a module Worker, on both builds; and,
// served cross-origin isolated (COOP + COEP), the threaded builds with two threads.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';
import type { check } from './pages/check.js';

const pages = join(root, 'test/chromium/pages');

let browser: Browser;
let server: StaticServer;
let isolated: StaticServer;
/** check.js run in this Node process on dist/index.js: the plain build, no FMA, one thread. */
let inNode: Awaited<ReturnType<typeof check>>;

beforeAll(async () => {
  const mounts = { '/dist/': join(root, 'dist'), '/': pages };
  [browser, server, isolated] = await Promise.all([
    launchChromium(),
    serve(mounts),
    serve(mounts, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }),
  ]);
  // A variable specifier: lint type-checks this file before dist/ exists.
  const dist = pathToFileURL(join(root, 'dist/index.js')).href;
  const [w, { check }] = await Promise.all([import(/* @vite-ignore */ dist), import('./pages/check.js')]);
  inNode = await check(w, 'plain', 1);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), isolated?.close()]);
});

describe('dist/ in Chromium, served as files', () => {
  it.each([
    ['index', 'page', 'auto'],
    ['index', 'page', 'plain'],
    ['index', 'worker', 'auto'],
    ['index', 'worker', 'plain'],
    ['inline', 'page', 'auto'],
    ['inline', 'page', 'plain'],
    ['inline', 'worker', 'auto'],
    ['inline', 'worker', 'plain'],
  ] as const)('dist/%s.js in a %s, simd %s', async (entry, where, simd) => {
    const from = server.requests.length;
    const { outcome, problems } = await open(browser, `${server.origin}/page.html?entry=${entry}&where=${where}&simd=${simd}`);
    expect(problems).toEqual([]);
    expectWorks(outcome, simd);
    expect(outcome.inWorker).toBe(where === 'worker' ? true : undefined);
    expect([outcome.isolated, outcome.threads]).toEqual([false, 1]);
    // The asset entry fetches exactly the build it chose; the inline entry fetches none.
    const wasm = server.requests.slice(from).filter((path) => path.endsWith('.wasm'));
    expect(wasm).toEqual(entry === 'inline' ? [] : [simd === 'plain' ? '/dist/wasmgrad.wasm' : '/dist/wasmgrad-relaxed.wasm']);
    // The same wasm and the same seeds give the same numbers in Chromium as in Node.
    if (simd === 'plain') expect({ ...outcome, violations: [], inWorker: undefined }).toEqual({ ...inNode, violations: [] });
  });
});

describe('dist/index.js cross-origin isolated: the threaded builds on two threads', () => {
  it.each([
    ['page', 'auto'],
    ['page', 'plain'],
    ['worker', 'auto'],
    ['worker', 'plain'],
  ] as const)('in a %s, simd %s: the same bits as one thread', async (where, simd) => {
    const query = `entry=index&where=${where}&simd=${simd}`;
    const from = isolated.requests.length;
    const { outcome, problems } = await open(browser, `${isolated.origin}/page.html?${query}&threads=2`);
    expect(problems).toEqual([]);
    expectWorks(outcome, simd);
    expect([outcome.isolated, outcome.threads]).toEqual([true, 2]);
    const fetched = isolated.requests.slice(from).filter((path) => path.endsWith('.wasm') || path.includes('thread-worker'));
    expect(fetched).toEqual([
      simd === 'plain' ? '/dist/wasmgrad-threads.wasm' : '/dist/wasmgrad-threads-relaxed.wasm',
      '/dist/thread-worker.js',
    ]);
    // One thread, the same page not isolated: everything but the thread count is equal.
    const single = await open(browser, `${server.origin}/page.html?${query}`);
    expect(single.outcome.threads).toBe(1);
    expect({ ...outcome, isolated: false, threads: 1 }).toEqual(single.outcome);
  });
});
