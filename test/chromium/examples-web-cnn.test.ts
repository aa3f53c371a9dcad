// The examples page's convolutional network (issue 15), in Chromium: its first layer's
// filters and each layer's maps for a chosen test digit are drawn (a canvas per filter and
// per channel, as many as the network's weights say, none of them blank) and redrawn as it
// trains; play, pause, step, reset and the learning rate work as on the MLP; after an epoch
// the grid of test digits shows the network's probabilities. Screenshots at 390 and 1366 px.
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
  trainer(): { parameter(name: string): Promise<{ shape: number[] }> };
};
const weightsHash = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { examplesPage: { cnn: Handle } }).examplesPage.cnn.weightsHash());
const parameterShape = (p: Page, name: string) =>
  p.evaluate(
    async (n) => (await (globalThis as unknown as { examplesPage: { cnn: Handle } }).examplesPage.cnn.trainer().parameter(n)).shape,
    name,
  );
const steps = (p: Page) => p.evaluate(() => Number((document.getElementById('cnn-step') as HTMLOutputElement).value));

/** Waits until the filters and maps show the network as it is now. */
const drawn = (p: Page) => p.waitForFunction(() => document.getElementById('cnn-maps')?.getAttribute('aria-busy') === 'false');

async function step(p: Page): Promise<void> {
  await p.click('#cnn-step-button');
  expect(await settled(p, 'cnn')).toBe('paused');
  await drawn(p);
}

