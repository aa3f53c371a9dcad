import { BinaryGate, finiteParameter, UnaryGate } from './gate';

/**
 * max(x, y). Max routes: all of dout goes to the larger input and none to the other.
 * Tie rule: when x = y the gradient goes to x, the first input.
 */
export class MaxGate extends BinaryGate {
  constructor() {
    super('max');
  }
}

/** σ(x) = 1/(1 + e⁻ˣ) as one gate: dσ/dx = σ(1 − σ), so it caches only σ. */
export class SigmoidGate extends UnaryGate {
  constructor() {
    super('sigmoid');
  }
}

/** tanh x, with d/dx = 1 − tanh² x. Caches the output. */
export class TanhGate extends UnaryGate {
  constructor() {
    super('tanh');
  }
}

/** max(0, x): routes dout to x where x > 0, else 0 (at x = 0 the tie goes to the 0). Caches x. */
export class ReluGate extends UnaryGate {
  constructor() {
    super('relu');
  }
}

/** max(αx, x), the lecture's max(0.1x, x) by default: dout where x > 0, else α·dout. Caches x. */
export class LeakyReluGate extends UnaryGate {
  constructor(readonly alpha = 0.1) {
    super('leakyRelu', finiteParameter('LeakyReluGate', 'alpha', alpha));
  }
}

/** x for x ≥ 0, α(eˣ − 1) below: dout for x ≥ 0, else (out + α)·dout. Caches x and the output. */
export class EluGate extends UnaryGate {
  constructor(readonly alpha = 1) {
    super('elu', finiteParameter('EluGate', 'alpha', alpha));
  }
}
