// The examples page's circuits section in Chromium, used as a student of the lecture would:
// every worked example selectable and drawn, titles that follow the inputs, the backward
// pass stepped one gate at a time (each gate's rule and the gradients it gives, checked
// against the lecture's formulas computed here), a domain error in plain words that marks
// the drawing stale, and no sideways scrolling of the page at a 360 px phone.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndServe, collectProblems, openPage, type PageServer } from './examples-web-server';
import { launchChromium, root } from './harness';

const shots = join(root, 'test-results/examples-web');
const screenshot = (name: string) => page.locator('#circuits').screenshot({ path: join(shots, `${name}.png`) });

let browser: Browser;
let server: PageServer;
let page: Page;
const problems: string[] = [];

/** A number as the drawing prints it at 2 decimals, with the typographic minus. */
const two = (x: number) => {
  let places = 2;
  while (places < 6 && x !== 0 && Math.abs(x) < 10 ** (1 - places)) places++;
  return x
    .toFixed(places)
    .replace(/^-(0\.0*)$/, '$1')
    .replace('-', '−');
};

/** What the drawing shows at the current step. */
interface Drawn {
  circuit: string | undefined;
  title: string;
  step: number;
  /** The highlighted gates' ops. */
  active: string[];
  rule: string;
  /** How many wires carry a gradient. */
  gradWires: number;
  /** The gradients on the wires into the highlighted gate, sorted. */
  operandGrads: string[];
  gateLabels: string[];
  stale: boolean;
  staleMarkShown: boolean;
  error: string;
}

function readDrawing(): Promise<Drawn> {
  return page.evaluate(() => {
    const box = document.getElementById('circuit-drawing') as HTMLElement;
    const svg = box.querySelector('svg') as SVGSVGElement;
    const active = [...svg.querySelectorAll<SVGGElement>('g.gate.active')];
    const id = active[0]?.dataset.id;
    const operands =
      id === undefined ? [] : [...svg.querySelectorAll<SVGPathElement>(`path.wire[data-to="${id}"]`)].map((p) => p.dataset.from);
    const gradOf = (node: string | undefined) =>
      [...svg.querySelectorAll(`g.wire-label[data-node="${node}"] text.grad`)].map((t) => t.textContent ?? '').join(' ');
    const stale = document.getElementById('circuit-stale') as HTMLElement;
    return {
      circuit: box.dataset.circuit,
      title: document.getElementById('circuit-title')?.textContent ?? '',
      step: Number(svg.dataset.step),
      active: active.map((g) => g.dataset.op ?? ''),
      rule: document.getElementById('circuit-rule')?.textContent ?? '',
      gradWires: [...svg.querySelectorAll('g.wire-label')].filter((g) => g.querySelector('.grad') !== null).length,
      operandGrads: operands.map(gradOf).sort(),
      gateLabels: [...svg.querySelectorAll('g.gate text')].map((t) => t.textContent ?? ''),
      stale: box.dataset.stale === 'true',
      staleMarkShown: !stale.hidden && stale.getBoundingClientRect().height > 0,
      error: document.getElementById('circuit-error')?.textContent ?? '',
    };
  });
}

