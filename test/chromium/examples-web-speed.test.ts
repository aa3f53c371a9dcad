// The examples page's MNIST speed against `npm run demo`'s, measured in the same run
// (issue 15): the page trains the demo's network (784-128-10 ReLU, batch 64, 8,000 digits)
// in its Worker at full speed for three epochs and reports samples/s per epoch in its
// table; Node then runs the demo's own call (nn.fit over the same split, the same
// options) for three epochs. The ratio is reported (console and
// test-results/examples-web/speed.json) and recorded in bench/README; the test asserts
// only that both figures are there and sane, never a speed. The same file gets the
// spiral's longest pause of the page's own thread over a 20,000-iteration run at the
// fastest speed (the charts drawn incrementally should keep it under 50 ms).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer } from './examples-web-server';
import { launchChromium, root } from './harness';

const EPOCHS = 3;
const results = join(root, 'test-results/examples-web');

let browser: Browser;
let server: PageServer;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  collectProblems(page, problems);
  await openPage(page, server.origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** What the demo prints per epoch, from the demo's own nn.fit call, in a Node process of its own. */
function demoSpeeds(): { samplesPerSecond: number[]; simd: string; threads: number } {
  const script = `
    import { backend, init, nn } from ${JSON.stringify(join(root, 'src/index.ts'))};
    import { loadMnist } from ${JSON.stringify(join(root, 'examples/data/mnist.ts'))};
    await init();
    const { train } = loadMnist({ seed: 0 });
    const model = new nn.Sequential([new nn.Linear(784, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
    const optimizer = new nn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const history = nn.fit(model, train, { epochs: ${EPOCHS}, batchSize: 64, optimizer, seed: 0 });
    console.log(JSON.stringify({ samplesPerSecond: history.map((r) => r.samplesPerSecond), ...backend() }));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) as string);
}

/** What this run found, written once both tests have added to it. */
const report: Record<string, unknown> = { date: new Date().toISOString() };

afterAll(() => {
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, 'speed.json'), `${JSON.stringify(report, null, 2)}\n`);
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

it("reports the page's MNIST samples/s beside npm run demo's, measured in the same run", async () => {
  await page.waitForFunction(() => document.getElementById('mnist')?.dataset.state === 'ready', undefined, { timeout: 60_000 });
  expect(await page.$eval('#mnist-train-size', (select) => (select as HTMLSelectElement).value)).toBe('8000');
  expect(await page.$eval('#mnist-batch', (input) => (input as HTMLInputElement).value)).toBe('64');
  expect(await page.$eval('#mnist-speed', (input) => (input as HTMLInputElement).value)).toBe('5'); // the fastest
  await page.click('#mnist-play');
  await page.waitForFunction(
    (epochs) => document.querySelectorAll('#mnist-history tbody tr[data-samples-per-second]').length >= epochs,
    EPOCHS,
    {
      timeout: 120_000,
    },
  );
  await page.click('#mnist-play');
  const pageSpeeds = await page.$$eval('#mnist-history tbody tr[data-samples-per-second]', (rows) =>
    rows.map((row) => Number((row as HTMLElement).dataset.samplesPerSecond)),
  );
  const pageBackend = await page.$eval('#backend', (el) => ({
    simd: (el as HTMLElement).dataset.simd,
    threads: Number((el as HTMLElement).dataset.threads),
  }));
  const demo = demoSpeeds();

  // The first epoch of each carries the compiler's warm-up: the figure is the median of the others.
  const [pageFigure, demoFigure] = [median(pageSpeeds.slice(1, EPOCHS)), median(demo.samplesPerSecond.slice(1))];
  const ratio = pageFigure / demoFigure;
  report.mnist = { page: { samplesPerSecond: pageSpeeds, ...pageBackend }, demo, ratio };
  console.log(
    `examples page, MNIST: ${Math.round(pageFigure)} samples/s (${pageBackend.simd}, ${pageBackend.threads} thread(s)); ` +
      `npm run demo: ${Math.round(demoFigure)} (${demo.simd}, ${demo.threads}); page / demo ${ratio.toFixed(2)}`,
  );

  expect(pageSpeeds.length).toBeGreaterThanOrEqual(EPOCHS);
  expect(demo.samplesPerSecond).toHaveLength(EPOCHS);
  for (const figure of [...pageSpeeds, ...demo.samplesPerSecond]) expect(figure).toBeGreaterThan(0);
  expect(Number.isFinite(ratio)).toBe(true);
  expect(problems).toEqual([]);
});

it("reports the spiral's longest pause of the page's thread over 20,000 iterations at the fastest speed", async () => {
  await page.waitForFunction(() => document.getElementById('spiral')?.dataset.state === 'ready', undefined, { timeout: 60_000 });
  await page.$eval('#spiral-speed', (input) => {
    (input as HTMLInputElement).value = (input as HTMLInputElement).max;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  const started = Date.now();
  await page.click('#spiral-play');
  await page.waitForFunction(() => Number(document.getElementById('spiral-iteration')?.textContent) >= 20_000, undefined, {
    timeout: 180_000,
    polling: 250,
  });
  await page.click('#spiral-play');
  const seconds = (Date.now() - started) / 1000;
  const iterations = Number(await page.$eval('#spiral-iteration', (el) => el.textContent));
  const longestMs = Number(await page.$eval('#spiral-stall', (el) => (el as HTMLElement).dataset.value));
  report.spiral = { iterations, seconds, longestPauseMs: longestMs };
  console.log(
    `examples page, spiral: ${iterations} iterations in ${seconds.toFixed(1)} s, longest pause of the page's thread ${longestMs.toFixed(0)} ms`,
  );
  expect(iterations).toBeGreaterThanOrEqual(20_000);
  expect(Number.isFinite(longestMs) && longestMs >= 0).toBe(true);
  expect(problems).toEqual([]);
});
