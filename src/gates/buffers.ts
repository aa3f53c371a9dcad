// What tensor gates and layers share: buffers they own and reuse while shapes stay the
// same, and the checks every tensor argument and every cached tensor gets.
import { DTYPES } from '../dtype';
import { describe, type NonFiniteDetails, NonFiniteError, ShapeError, StateError, ValueError } from '../errors';
import { checkClassIndices } from '../shapes';
import { type DType, fillTensor, type Shape, Storage, sizeOf, staleMessage, Tensor } from '../tensor';
import { allocate, i32, release } from '../wasm/instance';
import { kernels } from '../wasm/kernels';

/**
 * What a buffer holds: its owner's forward output, a backward's gradient, a batch, or
 * another result.
 */
export type Role = 'output' | 'gradient' | 'batch' | 'result';
/**
 * One buffer slot of a gate or layer: the same block while the shape and dtype stay, a
 * new one when they change. Every `get` is a new write: it bumps the storage's version
 * and returns a new handle, so the handles of earlier calls are stale.
 */
export class Owned {
  private storage: Storage | null = null;
  private capacity = 0;

  /** `owner` names whose buffer it is in messages: a gate or layer, or a name. */
  constructor(
    private readonly owner: object | string,
    private readonly role: Role = 'output',
  ) {}

  /**
   * A new handle on the slot's block, shaped `shape`. The block is kept while it is large
   * enough, so a smaller last batch and the full batches after it reuse it: a training
   * loop allocates nothing after its first step.
   */
  get(shape: Shape, dtype: DType): Tensor {
    const bytes = sizeOf(shape) * DTYPES[dtype].bytes;
    let storage = this.storage;
    if (storage === null || storage.ptr === 0 || bytes > this.capacity) {
      const name = ownerName(this.owner);
      const ptr = allocate(bytes, `${name}: a [${shape.join(', ')}] ${dtype} ${this.role}`);
      storage?.release(true);
      storage = this.storage = new Storage(ptr, name, this.role, this, bytes);
      this.capacity = bytes;
    }
    storage.version++;
    storage.writer = writerOf(ownerName(this.owner), this.role);
    return new Tensor(storage, shape, dtype);
  }

  zeroed(shape: Shape, dtype: DType): Tensor {
    const tensor = this.get(shape, dtype);
    fillTensor(tensor, 0);
    return tensor;
  }

  /** Frees the buffer now (its handles become disposed). */
  free(): void {
    this.storage?.release();
    this.storage = null;
  }
}

function ownerName(owner: object | string): string {
  if (typeof owner === 'string') return owner;
  return (owner as { label?: string }).label ?? owner.constructor.name;
}

/** What wrote a buffer, for messages: "a later ReLU.forward", "a later mse call". */
function writerOf(owner: string, role: Role): string {
  if (owner.includes('.')) return `a later ${owner}`; // already names the method: "Linear.predict"
  if (role === 'batch') return `the next batch of the ${owner}`;
  // A function (softmaxCrossEntropy, mse) is called; a class's buffer is written by a method.
  if (/^[a-z]/.test(owner) || role === 'result') return `a later ${owner} call`;
  return `a later ${owner}.${role === 'gradient' ? 'backward' : 'forward'}`;
}

/** `value` as a live Tensor, or a clear error naming the op and the argument. */
export function useTensor(op: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) {
    if ((value as object | null)?.constructor?.name === 'Tensor') {
      throw new ValueError(
        `${op}: ${name} is a Tensor of another copy of wasmgrad (the app loads the package twice, say by import and by require): ` +
          'pass each copy the tensors it made',
      );
    }
    throw new ValueError(`${op}: ${name} must be a Tensor, got ${describe(value)}`);
  }
  if (value.stale) throw new StateError(`${op}: ${name} is stale: ${staleMessage(value)}`);
  if (value.disposed) throw new StateError(`${op}: ${name} (${value}) has been disposed`);
  return value;
}

/**
 * A tensor a forward keeps for its backward, with the version it had then. If anything
 * wrote it in between (a later call of the gate that made it, or `Tensor.set`), the
 * backward would differentiate numbers the forward never saw: that is a StateError.
 */
export class Saved {
  private tensor: Tensor | null = null;
  private version = 0;

  keep(tensor: Tensor): void {
    this.tensor = tensor;
    this.version = tensor.version;
  }

  clear(): void {
    this.tensor = null;
  }

  get kept(): Tensor | null {
    return this.tensor;
  }

