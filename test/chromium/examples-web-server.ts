// The examples page as `npm run web` serves it, for the tests that use it: its build script
// bundles dist/ with Vite into a throwaway directory, writes the MNIST digits beside it and
// serves it cross-origin isolated (Vite's preview server with COOP + COEP).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { root } from './harness';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');

export interface PageServer {
  /** The URL the build script printed, without a trailing slash. */
  origin: string;
  close(): Promise<void>;
}

/** Builds the page and serves it on a free port; resolves once the server prints its URL. */
export function buildAndServe(): Promise<PageServer> {
  const out = mkdtempSync(join(tmpdir(), 'wasmgrad-web-'));
  const server = spawn(process.execPath, [tsx, 'examples/web/build.ts', '--out', out, '--serve', '--port', '0'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const close = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill();
      await exited;
    }
    rmSync(out, { recursive: true, force: true });
  };
  let printed = '';
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      printed += chunk.toString();
      const url = /Local:\s+(http:\/\/\S+?)\/?\s/.exec(printed)?.[1];
      if (url) resolve({ origin: url, close });
    };
    server.stdout?.on('data', read);
    server.stderr?.on('data', read);
    server.on('exit', (code) => reject(new Error(`examples/web/build.ts --serve exited (${code}):\n${printed}`)));
  });
}

/** Collects `page`'s uncaught errors and console errors into `problems`. */
export function collectProblems(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
}

/** Opens the page at `origin` and waits until its sections are set up (or it says it failed). */
export async function openPage(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction(
    () => document.body.dataset.ready === 'true' || /^Failed/.test(document.getElementById('backend')?.textContent ?? ''),
    undefined,
    { timeout: 60_000 },
  );
}

/** Waits until a section (its id: 'spiral', 'mnist', 'cnn') is at rest, not playing, pausing or busy, and says which state it settled in. */
export async function settled(page: Page, section: string): Promise<string | undefined> {
  await page.waitForFunction((id) => /^(ready|paused|failed)$/.test(document.getElementById(id)?.dataset.state ?? ''), section, {
    timeout: 60_000,
  });
  return page.evaluate((id) => document.getElementById(id)?.dataset.state, section);
}

/** Types `value` into a number input and commits it, as a visitor's Enter or leaving the field does. */
export async function setNumber(page: Page, selector: string, value: string): Promise<void> {
  await page.fill(selector, value);
  await page.dispatchEvent(selector, 'change');
}
