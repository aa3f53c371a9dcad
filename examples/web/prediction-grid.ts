// The test digits a trained network gets wrong, and some it gets right: after each epoch,
// a grid of digits, each with the network's probability for every class as ten bars, the
// class it picks and the true one written under it. Its most confident mistakes come
// first, then a fixed spread of the test set (the same digits every epoch, to watch them
// settle); a mistake is framed in the gradients' red.
import { argmax } from './argmax';
import { PIXELS, SIDE } from './mnist-data';
import type { TestScore } from './trainer';

export interface GridOptions {
  /** How many digits the grid shows. */
  shown: number;
  /** At most this many of them are mistakes. */
  mistakes: number;
}

interface Cell {
  figure: HTMLElement;
  image: ImageData;
  ctx: CanvasRenderingContext2D;
  bars: HTMLElement[];
  predicted: HTMLElement;
  truth: HTMLElement;
}

export class PredictionGrid {
  private readonly cells: Cell[];
  /** The fixed part of the sample: every (test / shown)th test digit. */
  private readonly fixed: number[];

  /** `pixels`: the test digits, 784 grey levels in [0, 1] each; `labels`: their classes. */
  constructor(
    box: HTMLElement,
    private readonly summary: HTMLElement,
    private readonly pixels: Float32Array,
    private readonly labels: Int32Array,
    private readonly options: GridOptions,
  ) {
    const every = Math.max(1, Math.floor(labels.length / options.shown));
    this.fixed = Array.from({ length: Math.min(options.shown, labels.length) }, (_, i) => i * every);
    this.cells = this.fixed.map(() => makeCell(box));
  }

  /** Shows what the network said of the test set after `epoch` (0: untrained). */
  show(score: TestScore, epoch: number): void {
    const { probabilities: p, classes } = score;
    const picks = argmax(p, classes);
    const wrong: Array<{ index: number; confidence: number }> = [];
    for (let i = 0; i < this.labels.length; i++) {
      const pick = picks[i] as number;
      if (pick !== this.labels[i]) wrong.push({ index: i, confidence: p[i * classes + pick] as number });
    }
    wrong.sort((a, b) => b.confidence - a.confidence);
    const mistakes = wrong.slice(0, this.options.mistakes).map((w) => w.index);
    const shown = [...mistakes, ...this.fixed.filter((i) => !mistakes.includes(i))].slice(0, this.cells.length);

    const count = wrong.length;
    const total = this.labels.length;
    this.summary.dataset.mistakes = String(count);
    this.summary.dataset.epoch = String(epoch);
    this.summary.textContent =
      `${epoch === 0 ? 'Untrained' : `After epoch ${epoch}`}: ${count.toLocaleString('en')} of ${total.toLocaleString('en')} test digits wrong. ` +
      (count === 0
        ? 'Shown: a fixed sample of the test digits.'
        : `Shown: the ${mistakes.length === 1 ? 'mistake' : `${mistakes.length} mistakes`} it is surest of, then a fixed sample of the test digits.`);
    shown.forEach((index, k) => {
      this.draw(this.cells[k] as Cell, index, p.subarray(index * classes, (index + 1) * classes), picks[index] as number);
    });
  }

  private draw(cell: Cell, index: number, probabilities: Float32Array, pick: number): void {
    const label = this.labels[index] as number;
    const right = pick === label;
    if (cell.figure.dataset.index !== String(index)) {
      for (let p = 0; p < PIXELS; p++) {
        const ink = 255 - Math.round((this.pixels[index * PIXELS + p] as number) * 255);
        cell.image.data.set([ink, ink, ink, 255], 4 * p);
      }
      cell.ctx.putImageData(cell.image, 0, 0);
    }
    Object.assign(cell.figure.dataset, { index: String(index), label: String(label), predicted: String(pick) });
    cell.figure.classList.toggle('wrong', !right);
    cell.figure.title = `test digit ${index + 1}: a ${label}; the network says ${pick} (${percent(probabilities[pick] as number)})`;
    cell.bars.forEach((bar, c) => {
      const value = probabilities[c] as number;
      bar.style.height = `${(value * 100).toFixed(1)}%`;
      bar.dataset.p = String(value);
      bar.className = c === pick ? (right ? 'pick' : 'pick wrong') : c === label ? 'truth' : '';
    });
    cell.predicted.textContent = `says ${pick}`;
    cell.truth.textContent = `is a ${label} ${right ? '✓' : '✗'}`;
  }
}

const percent = (p: number) => `${(p * 100).toFixed(1)}%`;

function makeCell(box: HTMLElement): Cell {
  const figure = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIDE;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const bars = document.createElement('div');
  bars.className = 'bars';
  bars.setAttribute('aria-hidden', 'true');
  const barList = Array.from({ length: 10 }, () => {
    const bar = document.createElement('span');
    bars.append(bar);
    return bar;
  });
  // The classes under their bars.
  const classes = document.createElement('div');
  classes.className = 'bar-labels';
  classes.setAttribute('aria-hidden', 'true');
  for (let c = 0; c < 10; c++) classes.append(Object.assign(document.createElement('span'), { textContent: String(c) }));
  const caption = document.createElement('figcaption');
  const predicted = document.createElement('b');
  predicted.className = 'says';
  const truth = document.createElement('span');
  truth.className = 'is';
  caption.append(predicted, truth);
  figure.append(canvas, bars, classes, caption);
  box.append(figure);
  return { figure, image: ctx.createImageData(SIDE, SIDE), ctx, bars: barList, predicted, truth };
}