const select = (circuit: string) => page.selectOption('#circuit', circuit);
const fill = (name: string, value: string) => page.fill(`#circuit-inputs input[name="${name}"]`, value);

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [browser, server] = await Promise.all([launchChromium(), buildAndServe()]);
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  collectProblems(page, problems);
  await openPage(page, server.origin);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("the circuits section: the lecture's worked examples", () => {
  it('offers every worked example, the matrix one included, and draws each larger than its own size in a wide column', async () => {
    const options = await page.$$eval('#circuit option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['xyz', 'circuit2', 'neuron', 'norm']);
    const titles: Record<string, RegExp> = {
      xyz: /^f\(x, y, z\) = \(x \+ y\)·z at x = −2, y = 5, z = −4$/,
      circuit2: /^f = 2·\(x·y \+ max\(z, w\)\) at x = 3, y = −4, z = 2, w = −1$/,
      neuron: /^the sigmoid neuron .* at w0 = 2, x0 = −1, w1 = −3, x1 = −2, w2 = −3$/,
      norm: /^f\(W, x\) = ‖W·x‖² at W = \[\[0\.1000, 0\.5000\], \[−0\.3000, 0\.8000\]\], x = \[0\.2000, 0\.4000\]$/,
    };
    for (const circuit of options) {
      await select(circuit);
      const drawn = await readDrawing();
      expect(drawn.circuit).toBe(circuit);
      expect(drawn.title).toMatch(titles[circuit] as RegExp);
      expect(drawn.gateLabels.length).toBeGreaterThan(0);
      // One symbol for a product, the lecture's "*", for numbers and matrices alike.
      expect(drawn.gateLabels.join(' ')).not.toContain('×');
      const sizes = await page.$eval('#circuit-drawing svg', (svg) => ({
        own: Number(svg.getAttribute('width')),
        shown: svg.getBoundingClientRect().width,
        column: (svg.parentElement as HTMLElement).clientWidth,
      }));
      // Grown by a fifth at least, or as wide as the column.
      expect(sizes.shown).toBeGreaterThanOrEqual(Math.min(1.2 * sizes.own, sizes.column));
    }
    await select('norm');
    expect((await readDrawing()).gateLabels.sort()).toEqual(['*', 'L2']);
    // ‖W·x‖² at the lecture's numbers: W·x = [0.22, 0.26], f = 0.22² + 0.26² = 0.116.
    const f = await page.$eval('#circuit-drawing svg path.wire.output', (p) => {
      const label = (p as SVGPathElement).ownerSVGElement?.querySelector(
        `g.wire-label[data-node="${(p as SVGPathElement).dataset.from}"] text.value`,
      );
      return label?.textContent;
    });
    expect(f).toBe((0.22 ** 2 + 0.26 ** 2).toFixed(3));
  });

  it('writes inputs with the drawing’s minus and titles the drawing with the inputs as edited', async () => {
    await select('xyz');
    expect(await page.inputValue('#circuit-inputs input[name="x"]')).toBe('−2');
    await fill('x', '1');
    let drawn = await readDrawing();
    expect(drawn.title).toBe('f(x, y, z) = (x + y)·z at x = 1, y = 5, z = −4');
    expect(drawn.title).not.toContain('x = −2');
    await fill('x', '−3'); // the typographic minus is read as a minus
    drawn = await readDrawing();
    expect(drawn.error).toBe('');
    expect(drawn.title).toBe('f(x, y, z) = (x + y)·z at x = −3, y = 5, z = −4');
    await fill('x', '-2');
    expect((await readDrawing()).title).toBe('f(x, y, z) = (x + y)·z at x = −2, y = 5, z = −4');
  });
});

describe('stepping through the backward pass', () => {
  /** Start, then Next through every gate, reading the drawing after each step. */
  async function walk(): Promise<Drawn[]> {
    await page.click('#step-start');
    const steps = [await readDrawing()];
    while (!(await page.isDisabled('#step-next'))) {
      await page.click('#step-next');
      steps.push(await readDrawing());
    }
    return steps;
  }

  it('(x + y)·z: mul switches, then add distributes, gradients only on wires reached', async () => {
    await select('xyz');
    const [x, y, z] = [-2, 5, -4];
    const q = x + y;
    const steps = await walk();
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2]);
    expect(steps.map((s) => s.active)).toEqual([[], ['mul'], ['add']]);
    // Before any gate only f's wire has df/df = 1; each gate then reaches its inputs' wires.
    expect(steps.map((s) => s.gradWires)).toEqual([1, 3, 5]);
    expect(steps[0]?.rule).toMatch(/^The backward pass starts at the output/);
    // mul switches: q gets z·1, z gets q·1.
    expect(steps[1]?.rule).toMatch(/^mul switches/);
    expect(steps[1]?.rule).toContain(
      `the + gate's output gets 1·(${String(z).replace('-', '−')}) = ${String(z * 1).replace('-', '−')}, z gets 1·${q} = ${q * 1}.`,
    );
    expect(steps[1]?.operandGrads).toEqual([String(z * 1), String(q * 1)].map((s) => s.replace('-', '−')).sort());
    // add distributes: x and y each get df/dq = z.
    expect(steps[2]?.rule).toMatch(/^add distributes/);
    expect(steps[2]?.operandGrads).toEqual([String(z), String(z)].map((s) => s.replace('-', '−')));
    // Back returns to the step before, exactly.
    await page.click('#step-back');
    expect(await readDrawing()).toEqual(steps[1]);
    await screenshot('circuits-step');
  });

  it('2·(x·y + max(z, w)): max routes to the larger input', async () => {
    await select('circuit2');
    const [x, y, z, w] = [3, -4, 2, -1];
    const steps = await walk();
    expect(steps.map((s) => s.active[0] ?? '')).toEqual(['', 'scale', 'add', 'max', 'mul']);
    const g = 2; // d(2·s)/ds
    expect(steps[1]?.rule).toMatch(/^multiply by a constant/);
    expect(steps[2]?.rule).toMatch(/^add distributes/);
    expect(steps[2]?.operandGrads).toEqual([String(g), String(g)]);
    expect(steps[3]?.rule).toMatch(/^max routes: the larger input, z = 2/);
    expect(steps[3]?.operandGrads).toEqual([String(z > w ? 0 : g), String(z > w ? g : 0)].sort());
    expect(steps[4]?.rule).toMatch(/^mul switches/);
    expect(steps[4]?.operandGrads).toEqual([String(g * y), String(g * x)].map((s) => s.replace('-', '−')).sort());
  });

  it("the sigmoid neuron of primitive gates: each gate's local derivative, in reverse topological order", async () => {
    await select('neuron');
    await page.check('input[name="gates"][value="neuron"]');
    const [w0, x0, w1, x1, w2] = [2, -1, -3, -2, -3];
    const dot = w0 * x0 + w1 * x1 + w2;
    const e = Math.exp(-dot);
    const d = 1 + e;
    const dd = -1 / (d * d); // 1/x: −1/x²
    const ds = e * dd; // exp: eˣ
    const ddot = -ds; // ·(−1)
    const steps = await walk();
    expect(steps.map((s) => s.active[0] ?? '')).toEqual(['', 'recip', 'offset', 'exp', 'scale', 'add', 'add', 'mul', 'mul']);
    expect(steps.map((s) => s.gradWires)).toEqual([1, 2, 3, 4, 5, 7, 9, 11, 13]);
    const rules = steps.slice(1).map((s) => s.rule);
    expect(rules[0]).toMatch(/^1\/x: d\(1\/x\)\/dx = −1\/x²/);
    expect(rules[1]).toMatch(/^add a constant/);
    expect(rules[2]).toMatch(/^exp: d\(eˣ\)\/dx = eˣ/);
    expect(rules[3]).toMatch(/^multiply by a constant/);
    const grads = steps.slice(1).map((s) => s.operandGrads);
    expect(grads.slice(0, 6)).toEqual([[two(dd)], [two(dd)], [two(ds)], [two(ddot)], [two(ddot), two(ddot)], [two(ddot), two(ddot)]]);
    // mul switches: w1·x1 is the later product, so backward reaches it first.
    expect(grads[6]).toEqual([two(ddot * x1), two(ddot * w1)].sort());
    expect(grads[7]).toEqual([two(ddot * x0), two(ddot * w0)].sort());
  });

  it('the σ-gate neuron: σ′ = σ(1 − σ) in one step', async () => {
    await page.check('input[name="gates"][value="neuron-sigmoid"]');
    const steps = await walk();
    expect(steps.map((s) => s.active[0] ?? '')).toEqual(['', 'sigmoid', 'add', 'add', 'mul', 'mul']);
    const sigma = 1 / (1 + Math.exp(-1));
    expect(steps[1]?.rule).toContain(`σ(1 − σ) = ${two(sigma * (1 - sigma))}`);
    expect(steps[1]?.operandGrads).toEqual([two(sigma * (1 - sigma))]);
    expect(steps.at(-1)?.gradWires).toBe(10);
    // At the end of one version is at the end of the other: all 13 wires of the primitive neuron.
    await page.check('input[name="gates"][value="neuron"]');
    expect((await readDrawing()).gradWires).toBe(13);
    await page.check('input[name="gates"][value="neuron-sigmoid"]');
  });
});

