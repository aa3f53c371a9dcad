// What the MNIST sections share: a network trained on the digits in a Worker (trainer.ts),
// played, paused, stepped a batch at a time and reset, with live charts of the training and
// test loss and the test accuracy, an epoch table, and after each epoch a grid of test
// digits with the network's probabilities (prediction-grid.ts), its mistakes first. A
// section's elements are found by their ids: `${prefix}-play`, `${prefix}-loss`, …
import type { nn } from 'wasmgrad';
import { LineChart } from './chart';
import { type Digits, PIXELS, testRows, trainingRows } from './mnist-data';
import { PredictionGrid } from './prediction-grid';
import { softmaxRows } from './softmax';
import { type SectionHandle, type TestScore, Trainer } from './trainer';
import { onSetting, type Speed, trainingControls } from './training-controls';

/** How many test digits the grid shows, and how many of them may be mistakes. */
const SHOWN = 24;
const MISTAKES = 12;
/** SGD with momentum, as `npm run demo`; the learning rate, L2 strength and batch size are the page's inputs. */
const MOMENTUM = 0.9;
const SPEEDS: Speed[] = [
  { label: '2 batches a second', steps: 1, waitMs: 500 },
  { label: '10 batches a second', steps: 1, waitMs: 100 },
  { label: '1 batch a frame', steps: 1 },
  { label: '5 batches a frame', steps: 5 },
  { label: '25 batches a frame', steps: 25 },
  { label: '100 batches a frame', steps: 100 },
];

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the page exposes of a section for the tests: also the network's probabilities for some test digits, now. */
export interface DigitsHandle extends SectionHandle {
  testProbabilities(indices: number[]): Promise<number[][]>;
  /** The network as it is now (another part of the section may ask it too). */
  trainer(): Trainer;
}

export interface DigitTrainingOptions {
  /** The section's id, and the start of its elements' ids. */
  prefix: string;
  /** The network at its initial weights (the same every call: a reset or new data starts from it). */
  model(): nn.Sequential;
  /**
   * What model() makes now, as a key, when the visitor can change it (MNIST's hidden size
   * and activation): a reset makes a new network once it differs from the running one's.
   */
  architecture?(): string;
  /** A digit's shape as the network takes it: [784] or, for a convolutional net, [1, 28, 28]. */
  shape: number[];
  /** The choices of the Speed slider (default: from 2 batches a second to 100 a frame). */
  speeds?: Speed[];
  /** Called after each update, reset and start, once the section shows the network as it is. */
  onUpdate?(trainer: Trainer): void;
}

