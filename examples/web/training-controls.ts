// What the spiral and MNIST sections share: play / pause, step, reset and a speed, over a
// training that takes steps when asked. One action runs at a time: a step or a reset asked
// for while playing waits until the steps under way are done.
//
// The section's data-state says where it is, for people (the buttons) and tests alike:
// 'ready' (never trained, or reset), 'playing', 'pausing' (the last steps are finishing),
// 'paused', 'busy' (a step or a reset), 'failed'.

export interface Training {
  /** Takes `count` training steps and shows what they did. */
  step(count: number): Promise<void>;
  /** Back to the initial weights, and shows it. */
  reset(): Promise<void>;
}

/** A speed: `steps` per update, and how long to wait between updates (else: the next frame). */
export interface Speed {
  label: string;
  steps: number;
  waitMs?: number;
}

export interface ControlElements {
  play: HTMLButtonElement;
  step: HTMLButtonElement;
  reset: HTMLButtonElement;
  speed: HTMLInputElement;
  speedText: HTMLOutputElement;
  status: HTMLElement;
}

type State = 'ready' | 'playing' | 'pausing' | 'paused' | 'busy' | 'failed';

export function trainingControls(section: HTMLElement, ui: ControlElements, training: Training, speeds: readonly Speed[]): void {
  let playing = false;
  /** The action under way (the play loop, a step, a reset); the next waits for it. */
  let current: Promise<void> = Promise.resolve();

  const setState = (state: State) => {
    section.dataset.state = state;
    const running = state === 'playing' || state === 'pausing' || state === 'busy';
    ui.play.textContent = state === 'playing' ? 'Pause' : 'Play';
    ui.play.setAttribute('aria-pressed', String(state === 'playing'));
    ui.play.disabled = state === 'pausing' || state === 'busy' || state === 'failed';
    ui.step.disabled = running || state === 'failed';
    ui.reset.disabled = state === 'pausing' || state === 'busy';
  };

  const fail = (error: unknown) => {
    playing = false;
    console.error(error);
    ui.status.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
    setState('failed');
  };

  /**
   * Runs `action` after the one under way, in state `during`, then settles in `after`. The
   * state changes at once when nothing is under way, so that it says what a click did as
   * soon as the click is handled.
   */
  const then = (during: State, action: () => Promise<void>, after: State) => {
    if (section.dataset.state !== 'playing' && section.dataset.state !== 'pausing') setState(during);
    current = current
      .then(() => {
        setState(during);
        return action();
      })
      .then(() => setState(after), fail);
  };

  const speed = (): Speed => speeds[Number(ui.speed.value)] ?? (speeds[0] as Speed);
  const showSpeed = () => {
    ui.speedText.value = speed().label;
  };
  ui.speed.min = '0';
  ui.speed.max = String(speeds.length - 1);
  ui.speed.addEventListener('input', showSpeed);
  showSpeed();

  async function loop(): Promise<void> {
    while (playing) {
      const { steps, waitMs = 0 } = speed();
      await training.step(steps);
      // Let the page draw between updates; at a slow speed, long enough to watch each one.
      await new Promise((done) => (waitMs > 0 ? setTimeout(done, waitMs) : requestAnimationFrame(done)));
    }
  }

  ui.play.addEventListener('click', () => {
    if (playing) {
      playing = false;
      setState('pausing');
      return;
    }
    playing = true;
    then('playing', loop, 'paused');
  });
  ui.step.addEventListener('click', () => then('busy', () => training.step(1), 'paused'));
  ui.reset.addEventListener('click', () => {
    if (playing) {
      playing = false;
      setState('pausing');
    }
    then('busy', training.reset, 'ready');
  });
  setState('ready');
}

/**
 * Sends a setting (a learning rate, a batch size) when it is edited, once it is a number
 * above 0 (or 0 too, if `zero`; a whole number if `integer`); says so in `status` when it
 * is not.
 */
export function onSetting(
  input: HTMLInputElement,
  status: HTMLElement,
  setting: { name: string; integer?: boolean; zero?: boolean; when?: string },
  send: (value: number) => Promise<void>,
): void {
  input.addEventListener('change', () => {
    const value = Number(input.value);
    const valid =
      input.value.trim() !== '' &&
      Number.isFinite(value) &&
      (setting.zero ? value >= 0 : value > 0) &&
      (!setting.integer || Number.isInteger(value));
    input.setAttribute('aria-invalid', String(!valid));
    if (!valid) {
      status.textContent = `The ${setting.name} must be ${setting.integer ? 'a whole number' : 'a number'} ${setting.zero ? 'of 0 or more' : 'above 0'}.`;
      return;
    }
    status.textContent = `The ${setting.name} is ${value} ${setting.when ?? 'from the next step'}.`;
    send(value).catch((error: unknown) => console.error(error));
  });
}