describe('a domain error', () => {
  it('speaks plainly, marks the drawing stale for the drawn circuit only, and clears once fixed', async () => {
    await select('neuron');
    await page.check('input[name="gates"][value="neuron"]');
    if (!(await page.isDisabled('#step-end'))) await page.click('#step-end');
    const before = await readDrawing();
    expect(before.stale).toBe(false);
    expect(before.staleMarkShown).toBe(false);
    // w0 = 800: w0·x0 + w1·x1 + w2 = −797, and e^797 overflows.
    await fill('w0', '800');
    const broken = await readDrawing();
    expect(broken.error).toMatch(/^e\^797 is too large for a number/);
    expect(broken.error).not.toMatch(/#\d|scale|forward/);
    expect(broken.stale).toBe(true);
    expect(broken.staleMarkShown).toBe(true);
    expect(broken.title).toContain('w0 = 2'); // the old drawing, marked as such
    await screenshot('circuits-stale');
    // The σ gate computes the same neuron without the overflowing exp: no error, a fresh drawing.
    await page.check('input[name="gates"][value="neuron-sigmoid"]');
    const sigmoid = await readDrawing();
    expect(sigmoid.error).toBe('');
    expect(sigmoid.stale).toBe(false);
    expect(sigmoid.title).toContain('w0 = 800');
    await page.check('input[name="gates"][value="neuron"]');
    expect((await readDrawing()).stale).toBe(true);
    await fill('w0', '2');
    const fixed = await readDrawing();
    expect(fixed.error).toBe('');
    expect(fixed.stale).toBe(false);
    expect(fixed.staleMarkShown).toBe(false);
    expect(fixed.title).toContain('w0 = 2');
  });

  it('a field that is not a number marks the drawing stale too', async () => {
    await fill('x0', 'abc');
    const drawn = await readDrawing();
    expect(drawn.error).toBe('x0 must be a number.');
    expect(drawn.stale).toBe(true);
    await fill('x0', '−1');
    expect((await readDrawing()).stale).toBe(false);
  });
});

describe('at a 360 px phone', () => {
  it('the page never scrolls sideways, whichever circuit is drawn', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    for (const circuit of ['xyz', 'circuit2', 'neuron', 'norm']) {
      await select(circuit);
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        viewport: document.documentElement.clientWidth,
        box: (document.getElementById('circuit-drawing') as HTMLElement).getBoundingClientRect().right,
      }));
      expect(widths.page, circuit).toBeLessThanOrEqual(widths.viewport);
      expect(widths.box, circuit).toBeLessThanOrEqual(widths.viewport);
      await screenshot(`circuits-360-${circuit}`);
    }
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('no console errors in the whole visit', () => {
    expect(problems).toEqual([]);
  });
});
