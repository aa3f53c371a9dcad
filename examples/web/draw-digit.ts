// "Draw your own digit": the pad (draw-pad.ts), the digit as the network sees it (brought to
// MNIST's form by mnist-preprocess.ts) and the network's probability for each class as
// bars, asked again as the visitor draws (at most every THROTTLE_MS) and after the network
// has trained further.
import { DrawPad } from './draw-pad';
import { PIXELS, SIDE } from './mnist-data';
import { toMnist } from './mnist-preprocess';
import { ProbabilityBars } from './probability-bars';
import { softmaxRows } from './softmax';

/** The least time between two questions to the network while drawing. */
const THROTTLE_MS = 100;

export interface DrawElements {
  pad: HTMLCanvasElement;
  clear: HTMLButtonElement;
  /** A SIDE × SIDE canvas: the network's input. */
  seen: HTMLCanvasElement;
  /** Gets a row per class. */
  bars: HTMLElement;
  verdict: HTMLElement;
}

/** Sets the section up; `refresh` asks the network again (call it when it has trained). */
export function drawDigit(ui: DrawElements, scores: (x: Float32Array) => Promise<Float32Array>): { refresh(): void } {
  const bars = new ProbabilityBars(ui.bars);
  const seenCtx = ui.seen.getContext('2d') as CanvasRenderingContext2D;
  const seenImage = seenCtx.createImageData(SIDE, SIDE);

  const show = (input: Float32Array | null, p: Float32Array | null) => {
    for (let i = 0; i < PIXELS; i++) {
      const level = 255 - Math.round((input?.[i] ?? 0) * 255);
      seenImage.data.set([level, level, level, 255], 4 * i);
    }
    seenCtx.putImageData(seenImage, 0, 0);
    const best = bars.show(p);
    if (p === null || best === null) {
      delete ui.verdict.dataset.predicted;
      ui.verdict.textContent = 'Draw a digit from 0 to 9 in the box.';
    } else {
      ui.verdict.dataset.predicted = String(best);
      ui.verdict.textContent = `The network says ${best} (${((p[best] as number) * 100).toFixed(1)}% sure).`;
    }
  };

  // One question at a time; a drawing changed meanwhile is asked about when the answer comes.
  let asking = false;
  let again = false;
  const ask = async () => {
    if (asking) {
      again = true;
      return;
    }
    asking = true;
    // Busy until the answer is about the drawing as it is now (the tests wait for that too).
    ui.verdict.setAttribute('aria-busy', 'true');
    try {
      do {
        again = false;
        const started = performance.now();
        const { ink, side } = pad.inkLevels();
        const input = toMnist(ink, side, side);
        show(input, input === null ? null : softmaxRows(await scores(input), 10));
        const wait = THROTTLE_MS - (performance.now() - started);
        if (again && wait > 0) await new Promise((done) => setTimeout(done, wait));
      } while (again);
    } catch (error) {
      console.error(error);
    } finally {
      asking = false;
      ui.verdict.setAttribute('aria-busy', 'false');
    }
  };

  const pad = new DrawPad(ui.pad, () => void ask());
  ui.clear.addEventListener('click', () => pad.clear());
  show(null, null);
  return {
    refresh() {
      if (!pad.empty) void ask();
    },
  };
}
