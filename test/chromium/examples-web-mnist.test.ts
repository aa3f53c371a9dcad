// The examples page's MNIST section beyond its controls (issue 15), in Chromium:
//   - the grid of test digits refreshed after every epoch: ten probability bars for each,
//     what the network says and what the digit is, its mistakes first and framed; checked
//     against the labels in mnist.bin, the accuracy the epoch table reports, and the
//     probabilities the page's network gives for the same digits;
//   - the training and test losses on one chart, each named by the legend;
//   - drawing a digit (mouse and touch pointer events) on the pad: it is brought to 28×28 as
//     MNIST's digits are (20 px tall, centred by mass), the network's probabilities are shown
//     and sum to 1, asked again when it trains, and Clear empties it all.
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

interface Shown {
  index: number;
  label: number;
  predicted: number;
  wrong: boolean;
  bars: number[];
  says: string;
  is: string;
}

function readGrid(p: Page): Promise<{ shown: Shown[]; mistakes: number; epoch: number; summary: string }> {
  return p.evaluate(() => {
    const summary = document.getElementById('mnist-digits-summary') as HTMLElement;
    return {
      shown: [...document.querySelectorAll<HTMLElement>('#mnist-digits figure')].map((figure) => ({
        index: Number(figure.dataset.index),
        label: Number(figure.dataset.label),
        predicted: Number(figure.dataset.predicted),
        wrong: figure.classList.contains('wrong'),
        bars: [...figure.querySelectorAll<HTMLElement>('.bars span')].map((bar) => Number(bar.dataset.p)),
        says: figure.querySelector('figcaption b')?.textContent ?? '',
        is: figure.querySelector('figcaption span')?.textContent ?? '',
      })),
      mistakes: Number(summary.dataset.mistakes),
      epoch: Number(summary.dataset.epoch),
      summary: summary.textContent ?? '',
    };
  });
}

/** The test digits' labels, read from the mnist.bin the page loads (its format: examples/web/build.ts). */
function testLabels(p: Page): Promise<number[]> {
  return p.evaluate(async () => {
    const bytes = new Uint8Array(await (await fetch('mnist.bin')).arrayBuffer());
    const view = new DataView(bytes.buffer);
    const [train, test, pixels] = [0, 1, 2].map((i) => view.getUint32(4 * i, true)) as [number, number, number];
    const labelsAt = 16 + 4 * 256 + (train + test) * pixels;
    return [...bytes.subarray(labelsAt + train, labelsAt + train + test)];
  });
}

const argmax = (values: number[]) => values.indexOf(Math.max(...values));

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

