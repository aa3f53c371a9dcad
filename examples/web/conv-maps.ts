// What a convolutional network has learned and what it sees, drawn as ConvNetJS draws it:
// the first layer's filters as small grey images, and every layer's output for one digit,
// a grey image per channel (black the layer's least value, white its largest), the
// classifier's output as probabilities.
import { ProbabilityBars } from './probability-bars';
import { softmaxRows } from './softmax';
import type { LayerOutput } from './trainer';

/** How many CSS px a map's pixel takes, so that a map is about this wide whatever its size. */
const MAP_PX = 56;
const FILTER_PX = 40;

/** Grey images of `count` maps of h × w values each, one after another, scaled together from lo (black) to hi (white). */
function grey(data: Float32Array, count: number, h: number, w: number, lo: number, hi: number, cssPx: number): HTMLCanvasElement[] {
  const span = hi - lo || 1;
  return Array.from({ length: count }, (_, k) => {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.style.width = `${cssPx}px`;
    canvas.style.height = `${(cssPx * h) / w}px`;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    const image = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      const level = Math.round((((data[k * h * w + i] as number) - lo) / span) * 255);
      image.data.set([level, level, level, 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
    return canvas;
  });
}

function range(data: Float32Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

/** The filters of a first convolution, weight [out, 1, kh, kw]: each scaled on its own, as its sign pattern is what matters. */
export function drawFilters(box: HTMLElement, weight: { shape: number[]; data: Float32Array }): void {
  const [out, inChannels, kh, kw] = weight.shape as [number, number, number, number];
  const size = inChannels * kh * kw;
  const canvases = Array.from({ length: out }, (_, k) => {
    const filter = weight.data.subarray(k * size, k * size + kh * kw); // its first (here: only) input channel
    const [lo, hi] = range(filter);
    const [canvas] = grey(filter, 1, kh, kw, lo, hi, FILTER_PX) as [HTMLCanvasElement];
    canvas.title = `filter ${k + 1}: weights from ${lo.toFixed(3)} (black) to ${hi.toFixed(3)} (white)`;
    return canvas;
  });
  box.replaceChildren(...canvases);
  box.dataset.filters = String(out);
}

/** The input digit and every layer's output for it (Flatten, the same numbers as the layer before, left out). */
export function drawLayers(box: HTMLElement, input: Float32Array, outputs: LayerOutput[]): void {
  const rows: HTMLElement[] = [layerRow('input', [1, 28, 28], grey(input, 1, 28, 28, 0, 1, MAP_PX))];
  for (const output of outputs) {
    if (output.layer === 'Flatten') continue;
    if (output.shape.length === 3) {
      const [c, h, w] = output.shape as [number, number, number];
      const [lo, hi] = range(output.data);
      const row = layerRow(output.layer, output.shape, grey(output.data, c, h, w, lo, hi, MAP_PX));
      row.title = `values from ${lo.toFixed(3)} (black) to ${hi.toFixed(3)} (white)`;
      rows.push(row);
    } else {
      const bars = document.createElement('div');
      new ProbabilityBars(bars, output.data.length).show(softmaxRows(output.data, output.data.length));
      rows.push(layerRow(`${output.layer} → softmax`, output.shape, [bars]));
    }
  }
  box.replaceChildren(...rows);
}

function layerRow(name: string, shape: number[], items: HTMLElement[]): HTMLElement {
  const row = document.createElement('div');
  row.className = 'layer';
  row.dataset.layer = name;
  row.dataset.channels = String(shape.length === 3 ? shape[0] : 1);
  const title = document.createElement('p');
  title.textContent = `${name}: ${shape.join(' × ')}`;
  const maps = document.createElement('div');
  maps.className = 'maps';
  maps.append(...items);
  row.append(title, maps);
  return row;
}
