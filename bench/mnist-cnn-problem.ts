// The mnist-cnn problem as data (bench/peers/cnn.ts says what the net is): the seeded
// digits of the MLP suite, read as [count, 1, 28, 28], and the shared initial weights.
import { Random } from '../src/index';
import { loadDigits } from './mnist-problem';
import { C1, C2, CLASSES, CNN_BATCH, type CnnWeights, FLAT, KERNEL } from './peers/cnn';
import type { Problem } from './peers/peer';

/** The digits (the same 8,000 + 2,000 as mnist-mlp's) and the initial weights. */
export function makeCnnProblem(): Problem<CnnWeights> {
  const { train, test } = loadDigits();
  return { train, test, batches: Math.floor(train.count / CNN_BATCH), init: cnnInitialWeights() };
}

/**
 * He-normal weights, N(0, 2 / fan-in) from wasmgrad's seeded generator (seeds 1, 2, 3, one per
 * layer), as nn.Linear's initializer draws them; biases 0. PyTorch's layouts: conv
 * [out, in, kh, kw], fc [out, in].
 */
export function cnnInitialWeights(): CnnWeights {
  const he = (count: number, fanIn: number, seed: number) => {
    const random = new Random(seed);
    const std = Math.sqrt(2 / fanIn);
    return Float32Array.from({ length: count }, () => std * random.normal());
  };
  return {
    conv1w: he(C1 * 1 * KERNEL * KERNEL, 1 * KERNEL * KERNEL, 1),
    conv1b: new Float32Array(C1),
    conv2w: he(C2 * C1 * KERNEL * KERNEL, C1 * KERNEL * KERNEL, 2),
    conv2b: new Float32Array(C2),
    fcw: he(CLASSES * FLAT, FLAT, 3),
    fcb: new Float32Array(CLASSES),
  };
}
