// Section 4: a small convolutional network on MNIST (digit-training.ts does the training, its
// charts and its grid), ConvNetJS's MNIST net: its first layer's filters and every layer's
// output for a test digit the visitor picks, redrawn as it trains.
import { nn } from 'wasmgrad';
import { drawFilters, LayerMaps } from './conv-maps';
import { type DigitsHandle, setupDigitTraining } from './digit-training';
import { type Digits, PIXELS, SIDE, testRows } from './mnist-data';
import type { Trainer } from './trainer';
import type { Speed } from './training-controls';

/** A batch costs the CNN about 30 times what it costs the MLP: fewer a frame, so that Pause answers at once. */
const SPEEDS: Speed[] = [
  { label: '2 batches a second', steps: 1, waitMs: 500 },
  { label: '10 batches a second', steps: 1, waitMs: 100 },
  { label: '1 batch a frame', steps: 1 },
  { label: '2 batches a frame', steps: 2 },
  { label: '5 batches a frame', steps: 5 },
  { label: '10 batches a frame', steps: 10 },
];

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** conv 5×5, 8 filters → ReLU → max-pool 2 → conv 5×5, 16 filters → ReLU → max-pool 3 → linear 256 → 10. */
export function convnet(): nn.Sequential {
  return new nn.Sequential([
    new nn.Conv2d(1, 8, 5, { padding: 2, seed: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 5, { padding: 2, seed: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(3),
    new nn.Flatten(),
    new nn.Linear(16 * 4 * 4, 10, { seed: 3 }),
  ]);
}

export async function setupConvnet(digits: Digits): Promise<DigitsHandle> {
  const test = testRows(digits);
  const digitSelect = byId<HTMLSelectElement>('cnn-digit');
  // One test digit of each class to choose from: the first of each.
  for (let c = 0; c < 10; c++) {
    const index = test.y.indexOf(c);
    if (index >= 0) digitSelect.add(new Option(`a ${c} (test digit ${index + 1})`, String(index)));
  }
  const filters = byId('cnn-filters');
  const maps = byId('cnn-maps');
  const layerMaps = new LayerMaps(maps);

  // One redraw at a time; asked again meanwhile, it runs once more when done.
  let drawing = false;
  let again: Trainer | null = null;
  const redraw = async (trainer: Trainer) => {
    if (drawing) {
      again = trainer;
      return;
    }
    drawing = true;
    maps.setAttribute('aria-busy', 'true');
    try {
      for (let next: Trainer | null = trainer; next !== null; ) {
        again = null;
        const index = Number(digitSelect.value);
        const input = test.x.slice(index * PIXELS, (index + 1) * PIXELS);
        const [weight, outputs] = await Promise.all([next.parameter('0.weight'), next.layers(input)]);
        drawFilters(filters, weight);
        layerMaps.draw(input, outputs);
        maps.dataset.digit = String(index);
        next = again;
      }
    } catch (error) {
      console.error(error);
    } finally {
      drawing = false;
      maps.setAttribute('aria-busy', 'false');
    }
  };

  const handle = await setupDigitTraining(digits, {
    prefix: 'cnn',
    model: convnet,
    shape: [1, SIDE, SIDE],
    speeds: SPEEDS,
    onUpdate: (trainer) => void redraw(trainer),
  });
  digitSelect.addEventListener('change', () => void redraw(handle.trainer()));
  return handle;
}
