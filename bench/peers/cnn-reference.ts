// The mnist-cnn step written the naive way, in float64: the definitions' loops, one
// sample at a time, no library. It is not timed: the suite's agreement check measures
// every peer's first losses and first update against it, so that no timed library is
// the yardstick of the others.
//
// Max-pooling sends a window's gradient to its first maximum in row-major order, as
// PyTorch and ConvNetJS do. Ties matter: a 5×5 window over a flat patch of a digit gives
// its neighbour exactly the same sum, so equal maxima above 0 occur (`ties` counts them),
// and an implementation that sends the gradient to every tied element makes a different
// step from the others.
import { C1, C2, CLASSES, CNN_BATCH, CNN_LEARNING_RATE, type CnnWeights, FLAT, KERNEL, PAD, S1, SIDE } from './cnn';
import type { Problem } from './peer';

export interface ReferenceStep {
  /** Mean cross-entropy over the batch, at the weights before the step. */
  loss: number;
  /** The weights after one SGD step (float64 rounded to float32). */
  after: CnnWeights;
  /** Pooling windows whose maximum > 0 is shared by two or more elements. */
  ties: number;
}

type F64 = Float64Array;

/** out[o, y, x] = b[o] + Σ w[o, c, ky, kx] · in[c, y + ky − PAD, x + kx − PAD] (zero outside). */
function convForward(input: F64, inC: number, side: number, w: F64, b: F64, outC: number): F64 {
  const out = new Float64Array(outC * side * side);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        let sum = b[o] as number;
        for (let c = 0; c < inC; c++)
          for (let ky = 0; ky < KERNEL; ky++) {
            const iy = y + ky - PAD;
            if (iy < 0 || iy >= side) continue;
            for (let kx = 0; kx < KERNEL; kx++) {
              const ix = x + kx - PAD;
              if (ix < 0 || ix >= side) continue;
              sum += (w[((o * inC + c) * KERNEL + ky) * KERNEL + kx] as number) * (input[(c * side + iy) * side + ix] as number);
            }
          }
        out[(o * side + y) * side + x] = sum;
      }
  return out;
}

/** Accumulates dw, db and (when given) dInput for the convolution above. */
function convBackward(input: F64, inC: number, side: number, w: F64, outC: number, dOut: F64, dw: F64, db: F64, dInput: F64 | null): void {
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const g = dOut[(o * side + y) * side + x] as number;
        if (g === 0) continue;
        db[o] = (db[o] as number) + g;
        for (let c = 0; c < inC; c++)
          for (let ky = 0; ky < KERNEL; ky++) {
            const iy = y + ky - PAD;
            if (iy < 0 || iy >= side) continue;
            for (let kx = 0; kx < KERNEL; kx++) {
              const ix = x + kx - PAD;
              if (ix < 0 || ix >= side) continue;
              const wi = ((o * inC + c) * KERNEL + ky) * KERNEL + kx;
              const ii = (c * side + iy) * side + ix;
              dw[wi] = (dw[wi] as number) + g * (input[ii] as number);
              if (dInput) dInput[ii] = (dInput[ii] as number) + g * (w[wi] as number);
            }
          }
      }
}

/** k×k windows, stride k, over [channels, side, side]: the maxima and where each came from. */
function poolForward(input: F64, channels: number, side: number, k: number): { out: F64; from: Int32Array; ties: number } {
  const outSide = Math.floor((side - k) / k) + 1;
  const out = new Float64Array(channels * outSide * outSide);
  const from = new Int32Array(out.length);
  let ties = 0;
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < outSide; y++)
      for (let x = 0; x < outSide; x++) {
        let best = -Infinity;
        let at = -1;
        let count = 0;
        for (let dy = 0; dy < k; dy++)
          for (let dx = 0; dx < k; dx++) {
            const i = (c * side + y * k + dy) * side + x * k + dx;
            const v = input[i] as number;
            if (v > best) {
              best = v;
              at = i;
              count = 1;
            } else if (v === best) count++;
          }
        const o = (c * outSide + y) * outSide + x;
        out[o] = best;
        from[o] = at;
        if (count > 1 && best > 0) ties++;
      }
  return { out, from, ties };
}

