import { BinaryGate, finiteParameter, UnaryGate } from './gate';

/** x + y. Add distributes: both inputs get dout unchanged. Caches nothing. */
export class AddGate extends BinaryGate {
  constructor() {
    super('add');
  }
}

/** x − y: x gets dout, y gets −dout. Caches nothing. */
export class SubGate extends BinaryGate {
  constructor() {
    super('sub');
  }
}

/** x · y. Mul switches: x gets y·dout and y gets x·dout, so it caches x and y. */
export class MultiplyGate extends BinaryGate {
  constructor() {
    super('mul');
  }
}

/** x / y: x gets dout/y, y gets −x·dout/y². Caches x and y. */
export class DivGate extends BinaryGate {
  constructor() {
    super('div');
  }
}

/** −x: x gets −dout. Caches nothing. */
export class NegGate extends UnaryGate {
  constructor() {
    super('neg');
  }
}

/** 1/x, the lecture's f(x) = 1/x with df/dx = −1/x². Caches x. */
export class ReciprocalGate extends UnaryGate {
  constructor() {
    super('recip');
  }
}

/** a·x for a fixed a, the lecture's f_a(x) = ax with df/dx = a. Caches nothing but a. */
export class ScaleGate extends UnaryGate {
  constructor(readonly a: number) {
    super('scale', finiteParameter('ScaleGate', 'a', a));
  }
}

/** c + x for a fixed c, the lecture's f_c(x) = c + x with df/dx = 1. Caches nothing. */
export class OffsetGate extends UnaryGate {
  constructor(readonly c: number) {
    super('offset', finiteParameter('OffsetGate', 'c', c));
  }
}
