// What every implementation of the mnist-cnn benchmark gets and provides (peer.ts's Peer
// and Problem, with the CNN's weights, and each step's loss for the agreement check).
//
// The net is ConvNetJS's MNIST demo on whole 28×28 digits:
//   conv 5×5, 8 filters, stride 1, pad 2, ReLU   [1, 28, 28] → [8, 28, 28]
//   max-pool 2×2, stride 2                        → [8, 14, 14]
//   conv 5×5, 16 filters, stride 1, pad 2, ReLU   → [16, 14, 14]
//   max-pool 3×3, stride 3                        → [16, 4, 4]  (floor((14 − 3) / 3) + 1 = 4:
//                                                   the last 2 rows and columns fall out, in
//                                                   ConvNetJS, PyTorch, XLA's VALID alike)
//   fully connected 256 → 10, softmax cross-entropy (mean over the batch)
// Plain SGD, no momentum, batches of 32 in order (250 an epoch of 8,000 digits).
import type { Peer } from './peer';

export const SIDE = 28;
export const KERNEL = 5;
export const PAD = 2;
export const C1 = 8;
export const C2 = 16;
/** Side after the first pool (2×2, stride 2). */
export const S1 = 14;
/** Side after the second pool (3×3, stride 3). */
export const S2 = 4;
export const FLAT = C2 * S2 * S2;
export const CLASSES = 10;
export const CNN_BATCH = 32;
/**
 * ConvNetJS's demo trains at 0.01 with adadelta; plain SGD at 0.05 (in its 0.01–0.05
 * range) gets further in the one epoch the accuracy pass trains, and stays stable there.
 */
export const CNN_LEARNING_RATE = 0.05;

/** Multiply–adds of one sample's forward and backward; the backward skips the first conv's dX. */
const MACS_FORWARD = SIDE * SIDE * C1 * KERNEL * KERNEL + S1 * S1 * C2 * KERNEL * KERNEL * C1 + FLAT * CLASSES;
const MACS_BACKWARD = SIDE * SIDE * C1 * KERNEL * KERNEL + 2 * S1 * S1 * C2 * KERNEL * KERNEL * C1 + 2 * FLAT * CLASSES;
/** 4.41 MFLOP: what a sample costs in multiplies and adds, pooling and ReLU not counted. */
export const FLOP_PER_SAMPLE = 2 * (MACS_FORWARD + MACS_BACKWARD);

/** The weights in wasmgrad's (PyTorch's) layout: conv [out, in, kh, kw], fc [out, in] over (c, y, x). */
export interface CnnWeights {
  conv1w: Float32Array;
  conv1b: Float32Array;
  conv2w: Float32Array;
  conv2b: Float32Array;
  fcw: Float32Array;
  fcb: Float32Array;
}

export const CNN_KEYS = ['conv1w', 'conv1b', 'conv2w', 'conv2b', 'fcw', 'fcb'] as const;

/** A library's implementation of the net. */
export interface CnnPeer extends Peer<CnnWeights> {
  /** The loss of the last step trained: mean over its batch, at the weights before its update. */
  loss(): number;
}

/** A conv weight [out, in, kh, kw] → [kh, kw, in, out] (TensorFlow's filters, channels last). */
export function convToHwio(w: Float32Array, out: number, inC: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < out; o++)
    for (let c = 0; c < inC; c++)
      for (let y = 0; y < KERNEL; y++)
        for (let x = 0; x < KERNEL; x++) r[((y * KERNEL + x) * inC + c) * out + o] = w[((o * inC + c) * KERNEL + y) * KERNEL + x] as number;
  return r;
}

/** The inverse of convToHwio. */
export function hwioToConv(r: Float32Array, out: number, inC: number): Float32Array {
  const w = new Float32Array(r.length);
  for (let o = 0; o < out; o++)
    for (let c = 0; c < inC; c++)
      for (let y = 0; y < KERNEL; y++)
        for (let x = 0; x < KERNEL; x++) w[((o * inC + c) * KERNEL + y) * KERNEL + x] = r[((y * KERNEL + x) * inC + c) * out + o] as number;
  return w;
}

/**
 * The fc weight [10, 256] with its inputs in PyTorch's flatten order (c, y, x) → the order
 * of a channels-last flatten (y, x, c), which ConvNetJS's Vols and TensorFlow's NHWC use.
 */
export function fcToChannelsLast(w: Float32Array): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < CLASSES; o++)
    for (let c = 0; c < C2; c++)
      for (let y = 0; y < S2; y++)
        for (let x = 0; x < S2; x++) r[o * FLAT + (y * S2 + x) * C2 + c] = w[o * FLAT + (c * S2 + y) * S2 + x] as number;
  return r;
}

/** The inverse of fcToChannelsLast. */
export function fcFromChannelsLast(r: Float32Array): Float32Array {
  const w = new Float32Array(r.length);
  for (let o = 0; o < CLASSES; o++)
    for (let c = 0; c < C2; c++)
      for (let y = 0; y < S2; y++)
        for (let x = 0; x < S2; x++) w[o * FLAT + (c * S2 + y) * S2 + x] = r[o * FLAT + (y * S2 + x) * C2 + c] as number;
  return w;
}
