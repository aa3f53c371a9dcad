// The spiral section's editing (issue 15), in Chromium: a click on the plane adds a point
// of the chosen class that the net then trains on (and, trained long enough, claims the
// region around it); the L2 strength applies between iterations; the hidden size and the
// activation make a new network at the next reset, and say so. Screenshots at 390 and 1366 px.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer, setNumber, settled } from './examples-web-server';
import { launchChromium, root } from './harness';

const shots = join(root, 'test-results/examples-web');

let browser: Browser;
let server: PageServer;
let page: Page;
const problems: string[] = [];

type Handle = {
  weightsHash(): Promise<string>;
  trainer(): { parameter(name: string): Promise<{ shape: number[] }>; predict(x: Float32Array): Promise<Float32Array> };
};
type Global = { examplesPage: { spiral: Handle } };
const weightsHash = (p: Page) => p.evaluate(() => (globalThis as unknown as Global).examplesPage.spiral.weightsHash());
const hiddenShape = (p: Page) =>
  p.evaluate(async () => (await (globalThis as unknown as Global).examplesPage.spiral.trainer().parameter('0.weight')).shape);
/** The class the page's net gives the point (x, y). */
const classAt = (p: Page, x: number, y: number) =>
  p.evaluate(
    async ([px, py]) => {
      const scores = await (globalThis as unknown as Global).examplesPage.spiral
        .trainer()
        .predict(Float32Array.of(px as number, py as number));
      return scores.indexOf(Math.max(...scores));
    },
    [x, y],
  );
const points = (p: Page) => p.$eval('#spiral-regions', (c) => Number((c as HTMLElement).dataset.points));
const iteration = (p: Page) => p.evaluate(() => Number((document.getElementById('spiral-iteration') as HTMLOutputElement).value));

async function step(p: Page): Promise<void> {
  await p.click('#spiral-step');
  expect(await settled(p, 'spiral')).toBe('paused');
}

async function reset(p: Page): Promise<void> {
  await p.click('#spiral-reset');
  expect(await settled(p, 'spiral')).toBe('ready');
}

/** Clicks the plane at data coordinates (x, y) in [−1.1, 1.1]² (y up, as the canvas draws it). */
async function clickAt(p: Page, x: number, y: number): Promise<void> {
  const box = (await p.locator('#spiral-regions').boundingBox()) as { width: number; height: number };
  await p.click('#spiral-regions', { position: { x: ((x + 1.1) / 2.2) * box.width, y: ((1.1 - y) / 2.2) * box.height } });
}

/** The canvas's color at data coordinates (x, y), as r,g,b. */
const colorAt = (p: Page, x: number, y: number) =>
  p.evaluate(
    ([px, py]) => {
      const canvas = document.getElementById('spiral-regions') as HTMLCanvasElement;
      const [r, g, b] = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
        Math.round((((px as number) + 1.1) / 2.2) * canvas.width),
        Math.round(((1.1 - (py as number)) / 2.2) * canvas.height),
        1,
        1,
      ).data;
      return `${r},${g},${b}`;
    },
    [x, y],
  );

