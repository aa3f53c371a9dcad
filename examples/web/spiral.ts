// Section 2: the CS231n spiral, trained in a Worker (trainer.ts) as fast or as slowly as the
// visitor likes: after every update the page asks the worker for the class of every point
// of a grid and paints the decision regions, and plots the loss of every iteration. A click
// (or tap) on the plane adds a point of the chosen class to the training data, as in
// ConvNetJS's 2-D demo; the L2 strength applies at once, the hidden layer's size and
// activation from the next reset (they make another network).

import { datasets, nn } from 'wasmgrad';
import { ACTIVATIONS, type ActivationName } from './activations';
import { argmax } from './argmax';
import { LineChart } from './chart';
import { type SectionHandle, Trainer } from './trainer';
import { onSetting, type Speed, trainingControls } from './training-controls';

const CLASSES = 3;
/** The regions are painted from GRID × GRID predictions over [−EXTENT, EXTENT]². */
const GRID = 100;
const EXTENT = 1.1;
/** The classes' colors: the page's palette (style.css). */
const POINT = ['#1f5fae', '#d62020', '#1a8a1a'];
/** The regions' colors, opaque RGBA. */
const REGION = [
  [200, 218, 242, 255],
  [246, 205, 203, 255],
  [204, 234, 212, 255],
];
/** From one iteration every half second (to watch the regions move) to as fast as the worker goes. */
const SPEEDS: Speed[] = [
  { label: '2 iterations a second', steps: 1, waitMs: 500 },
  { label: '10 iterations a second', steps: 1, waitMs: 100 },
  { label: '1 iteration a frame', steps: 1 },
  { label: '10 iterations a frame', steps: 10 },
  { label: '50 iterations a frame', steps: 50 },
  { label: '200 iterations a frame', steps: 200 },
];

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The net: 2 → hidden → classes, its weights seeded (the same net every time it is made). */
function spiralNet(hidden: number, activation: ActivationName): nn.Sequential {
  return new nn.Sequential([new nn.Linear(2, hidden, { seed: 1 }), ACTIVATIONS[activation](), new nn.Linear(hidden, CLASSES, { seed: 2 })]);
}

/** The spiral's handle for the tests: also the trainer, to read a parameter's shape. */
export interface SpiralHandle extends SectionHandle {
  trainer(): Trainer;
}

