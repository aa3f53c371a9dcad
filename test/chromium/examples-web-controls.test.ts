// The examples page's training controls, charts and layout (issue 15), in Chromium:
//   - play / pause / step / reset on the spiral and on MNIST: pause stops the steps, a step
//     is exactly one iteration (one batch), reset restores the initial weights bit for bit
//     (the hash of the weights the page exposes as globalThis.examplesPage), and the
//     learning rate and batch size take effect between steps;
//   - the charts: no ticks before there is data, round ticks after, an accuracy axis zoomed
//     to the data, every label inside the chart, drawn incrementally (a long run lays a
//     chart out a handful of times and its line holds at most a point per pixel);
//   - no horizontal overflow at 360, 390 and 1366 px (the digit grids, the drawing pad and
//     the CNN's maps each inside the window), the spiral canvas at the screen's pixel
//     density, and full-page screenshots at 390 and 1366 px in test-results/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer, setNumber, settled } from './examples-web-server';
import { launchChromium, root } from './harness';

const shots = join(root, 'test-results/examples-web');

let browser: Browser;
let server: PageServer;
/** The page the controls are tested on, at a laptop's width. */
let page: Page;
/** Uncaught errors and console errors of every page opened here. */
const problems: string[] = [];

type Section = 'spiral' | 'mnist' | 'cnn';
/** The output that counts a section's steps. */
const COUNTER: Record<Section, string> = { spiral: 'spiral-iteration', mnist: 'mnist-step', cnn: 'cnn-step' };
const STEP_BUTTON: Record<Section, string> = { spiral: '#spiral-step', mnist: '#mnist-step-button', cnn: '#cnn-step-button' };

async function newPage(width: number, height: number, deviceScaleFactor = 1): Promise<Page> {
  const p = await browser.newPage({ viewport: { width, height }, deviceScaleFactor });
  collectProblems(p, problems);
  await openPage(p, server.origin);
  return p;
}

const state = (p: Page, section: Section) => p.evaluate((id) => document.getElementById(id)?.dataset.state, section);
const steps = (p: Page, section: Section) =>
  p.evaluate((id) => Number((document.getElementById(id) as HTMLOutputElement).value), COUNTER[section]);
const weightsHash = (p: Page, section: Section) =>
  p.evaluate(
    (name) =>
      (globalThis as unknown as { examplesPage: Record<string, { weightsHash(): Promise<string> }> }).examplesPage[name]?.weightsHash(),
    section,
  );

async function step(p: Page, section: Section): Promise<void> {
  await p.click(STEP_BUTTON[section]);
  expect(await settled(p, section)).toBe('paused');
}

async function reset(p: Page, section: Section): Promise<void> {
  await p.click(`#${section}-reset`);
  expect(await settled(p, section)).toBe('ready');
}

/** Plays until the counter reaches `atLeast`, then pauses and waits for the last steps to finish. */
async function playTo(p: Page, section: Section, atLeast: number): Promise<void> {
  await p.click(`#${section}-play`);
  await p.waitForFunction(([id, n]) => Number((document.getElementById(id as string) as HTMLOutputElement).value) >= (n as number), [
    COUNTER[section],
    atLeast,
  ] as const);
  await p.click(`#${section}-play`);
  expect(await settled(p, section)).toBe('paused');
}

interface Axis {
  values: number[];
  labels: string[];
}

/** The ticks of a chart's axes, as data-value and as printed. */
function ticks(p: Page, chart: string): Promise<{ x: Axis; y: Axis }> {
  return p.evaluate((id) => {
    const axis = (which: string) => {
      const texts = [...document.querySelectorAll<SVGTextElement>(`#${id} .tick.${which}`)];
      return { values: texts.map((t) => Number(t.dataset.value)), labels: texts.map((t) => t.textContent ?? '') };
    };
    return { x: axis('x'), y: axis('y') };
  }, chart);
}

/** Whether ticks are evenly spaced by 1, 2 or 5 × 10^k, each a whole multiple of that step. */
function expectRound({ values }: Axis): void {
  expect(values.length).toBeGreaterThanOrEqual(2);
  const step = (values[1] as number) - (values[0] as number);
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  expect(
    [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6),
    `step ${step}`,
  ).toBe(true);
  for (const [i, value] of values.entries()) {
    expect(value / step, `tick ${value} of step ${step}`).toBeCloseTo(Math.round(value / step), 6);
    if (i > 0) expect(value - (values[i - 1] as number)).toBeCloseTo(step, 9);
  }
}

