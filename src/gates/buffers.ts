// What tensor gates share: buffers they own and reuse while shapes stay the same, and
// the checks every tensor argument gets.
import { describe, ShapeError, StateError, ValueError } from '../errors';
import { type DType, type Shape, sameShape, Tensor } from '../tensor';
import { allocate, i32, release } from '../wasm/instance';
import { kernels } from '../wasm/kernels';

/** One buffer a gate owns: reused while the shape and dtype stay, replaced when they change. */
export class Owned {
  private tensor: Tensor | null = null;

  /** `owner` names whose buffer it is in messages: a gate or layer, or a name. */
  constructor(private readonly owner: object | string) {}

  get(shape: Shape, dtype: DType): Tensor {
    const current = this.tensor;
    if (current && !current.disposed && current.dtype === dtype && sameShape(current.shape, shape)) return current;
    current?.releaseOwned();
    this.tensor = Tensor.owned(shape, dtype, typeof this.owner === 'string' ? this.owner : this.owner.constructor.name);
    return this.tensor;
  }

  zeroed(shape: Shape, dtype: DType): Tensor {
    const tensor = this.get(shape, dtype);
    tensor.data.fill(0);
    return tensor;
  }
}

/** `value` as a live Tensor, or a clear error naming the op and the argument. */
export function useTensor(op: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor, got ${describe(value)}`);
  if (value.disposed) throw new StateError(`${op}: ${name} (${value}) has been disposed`);
  return value;
}

/** A NaN or ±Infinity in a result is an error naming the op, never a silent NaN. */
export function requireFinite(op: string, tensor: Tensor, what: () => string): void {
  const at = kernels(tensor.dtype).firstNonFinite(tensor.ptr, tensor.size);
  if (at >= 0) {
    throw new ValueError(`${op}: ${what()} is ${tensor.data[at]} at element ${at}, outside the op's domain or range`);
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
}

const intsCollector = new FinalizationRegistry<number>(release);

/** Class labels: one integer in [0, classes) per row, copied into `into`. */
export function writeLabels(op: string, labels: unknown, rows: number, classes: number, into: OwnedInts): number {
  const ok = labels instanceof Int32Array || Array.isArray(labels) || labels instanceof Uint8Array || labels instanceof Uint16Array;
  if (!ok) throw new ValueError(`${op}: labels must be an Int32Array (or an array) of class indices, got ${describe(labels)}`);
  const list = labels as ArrayLike<number>;
  if (list.length !== rows) throw new ShapeError(`${op}: ${list.length} labels for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    const label = list[i];
    if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= classes) {
      throw new ValueError(`${op}: label ${i} is ${describe(label)}, not a class index in [0, ${classes})`);
    }
  }
  const ptr = into.reserve(rows);
  into.view(rows).set(list);
  return ptr;
}
