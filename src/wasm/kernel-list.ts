// The tensor kernels of the wasm core, declared once. scripts/generate.ts writes their
// float32 and float64 exports (assembly/kernels.generated.ts: `name_f32`, `name_f64`, each
// calling the generic AssemblyScript function); kernels.ts builds the `Kernels` table and
// its type from this list. Parameters are `name: type`, where type is i32 (a count, an
// index, a flag), ptr (a byte offset in linear memory), f64, or T (the kernel's float type).
// This module is data only: the generator imports it without loading the core.

type ParamType = 'i32' | 'ptr' | 'f64' | 'T';

export interface KernelDeclaration {
  /** The AssemblyScript module (under assembly/) and the generic function it exports. */
  readonly from: string;
  readonly fn: string;
  /** Export names: `${wasm}_f32` and `${wasm}_f64`. */
  readonly wasm: string;
  readonly params: readonly `${string}: ${ParamType}`[];
  readonly returns: 'void' | 'i32' | 'f64';
  /**
   * Trailing i32 parameters of the export that say which part of the work a call does
   * (ranges of images, planes or rows): the host's table fills them in, with the whole, or
   * with each thread's part (src/wasm/split.ts). Not in the host's signature.
   */
  readonly ranges?: readonly string[];
  /** Exported as they are, not as wrappers over a generic (gemm has an f32 and an f64 function). */
  readonly exported?: { readonly f32: string; readonly f64: string };
}

const kernel = <const K extends KernelDeclaration>(k: K) => k;