/** Every text of every chart that lies (even partly) outside its SVG, or over another text of it: labels cut or unreadable. */
function badChartTexts(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const out: string[] = [];
    for (const svg of document.querySelectorAll<SVGSVGElement>('svg.chart')) {
      const box = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')].filter((t) => (t.textContent ?? '') !== '');
      const rects = texts.map((t) => t.getBoundingClientRect());
      const name = (i: number) => `${svg.parentElement?.id}: "${texts[i]?.textContent}"`;
      rects.forEach((r, i) => {
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
          out.push(`${name(i)} is cut`);
        for (let j = i + 1; j < rects.length; j++) {
          const q = rects[j] as DOMRect;
          if (r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom) out.push(`${name(i)} overlaps ${name(j)}`);
        }
      });
    }
    return out;
  });
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  page = await newPage(1366, 900);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the spiral: play, pause, step, reset', () => {
  let initial: string;
  let afterOne: string;

  it('starts at rest with empty charts: no ticks until there is data', async () => {
    expect(await state(page, 'spiral')).toBe('ready');
    expect(await steps(page, 'spiral')).toBe(0);
    const { x, y } = await ticks(page, 'spiral-loss');
    expect([x.values, y.values]).toEqual([[], []]);
    // The axes' titles are there from the start.
    const titles = await page.$$eval('#spiral-loss .axis-title', (texts) => texts.map((t) => t.textContent));
    expect(titles).toEqual(['iteration', 'loss']);
    initial = (await weightsHash(page, 'spiral')) as string;
    expect(initial).toMatch(/^[0-9a-f]{8}$/);
  });

  it('a step is exactly one iteration: one more on the counter, one more point on the loss line, new weights', async () => {
    await step(page, 'spiral');
    expect(await steps(page, 'spiral')).toBe(1);
    expect(await page.$eval('#spiral-loss polyline', (line) => (line as SVGPolylineElement).points.numberOfItems)).toBe(1);
    afterOne = (await weightsHash(page, 'spiral')) as string;
    expect(afterOne).not.toBe(initial);
    await step(page, 'spiral');
    expect(await steps(page, 'spiral')).toBe(2);
    expect(await page.$eval('#spiral-loss polyline', (line) => (line as SVGPolylineElement).points.numberOfItems)).toBe(2);
  });

  it('pause stops the steps: nothing moves after it has settled', async () => {
    await page.fill('#spiral-speed', '2'); // one iteration a frame
    await playTo(page, 'spiral', 10);
    const [count, hash] = [await steps(page, 'spiral'), await weightsHash(page, 'spiral')];
    expect(count).toBeGreaterThanOrEqual(10);
    // Long enough for many frames, each of which would have taken a step while playing.
    await page.waitForTimeout(500);
    expect(await steps(page, 'spiral')).toBe(count);
    expect(await weightsHash(page, 'spiral')).toBe(hash);
  });

  it('reset restores the initial weights bit for bit and empties the chart; the first step after it is the first step again', async () => {
    await reset(page, 'spiral');
    expect(await steps(page, 'spiral')).toBe(0);
    expect(await weightsHash(page, 'spiral')).toBe(initial);
    expect((await ticks(page, 'spiral-loss')).y.values).toEqual([]);
    await step(page, 'spiral');
    expect(await weightsHash(page, 'spiral')).toBe(afterOne);
  });

  it('reset while playing pauses first, then resets', async () => {
    await page.fill('#spiral-speed', '3');
    await page.click('#spiral-play');
    await page.waitForFunction(() => Number((document.getElementById('spiral-iteration') as HTMLOutputElement).value) > 5);
    await reset(page, 'spiral');
    expect(await steps(page, 'spiral')).toBe(0);
    expect(await weightsHash(page, 'spiral')).toBe(initial);
  });

  it('the step size is taken between steps: another one gives other weights, the same one the same', async () => {
    await setNumber(page, '#spiral-lr', '0.5');
    await step(page, 'spiral');
    expect(await weightsHash(page, 'spiral')).not.toBe(afterOne);
    await reset(page, 'spiral');
    await setNumber(page, '#spiral-lr', '1');
    await step(page, 'spiral');
    expect(await weightsHash(page, 'spiral')).toBe(afterOne);
    // A step size that is not a number above 0 is refused, and said so.
    await setNumber(page, '#spiral-lr', '-1');
    expect(await page.textContent('#spiral-status')).toBe('The step size must be a number above 0.');
    expect(await page.getAttribute('#spiral-lr', 'aria-invalid')).toBe('true');
    await setNumber(page, '#spiral-lr', '1');
    await reset(page, 'spiral');
  });
});