async function playTo(p: Page, atLeast: number): Promise<void> {
  await p.click('#spiral-play');
  await p.waitForFunction((n) => Number((document.getElementById('spiral-iteration') as HTMLOutputElement).value) >= n, atLeast, {
    timeout: 60_000,
  });
  await p.click('#spiral-play');
  expect(await settled(p, 'spiral')).toBe('paused');
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  collectProblems(page, problems);
  await openPage(page, server.origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the spiral: points, L2, hidden size and activation', () => {
  let initial: string;
  let afterOne: string;

  it('starts from the 300 points of the spiral and the 2-100-3 net', async () => {
    expect(await points(page)).toBe(300);
    expect(await hiddenShape(page)).toEqual([100, 2]);
    initial = await weightsHash(page);
    await step(page);
    afterOne = await weightsHash(page);
    await reset(page);
  });

  it('a click adds a point of the chosen class where clicked; the net trains on it and, trained on, claims the region around it', async () => {
    // Where the trained net puts the corner (0.95, 0.95): a point of another class is added there.
    await page.fill('#spiral-speed', '5');
    await playTo(page, 600);
    const before = await classAt(page, 0.95, 0.95);
    const other = (before + 1) % 3;
    await page.check(`input[name="spiral-class"][value="${other}"]`);
    await clickAt(page, 0.95, 0.95);
    expect(await points(page)).toBe(301);
    // Drawn where clicked, in its class's color (the page's palette: blue, red, green).
    expect(await colorAt(page, 0.95, 0.95)).toBe(['31,95,174', '214,32,32', '26,138,26'][other]);
    for (const [dx, dy] of [
      [-0.06, 0],
      [0, -0.06],
      [-0.06, -0.06],
    ])
      await clickAt(page, 0.95 + (dx as number), 0.95 + (dy as number));
    expect(await points(page)).toBe(304);
    const from = await iteration(page);
    await playTo(page, from + 3000);
    expect(await page.$eval('#spiral-accuracy', (o) => Number((o as HTMLElement).dataset.points))).toBe(304);
    expect(await classAt(page, 0.95, 0.95)).toBe(other);
    await page.locator('#spiral').screenshot({ path: join(shots, 'spiral-points-1366.png') });

    // The added points removed and the weights reset, a step is the first step again (bit for bit).
    await page.click('#spiral-remove-points');
    expect(await points(page)).toBe(300);
    await reset(page);
    expect(await weightsHash(page)).toBe(initial);
    await step(page);
    expect(await weightsHash(page)).toBe(afterOne);
  });

  it('with a point added, the same step from the same weights gives other weights', async () => {
    await reset(page);
    await clickAt(page, 0, 0.5);
    await step(page);
    expect(await weightsHash(page)).not.toBe(afterOne);
    await page.click('#spiral-remove-points');
    await reset(page);
  });

  it('a point added while Reset makes another network is trained on by the new one', async () => {
    await setNumber(page, '#spiral-hidden', '30');
    await page.click('#spiral-reset');
    await clickAt(page, 0, 0.5); // at once, while the new worker starts
    expect(await settled(page, 'spiral')).toBe('ready');
    expect(await hiddenShape(page)).toEqual([30, 2]);
    await step(page);
    const withPoint = await weightsHash(page);
    await page.click('#spiral-remove-points');
    await reset(page);
    await step(page);
    expect(await weightsHash(page)).not.toBe(withPoint);
    await setNumber(page, '#spiral-hidden', '100');
    await reset(page);
    expect(await weightsHash(page)).toBe(initial);
  });

  it('the L2 strength applies between iterations: 0 gives other weights, back to 0.001 the same; below 0 is refused', async () => {
    await setNumber(page, '#spiral-l2', '0');
    expect(await page.textContent('#spiral-status')).toBe('The L2 strength is 0 from the next step.');
    await step(page);
    expect(await weightsHash(page)).not.toBe(afterOne);
    await reset(page);
    await setNumber(page, '#spiral-l2', '0.001');
    await step(page);
    expect(await weightsHash(page)).toBe(afterOne);
    await setNumber(page, '#spiral-l2', '-1');
    expect(await page.textContent('#spiral-status')).toBe('The L2 strength must be a number of 0 or more.');
    await setNumber(page, '#spiral-l2', '0.001');
    await reset(page);
  });

  it('the hidden size and the activation wait for the reset, which makes the new network', async () => {
    // A size that is not a whole number above 0 is refused, and a reset keeps the network.
    await setNumber(page, '#spiral-hidden', '0');
    expect(await page.textContent('#spiral-status')).toBe('The hidden size must be a whole number above 0.');
    await reset(page);
    expect(await hiddenShape(page)).toEqual([100, 2]);
    expect(await weightsHash(page)).toBe(initial);
    await setNumber(page, '#spiral-hidden', '20');
    expect(await page.textContent('#spiral-status')).toBe('The hidden size is 20 from the next reset.');
    expect(await hiddenShape(page)).toEqual([100, 2]);
    expect(await weightsHash(page)).toBe(initial);
    await reset(page);
    expect(await hiddenShape(page)).toEqual([20, 2]);
    const relu20 = await weightsHash(page);
    expect(relu20).not.toBe(initial);

    await page.selectOption('#spiral-activation', 'tanh');
    expect(await page.textContent('#spiral-status')).toBe('The activation is tanh from the next reset.');
    expect(await weightsHash(page)).toBe(relu20);
    await reset(page);
    // Before tanh, Linear starts from Xavier's initialization: other initial weights.
    expect(await weightsHash(page)).not.toBe(relu20);
    await playTo(page, 300);
    expect(await page.$eval('#spiral-accuracy', (o) => Number((o as HTMLElement).dataset.value))).toBeGreaterThan(0.5);

    await page.selectOption('#spiral-activation', 'relu');
    await setNumber(page, '#spiral-hidden', '100');
    await reset(page);
    expect(await weightsHash(page)).toBe(initial);
  });

  it('fits a phone: no sideways scroll at 360 and 390 px (screenshot at 390)', async () => {
    for (const width of [360, 390]) {
      const phone = await browser.newPage({ viewport: { width, height: 800 }, deviceScaleFactor: 2 });
      collectProblems(phone, problems);
      await openPage(phone, server.origin);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
      if (width === 390) await phone.locator('#spiral').screenshot({ path: join(shots, 'spiral-390.png') });
      await phone.close();
    }
  });
});

describe('the visit', () => {
  it('had no errors', () => {
    expect(problems).toEqual([]);
  });
});