  /** The tensor, unchanged since `keep`, or a StateError naming `op` and what wrote it. */
  use(op: string, name: string): Tensor {
    if (this.tensor === null) throw new StateError(`${op}: called before forward`);
    return useSaved(op, name, this.tensor, this.version);
  }
}

/** A tensor kept by a forward at `version`, or a StateError if it has been written or freed since. */
export function useSaved(op: string, name: string, tensor: Tensor, version: number): Tensor {
  if (tensor.stale || tensor.version !== version) {
    throw new StateError(
      `${op}: ${name}, kept by the forward this backward differentiates, has been overwritten since by ${tensor.storage.writer}. ` +
        'Run forward again before backward; to evaluate in between, use model.predict(x), which leaves training caches alone',
    );
  }
  if (tensor.disposed) throw new StateError(`${op}: ${name} (${tensor}), kept by forward, has been disposed since`);
  return tensor;
}

/**
 * dout, checked against the output `produced` by the forward this backward differentiates:
 * a gradient of an earlier output of the same slot means a forward ran in between, and the
 * caches now belong to it.
 */
export function checkGradientSource(op: string, dout: Tensor, produced: Tensor | null): void {
  const source = dout.gradientOf;
  if (source === null || produced === null) return;
  const slot = produced.storage.slot;
  if (slot === null || source.slot !== slot) return;
  if (source === produced.storage && dout.gradientOfVersion === produced.version) return;
  throw new StateError(
    `${op}: dout is the gradient of an output of an earlier ${produced.storage.owner}.forward: ${produced.storage.writer} ` +
      'has run since, and the caches this backward needs now belong to it. Run forward again before backward; ' +
      'to evaluate in between, use model.predict(x), which leaves training caches alone',
  );
}

/** A NaN or ±Infinity in a result is an error naming the op, never a silent NaN. */
export function requireFinite(op: string, tensor: Tensor, what: () => string, found: Pick<NonFiniteDetails, 'op' | 'kind'>): void {
  const at = kernels(tensor.dtype).firstNonFinite(tensor.ptr, tensor.size);
  if (at >= 0) {
    const value = tensor.data[at] as number;
    throw new NonFiniteError(`${op}: ${what()} is ${value} at element ${at}, outside the op's domain or range`, {
      ...found,
      value,
      index: at,
    });
  }
}

/** An i32 buffer a gate owns (labels, maxout winners): grown when too small, never shrunk. */
export class OwnedInts {
  private ptr = 0;
  private capacity = 0;

  constructor(private readonly owner: object | string) {}

  /** The buffer's pointer, with room for at least `count` values. */
  reserve(count: number): number {
    if (count > this.capacity || this.ptr === 0) {
      if (this.ptr !== 0) {
        intsCollector.unregister(this);
        release(this.ptr);
      }
      this.ptr = 0;
      this.ptr = allocate(
        Math.max(count, 1) * 4,
        `${typeof this.owner === 'string' ? this.owner : this.owner.constructor.name}: ${count} i32 values`,
      );
      this.capacity = count;
      intsCollector.register(this, this.ptr, this);
    }
    return this.ptr;
  }

  /** A view of the first `count` values (re-made each call: memory may have grown). */
  view(count: number): Int32Array {
    return i32().subarray(this.ptr >>> 2, (this.ptr >>> 2) + count);
  }

  /** Frees the buffer now; the next `reserve` makes a new one. */
  free(): void {
    if (this.ptr !== 0) {
      intsCollector.unregister(this);
      release(this.ptr);
    }
    this.ptr = 0;
    this.capacity = 0;
  }
}

const intsCollector = new FinalizationRegistry<number>(release);

/** Class labels: one integer in [0, classes) per row, copied into `into`. */
export function writeLabels(op: string, labels: unknown, rows: number, classes: number, into: OwnedInts): number {
  const ok = labels instanceof Int32Array || Array.isArray(labels) || labels instanceof Uint8Array || labels instanceof Uint16Array;
  if (!ok) throw new ValueError(`${op}: labels must be an Int32Array (or an array) of class indices, got ${describe(labels)}`);
  const list = labels as ArrayLike<number>;
  if (list.length !== rows) throw new ShapeError(`${op}: ${list.length} labels for ${rows} rows`);
  checkClassIndices(op, list, classes, (i) => `label ${i}`);
  const ptr = into.reserve(rows);
  into.view(rows).set(list);
  return ptr;
}