export async function setupSpiral(): Promise<SpiralHandle> {
  const section = byId<HTMLElement>('spiral');
  const canvas = byId<HTMLCanvasElement>('spiral-regions');
  const lrInput = byId<HTMLInputElement>('spiral-lr');
  const l2Input = byId<HTMLInputElement>('spiral-l2');
  const hiddenInput = byId<HTMLInputElement>('spiral-hidden');
  const activationSelect = byId<HTMLSelectElement>('spiral-activation');
  const removeButton = byId<HTMLButtonElement>('spiral-remove-points');
  const status = byId<HTMLElement>('spiral-status');
  const out = {
    iteration: byId<HTMLOutputElement>('spiral-iteration'),
    loss: byId<HTMLOutputElement>('spiral-loss-value'),
    accuracy: byId<HTMLOutputElement>('spiral-accuracy'),
    stall: byId<HTMLOutputElement>('spiral-stall'),
  };
  const chart = new LineChart(byId('spiral-loss'), {
    xTitle: 'iteration',
    yTitle: 'loss',
    series: [{ label: 'training loss', color: 'var(--accent)' }],
    xSpan: 1000,
    yRange: 'zero',
  });

  const spiral = datasets.spiral({ classes: CLASSES, pointsPerClass: 100, seed: 0 });
  // The spiral's points, then the visitor's: x, y of each, and its class.
  const spiralPoints = Array.from(spiral.x.data);
  const spiralLabels = Array.from(spiral.y);
  spiral.x.dispose();
  const points = [...spiralPoints];
  const labels = [...spiralLabels];
  const grid = new Float32Array(GRID * GRID * 2);
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      grid[2 * (row * GRID + col)] = -EXTENT + ((col + 0.5) / GRID) * 2 * EXTENT; // x, left to right
      grid[2 * (row * GRID + col) + 1] = EXTENT - ((row + 0.5) / GRID) * 2 * EXTENT; // y, bottom to top
    }
  }

  let classes: Uint8Array | null = null;
  // Made once: a context, an image and a canvas of the grid's size are not free to make at every update.
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const image = new ImageData(GRID, GRID);
  const small = new OffscreenCanvas(GRID, GRID);
  const smallCtx = small.getContext('2d') as OffscreenCanvasRenderingContext2D;
  function paint(): void {
    const { width, height } = canvas;
    ctx.fillStyle = '#f4f4f4';
    ctx.fillRect(0, 0, width, height);
    if (classes !== null) {
      for (let i = 0; i < classes.length; i++) image.data.set(REGION[classes[i] as number] as number[], 4 * i);
      // Painted at the grid's size, then scaled up without smoothing: one square per prediction.
      smallCtx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, width, height);
    }
    // The canvas holds devicePixelRatio pixels per CSS pixel: dots keep their size on any screen.
    const dpr = width / Math.max(1, canvas.clientWidth);
    for (let i = 0; i < labels.length; i++) {
      const px = ((points[2 * i] as number) + EXTENT) / (2 * EXTENT);
      const py = (EXTENT - (points[2 * i + 1] as number)) / (2 * EXTENT);
      ctx.beginPath();
      ctx.arc(px * width, py * height, 3.2 * dpr, 0, 2 * Math.PI);
      ctx.fillStyle = POINT[labels[i] as number] as string;
      ctx.fill();
      // The visitor's points are ringed in black, the spiral's in white.
      ctx.strokeStyle = i >= spiralLabels.length ? '#000' : '#fff';
      ctx.lineWidth = 0.8 * dpr;
      ctx.stroke();
    }
  }
  new ResizeObserver(([entry]) => {
    const size = Math.round((entry?.contentRect.width ?? 300) * devicePixelRatio);
    if (size === canvas.width || size === 0) return;
    canvas.width = canvas.height = size;
    paint();
  }).observe(canvas);

  const rows = () => ({ x: Float32Array.from(points), y: Int32Array.from(labels) });
  /** The hidden layer the running network was made with, and the one asked for (valid values only) for the next reset. */
  let made = { hidden: Number(hiddenInput.value), activation: activationSelect.value as ActivationName };
  const asked = { ...made };
  // Full-batch gradient descent, as the case study: every iteration sees every point.
  const start = () =>
    Trainer.start({
      model: spiralNet(made.hidden, made.activation),
      features: 2,
      train: rows(),
      sgd: { lr: Number(lrInput.value), weightDecay: Number(l2Input.value) },
      batchSize: labels.length,
      shuffle: false,
      // Its matrices (300 × 2 × 100) are too small to split: a second thread would only take
      // the core the page draws on.
      threads: 1,
    });
  let trainer = await start();
  /** The network Reset is making (another hidden layer), and the ones it replaced. */
  let starting: Promise<Trainer> | null = null;
  const retired = new WeakSet<Trainer>();

  /** The points changed: the worker trains on them from its next iteration. */
  const sendPoints = async () => {
    canvas.dataset.points = String(labels.length);
    removeButton.disabled = labels.length === spiralLabels.length;
    paint();
    let target: Trainer | null = null;
    try {
      // To the network being made, if Reset is making one: the current one is about to go.
      target = await (starting ?? trainer);
      await target.setData(rows(), labels.length);
    } catch (error) {
      // A network Reset replaced meanwhile: its successor was made from these points.
      if (target === null || !retired.has(target)) console.error(error);
    }
  };
  canvas.addEventListener('click', (event) => {
    const box = canvas.getBoundingClientRect();
    const x = -EXTENT + ((event.clientX - box.left) / box.width) * 2 * EXTENT;
    const y = EXTENT - ((event.clientY - box.top) / box.height) * 2 * EXTENT;
    const chosen = section.querySelector<HTMLInputElement>('input[name="spiral-class"]:checked');
    points.push(x, y);
    labels.push(Number(chosen?.value ?? 0));
    void sendPoints();
  });
  removeButton.addEventListener('click', () => {
    points.length = spiralPoints.length;
    labels.length = spiralLabels.length;
    void sendPoints();
  });
  removeButton.disabled = true;
  canvas.dataset.points = String(labels.length);

  const stall = pauseWatch(out.stall);
  /** Regions, accuracy and the numbers of the model as it is now. */
  async function show(iteration: number): Promise<void> {
    const [scores, { accuracy }] = await Promise.all([trainer.predict(grid), trainer.evaluate('train')]);
    out.accuracy.dataset.points = String(labels.length);
    classes = argmax(scores, CLASSES);
    paint();
    out.iteration.value = String(iteration);
    out.accuracy.value = `${(accuracy * 100).toFixed(1)}%`;
    out.accuracy.dataset.value = String(accuracy);
  }

  trainingControls(
    section,
    {
      play: byId('spiral-play'),
      step: byId('spiral-step'),
      reset: byId('spiral-reset'),
      speed: byId('spiral-speed'),
      speedText: byId('spiral-speed-text'),
      status,
    },
    {
      async step(count) {
        stall.watch();
        const { losses, step } = await trainer.steps(count);
        for (const [i, loss] of losses.entries()) chart.add(0, step - count + i + 1, loss);
        out.loss.value = (losses.at(-1) as number).toFixed(4);
        await show(step);
        status.textContent = '';
      },
      async reset() {
        if (asked.hidden !== made.hidden || asked.activation !== made.activation) {
          // Another hidden layer is another network: a new worker, from its own initial weights.
          retired.add(trainer);
          trainer.terminate();
          made = { ...asked };
          starting = start();
          trainer = await starting;
          starting = null;
        } else await trainer.reset();
        chart.clear();
        stall.reset();
        out.loss.value = '–';
        await show(0);
        status.textContent = 'Back to the initial weights.';
      },
    },
    SPEEDS,
  );
  onSetting(lrInput, status, { name: 'step size' }, (lr) => trainer.set({ lr }));
  onSetting(l2Input, status, { name: 'L2 strength', zero: true }, (weightDecay) => trainer.set({ weightDecay }));
  // Kept for the next reset: another hidden layer is another network.
  onSetting(hiddenInput, status, { name: 'hidden size', integer: true, when: 'from the next reset' }, async (hidden) => {
    asked.hidden = hidden;
  });
  activationSelect.addEventListener('change', () => {
    asked.activation = activationSelect.value as ActivationName;
    status.textContent = `The activation is ${activationSelect.value} from the next reset.`;
  });
  await show(0);
  return { weightsHash: () => trainer.weightsHash(), trainer: () => trainer };
}

/**
 * The longest the page's own thread went without running a timer while training (the
 * worker computes; this thread only draws): shown in `output`, its number in data-value.
 * It watches while steps come, and stops a second after the last.
 */
function pauseWatch(output: HTMLOutputElement) {
  let longest = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = 0;
  let lastStep = 0;
  const show = () => {
    output.value = `${Math.round(longest)} ms`;
    output.dataset.value = String(longest);
  };
  return {
    watch() {
      lastStep = performance.now();
      if (timer !== undefined) return;
      last = lastStep;
      timer = setInterval(() => {
        const now = performance.now();
        if (now - last > longest) {
          longest = now - last;
          show();
        }
        last = now;
        if (now - lastStep > 1000) {
          clearInterval(timer);
          timer = undefined;
        }
      }, 10);
    },
    reset() {
      longest = 0;
      output.value = '–';
      delete output.dataset.value;
    },
  };
}
