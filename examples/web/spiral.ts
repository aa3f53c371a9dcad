// Section 2: the CS231n spiral, trained in a Worker (nn.worker) a few iterations at a time;
// between calls the page asks the worker for the class of every point of a grid and paints
// the decision regions, and plots the loss of every iteration.
import { datasets, nn } from 'wasmgrad';
import { lineChart } from './chart';
import { onTrain } from './training-button';

const CLASSES = 3;
/** Full-batch iterations per call into the worker, between redraws. */
const CHUNK = 20;
/** The regions are painted from GRID × GRID predictions over [−EXTENT, EXTENT]². */
const GRID = 100;
const EXTENT = 1.1;
const POINT = ['#1f5fae', '#c8322e', '#2b8a4b'];
const REGION = [
  [200, 218, 242],
  [246, 205, 203],
  [204, 234, 212],
];

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setupSpiral(): void {
  const section = byId<HTMLElement>('spiral');
  const button = byId<HTMLButtonElement>('spiral-train');
  const iterationsInput = byId<HTMLInputElement>('spiral-iterations');
  const status = byId<HTMLElement>('spiral-status');
  const canvas = byId<HTMLCanvasElement>('spiral-regions');
  const chart = byId<HTMLElement>('spiral-loss');
  const out = {
    iteration: byId<HTMLOutputElement>('spiral-iteration'),
    loss: byId<HTMLOutputElement>('spiral-loss-value'),
    accuracy: byId<HTMLOutputElement>('spiral-accuracy'),
    stall: byId<HTMLOutputElement>('spiral-stall'),
  };

  const spiral = datasets.spiral({ classes: CLASSES, pointsPerClass: 100, seed: 0 });
  const points = spiral.x.data.slice();
  spiral.x.dispose();
  const data = { x: { data: points, shape: [points.length / 2, 2] }, y: spiral.y };
  const grid = new Float32Array(GRID * GRID * 2);
  for (let row = 0; row < GRID; row++) {
    for (let col = 0; col < GRID; col++) {
      grid[2 * (row * GRID + col)] = -EXTENT + ((col + 0.5) / GRID) * 2 * EXTENT; // x, left to right
      grid[2 * (row * GRID + col) + 1] = EXTENT - ((row + 0.5) / GRID) * 2 * EXTENT; // y, bottom to top
    }
  }

  const losses: Array<[number, number]> = [];
  const drawChart = (iterations: number) => {
    chart.innerHTML = lineChart([{ label: 'training loss', color: '#c8322e', points: losses }], {
      title: 'Loss',
      xLabel: 'iteration',
      xMax: iterations,
      width: 460,
      height: 300,
    });
  };

  function paint(classes: Uint8Array | null): void {
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    const { width, height } = canvas;
    ctx.fillStyle = '#f4f4f4';
    ctx.fillRect(0, 0, width, height);
    if (classes !== null) {
      const image = ctx.createImageData(GRID, GRID);
      for (let i = 0; i < classes.length; i++) image.data.set([...(REGION[classes[i] as number] as number[]), 255], 4 * i);
      // Painted at the grid's size, then scaled up without smoothing: one square per prediction.
      const small = new OffscreenCanvas(GRID, GRID);
      (small.getContext('2d') as OffscreenCanvasRenderingContext2D).putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, width, height);
    }
    for (let i = 0; i < data.y.length; i++) {
      const px = ((points[2 * i] as number) + EXTENT) / (2 * EXTENT);
      const py = (EXTENT - (points[2 * i + 1] as number)) / (2 * EXTENT);
      ctx.beginPath();
      ctx.arc(px * width, py * height, 3.2, 0, 2 * Math.PI);
      ctx.fillStyle = POINT[data.y[i] as number] as string;
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 0.8;
      ctx.stroke();
    }
  }

  async function train(iterations: number): Promise<void> {
    const started = performance.now();
    // How long this thread goes without running a timer while the worker trains.
    let last = performance.now();
    let stall = 0;
    const heartbeat = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 10);
    losses.length = 0;
    const model = new nn.Sequential([new nn.Linear(2, 100, { seed: 1 }), new nn.ReLU(), new nn.Linear(100, CLASSES, { seed: 2 })]);
    const worker = await nn.worker({ model });
    try {
      for (let done = 0; done < iterations; done += CHUNK) {
        const epochs = Math.min(CHUNK, iterations - done);
        await worker.fit(data, {
          epochs,
          batchSize: data.y.length,
          shuffle: false,
          optimizer: { type: 'sgd', lr: 1, weightDecay: 1e-3 },
          onProgress(p) {
            if (p.phase === 'epoch') losses.push([done + p.epoch, p.loss]);
          },
        });
        const { accuracy } = await worker.evaluate(data);
        const scores = (await worker.predict({ data: grid, shape: [GRID * GRID, 2] })).data;
        paint(argmax(scores, CLASSES));
        drawChart(iterations);
        const [, loss] = losses.at(-1) as [number, number];
        out.iteration.value = String(done + epochs);
        out.loss.value = loss.toFixed(4);
        out.accuracy.value = `${(accuracy * 100).toFixed(1)}%`;
        out.accuracy.dataset.value = String(accuracy);
        out.stall.value = `${Math.round(stall)} ms`;
      }
      const ms = performance.now() - started;
      status.textContent = `Done: ${iterations} iterations in ${(ms / 1000).toFixed(1)} s.`;
      status.dataset.ms = String(ms);
    } finally {
      clearInterval(heartbeat);
      out.stall.dataset.value = String(stall);
      await worker.terminate();
    }
  }

  onTrain(section, button, status, () => {
    status.textContent = 'Training in a Worker…';
    return train(Math.max(CHUNK, Math.round(Number(iterationsInput.value) || 1000)));
  });
  paint(null);
  drawChart(Number(iterationsInput.value) || 1000);
}

/** The index of the largest of each row of `classes` scores. */
export function argmax(scores: Float32Array | Float64Array, classes: number): Uint8Array {
  const out = new Uint8Array(scores.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((scores[i * classes + c] as number) > (scores[i * classes + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}
