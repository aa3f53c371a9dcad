// The spiral data set of the CS231n case study: K arms of N points in the plane, one
// class per arm, not linearly separable.
import { describe, ValueError } from '../errors';
import { Random } from '../random';
import { Tensor } from '../tensor';

export interface SpiralOptions {
  classes?: number;
  pointsPerClass?: number;
  /** Standard deviation of the angle noise (0.2 in the case study). */
  noise?: number;
  seed?: number;
}

/** x [K·N, 2] (float32, the caller's) and labels y [K·N]. */
export function spiral({ classes = 3, pointsPerClass = 100, noise = 0.2, seed = 0 }: SpiralOptions = {}): { x: Tensor; y: Int32Array } {
  for (const [name, value] of [
    ['classes', classes],
    ['pointsPerClass', pointsPerClass],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new ValueError(`datasets.spiral: ${name} must be a positive integer, got ${describe(value)}`);
  }
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
    throw new ValueError(`datasets.spiral: noise must be a finite number ≥ 0, got ${describe(noise)}`);
  }
  const random = new Random(seed);
  const n = classes * pointsPerClass;
  const points = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let j = 0; j < classes; j++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const at = j * pointsPerClass + i;
      const fraction = pointsPerClass === 1 ? 0 : i / (pointsPerClass - 1);
      const radius = fraction;
      const theta = j * 4 + fraction * 4 + random.normal() * noise;
      points[2 * at] = radius * Math.sin(theta);
      points[2 * at + 1] = radius * Math.cos(theta);
      y[at] = j;
    }
  }
  return { x: Tensor.from(points, [n, 2]), y };
}
