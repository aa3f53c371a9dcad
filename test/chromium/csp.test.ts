// A page whose Content-Security-Policy allows scripts only from its own origin plus
// 'wasm-unsafe-eval' (no 'unsafe-eval', no inline script) runs the built library, in the
// page and in a module Worker, through both entries. The control: the same pages without
// 'wasm-unsafe-eval' must fail, or this test would pass with the policy ignored.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWorks, launchChromium, open, root, type StaticServer, serve } from './harness';

const mounts = { '/dist/': join(root, 'dist'), '/': join(root, 'test/chromium/pages') };
const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'";
const NO_WASM = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";

let browser: Browser;
let strict: StaticServer;
let noWasm: StaticServer;
let strictIsolated: StaticServer;

beforeAll(async () => {
  // Every response carries the policy: a Worker's script is governed by its own headers.
  [browser, strict, noWasm, strictIsolated] = await Promise.all([
    launchChromium(),
    serve(mounts, { 'content-security-policy': STRICT }),
    serve(mounts, { 'content-security-policy': NO_WASM }),
    serve(mounts, {
      'content-security-policy': STRICT,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([strict?.close(), noWasm?.close(), strictIsolated?.close()]);
});

const CASES = [
  ['index', 'page'],
  ['index', 'worker'],
  ['inline', 'page'],
  ['inline', 'worker'],
] as const;

describe(`Content-Security-Policy: ${STRICT}`, () => {
  it.each(CASES)('dist/%s.js runs in a %s', async (entry, where) => {
    const { outcome, problems } = await open(browser, `${strict.origin}/page.html?entry=${entry}&where=${where}&simd=auto`);
    expect(problems).toEqual([]);
    expectWorks(outcome, 'auto');
  });

  it.each(['page', 'worker'] as const)('and cross-origin isolated, dist/index.js runs two GEMM threads in a %s', async (where) => {
    const { outcome, problems } = await open(browser, `${strictIsolated.origin}/page.html?entry=index&where=${where}&simd=auto&threads=2`);
    expect(problems).toEqual([]);
    expectWorks(outcome, 'auto');
    expect([outcome.isolated, outcome.threads]).toEqual([true, 2]);
  });
});

describe(`the control, without 'wasm-unsafe-eval': ${NO_WASM}`, () => {
  it.each(CASES)('dist/%s.js in a %s is refused WebAssembly, and says so', async (entry, where) => {
    const { outcome } = await open(browser, `${noWasm.origin}/page.html?entry=${entry}&where=${where}&simd=auto`);
    // Chromium names the directive in the CompileError (it fires no violation event for it).
    expect(outcome.error).toMatch(/^CompileError: WebAssembly\.compile(Streaming)?\(\).*Content Security Policy.*"script-src 'self'"/s);
  });
});
