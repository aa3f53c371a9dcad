// Weight initializers, from a seeded generator so the same seed gives the same weights.

import { Random } from '../random';
import { fillTensor, type Tensor } from '../tensor';

/** 'he': N(0, 2/fanIn), for the ReLU family. 'xavier': U(±√(6/(fanIn + fanOut))), for sigmoid and tanh. */
export type Init = 'he' | 'xavier' | 'zeros';

export function initialize(weight: Tensor, init: Init, fanIn: number, fanOut: number, seed: number): void {
  const data = weight.data;
  const random = new Random(seed);
  if (init === 'zeros') {
    fillTensor(weight, 0);
  } else if (init === 'he') {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < data.length; i++) data[i] = std * random.normal();
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < data.length; i++) data[i] = limit * (2 * random.uniform() - 1);
  }
}
