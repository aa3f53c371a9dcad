// The demos' progress: a bar per epoch (cli-progress) with the epoch's mean loss, its
// samples per second and, once the epoch ends, the test accuracy.
import { MultiBar, Presets } from 'cli-progress';
import type { nn } from '../src/index';

export function epochBars(): { update(progress: nn.Progress): void; stop(): void } {
  const bars = new MultiBar(
    {
      format: ' epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {speed} samples/s | test accuracy {accuracy}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: true,
    },
    Presets.shades_classic,
  );
  let bar: ReturnType<MultiBar['create']> | null = null;
  return {
    update(p) {
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(4),
        speed: Math.round(p.samplesPerSecond).toLocaleString('en'),
        accuracy: '…',
      };
      if (p.phase === 'batch' && p.step === 1) bar = bars.create(p.steps, 0, payload);
      if (p.phase === 'batch') bar?.update(p.step, payload);
      if (p.phase === 'epoch') bar?.update(p.steps, { ...payload, accuracy: `${((p.validation?.accuracy ?? 0) * 100).toFixed(2)}%` });
    },
    stop: () => bars.stop(),
  };
}
