// Section 3: the 784-128-10 network on MNIST (digit-training.ts), and a pad to draw a digit
// for it to read (draw-digit.ts), asked again whenever it has trained.
import { nn } from 'wasmgrad';
import { ACTIVATIONS, type ActivationName } from './activations';
import { type DigitsHandle, setupDigitTraining } from './digit-training';
import { drawDigit } from './draw-digit';
import { type Digits, PIXELS } from './mnist-data';
import { onSetting } from './training-controls';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export async function setupMnist(digits: Digits): Promise<DigitsHandle> {
  let drawn: { refresh(): void } | null = null;
  const hiddenInput = byId<HTMLInputElement>('mnist-hidden');
  const activationSelect = byId<HTMLSelectElement>('mnist-activation');
  const status = byId<HTMLElement>('mnist-status');
  // The hidden layer asked for (valid values only): the network of the next reset.
  const asked = { hidden: Number(hiddenInput.value), activation: activationSelect.value as ActivationName };
  const handle = await setupDigitTraining(digits, {
    prefix: 'mnist',
    model: () =>
      new nn.Sequential([
        new nn.Linear(PIXELS, asked.hidden, { seed: 1 }),
        ACTIVATIONS[asked.activation](),
        new nn.Linear(asked.hidden, 10, { seed: 2 }),
      ]),
    architecture: () => `${asked.hidden} ${asked.activation}`,
    shape: [PIXELS],
    onUpdate: () => drawn?.refresh(),
  });
  onSetting(hiddenInput, status, { name: 'hidden size', integer: true, when: 'from the next reset' }, async (hidden) => {
    asked.hidden = hidden;
  });
  activationSelect.addEventListener('change', () => {
    asked.activation = activationSelect.value as ActivationName;
    status.textContent = `The activation is ${activationSelect.value} from the next reset.`;
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
