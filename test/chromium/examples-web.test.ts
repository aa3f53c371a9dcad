// The examples page (examples/web/), as `npm run web` makes it (examples-web-server.ts),
// used in Chromium as a person would: edit a circuit's input, train the spiral and MNIST in
// Workers. A screenshot of each section goes to test-results/examples-web/. (The lecture
// circuits' SVG itself is checked structurally in test/viz.test.ts; the training controls,
// the charts and the layout at phone widths in examples-web-controls.test.ts.)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer } from './examples-web-server';
import { launchChromium, root } from './harness';

const shots = join(root, 'test-results/examples-web');

let browser: Browser;
let server: PageServer;
let origin: string;
let page: Page;
/** Uncaught errors and console errors, for the whole visit. */
const problems: string[] = [];
/** Every URL the page asked for. */
const requested: string[] = [];
/** The scripts of the Workers the page started. */
const workers: string[] = [];

/** What the circuit section shows: each input's row of the table, and the numbers on each wire of the drawing. */
interface Circuit {
  drawn: string | undefined;
  rows: Record<string, string[]>;
  /** By the name of the leaf the wire leaves (x, y, …), or `#id` for a gate; `f` is the output wire. */
  wires: Record<string, { value: string[]; grad: string[] }>;
  gates: string[];
  error: string;
}

function readCircuit(): Promise<Circuit> {
  return page.evaluate(() => {
    const svg = document.querySelector('#circuit-drawing svg') as SVGSVGElement;
    const names = new Map<string, string>();
    for (const leaf of svg.querySelectorAll<SVGGElement>('g.leaf')) names.set(leaf.dataset.id ?? '', leaf.textContent ?? '');
    const outputs = new Set([...svg.querySelectorAll<SVGPathElement>('path.wire.output')].map((p) => p.dataset.from));
    const texts = (g: Element, cls: string) => [...g.querySelectorAll(`text.${cls}`)].map((t) => t.textContent ?? '');
    const wires: Circuit['wires'] = {};
    for (const g of svg.querySelectorAll<SVGGElement>('g.wire-label')) {
      const id = g.dataset.node ?? '';
      wires[outputs.has(id) ? 'f' : (names.get(id) ?? `#${id}`)] = { value: texts(g, 'value'), grad: texts(g, 'grad') };
    }
    const rows: Circuit['rows'] = {};
    for (const row of document.querySelectorAll<HTMLTableRowElement>('#circuit-table tbody tr'))
      rows[row.dataset.name ?? ''] = [...row.cells].slice(1).map((cell) => cell.textContent ?? '');
    return {
      drawn: (document.getElementById('circuit-drawing') as HTMLElement).dataset.circuit,
      rows,
      wires,
      gates: [...svg.querySelectorAll('g.gate text')].map((t) => t.textContent ?? ''),
      error: (document.getElementById('circuit-error') as HTMLElement).textContent ?? '',
    };
  });
}

const screenshot = (section: string) => page.locator(`#${section}`).screenshot({ path: join(shots, `${section}.png`) });

