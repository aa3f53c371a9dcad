// What every implementation of the mnist-mlp benchmark gets and provides.
//
// The problem is fixed: 784-128-10, ReLU, softmax cross-entropy (mean over the batch),
// plain SGD with lr 0.1, batches of 64 taken in order from the same 8,000 training
// digits (batch b is rows 64b .. 64b + 63; 125 batches an epoch, every epoch the same),
// and every implementation starts from the same initial weights. Each converts the
// digits to its own format once, before anything is timed.

export const INPUTS = 784;
export const HIDDEN = 128;
export const CLASSES = 10;
export const BATCH = 64;
export const LEARNING_RATE = 0.1;

/** Weights in wasmgrad's (and PyTorch's) layout: W is [out, in], row-major. */
export interface Weights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export interface Digits {
  /** [count, 784] row-major, grey levels in [0, 1]. */
  x: Float32Array;
  y: Int32Array;
  count: number;
}

/** The digits, the batches of an epoch and the shared initial weights (mnist-cnn's `W` is its own). */
export interface Problem<W = Weights> {
  train: Digits;
  test: Digits;
  /** 125 for 8,000 digits (250 for mnist-cnn's batches of 32). */
  batches: number;
  init: W;
}

/** One library's implementation; `W` is the suite's weights in wasmgrad's layout. */
export interface Peer<W = Weights> {
  /** The case name in the results: 'jax-js'. */
  id: string;
  /** Library, version and how it runs: '@jax-js/jax 0.1.25, jit, wasm backend'. */
  label: string;
  /** How a step of it differs from the others', if it does (then the agreement check skips it). */
  differs?: string;
  /** Back to the shared initial weights (optimizer state too). */
  reset(): void;
  /** `count` training steps on batches first, first + 1, … (mod the batches of an epoch). */
  train(first: number, count: number): void;
  /** The fraction of the 2,000 test digits whose highest score is their label. */
  accuracy(): number;
  /** The current weights in wasmgrad's layout, for the agreement check. */
  weights(): W;
  dispose(): void;
}

/** Index of the highest of `cols` scores starting at `offset` (the first on ties). */
export function argmaxRow(scores: ArrayLike<number>, offset: number, cols: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if ((scores[offset + c] as number) > (scores[offset + best] as number)) best = c;
  return best;
}

/** [rows, cols] → [cols, rows]. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] as number;
  return out;
}

/** One-hot rows of `classes` floats for labels [first, first + count). */
export function oneHot(labels: Int32Array, first: number, count: number, classes = CLASSES): Float32Array {
  const out = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) out[i * classes + (labels[first + i] as number)] = 1;
  return out;
}