describe('MNIST: the test digits and what the network says, after every epoch', () => {
  let labels: number[];

  it('before training: 24 digits with ten bars each, the true labels of mnist.bin, epoch 0', async () => {
    labels = await testLabels(page);
    expect(labels.length).toBeGreaterThan(1000);
    const grid = await readGrid(page);
    expect(grid.epoch).toBe(0);
    expect(grid.shown).toHaveLength(24);
    for (const digit of grid.shown) {
      expect(digit.bars).toHaveLength(10);
      expect(digit.label).toBe(labels[digit.index]);
      expect(digit.is).toMatch(new RegExp(`^is a ${labels[digit.index]} [✓✗]$`));
    }
  });

  it('after an epoch: the mistakes agree with the reported accuracy and with the network, mistakes first', async () => {
    // 1,000 training digits in batches of 500: the second step ends epoch 1, and the
    // network stays at that epoch's weights, which the grid and the table are about.
    await page.selectOption('#mnist-train-size', '1000');
    expect(await settled(page, 'mnist')).toBe('ready');
    await setNumber(page, '#mnist-batch', '500');
    await page.click('#mnist-reset');
    expect(await settled(page, 'mnist')).toBe('ready');
    for (let i = 0; i < 2; i++) {
      await page.click('#mnist-step-button');
      expect(await settled(page, 'mnist')).toBe('paused');
    }
    const grid = await readGrid(page);
    expect(grid.epoch).toBe(1);
    const row = await page.$eval('#mnist-history tbody tr[data-epoch="1"]', (tr) => ({
      accuracy: Number((tr as HTMLElement).dataset.accuracy),
      testLoss: Number((tr as HTMLElement).dataset.testLoss),
    }));
    // The mistakes counted are the test digits the reported accuracy leaves out.
    expect(grid.mistakes).toBe(Math.round((1 - row.accuracy) * labels.length));
    expect(grid.summary).toContain(`${grid.mistakes.toLocaleString('en')} of ${labels.length.toLocaleString('en')} test digits wrong`);

    expect(grid.shown).toHaveLength(24);
    expect(new Set(grid.shown.map((d) => d.index)).size).toBe(24);
    for (const digit of grid.shown) {
      expect(digit.label).toBe(labels[digit.index]);
      expect(digit.bars).toHaveLength(10);
      expect(digit.bars.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(digit.predicted).toBe(argmax(digit.bars));
      expect(digit.wrong).toBe(digit.predicted !== digit.label);
      expect(digit.says).toBe(`says ${digit.predicted}`);
      expect(digit.is).toBe(`is a ${digit.label} ${digit.wrong ? '✗' : '✓'}`);
    }
    // Its mistakes come first, as many as there are up to 12, the surest first (the rest, a
    // fixed sample of the test set, may hold mistakes too).
    const shownMistakes = Math.min(grid.mistakes, 12);
    expect(shownMistakes).toBeGreaterThan(0); // one epoch of 1,000 digits leaves some
    const first = grid.shown.slice(0, shownMistakes);
    expect(first.every((d) => d.wrong)).toBe(true);
    const sureness = first.map((d) => Math.max(...d.bars));
    for (let i = 1; i < sureness.length; i++) expect(sureness[i]).toBeLessThanOrEqual(sureness[i - 1] as number);

    // The page's network, asked now (still at epoch 1's weights), gives the bars drawn.
    const indices = grid.shown.map((d) => d.index);
    const now = await page.evaluate(
      (list) =>
        (
          globalThis as unknown as { examplesPage: { mnist: { testProbabilities(i: number[]): Promise<number[][]> } } }
        ).examplesPage.mnist.testProbabilities(list),
      indices,
    );
    for (const [k, digit] of grid.shown.entries()) {
      for (const [c, p] of (now[k] as number[]).entries()) expect(digit.bars[c]).toBeCloseTo(p, 5);
    }

    // The test loss is on the loss chart, one dot per epoch, beside the training loss; the legend says which is which.
    const chart = await page.evaluate(() => ({
      legend: [...document.querySelectorAll('#mnist-loss .legend span')].map((s) => s.textContent),
      testDots: document.querySelectorAll('#mnist-loss .dots circle').length,
      lines: [...document.querySelectorAll<SVGPolylineElement>('#mnist-loss polyline')].map((l) => [
        l.dataset.label,
        l.points.numberOfItems,
      ]),
    }));
    expect(chart.legend).toEqual(['training loss (moving average of batches)', 'test loss (after each epoch)']);
    expect(chart.testDots).toBe(1);
    expect(chart.lines).toEqual([
      ['training loss (moving average of batches)', 2],
      ['test loss (after each epoch)', 1],
    ]);
    expect(row.testLoss).toBeGreaterThan(0);
    await setNumber(page, '#mnist-batch', '64');
    await page.locator('#mnist').screenshot({ path: join(shots, 'mnist-predictions.png') });
  });
});

describe('draw your own digit', () => {
  /** What the drawing section shows: the verdict, the bars, and the 28×28 input as grey levels (0 blank, 1 ink). */
  function readDrawing(p: Page) {
    return p.evaluate(() => {
      const seen = document.getElementById('draw-seen') as HTMLCanvasElement;
      const rgba = (seen.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, 28, 28).data;
      const input = Array.from({ length: 784 }, (_, i) => 1 - (rgba[4 * i] as number) / 255);
      const pad = document.getElementById('draw-pad') as HTMLCanvasElement;
      const padAlpha = (pad.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, pad.width, pad.height).data;
      let inked = 0;
      for (let i = 3; i < padAlpha.length; i += 4) if ((padAlpha[i] as number) > 0) inked++;
      const verdict = document.getElementById('draw-verdict') as HTMLElement;
      return {
        predicted: verdict.dataset.predicted,
        verdict: verdict.textContent ?? '',
        bars: [...document.querySelectorAll<HTMLElement>('#draw-bars .bar-row')].map((row) => row.dataset.p),
        input,
        padInked: inked,
      };
    });
  }

  /** The centre of mass and the bounding box (of pixels above 0.05) of a 28×28 image. */
  function shape(input: number[]) {
    let [mass, mx, my] = [0, 0, 0];
    let [top, bottom, left, right] = [28, -1, 28, -1];
    input.forEach((v, i) => {
      const [x, y] = [i % 28, Math.floor(i / 28)];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
      if (v > 0.05) [top, bottom, left, right] = [Math.min(top, y), Math.max(bottom, y), Math.min(left, x), Math.max(right, x)];
    });
    return { cx: mx / mass, cy: my / mass, height: bottom - top + 1, width: right - left + 1 };
  }

  /** Waits for the answer about the drawing as it is now (an answer about its first strokes may come before). */
  const answered = (p: Page) =>
    p.waitForFunction(() => {
      const verdict = document.getElementById('draw-verdict') as HTMLElement;
      return verdict.dataset.predicted !== undefined && verdict.getAttribute('aria-busy') === 'false';
    });

  it('starts empty: no prediction, no bars, a blank input', async () => {
    const drawing = await readDrawing(page);
    expect(drawing.predicted).toBeUndefined();
    expect(drawing.bars).toEqual(Array(10).fill(undefined));
    expect(drawing.input.every((v) => v === 0)).toBe(true);
    expect(drawing.verdict).toBe('Draw a digit from 0 to 9 in the box.');
  });

  it('a "1" drawn with the mouse: centred by mass in 28×28, 20 px tall, and the trained network’s probabilities, summing to 1', async () => {
    // Some training first (1,000 digits, batches of 64): a network that reads digits.
    await page.click('#mnist-play');
    await page.waitForFunction(() => document.querySelectorAll('#mnist-history tbody tr').length >= 8, undefined, { timeout: 60_000 });
    await page.click('#mnist-play');
    expect(await settled(page, 'mnist')).toBe('paused');

    await page.locator('#draw-pad').scrollIntoViewIfNeeded(); // the mouse moves within the viewport
    const box = (await page.locator('#draw-pad').boundingBox()) as { x: number; y: number; width: number; height: number };
    const x = box.x + box.width * 0.55;
    await page.mouse.move(x, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(x - box.width * 0.05, box.y + box.height * 0.8, { steps: 12 });
    await page.mouse.up();
    await answered(page);
    const drawing = await readDrawing(page);
    expect(drawing.padInked).toBeGreaterThan(0);
    const p = drawing.bars.map(Number);
    expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Number(drawing.predicted)).toBe(argmax(p));
    expect(drawing.verdict).toMatch(new RegExp(`^The network says ${drawing.predicted} \\(\\d+\\.\\d% sure\\)\\.$`));
    // MNIST's form: the taller side 20 px, the centre of mass within half a pixel of rounding from the centre.
    const { cx, cy, height, width } = shape(drawing.input);
    // 20 px tall (an edge row may hold less ink than the 0.05 counted).
    expect(height).toBeGreaterThanOrEqual(19);
    expect(height).toBeLessThanOrEqual(20);
    expect(width).toBeLessThan(height);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    expect(drawing.predicted).toBe('1');
    await page.locator('.draw').screenshot({ path: join(shots, 'draw-1366.png') });
  });

  it('asks the network again when it has trained: other probabilities after a step', async () => {
    const before = (await readDrawing(page)).bars;
    await page.click('#mnist-step-button');
    expect(await settled(page, 'mnist')).toBe('paused');
    await page.waitForFunction((old) => {
      const now = [...document.querySelectorAll<HTMLElement>('#draw-bars .bar-row')].map((row) => row.dataset.p);
      return now.some((v, i) => v !== old[i]);
    }, before);
  });

  it('Clear empties the pad, the input and the bars', async () => {
    await page.click('#draw-clear');
    await page.waitForFunction(() => {
      const verdict = document.getElementById('draw-verdict') as HTMLElement;
      return verdict.dataset.predicted === undefined && verdict.getAttribute('aria-busy') === 'false';
    });
    const drawing = await readDrawing(page);
    expect(drawing.padInked).toBe(0);
    expect(drawing.bars).toEqual(Array(10).fill(undefined));
    expect(drawing.input.every((v) => v === 0)).toBe(true);
  });

  it('a "0" drawn with a finger (touch pointer events) is read too, at a phone’s width', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true });
    collectProblems(phone, problems);
    await openPage(phone, server.origin);
    await phone.locator('#draw-pad').scrollIntoViewIfNeeded();
    await phone.evaluate(() => {
      const pad = document.getElementById('draw-pad') as HTMLCanvasElement;
      const box = pad.getBoundingClientRect();
      const touch = (type: string, t: number) =>
        pad.dispatchEvent(
          new PointerEvent(type, {
            pointerId: 7,
            pointerType: 'touch',
            isPrimary: true,
            button: type === 'pointermove' ? -1 : 0,
            buttons: type === 'pointerup' ? 0 : 1,
            clientX: box.left + box.width * (0.5 + 0.22 * Math.sin(t)),
            clientY: box.top + box.height * (0.5 - 0.32 * Math.cos(t)),
            bubbles: true,
            cancelable: true,
          }),
        );
      touch('pointerdown', 0);
      for (let i = 1; i <= 40; i++) touch('pointermove', (i / 40) * 2 * Math.PI);
      touch('pointerup', 2 * Math.PI);
    });
    await answered(phone);
    await phone.locator('.draw').screenshot({ path: join(shots, 'draw-390.png') });
    const drawing = await readDrawing(phone);
    const p = drawing.bars.map(Number);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Number(drawing.predicted)).toBe(argmax(p));
    const { cx, cy, height, width } = shape(drawing.input);
    // 20 px tall (an edge row may hold less ink than the 0.05 counted).
    expect(height).toBeGreaterThanOrEqual(19);
    expect(height).toBeLessThanOrEqual(20);
    expect(width).toBeLessThan(height);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    // The pad is drawn at the screen's density: 3 device pixels per CSS pixel.
    const pad = await phone.$eval('#draw-pad', (c) => ({ width: (c as HTMLCanvasElement).width, css: c.clientWidth }));
    expect(Math.abs(pad.width - pad.css * 3)).toBeLessThanOrEqual(3);
    await phone.locator('#mnist-digits').screenshot({ path: join(shots, 'mnist-predictions-390.png') });
    await phone.close();
  });
});

describe('the visit', () => {
  it('had no errors', () => {
    expect(problems).toEqual([]);
  });
});