export const KERNELS = {
  /** Returns 0 when every value written is finite, 1 when one may not be (scan it then). */
  elementwiseForward: kernel({
    from: 'elementwise',
    fn: 'elementwiseForward',
    wasm: 'elementwise_forward',
    params: ['op: i32', 'a: ptr', 'b: ptr', 'out: ptr', 'rows: i32', 'cols: i32', 'bMode: i32', 'constant: T'],
    returns: 'i32',
  }),
  /** Adds into da and db; fresh ≠ 0: da has no gradient yet (zeroed as it goes). Returns 0 when every value of da is finite, 1 when one may not be. */
  elementwiseBackward: kernel({
    from: 'elementwise',
    fn: 'elementwiseBackward',
    wasm: 'elementwise_backward',
    params: [
      'op: i32',
      'a: ptr',
      'b: ptr',
      'out: ptr',
      'dout: ptr',
      'da: ptr',
      'db: ptr',
      'rows: i32',
      'cols: i32',
      'bMode: i32',
      'constant: T',
      'fresh: i32',
    ],
    returns: 'i32',
  }),
  gemm: kernel({
    from: 'gemm',
    fn: 'gemm',
    wasm: 'gemm',
    params: [
      'transA: i32',
      'transB: i32',
      'm: i32',
      'n: i32',
      'k: i32',
      'a: ptr',
      'lda: i32',
      'b: ptr',
      'ldb: i32',
      'c: ptr',
      'ldc: i32',
      'accumulate: i32',
    ],
    returns: 'void',
    exported: { f32: 'gemmF32', f64: 'gemmF64' },
  }),
  /**
   * x[0 … n) = value. The host's TypedArray.fill is ~10× slower over the threaded build's
   * shared memory (V8 fills a SharedArrayBuffer element by element): 46 µs, not 5, to zero
   * the MNIST MLP's gradients.
   */
  fill: kernel({ from: 'data', fn: 'fill', wasm: 'fill', params: ['x: ptr', 'n: i32', 'value: T'], returns: 'void' }),
  /** Index of the first NaN or ±Infinity among n values, or -1. */
  firstNonFinite: kernel({ from: 'reduce', fn: 'firstNonFinite', wasm: 'first_non_finite', params: ['x: ptr', 'n: i32'], returns: 'i32' }),
  tensorForward: kernel({
    from: 'tensor-tape',
    fn: 'tensorForward',
    wasm: 'tensor_forward',
    params: ['tape: ptr', 'count: i32'],
    returns: 'i32',
  }),
  tensorBackward: kernel({
    from: 'tensor-tape',
    fn: 'tensorBackward',
    wasm: 'tensor_backward',
    params: ['tape: ptr', 'count: i32', 'grads: ptr', 'gradBytes: i32', 'seed: ptr', 'seedCount: i32'],
    returns: 'i32',
  }),
  sumForward: kernel({
    from: 'reduce',
    fn: 'sumForward',
    wasm: 'sum_forward',
    params: ['x: ptr', 'out: ptr', 'rows: i32', 'cols: i32', 'axis: i32', 'scale: f64'],
    returns: 'void',
  }),
  sumBackward: kernel({
    from: 'reduce',
    fn: 'sumBackward',
    wasm: 'sum_backward',
    params: ['dout: ptr', 'dx: ptr', 'rows: i32', 'cols: i32', 'axis: i32', 'scale: f64'],
    returns: 'void',
  }),
  /** out[c] += Σ_r x[r, c] */
  sumRowsInto: kernel({
    from: 'reduce',
    fn: 'sumRowsInto',
    wasm: 'sum_rows_into',
    params: ['x: ptr', 'out: ptr', 'rows: i32', 'cols: i32'],
    returns: 'void',
  }),
  gatherRows: kernel({
    from: 'data',
    fn: 'gatherRows',
    wasm: 'gather_rows',
    params: ['src: ptr', 'indices: ptr', 'dst: ptr', 'count: i32', 'cols: i32'],
    returns: 'void',
  }),
  batchNormForward: kernel({
    from: 'norm',
    fn: 'batchNormForward',
    wasm: 'batch_norm_forward',
    params: [
      'x: ptr',
      'y: ptr',
      'gamma: ptr',
      'beta: ptr',
      'mean: ptr',
      'invstd: ptr',
      'runningMean: ptr',
      'runningVar: ptr',
      'n: i32',
      'channels: i32',
      'spatial: i32',
      'eps: f64',
      'momentum: f64',
      'training: i32',
    ],
    returns: 'void',
  }),
  batchNormBackward: kernel({
    from: 'norm',
    fn: 'batchNormBackward',
    wasm: 'batch_norm_backward',
    params: [
      'x: ptr',
      'dy: ptr',
      'dx: ptr',
      'gamma: ptr',
      'dgamma: ptr',
      'dbeta: ptr',
      'mean: ptr',
      'invstd: ptr',
      'n: i32',
      'channels: i32',
      'spatial: i32',
      'training: i32',
    ],
    returns: 'void',
  }),
  /** mask[i] = 1/keep with probability keep, else 0; xoshiro128** state (4 words) at `state`, advanced. */
  dropoutMask: kernel({
    from: 'dropout',
    fn: 'dropoutMask',
    wasm: 'dropout_mask',
    params: ['mask: ptr', 'count: i32', 'keep: f64', 'state: ptr'],
    returns: 'void',
  }),
  sgdUpdate: kernel({
    from: 'optim',
    fn: 'sgdUpdate',
    wasm: 'sgd_update',
    params: ['w: ptr', 'g: ptr', 'velocity: ptr', 'n: i32', 'lr: f64', 'momentum: f64', 'nesterov: i32', 'weightDecay: f64'],
    returns: 'void',
  }),
  adamUpdate: kernel({
    from: 'optim',
    fn: 'adamUpdate',
    wasm: 'adam_update',
    params: [
      'w: ptr',
      'g: ptr',
      'm: ptr',
      'v: ptr',
      'n: i32',
      'lr: f64',
      'beta1: f64',
      'beta2: f64',
      'eps: f64',
      'weightDecay: f64',
      't: i32',
    ],
    returns: 'void',
  }),
  l2Forward: kernel({ from: 'reduce', fn: 'l2Forward', wasm: 'l2_forward', params: ['x: ptr', 'out: ptr', 'n: i32'], returns: 'void' }),
  l2Backward: kernel({
    from: 'reduce',
    fn: 'l2Backward',
    wasm: 'l2_backward',
    params: ['x: ptr', 'dout: ptr', 'dx: ptr', 'n: i32'],
    returns: 'void',
  }),
  softmaxForward: kernel({
    from: 'activations',
    fn: 'softmaxForward',
    wasm: 'softmax_forward',
    params: ['x: ptr', 'out: ptr', 'rows: i32', 'cols: i32'],
    returns: 'void',
  }),
  softmaxBackward: kernel({
    from: 'activations',
    fn: 'softmaxBackward',
    wasm: 'softmax_backward',
    params: ['y: ptr', 'dy: ptr', 'dx: ptr', 'rows: i32', 'cols: i32'],
    returns: 'void',
  }),
  maxoutForward: kernel({
    from: 'activations',
    fn: 'maxoutForward',
    wasm: 'maxout_forward',
    params: ['z: ptr', 'out: ptr', 'winners: ptr', 'rows: i32', 'units: i32', 'k: i32'],
    returns: 'void',
  }),
  maxoutBackward: kernel({
    from: 'activations',
    fn: 'maxoutBackward',
    wasm: 'maxout_backward',
    params: ['dout: ptr', 'winners: ptr', 'dz: ptr', 'rows: i32', 'units: i32', 'k: i32'],
    returns: 'void',
  }),
  softmaxCrossEntropyForward: kernel({
    from: 'loss',
    fn: 'softmaxCrossEntropyForward',
    wasm: 'softmax_ce_forward',
    params: ['z: ptr', 'labels: ptr', 'probs: ptr', 'rows: i32', 'cols: i32'],
    returns: 'f64',
  }),
  softmaxCrossEntropyBackward: kernel({
    from: 'loss',
    fn: 'softmaxCrossEntropyBackward',
    wasm: 'softmax_ce_backward',
    params: ['probs: ptr', 'labels: ptr', 'dz: ptr', 'rows: i32', 'cols: i32', 'dloss: f64'],
    returns: 'void',
  }),
  svmForward: kernel({
    from: 'loss',
    fn: 'svmForward',
    wasm: 'svm_forward',
    params: ['s: ptr', 'labels: ptr', 'rows: i32', 'cols: i32', 'margin: f64'],
    returns: 'f64',
  }),
  svmBackward: kernel({
    from: 'loss',
    fn: 'svmBackward',
    wasm: 'svm_backward',
    params: ['s: ptr', 'labels: ptr', 'ds: ptr', 'rows: i32', 'cols: i32', 'margin: f64', 'dloss: f64'],
    returns: 'void',
  }),
  // Convolution and pooling read their geometry from one block (src/ops.ts, WINDOW).
  // Their backwards add into the gradients they are given.
  /** col: one image's columns, reused for each image (a thread's own). */
  conv2dForward: kernel({
    from: 'conv',
    fn: 'conv2dForward',
    wasm: 'conv2d_forward',
    params: ['geometry: ptr', 'x: ptr', 'w: ptr', 'b: ptr', 'y: ptr', 'col: ptr'],
    ranges: ['first', 'end'],
    returns: 'void',
  }),
  /**
   * Each image group's weight (and, bias ≠ 0, bias) gradient into its slot of partials;
   * dx = 0: no input gradient. scratch: one image's columns (a thread's own).
   */
  conv2dBackward: kernel({
    from: 'conv',
    fn: 'conv2dBackward',
    wasm: 'conv2d_backward',
    params: ['geometry: ptr', 'x: ptr', 'w: ptr', 'dy: ptr', 'partials: ptr', 'bias: i32', 'dx: ptr', 'scratch: ptr'],
    ranges: ['groupStart', 'groupEnd', 'first', 'end'],
    returns: 'void',
  }),
  /** dw (and db ≠ 0) += conv2dBackward's groups, in order. */
  conv2dWeightSum: kernel({
    from: 'conv',
    fn: 'conv2dWeightSum',
    wasm: 'conv2d_weight_sum',
    params: ['geometry: ptr', 'partials: ptr', 'dw: ptr', 'db: ptr'],
    returns: 'void',
  }),
  maxPool2dForward: kernel({
    from: 'pool',
    fn: 'maxPool2dForward',
    wasm: 'max_pool2d_forward',
    params: ['geometry: ptr', 'x: ptr', 'y: ptr', 'argmax: ptr'],
    ranges: ['first', 'end'],
    returns: 'void',
  }),
  maxPool2dBackward: kernel({
    from: 'pool',
    fn: 'maxPool2dBackward',
    wasm: 'max_pool2d_backward',
    /** fresh ≠ 0: dx has no gradient yet, and each plane is zeroed just before its winners get theirs. */
    params: ['geometry: ptr', 'dy: ptr', 'argmax: ptr', 'dx: ptr', 'fresh: i32'],
    ranges: ['first', 'end'],
    returns: 'void',
  }),
  /** Forward (backward = 0: from x to y) or backward (1: from dy to dx). */
  avgPool2d: kernel({
    from: 'pool',
    fn: 'avgPool2d',
    wasm: 'avg_pool2d',
    params: ['geometry: ptr', 'from: ptr', 'to: ptr', 'backward: i32'],
    ranges: ['first', 'end'],
    returns: 'void',
  }),
} as const satisfies Record<string, KernelDeclaration>;

export type KernelName = keyof typeof KERNELS;

/** As many numbers as a kernel has parameters. */
type Numbers<P extends readonly unknown[]> = { -readonly [I in keyof P]: number };

/** A kernel as the host calls it: every argument a number; a result for i32/f64 kernels. */
export type KernelFunction<K extends KernelName> = (
  ...args: Numbers<(typeof KERNELS)[K]['params']>
) => (typeof KERNELS)[K]['returns'] extends 'void' ? void : number;