describe('MNIST: play, pause, step, reset, learning rate, L2 strength and batch size', () => {
  let initial: string;
  let afterTwo: string;

  it('a step is exactly one batch; two steps after a reset give the weights two steps gave before (momentum restarts too)', async () => {
    await page.selectOption('#mnist-train-size', '1000'); // another training set: a reset
    expect(await settled(page, 'mnist')).toBe('ready');
    initial = (await weightsHash(page, 'mnist')) as string;
    await step(page, 'mnist');
    expect(await steps(page, 'mnist')).toBe(1);
    await step(page, 'mnist');
    expect(await steps(page, 'mnist')).toBe(2);
    afterTwo = (await weightsHash(page, 'mnist')) as string;
    await playTo(page, 'mnist', 20);
    const [count, hash] = [await steps(page, 'mnist'), await weightsHash(page, 'mnist')];
    await page.waitForTimeout(500);
    expect(await steps(page, 'mnist')).toBe(count);
    expect(await weightsHash(page, 'mnist')).toBe(hash);
    await reset(page, 'mnist');
    expect(await weightsHash(page, 'mnist')).toBe(initial);
    await step(page, 'mnist');
    await step(page, 'mnist');
    expect(await weightsHash(page, 'mnist')).toBe(afterTwo);
  });

  it('the learning rate is taken between steps', async () => {
    await reset(page, 'mnist');
    await setNumber(page, '#mnist-lr', '0.01');
    await step(page, 'mnist');
    await step(page, 'mnist');
    expect(await weightsHash(page, 'mnist')).not.toBe(afterTwo);
    await setNumber(page, '#mnist-lr', '0.05');
  });

  it('the L2 strength is taken between steps (weight decay: other weights after the same two steps), and a negative one is refused', async () => {
    await reset(page, 'mnist');
    await setNumber(page, '#mnist-l2', '0.5');
    await step(page, 'mnist');
    await step(page, 'mnist');
    expect(await weightsHash(page, 'mnist')).not.toBe(afterTwo);
    await setNumber(page, '#mnist-l2', '0');
    await reset(page, 'mnist');
    await step(page, 'mnist');
    await step(page, 'mnist');
    expect(await weightsHash(page, 'mnist')).toBe(afterTwo);
    await setNumber(page, '#mnist-l2', '-1');
    expect(await page.textContent('#mnist-status')).toMatch(/L2 strength/);
    await setNumber(page, '#mnist-l2', '0');
  });

  it('the hidden size and the activation make a new network at the next reset; back to 128 and ReLU, the initial weights again', async () => {
    const firstShape = () =>
      page.evaluate(
        async () =>
          (
            await (
              globalThis as unknown as { examplesPage: { mnist: { trainer(): { parameter(n: string): Promise<{ shape: number[] }> } } } }
            ).examplesPage.mnist
              .trainer()
              .parameter('0.weight')
          ).shape,
      );
    await reset(page, 'mnist');
    expect(await firstShape()).toEqual([128, 784]);
    await setNumber(page, '#mnist-hidden', '0');
    expect(await page.textContent('#mnist-status')).toBe('The hidden size must be a whole number above 0.');
    await setNumber(page, '#mnist-hidden', '32');
    expect(await page.textContent('#mnist-status')).toBe('The hidden size is 32 from the next reset.');
    await page.selectOption('#mnist-activation', 'tanh');
    expect(await page.textContent('#mnist-status')).toBe('The activation is tanh from the next reset.');
    expect(await firstShape()).toEqual([128, 784]);
    expect(await weightsHash(page, 'mnist')).toBe(initial);
    await reset(page, 'mnist');
    expect(await firstShape()).toEqual([32, 784]);
    await step(page, 'mnist');
    expect(await steps(page, 'mnist')).toBe(1);
    await setNumber(page, '#mnist-hidden', '128');
    await page.selectOption('#mnist-activation', 'relu');
    await reset(page, 'mnist');
    expect(await firstShape()).toEqual([128, 784]);
    expect(await weightsHash(page, 'mnist')).toBe(initial);
  });

  it('the batch size is taken from the next epoch: 1,000 digits in batches of 500 are an epoch in two steps', async () => {
    await reset(page, 'mnist');
    await setNumber(page, '#mnist-batch', '500');
    const rows = () => page.$$eval('#mnist-history tbody tr', (trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.epoch)));
    expect(await rows()).toEqual([0]);
    await step(page, 'mnist');
    expect(await rows()).toEqual([0]);
    await step(page, 'mnist');
    expect(await rows()).toEqual([0, 1]);
    await setNumber(page, '#mnist-batch', '64');
    await reset(page, 'mnist');
  });
});