beforeAll(async () => {
  // dist/ is already built (npm test builds it); the page's own script bundles it.
  mkdirSync(shots, { recursive: true });
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  origin = server.origin;
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  collectProblems(page, problems);
  page.on('request', (request) => requested.push(request.url()));
  page.on('worker', (worker) => workers.push(worker.url()));
  await openPage(page, origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the examples page, served cross-origin isolated', () => {
  it('loads cross-origin isolated, with a GEMM thread per core', async () => {
    expect(problems).toEqual([]);
    const { isolated, cores, threads, text, details } = await page.evaluate(() => ({
      isolated: globalThis.crossOriginIsolated,
      cores: navigator.hardwareConcurrency,
      threads: Number((document.getElementById('backend') as HTMLElement).dataset.threads),
      text: document.getElementById('backend')?.textContent,
      details: document.getElementById('backend-details')?.textContent,
    }));
    expect(isolated).toBe(true);
    // The stylesheet Vite emitted applies.
    expect(await page.evaluate(() => getComputedStyle(document.body).maxWidth)).toBe('1000px');
    expect(threads).toBe(cores); // init()'s default where memory can be shared
    // In a visitor's words; the build and the threads in the details.
    expect(text).toBe(`Everything runs here, in your browser, on ${cores === 1 ? 'one' : cores} of this device's processor cores.`);
    expect(details).toMatch(
      /^The wasm core's relaxed SIMD \(FMA\) build, \d GEMM threads? \(the page is cross-origin isolated\); each section trains in its own Web Worker\.$/,
    );
  });

  it('shows (x + y)·z at the lecture numbers: f = −12, gradients −4, −4, 3', async () => {
    const circuit = await readCircuit();
    expect(circuit.drawn).toBe('xyz');
    expect(circuit.rows).toEqual({ x: ['−2', '−4'], y: ['5', '−4'], z: ['−4', '3'], f: ['−12', '1'] });
    expect(circuit.wires.x).toEqual({ value: ['−2'], grad: ['−4'] });
    expect(circuit.wires.y).toEqual({ value: ['5'], grad: ['−4'] });
    expect(circuit.wires.z).toEqual({ value: ['−4'], grad: ['3'] });
    expect(circuit.wires.f).toEqual({ value: ['−12'], grad: ['1'] });
    expect([...circuit.gates].sort()).toEqual(['*', '+']);
  });

  it('redraws when x is edited to 1: f = (1 + 5)·(−4) = −24, df/dz = x + y = 6, df/dx = df/dy = z = −4', async () => {
    await page.fill('#circuit-inputs input[name="x"]', '1');
    const circuit = await readCircuit();
    expect(circuit.error).toBe('');
    expect(circuit.rows).toEqual({ x: ['1', '−4'], y: ['5', '−4'], z: ['−4', '6'], f: ['−24', '1'] });
    expect(circuit.wires.x).toEqual({ value: ['1'], grad: ['−4'] });
    expect(circuit.wires.z).toEqual({ value: ['−4'], grad: ['6'] });
    expect(circuit.wires.f).toEqual({ value: ['−24'], grad: ['1'] });
    // A value that is not a number is refused, and the drawing stays as it was.
    await page.fill('#circuit-inputs input[name="y"]', '');
    expect((await readCircuit()).error).toBe('y must be a number.');
    expect((await readCircuit()).wires.f).toEqual({ value: ['−24'], grad: ['1'] });
    await page.fill('#circuit-inputs input[name="y"]', '5');
    expect((await readCircuit()).error).toBe('');
  });

  it('2·(x·y + max(z, w)): max routes the gradient to z, the larger', async () => {
    await page.selectOption('#circuit', 'circuit2');
    const circuit = await readCircuit();
    expect(circuit.drawn).toBe('circuit2');
    // x = 3, y = −4, z = 2, w = −1: f = 2·(−12 + 2) = −20; df/dx = 2y, df/dy = 2x, df/dz = 2, df/dw = 0
    expect(circuit.rows).toEqual({ x: ['3', '−8'], y: ['−4', '6'], z: ['2', '2'], w: ['−1', '0'], f: ['−20', '1'] });
    await page.fill('#circuit-inputs input[name="w"]', '4');
    expect((await readCircuit()).rows).toMatchObject({ z: ['2', '0'], w: ['4', '2'], f: ['−16', '1'] });
  });

  it('the neuron: primitive gates and one σ gate give the same gradients, also after an edit', async () => {
    await page.selectOption('#circuit', 'neuron');
    const primitive = await readCircuit();
    expect(primitive.drawn).toBe('neuron');
    expect([...primitive.gates].sort()).toEqual(['*', '*', '*−1', '+', '+', '+1', '1/x', 'exp']);
    // The lecture's numbers: f = 0.73; dw0 = −0.20, dx0 = 0.39, dw1 = −0.39, dx1 = −0.59, dw2 = 0.20.
    expect(primitive.rows).toEqual({
      w0: ['2', '−0.1966', '−0.1966', '✓'],
      x0: ['−1', '0.3932', '0.3932', '✓'],
      w1: ['−3', '−0.3932', '−0.3932', '✓'],
      x1: ['−2', '−0.5898', '−0.5898', '✓'],
      w2: ['−3', '0.1966', '0.1966', '✓'],
      f: ['0.7311', '1', '1', '✓'],
    });
    expect(primitive.wires.w0).toEqual({ value: ['2.00'], grad: ['−0.20'] });
    await page.check('input[name="gates"][value="neuron-sigmoid"]');
    const sigmoid = await readCircuit();
    expect(sigmoid.drawn).toBe('neuron-sigmoid');
    expect([...sigmoid.gates].sort()).toEqual(['*', '*', '+', '+', 'σ']);
    expect(sigmoid.rows).toEqual(primitive.rows);
    expect(sigmoid.wires.x1).toEqual(primitive.wires.x1);
    await page.fill('#circuit-inputs input[name="x0"]', '0.5');
    const edited = await readCircuit();
    expect(edited.rows.x0?.[0]).toBe('0.5000');
    expect(edited.rows.w0?.[1]).not.toBe('−0.1966');
    for (const row of Object.values(edited.rows)) expect(row.at(-1)).toBe('✓');
    await page.fill('#circuit-inputs input[name="x0"]', '-1');
    await page.check('input[name="gates"][value="neuron"]');
    expect(await readCircuit()).toEqual(primitive);
    await screenshot('circuits');
  });

  it('trains the spiral in a Worker above 90% training accuracy in 1,000 iterations, drawing regions and the loss as it goes', async () => {
    await page.fill('#spiral-speed', '5'); // the fastest: many iterations a frame
    await page.click('#spiral-play');
    await page.waitForFunction(() => Number((document.getElementById('spiral-iteration') as HTMLOutputElement).value) >= 1000, undefined, {
      timeout: 60_000,
    });
    await page.click('#spiral-play'); // pause
    await page.waitForFunction(() => document.getElementById('spiral')?.dataset.state === 'paused', undefined, { timeout: 30_000 });
    const result = await page.evaluate(() => {
      const canvas = document.getElementById('spiral-regions') as HTMLCanvasElement;
      const pixels = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
      const colors = new Map<string, number>();
      for (let i = 0; i < pixels.length; i += 4) {
        const key = `${pixels[i]},${pixels[i + 1]},${pixels[i + 2]}`;
        colors.set(key, (colors.get(key) ?? 0) + 1);
      }
      const out = (id: string) => document.getElementById(id) as HTMLOutputElement;
      return {
        status: document.getElementById('spiral-status')?.textContent,
        iteration: Number(out('spiral-iteration').value),
        accuracy: Number(out('spiral-accuracy').dataset.value),
        stall: Number(out('spiral-stall').dataset.value),
        lossPoints: (document.querySelector('#spiral-loss polyline') as SVGPolylineElement).points.numberOfItems,
        regionColors: ['200,218,242', '246,205,203', '204,234,212'].map((c) => colors.get(c) ?? 0),
        pixels: pixels.length / 4,
      };
    });
    expect(result.status).toBe('');
    expect(result.iteration).toBeGreaterThanOrEqual(1000);
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(result.lossPoints).toBeGreaterThan(50);
    // Each class owns a fair part of the plane.
    for (const count of result.regionColors) expect(count).toBeGreaterThan(result.pixels / 10);
    // Trained in a module Worker of the bundle (started with the page), while this thread kept running its timers.
    expect(workers).toContainEqual(expect.stringMatching(/\/assets\/trainer\.worker-[\w-]+\.js$/));
    expect(result.stall).toBeGreaterThan(0);
    await screenshot('spiral');
  });

  it('trains MNIST in a Worker: test accuracy rises epoch over epoch, and the test digits get predictions', async () => {
    await page.selectOption('#mnist-train-size', '2000'); // another training set: a reset
    await page.waitForFunction(() => document.getElementById('mnist')?.dataset.state === 'ready', undefined, { timeout: 30_000 });
    await page.click('#mnist-play');
    await page.waitForFunction(() => document.querySelectorAll('#mnist-history tbody tr').length >= 4, undefined, { timeout: 60_000 });
    await page.click('#mnist-play'); // pause
    await page.waitForFunction(() => document.getElementById('mnist')?.dataset.state === 'paused', undefined, { timeout: 30_000 });
    const result = await page.evaluate(() => ({
      epochs: [...document.querySelectorAll<HTMLTableRowElement>('#mnist-history tbody tr')].map((row) => ({
        epoch: Number(row.dataset.epoch),
        accuracy: Number(row.dataset.accuracy),
      })),
      digits: [...document.querySelectorAll<HTMLElement>('#mnist-digits figure')].map((f) => ({
        predicted: f.dataset.predicted,
        right: !f.classList.contains('wrong'),
      })),
      accuracyDots: document.querySelectorAll('#mnist-accuracy .dots circle').length,
      lossPoints: (document.querySelector('#mnist-loss polyline') as SVGPolylineElement).points.numberOfItems,
    }));
    const epochs = result.epochs.slice(0, 4);
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    const accuracy = epochs.map((e) => e.accuracy);
    expect(accuracy[0]).toBeLessThan(0.3); // before training: about chance
    for (let i = 1; i < accuracy.length; i++) expect(accuracy[i]).toBeGreaterThan(accuracy[i - 1] as number);
    expect(accuracy.at(-1)).toBeGreaterThan(0.85);
    // A dot for each trained epoch (the chart zooms to them: the untrained net is in the table only).
    expect(result.accuracyDots).toBe(result.epochs.length - 1);
    expect(result.lossPoints).toBeGreaterThan(20);
    // The grid shows the network's mistakes first (up to 12 of its 24 digits), then a fixed sample it mostly gets right.
    expect(result.digits).toHaveLength(24);
    for (const digit of result.digits) expect(digit.predicted).toMatch(/^\d$/);
    expect(result.digits.slice(12).filter((d) => d.right).length).toBeGreaterThanOrEqual(9);
    await screenshot('mnist');
  });

  it('had no errors, and asked for nothing outside its own server', () => {
    expect(problems).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(requested).toContain(`${origin}/mnist.bin`);
  });
});