/** Each filter's and each layer's canvases: their pixel sizes, how many distinct grey levels each holds, and a fingerprint of the filters. */
function readVisuals(p: Page) {
  return p.evaluate(() => {
    const levels = (canvas: HTMLCanvasElement) => {
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      const grey = new Set<number>();
      for (let i = 0; i < data.length; i += 4) grey.add(data[i] as number);
      return { size: `${canvas.width}×${canvas.height}`, levels: grey.size, pixels: [...data.filter((_, i) => i % 4 === 0)].join() };
    };
    const filters = [...document.querySelectorAll<HTMLCanvasElement>('#cnn-filters canvas')].map(levels);
    const layers = [...document.querySelectorAll<HTMLElement>('#cnn-maps .layer')].map((row) => ({
      layer: row.dataset.layer,
      maps: [...row.querySelectorAll('canvas')].map((c) => levels(c)),
      bars: [...row.querySelectorAll<HTMLElement>('.bar-row')].map((r) => Number(r.dataset.p)),
    }));
    return { filters, layers, digit: document.getElementById('cnn-maps')?.dataset.digit };
  });
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  collectProblems(page, problems);
  await openPage(page, server.origin);
  await drawn(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the convolutional network: filters and maps', () => {
  let initialFilters: string[];

  it("draws a 5×5 image per filter of the first layer and a map per channel of every layer, as many as the network's weights say, none blank", async () => {
    const [first, second] = [await parameterShape(page, '0.weight'), await parameterShape(page, '3.weight')];
    const [filters1, , kh, kw] = first as [number, number, number, number];
    const filters2 = (second as number[])[0] as number;
    const visuals = await readVisuals(page);
    expect(visuals.filters).toHaveLength(filters1);
    for (const filter of visuals.filters) {
      expect(filter.size).toBe(`${kw}×${kh}`);
      expect(filter.levels).toBeGreaterThan(2); // random weights: many grey levels, not a flat square
    }
    initialFilters = visuals.filters.map((f) => f.pixels);
    expect(visuals.layers.map((l) => [l.layer, l.maps.length])).toEqual([
      ['input', 1],
      ['Conv2d', filters1],
      ['ReLU', filters1],
      ['MaxPool2d', filters1],
      ['Conv2d', filters2],
      ['ReLU', filters2],
      ['MaxPool2d', filters2],
      ['Linear → softmax', 0],
    ]);
    expect(visuals.layers.map((l) => l.maps[0]?.size)).toEqual(['28×28', '28×28', '28×28', '14×14', '14×14', '14×14', '4×4', undefined]);
    // Every map of the first convolution shows the digit's shape: more than one grey level.
    for (const map of (visuals.layers[1] as { maps: Array<{ levels: number }> }).maps) expect(map.levels).toBeGreaterThan(1);
    const bars = (visuals.layers.at(-1) as { bars: number[] }).bars;
    expect(bars).toHaveLength(10);
    expect(bars.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('a step is one batch and redraws the filters; pause stops; reset restores the weights and the filters bit for bit', async () => {
    const initial = await weightsHash(page);
    await step(page);
    expect(await steps(page)).toBe(1);
    expect(await weightsHash(page)).not.toBe(initial);
    const afterOne = await weightsHash(page);
    expect((await readVisuals(page)).filters.map((f) => f.pixels)).not.toEqual(initialFilters);

    await page.fill('#cnn-speed', '2'); // a batch a frame
    await page.click('#cnn-play');
    await page.waitForFunction(() => Number((document.getElementById('cnn-step') as HTMLOutputElement).value) >= 5, undefined, {
      timeout: 60_000,
    });
    await page.click('#cnn-play');
    expect(await settled(page, 'cnn')).toBe('paused');
    const [count, hash] = [await steps(page), await weightsHash(page)];
    await page.waitForTimeout(500);
    expect(await steps(page)).toBe(count);
    expect(await weightsHash(page)).toBe(hash);

    await page.click('#cnn-reset');
    expect(await settled(page, 'cnn')).toBe('ready');
    await drawn(page);
    expect(await steps(page)).toBe(0);
    expect(await weightsHash(page)).toBe(initial);
    expect((await readVisuals(page)).filters.map((f) => f.pixels)).toEqual(initialFilters);
    await step(page);
    expect(await weightsHash(page)).toBe(afterOne);

    // The learning rate is taken between steps.
    await page.click('#cnn-reset');
    expect(await settled(page, 'cnn')).toBe('ready');
    await setNumber(page, '#cnn-lr', '0.005');
    await step(page);
    expect(await weightsHash(page)).not.toBe(afterOne);
    await setNumber(page, '#cnn-lr', '0.02');
  });

  it('shows the maps of the test digit chosen', async () => {
    const options = await page.$$eval('#cnn-digit option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toHaveLength(10);
    const before = await readVisuals(page);
    await page.selectOption('#cnn-digit', options[3] as string);
    await page.waitForFunction((d) => document.getElementById('cnn-maps')?.dataset.digit === d, options[3]);
    await drawn(page);
    const after = await readVisuals(page);
    expect(after.digit).toBe(options[3]);
    expect(after.layers[0]?.maps[0]?.pixels).not.toBe(before.layers[0]?.maps[0]?.pixels);
    expect(after.filters.map((f) => f.pixels)).toEqual(before.filters.map((f) => f.pixels)); // the same network
  });

  it('after two epochs, the grid of test digits shows its probabilities, its mistakes first', async () => {
    await page.selectOption('#cnn-train-size', '1000');
    expect(await settled(page, 'cnn')).toBe('ready');
    await page.fill('#cnn-speed', '5');
    await page.click('#cnn-play');
    await page.waitForFunction(() => document.querySelectorAll('#cnn-history tbody tr').length >= 3, undefined, { timeout: 60_000 });
    await page.click('#cnn-play');
    expect(await settled(page, 'cnn')).toBe('paused');
    await drawn(page);
    const grid = await page.evaluate(() => ({
      epoch: Number(document.getElementById('cnn-digits-summary')?.dataset.epoch),
      mistakes: Number(document.getElementById('cnn-digits-summary')?.dataset.mistakes),
      accuracy: Number((document.querySelector('#cnn-history tbody tr:last-child') as HTMLElement).dataset.accuracy),
      tests: document.querySelectorAll('#cnn-history tbody tr').length - 1,
      figures: [...document.querySelectorAll<HTMLElement>('#cnn-digits figure')].map((f) => ({
        wrong: f.classList.contains('wrong'),
        bars: f.querySelectorAll('.bars span').length,
      })),
    }));
    expect(grid.epoch).toBe(grid.tests);
    expect(grid.figures).toHaveLength(24);
    for (const figure of grid.figures) expect(figure.bars).toBe(10);
    expect(grid.accuracy).toBeGreaterThan(0.7); // a convolutional net reads digits after two epochs of 1,000
    expect(grid.figures.filter((f) => f.wrong).length).toBeGreaterThanOrEqual(Math.min(grid.mistakes, 12));
    await page.locator('#cnn').screenshot({ path: join(shots, 'cnn-1366.png') });
  });

  it('fits a phone: no sideways scroll at 360 and 390 px (screenshot at 390)', async () => {
    for (const width of [360, 390]) {
      const phone = await browser.newPage({ viewport: { width, height: 800 }, deviceScaleFactor: 2 });
      collectProblems(phone, problems);
      await openPage(phone, server.origin);
      await drawn(phone);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      if (width === 390) await phone.locator('#cnn').screenshot({ path: join(shots, 'cnn-390.png') });
      await phone.close();
    }
  });
});

describe('the visit', () => {
  it('had no errors', () => {
    expect(problems).toEqual([]);
  });
});