describe('the charts', () => {
  it('tick the spiral loss at round numbers, with every label inside the chart, laid out a handful of times in a long run', async () => {
    await reset(page, 'spiral');
    const layoutsBefore = await page.$eval('#spiral-loss svg', (svg) => Number((svg as SVGSVGElement).dataset.layouts));
    await page.fill('#spiral-speed', '5');
    await playTo(page, 'spiral', 3000);
    const { x, y } = await ticks(page, 'spiral-loss');
    expectRound(x);
    expectRound(y);
    expect(y.values[0]).toBe(0); // a loss axis starts at 0
    expect(await badChartTexts(page)).toEqual([]);
    const line = await page.$eval('#spiral-loss svg', (svg) => ({
      layouts: Number((svg as SVGSVGElement).dataset.layouts),
      points: (svg.querySelector('polyline') as SVGPolylineElement).points.numberOfItems,
      width: svg.getBoundingClientRect().width,
    }));
    const iterations = await steps(page, 'spiral');
    // Thousands of iterations in updates of 200 (15 or more): a line of at most a point per
    // pixel, and a few layouts (the first points, the x axis doubling), not one per update.
    expect(iterations).toBeGreaterThanOrEqual(3000);
    expect(line.points).toBeLessThanOrEqual(line.width);
    expect(line.points).toBeGreaterThan(line.width / 4);
    expect(line.layouts - layoutsBefore).toBeLessThan(8);
  });

  it('zoom the accuracy axis to the data, in round steps', async () => {
    await page.selectOption('#mnist-train-size', '1000');
    await reset(page, 'mnist');
    await playTo(page, 'mnist', 3 * Math.ceil(1000 / 64));
    const { x, y } = await ticks(page, 'mnist-accuracy');
    expectRound(x);
    expectRound(y);
    const accuracies = await page.$$eval('#mnist-history tbody tr', (trs) =>
      trs.slice(1).map((tr) => Number((tr as HTMLElement).dataset.accuracy)),
    );
    expect(accuracies.length).toBeGreaterThanOrEqual(3);
    // The axis spans the data and a step more at most, not 0 to 100%.
    const step = (y.values[1] as number) - (y.values[0] as number);
    expect(y.values[0]).toBeLessThanOrEqual(Math.min(...accuracies));
    expect(y.values[0]).toBeGreaterThan(Math.min(...accuracies) - step - 1e-9);
    expect(y.values.at(-1)).toBeGreaterThanOrEqual(Math.max(...accuracies));
    expect(y.values.at(-1)).toBeLessThan(Math.max(...accuracies) + step + 1e-9);
    expect(y.labels.every((label) => label.endsWith('%'))).toBe(true);
    expect(await badChartTexts(page)).toEqual([]);
  });
});

describe('the layout', () => {
  for (const width of [360, 390, 1366]) {
    it(`does not scroll sideways at ${width} px, with charts trained and every chart label inside its chart and clear of the others`, async () => {
      const p = width === 1366 ? page : await newPage(width, 844, 3);
      if (p !== page) {
        await step(p, 'spiral');
        await step(p, 'mnist');
        await step(p, 'cnn');
      }
      const { scrollWidth, innerWidth } = await p.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
      }));
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      // The digit grids, the drawing pad and its bars, the CNN's filters and maps: there, and each inside the window.
      const parts = await p.evaluate(() =>
        [
          '#mnist-digits figure',
          '#draw-pad',
          '#draw-bars .bar-row',
          '#cnn-filters canvas',
          '#cnn-maps canvas',
          '#cnn-maps .bar-row',
          '#cnn-digits figure',
        ].map((selector) => {
          const boxes = [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect());
          return { selector, count: boxes.length, outside: boxes.filter((b) => b.left < 0 || b.right > window.innerWidth).length };
        }),
      );
      for (const part of parts) {
        expect(part.count, part.selector).toBeGreaterThan(0);
        expect(part.outside, part.selector).toBe(0);
      }
      expect(await badChartTexts(p)).toEqual([]);
      // Table headers and the controls' labels stay on one line.
      const wrapped = await p.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('th, .controls label:not(.speed), #neuron-gates label')]
          .filter((e) => e.offsetParent !== null && e.getClientRects().length > 0)
          .filter((e) => e.getBoundingClientRect().height > 2.6 * Number.parseFloat(getComputedStyle(e).fontSize))
          .map((e) => e.textContent?.trim()),
      );
      expect(wrapped).toEqual([]);
      // At CSS pixels: the page is long, and at 3 device pixels per CSS pixel its image is too large to take quickly.
      if (width !== 360) await p.screenshot({ path: join(shots, `page-${width}.png`), fullPage: true, scale: 'css' });
      if (p !== page) await p.close();
    });
  }

  it('paints the spiral at the screen’s pixel density (3 device pixels per CSS pixel on this phone)', async () => {
    const p = await newPage(390, 844, 3);
    const canvas = await p.$eval('#spiral-regions', (c) => ({
      width: (c as HTMLCanvasElement).width,
      height: (c as HTMLCanvasElement).height,
      css: c.clientWidth,
    }));
    // The backing store follows the box's exact (fractional) width: within a device pixel or so of 3×.
    expect(Math.abs(canvas.width - canvas.css * 3)).toBeLessThanOrEqual(3);
    expect(canvas.height).toBe(canvas.width);
    await p.close();
  });
});

describe('the visit', () => {
  it('had no errors', () => {
    expect(problems).toEqual([]);
  });
});
