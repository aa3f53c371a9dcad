// Minibatches of a data set that lives in linear memory, as PyTorch's DataLoader hands
// them out: rows gathered by index in wasm into one buffer the loader reuses, so a
// training loop over it allocates nothing after its first step and disposes nothing.
import { ShapeError, ValueError } from '../errors';
import { Owned, OwnedInts, useTensor } from '../gates/buffers';
import { Random } from '../random';
import { formatShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';

/** Class labels (one per sample), or target rows. */
export type Targets = Int32Array | Tensor;

/** A data set: x [samples, …features], and class labels (one per sample) or target rows. */
export interface Dataset<Y extends Targets = Targets> {
  x: Tensor;
  y: Y;
}

export interface DataLoaderOptions {
  /** Rows per batch (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** A new order every epoch (default false: the data set's order). */
  shuffle?: boolean;
  /** Seed of the shuffle: the same seed gives the same batches. */
  seed?: number;
  /** Leave out the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** One minibatch: buffers the loader owns, valid until it hands out the next batch. */
export interface Batch<Y extends Targets = Targets> {
  /** [rows, …features] */
  x: Tensor;
  /** The labels of those rows, or their target rows. */
  y: Y;
  /** Rows in this batch. */
  size: number;
  /** Which batch of the epoch, from 0. */
  index: number;
}

/**
 * Iterates over `data` in batches, one epoch per `for … of`:
 *
 *     const loader = new nn.DataLoader({ x, y }, { batchSize: 64, shuffle: true, seed: 1 });
 *     for (const { x, y } of loader) { … }
 */
export class DataLoader<Y extends Targets = Targets> implements Iterable<Batch<Y>> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Rows in the data set. */
  readonly samples: number;
  private readonly data: Dataset<Y>;
  private readonly order: Int32Array;
  private readonly random: Random;
  private readonly xs = new Owned(this, 'batch');
  private readonly ys = new Owned(this, 'batch');
  private readonly indices = new OwnedInts(this);
  private labels = new Int32Array(0);

  constructor(data: Dataset<Y>, options: DataLoaderOptions = {}) {
    const op = 'DataLoader';
    const { batchSize = 32, shuffle = false, seed = 0, dropLast = false } = options;
    this.samples = checkDataset(op, data);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`${op}: batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    if (!Number.isInteger(seed)) throw new ValueError(`${op}: seed must be an integer, got ${String(seed)}`);
    if (dropLast && this.samples < batchSize) {
      throw new ValueError(`${op}: with dropLast, ${this.samples} samples make no batch of ${batchSize}`);
    }
    this.data = data;
    this.batchSize = batchSize;
    this.shuffle = Boolean(shuffle);
    this.dropLast = Boolean(dropLast);
    this.order = Int32Array.from({ length: this.samples }, (_, i) => i);
    this.random = new Random(seed);
    this.indices.reserve(batchSize);
  }

  /**
   * Frees the loader's buffers now, rather than when it is collected (which a synchronous
   * loop never lets happen): for a loader made for one pass, as nn.fit and nn.evaluate
   * make theirs. Iterating again makes new ones.
   */
  dispose(): void {
    this.xs.free();
    this.ys.free();
    this.indices.free();
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.samples / this.batchSize) : Math.ceil(this.samples / this.batchSize);
  }

  /** One epoch: a new order first when shuffling (the generator runs on from epoch to epoch). */
  *[Symbol.iterator](): Iterator<Batch<Y>> {
    if (this.shuffle) shuffleInPlace(this.order, this.random);
    const batches = this.length;
    for (let index = 0; index < batches; index++) {
      const start = index * this.batchSize;
      const size = Math.min(this.batchSize, this.samples - start);
      yield { ...this.gather(start, size), size, index };
    }
  }

  private gather(start: number, count: number): { x: Tensor; y: Y } {
    const x = useTensor('DataLoader', 'data.x', this.data.x);
    const y = this.data.y instanceof Int32Array ? this.data.y : useTensor('DataLoader', 'data.y', this.data.y);
    const ptr = this.indices.reserve(count);
    this.indices.view(count).set(this.order.subarray(start, start + count));
    const features = x.size / this.samples;
    const bx = this.xs.get([count, ...x.shape.slice(1)], x.dtype);
    kernels(x.dtype).gatherRows(x.ptr, ptr, bx.ptr, count, features);
    if (y instanceof Int32Array) {
      if (this.labels.length !== count) this.labels = new Int32Array(count);
      for (let i = 0; i < count; i++) this.labels[i] = y[this.order[start + i] as number] as number;
      return { x: bx, y: this.labels as Y };
    }
    const by = this.ys.get([count, ...y.shape.slice(1)], y.dtype);
    kernels(y.dtype).gatherRows(y.ptr, ptr, by.ptr, count, y.size / this.samples);
    return { x: bx, y: by as Y };
  }
}

/** The number of samples in `data`, or a clear error naming `op`. */
export function checkDataset(op: string, data: Dataset): number {
  if (typeof data !== 'object' || data === null || !data.x || !data.y)
    throw new ValueError(`${op}: data must be { x: Tensor, y: Int32Array | Tensor }`);
  useTensor(op, 'data.x', data.x);
  if (!(data.y instanceof Int32Array)) useTensor(op, 'data.y', data.y);
  if (data.x.rank < 2) throw new ShapeError(`${op}: x must be [samples, features], got ${formatShape(data.x.shape)}`);
  const samples = data.x.shape[0] as number;
  const rows = data.y instanceof Int32Array ? data.y.length : (data.y.shape[0] as number);
  if (rows !== samples) throw new ShapeError(`${op}: ${samples} samples in x but ${rows} in y`);
  if (samples === 0) throw new ValueError(`${op}: the data set is empty (x is ${formatShape(data.x.shape)})`);
  return samples;
}

function shuffleInPlace(order: Int32Array, random: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = order[i] as number;
    order[i] = order[j] as number;
    order[j] = t;
  }
}
