import { BinaryGate, UnaryGate } from './gate';

/** eˣ, with df/dx = eˣ: the output is its own derivative, so it caches the output. */
export class ExpGate extends UnaryGate {
  constructor() {
    super('exp');
  }
}

/** ln x, with df/dx = 1/x. Caches x. */
export class LogGate extends UnaryGate {
  constructor() {
    super('log');
  }
}

/** xʸ: x gets y·xʸ⁻¹·dout, y gets xʸ·ln x·dout (defined for x > 0). Caches x, y and the output. */
export class PowGate extends BinaryGate {
  constructor() {
    super('pow');
  }
}
