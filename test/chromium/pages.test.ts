// The built dist/ as a page gets it with no bundler: a plain page on localhost imports
// dist/index.js (the .wasm found beside it through import.meta.url) or dist/inline.js
// (the wasm embedded), in the page itself and in a module Worker, on both builds.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';
import type { check } from './pages/check.js';

const pages = join(root, 'test/chromium/pages');

let browser: Browser;
let server: StaticServer;
/** check.js run in this Node process on dist/index.js: the plain build, no FMA. */
let inNode: Awaited<ReturnType<typeof check>>;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), serve({ '/dist/': join(root, 'dist'), '/': pages })]);
  // A variable specifier: lint type-checks this file before dist/ exists.
  const dist = pathToFileURL(join(root, 'dist/index.js')).href;
  const [w, { check }] = await Promise.all([import(/* @vite-ignore */ dist), import('./pages/check.js')]);
  inNode = await check(w, 'plain');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
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
    // The asset entry fetches exactly the build it chose; the inline entry fetches none.
    const wasm = server.requests.slice(from).filter((path) => path.endsWith('.wasm'));
    expect(wasm).toEqual(entry === 'inline' ? [] : [simd === 'plain' ? '/dist/wasmgrad.wasm' : '/dist/wasmgrad-relaxed.wasm']);
    // The same wasm and the same seeds give the same numbers in Chromium as in Node.
    if (simd === 'plain') expect({ ...outcome, violations: [], inWorker: undefined }).toEqual({ ...inNode, violations: [] });
  });
});
