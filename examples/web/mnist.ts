// Section 3: the 784-128-10 network on MNIST (digit-training.ts), and a pad to draw a digit
// for it to read (draw-digit.ts), asked again whenever it has trained.
import { nn } from 'wasmgrad';
import { type DigitsHandle, setupDigitTraining } from './digit-training';
import { drawDigit } from './draw-digit';
import { type Digits, PIXELS } from './mnist-data';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export async function setupMnist(digits: Digits): Promise<DigitsHandle> {
  let drawn: { refresh(): void } | null = null;
  const handle = await setupDigitTraining(digits, {
    prefix: 'mnist',
    model: () => new nn.Sequential([new nn.Linear(PIXELS, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]),
    shape: [PIXELS],
    onUpdate: () => drawn?.refresh(),
  });
  drawn = drawDigit(
    {
      pad: byId('draw-pad'),
      clear: byId('draw-clear'),
      seen: byId('draw-seen'),
      bars: byId('draw-bars'),
      verdict: byId('draw-verdict'),
    },
    // The section's network as it is now (another number of training digits makes another one).
    (x) => handle.trainer().predict(x),
  );
  return handle;
}