const relu = (a: F64): F64 => a.map((v) => Math.max(v, 0));

/** One SGD step on batch `b` from `weights`, the mean loss over its 32 digits. */
export function referenceStep(problem: Problem<CnnWeights>, weights: CnnWeights, b: number): ReferenceStep {
  const f64 = (a: Float32Array) => Float64Array.from(a);
  const w1 = f64(weights.conv1w);
  const b1 = f64(weights.conv1b);
  const w2 = f64(weights.conv2w);
  const b2 = f64(weights.conv2b);
  const w3 = f64(weights.fcw);
  const b3 = f64(weights.fcb);
  const g = {
    w1: new Float64Array(w1.length),
    b1: new Float64Array(b1.length),
    w2: new Float64Array(w2.length),
    b2: new Float64Array(b2.length),
    w3: new Float64Array(w3.length),
    b3: new Float64Array(b3.length),
  };
  let loss = 0;
  let ties = 0;
  const pixels = SIDE * SIDE;
  for (let s = b * CNN_BATCH; s < (b + 1) * CNN_BATCH; s++) {
    const x = Float64Array.from(problem.train.x.subarray(s * pixels, (s + 1) * pixels));
    const label = problem.train.y[s] as number;
    // Forward.
    const z1 = convForward(x, 1, SIDE, w1, b1, C1);
    const p1 = poolForward(relu(z1), C1, SIDE, 2);
    const z2 = convForward(p1.out, C1, S1, w2, b2, C2);
    const p2 = poolForward(relu(z2), C2, S1, 3);
    ties += p1.ties + p2.ties;
    const f = p2.out;
    const logits = new Float64Array(CLASSES);
    for (let o = 0; o < CLASSES; o++) {
      let sum = b3[o] as number;
      for (let i = 0; i < FLAT; i++) sum += (w3[o * FLAT + i] as number) * (f[i] as number);
      logits[o] = sum;
    }
    const max = Math.max(...logits);
    const exps = logits.map((v) => Math.exp(v - max));
    const total = exps.reduce((a, v) => a + v, 0);
    loss += -Math.log((exps[label] as number) / total) / CNN_BATCH;
    // Backward, scaled for the mean over the batch.
    const dlogits = exps.map((e, o) => (e / total - (o === label ? 1 : 0)) / CNN_BATCH);
    const df = new Float64Array(FLAT);
    for (let o = 0; o < CLASSES; o++) {
      const d = dlogits[o] as number;
      g.b3[o] = (g.b3[o] as number) + d;
      for (let i = 0; i < FLAT; i++) {
        g.w3[o * FLAT + i] = (g.w3[o * FLAT + i] as number) + d * (f[i] as number);
        df[i] = (df[i] as number) + d * (w3[o * FLAT + i] as number);
      }
    }
    const dz2 = new Float64Array(z2.length);
    p2.from.forEach((at, o) => {
      if ((z2[at] as number) > 0) dz2[at] = (dz2[at] as number) + (df[o] as number);
    });
    const dp1 = new Float64Array(p1.out.length);
    convBackward(p1.out, C1, S1, w2, C2, dz2, g.w2, g.b2, dp1);
    const dz1 = new Float64Array(z1.length);
    p1.from.forEach((at, o) => {
      if ((z1[at] as number) > 0) dz1[at] = (dz1[at] as number) + (dp1[o] as number);
    });
    convBackward(x, 1, SIDE, w1, C1, dz1, g.w1, g.b1, null);
  }
  const update = (w: F64, grad: F64) => Float32Array.from(w, (v, i) => v - CNN_LEARNING_RATE * (grad[i] as number));
  return {
    loss,
    ties,
    after: {
      conv1w: update(w1, g.w1),
      conv1b: update(b1, g.b1),
      conv2w: update(w2, g.w2),
      conv2b: update(b2, g.b2),
      fcw: update(w3, g.w3),
      fcb: update(b3, g.b3),
    },
  };
}