export async function setupDigitTraining(digits: Digits, options: DigitTrainingOptions): Promise<DigitsHandle> {
  const { prefix } = options;
  const part = <T extends HTMLElement>(name: string) => byId<T>(`${prefix}-${name}`);
  const section = byId<HTMLElement>(prefix);
  const sizeSelect = part<HTMLSelectElement>('train-size');
  const lrInput = part<HTMLInputElement>('lr');
  const batchInput = part<HTMLInputElement>('batch');
  const l2Input = part<HTMLInputElement>('l2');
  const status = part<HTMLElement>('status');
  const history = part<HTMLTableElement>('history').tBodies[0] as HTMLTableSectionElement;
  const stepOutput = part<HTMLOutputElement>('step');
  const lossChart = new LineChart(part('loss'), {
    xTitle: 'epoch',
    yTitle: 'loss',
    series: [
      { label: 'training loss (moving average of batches)', color: 'var(--accent)' },
      // Not red: on this page red is for gradients (and for mistakes).
      { label: 'test loss (after each epoch)', color: 'var(--held-out)', dots: true },
    ],
    xSpan: 1,
    yRange: 'zero',
  });
  const accuracyChart = new LineChart(part('accuracy'), {
    xTitle: 'epoch',
    yTitle: 'test accuracy',
    series: [{ label: 'test accuracy after each epoch', color: 'var(--value)', dots: true }],
    xSpan: 1,
    yRange: 'data',
    yFormat: (value, decimals) => `${(value * 100).toFixed(Math.max(0, decimals - 2))}%`,
  });

  const test = testRows(digits);
  const grid = new PredictionGrid(part('digits'), part('digits-summary'), test.x, test.y, {
    shown: SHOWN,
    mistakes: MISTAKES,
  });

  const start = (size: number) => {
    return Trainer.start({
      model: options.model(),
      features: PIXELS,
      shape: options.shape,
      train: trainingRows(digits, size),
      test,
      sgd: { lr: Number(lrInput.value), momentum: MOMENTUM, weightDecay: Number(l2Input.value) },
      batchSize: Number(batchInput.value),
      shuffle: true,
    });
  };
  let trainSize = Number(sizeSelect.value);
  let made = options.architecture?.() ?? '';
  let trainer = await start(trainSize);

  /** Where the run is: training rows seen, the loss's moving average, and this epoch's losses so far. */
  const run = { samples: 0, smoothed: Number.NaN, epochLoss: 0, epochSteps: 0, epoch: 0 };

  const addRow = (epoch: number, loss: string, score: TestScore, samplesPerSecond: number | null) => {
    const row = history.insertRow();
    row.dataset.epoch = String(epoch);
    if (samplesPerSecond !== null) row.dataset.samplesPerSecond = String(samplesPerSecond);
    const speed = samplesPerSecond === null ? '–' : Math.round(samplesPerSecond).toLocaleString('en');
    row.dataset.accuracy = String(score.accuracy);
    row.dataset.testLoss = String(score.loss);
    const texts = [
      epoch === 0 ? '0 (untrained)' : String(epoch),
      loss,
      score.loss.toFixed(4),
      `${(score.accuracy * 100).toFixed(2)}%`,
      speed,
    ];
    for (const text of texts) row.insertCell().textContent = text;
  };

  /** The charts, table and digits of a model that has not trained yet. */
  async function showStart(): Promise<void> {
    Object.assign(run, { samples: 0, smoothed: Number.NaN, epochLoss: 0, epochSteps: 0, epoch: 0 });
    lossChart.clear();
    accuracyChart.clear();
    history.replaceChildren();
    stepOutput.value = '0';
    // Before training the net is at chance: the table says so, the chart (zoomed to the
    // trained epochs' accuracies) starts at epoch 1.
    const score = await trainer.evaluate('test');
    addRow(0, '–', score, null);
    grid.show(score, 0);
    options.onUpdate?.(trainer);
  }

  async function step(count: number): Promise<void> {
    const result = await trainer.steps(count);
    const perStep = result.samples / count;
    const ends = new Map(result.epochEnds.map((end) => [end.index, end]));
    let last: TestScore | undefined;
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
      last = end.test as TestScore;
      accuracyChart.add(0, run.epoch, last.accuracy);
      lossChart.add(1, run.epoch, last.loss);
      addRow(run.epoch, (run.epochLoss / run.epochSteps).toFixed(4), last, end.samplesPerSecond);
      Object.assign(run, { epochLoss: 0, epochSteps: 0 });
    }
    stepOutput.value = String(result.step);
    status.textContent = `Epoch ${result.epoch}, ${result.step.toLocaleString('en')} batches.`;
    // The grid shows the last epoch's end (a fast speed may finish several in one update).
    if (last !== undefined) grid.show(last, run.epoch);
    options.onUpdate?.(trainer);
  }

  async function reset(): Promise<void> {
    const size = Number(sizeSelect.value);
    const architecture = options.architecture?.() ?? '';
    if (size !== trainSize || architecture !== made) {
      // Other training digits or another network: a new worker (the weights start from the same seeds).
      trainer.terminate();
      trainSize = size;
      made = architecture;
      trainer = await start(size);
    } else await trainer.reset();
    await showStart();
    status.textContent = `${trainSize.toLocaleString('en')} training digits, at the initial weights.`;
  }

  const resetButton = part<HTMLButtonElement>('reset');
  trainingControls(
    section,
    {
      play: part('play'),
      step: part('step-button'),
      reset: resetButton,
      speed: part('speed'),
      speedText: part('speed-text'),
      status,
    },
    { step, reset },
    options.speeds ?? SPEEDS,
  );
  // Another number of training digits is another run: it starts from the initial weights.
  sizeSelect.addEventListener('change', () => resetButton.click());
  onSetting(lrInput, status, { name: 'learning rate' }, (lr) => trainer.set({ lr }));
  onSetting(l2Input, status, { name: 'L2 strength', zero: true }, (weightDecay) => trainer.set({ weightDecay }));
  onSetting(batchInput, status, { name: 'batch size', integer: true, when: 'from the next epoch' }, (batchSize) =>
    trainer.set({ batchSize }),
  );
  await showStart();
  status.textContent = `${digits.train.toLocaleString('en')} training and ${digits.test.toLocaleString('en')} test digits loaded.`;
  return {
    weightsHash: () => trainer.weightsHash(),
    async testProbabilities(indices) {
      const x = new Float32Array(indices.length * PIXELS);
      for (const [k, index] of indices.entries()) x.set(test.x.subarray(index * PIXELS, (index + 1) * PIXELS), k * PIXELS);
      const p = softmaxRows(await trainer.predict(x), 10);
      return indices.map((_, k) => [...p.subarray(k * 10, (k + 1) * 10)]);
    },
    trainer: () => trainer,
  };
}
