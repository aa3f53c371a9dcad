// Round axis ticks: steps of 1, 2 or 5 × 10^k, as a person would mark an axis by hand.

export interface Ticks {
  /** The tick values, from the first at or below the data to the last at or above it. */
  values: number[];
  step: number;
  /** Decimal places that print every tick exactly (0 for steps of 1 and more). */
  decimals: number;
}

/** The round step (1, 2 or 5 × 10^k) nearest above `span / count`. */
export function roundStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= raw * (1 - 1e-9)) as number;
  return mantissa * power;
}

/**
 * Ticks that cover [lo, hi] with about `count` round steps: the first at or below lo, the
 * last at or above hi, so that the axis ends on a labelled tick.
 */
export function roundTicks(lo: number, hi: number, count: number): Ticks {
  const step = roundStep(hi > lo ? hi - lo : Math.abs(hi) || 1, count);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  // Multiples of the step, printed back at the step's own precision: no 0.30000000000000004.
  for (let i = first; i <= Math.max(last, first + 1); i++) values.push(Number((i * step).toFixed(decimals)));
  return { values, step, decimals };
}

/** A tick as printed: thousands as "k" past 9,999 (so "20k" fits where "20000" would be clipped). */
export function formatTick(value: number, decimals: number): string {
  if (Math.abs(value) >= 10_000 && value % 1000 === 0) return `${value / 1000}k`;
  return value.toFixed(decimals).replace('-', '−');
}
