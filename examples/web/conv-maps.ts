// What a convolutional network has learned and what it sees, drawn as ConvNetJS draws it:
// the first layer's filters as small grey images, and every layer's output for one digit,
// a grey image per channel (black the layer's least value, white its largest), the
// classifier's output as probabilities. Redrawn after every update while it trains, so the
// canvases are made once and only their pixels change.
import { ProbabilityBars } from './probability-bars';
import { softmaxRows } from './softmax';
import type { LayerOutput } from './trainer';

/** About how wide a map and a filter are drawn, in CSS px, whatever their size in pixels. */
const MAP_PX = 56;
const FILTER_PX = 40;

/** A canvas of w × h pixels, drawn `cssPx` wide, each pixel a square. */
function makeCanvas(w: number, h: number, cssPx: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${cssPx}px`;
  canvas.style.height = `${(cssPx * h) / w}px`;
  return canvas;
}

/** Paints `values` (its w × h pixels) on `canvas` in grey, lo black and hi white. */
function paintGrey(canvas: HTMLCanvasElement, values: Float32Array, lo: number, hi: number): void {
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const image = ctx.createImageData(canvas.width, canvas.height);
  const span = hi - lo || 1;
  for (let i = 0; i < values.length; i++) {
    const level = Math.round((((values[i] as number) - lo) / span) * 255);
    image.data.set([level, level, level, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

function range(data: Float32Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

/** The filters of a first convolution, weight [out, 1, kh, kw]: each scaled on its own, as its pattern is what matters. */
export function drawFilters(box: HTMLElement, weight: { shape: number[]; data: Float32Array }): void {
  const [out, inChannels, kh, kw] = weight.shape as [number, number, number, number];
  if (box.childElementCount !== out) box.replaceChildren(...Array.from({ length: out }, () => makeCanvas(kw, kh, FILTER_PX)));
  const size = inChannels * kh * kw;
  [...box.children].forEach((canvas, k) => {
    const filter = weight.data.subarray(k * size, k * size + kh * kw); // its first (here: only) input channel
    const [lo, hi] = range(filter);
    paintGrey(canvas as HTMLCanvasElement, filter, lo, hi);
    (canvas as HTMLElement).title = `filter ${k + 1}: weights from ${lo.toFixed(3)} (black) to ${hi.toFixed(3)} (white)`;
  });
  box.dataset.filters = String(out);
}

interface Row {
  element: HTMLElement;
  canvases: HTMLCanvasElement[];
  bars: ProbabilityBars | null;
}

/** The input digit and every layer's output for it, in rows made at the first draw (Flatten, the same numbers as the layer before, left out). */
export class LayerMaps {
  private rows: Row[] = [];

  constructor(private readonly box: HTMLElement) {}

  draw(input: Float32Array, outputs: LayerOutput[]): void {
    const shown: LayerOutput[] = [{ layer: 'input', shape: [1, 28, 28], data: input }, ...outputs.filter((o) => o.layer !== 'Flatten')];
    if (this.rows.length !== shown.length) {
      this.rows = shown.map((output) => makeRow(output));
      this.box.replaceChildren(...this.rows.map((row) => row.element));
    }
    shown.forEach((output, i) => {
      const row = this.rows[i] as Row;
      if (row.bars !== null) {
        row.bars.show(softmaxRows(output.data, output.data.length));
        return;
      }
      const [lo, hi] = output.layer === 'input' ? [0, 1] : range(output.data);
      const size = output.data.length / row.canvases.length;
      row.canvases.forEach((canvas, c) => {
        paintGrey(canvas, output.data.subarray(c * size, (c + 1) * size), lo, hi);
      });
      row.element.title = `values from ${lo.toFixed(3)} (black) to ${hi.toFixed(3)} (white)`;
    });
  }
}

function makeRow(output: LayerOutput): Row {
  const element = document.createElement('div');
  element.className = 'layer';
  const maps = document.createElement('div');
  maps.className = 'maps';
  const title = document.createElement('p');
  let canvases: HTMLCanvasElement[] = [];
  let bars: ProbabilityBars | null = null;
  if (output.shape.length === 3) {
    const [c, h, w] = output.shape as [number, number, number];
    canvases = Array.from({ length: c }, () => makeCanvas(w, h, MAP_PX));
    maps.append(...canvases);
    element.dataset.layer = output.layer;
    title.textContent = `${output.layer}: ${output.shape.join(' × ')}`;
  } else {
    const box = document.createElement('div');
    bars = new ProbabilityBars(box, output.data.length);
    maps.append(box);
    element.dataset.layer = `${output.layer} → softmax`;
    title.textContent = `${output.layer} → softmax: ${output.shape.join(' × ')}`;
  }
  element.append(title, maps);
  return { element, canvases, bars };
}
