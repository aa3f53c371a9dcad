// A Tensor is a shape, a dtype and a buffer in wasm linear memory. TypeScript holds
// only the pointer: `data` makes a fresh view on each access, so a memory.grow (which
// detaches every old view) can never leave a stale one behind.
import { describe, ShapeError, StateError, ValueError } from './errors';
import { Random } from './random';
import { allocate, f32, f64, release } from './wasm/instance';

export type DType = 'float32' | 'float64';
export type Shape = readonly number[];
export type NestedNumbers = number | readonly NestedNumbers[];
export type FloatArray = Float32Array | Float64Array;

export interface TensorOptions {
  /** float32 (default) or float64 (for gradcheck). */
  dtype?: DType;
}

export interface RandomOptions extends TensorOptions {
  seed?: number;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8 };

// A user's tensor that is never disposed is freed when it is collected.
const collector = new FinalizationRegistry<number>(release);

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  #ptr: number;
  /** The gate or graph whose buffer this is, or null for a tensor the user made. */
  readonly #owner: string | null;
  /** A view into a larger block (a graph's slab), which the tensor must never free. */
  readonly #borrowed: boolean;

  /** @internal Use Tensor.from / zeros / … ; gates make owned tensors with `Tensor.owned`. */
  constructor(ptr: number, shape: Shape, dtype: DType, owner: string | null, borrowed = false) {
    this.#ptr = ptr;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.#owner = owner;
    this.#borrowed = borrowed;
    // A tensor nobody disposes is freed when it is collected, whoever owned it.
    if (!borrowed) collector.register(this, ptr, this);
  }

  // ---- making tensors -------------------------------------------------------------------

  /** From nested arrays (the shape is read from the nesting) or a flat array with a shape. */
  static from(data: NestedNumbers | ArrayLike<number>, shape?: Shape, options: TensorOptions = {}): Tensor {
    const dtype = checkDType('Tensor.from', options.dtype);
    let flat: ArrayLike<number>;
    let resolved: Shape;
    if (ArrayBuffer.isView(data) || (shape !== undefined && Array.isArray(data) && !data.some(Array.isArray))) {
      flat = data as ArrayLike<number>;
      resolved = shape ?? [flat.length];
    } else {
      const nested = flatten(data as NestedNumbers);
      flat = nested.values;
      resolved = shape ?? nested.shape;
    }
    checkShape('Tensor.from', resolved);
    if (sizeOf(resolved) !== flat.length) {
      throw new ShapeError(`Tensor.from: ${flat.length} values do not fill shape [${resolved.join(', ')}] (${sizeOf(resolved)} elements)`);
    }
    for (let i = 0; i < flat.length; i++) {
      const value = flat[i];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ValueError(`Tensor.from: element ${i} must be a finite number, got ${describe(value)}`);
      }
    }
    const tensor = Tensor.empty(resolved, dtype, 'Tensor.from');
    tensor.data.set(flat);
    // A finite number beyond float32's range becomes ±Infinity when stored.
    const stored = tensor.data;
    for (let i = 0; i < stored.length; i++) {
      if (!Number.isFinite(stored[i] as number)) {
        tensor.dispose();
        throw new ValueError(`Tensor.from: element ${i} (${flat[i]}) is outside the range of ${dtype}`);
      }
    }
    return tensor;
  }

  static zeros(shape: Shape, options: TensorOptions = {}): Tensor {
    checkShape('Tensor.zeros', shape);
    return Tensor.empty(shape, checkDType('Tensor.zeros', options.dtype), 'Tensor.zeros');
  }

  static ones(shape: Shape, options: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 1, options);
  }

  static full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
    checkShape('Tensor.full', shape);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new ValueError(`Tensor.full: value must be a finite number, got ${describe(value)}`);
    const tensor = Tensor.empty(shape, checkDType('Tensor.full', options.dtype), 'Tensor.full');
    tensor.data.fill(value);
    return tensor;
  }

  /** Uniform in [low, high), from a seeded generator. */
  static rand(shape: Shape, { low = 0, high = 1, seed = 0, dtype }: RandomOptions & { low?: number; high?: number } = {}): Tensor {
    checkShape('Tensor.rand', shape);
    checkSeed('Tensor.rand', seed);
    finiteOption('Tensor.rand', 'low', low);
    finiteOption('Tensor.rand', 'high', high);
    if (!(low < high)) throw new ValueError(`Tensor.rand: low must be below high, got low ${low}, high ${high}`);
    const random = new Random(seed);
    const tensor = Tensor.empty(shape, checkDType('Tensor.rand', dtype), 'Tensor.rand');
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * random.uniform();
    return tensor;
  }

  /** Normal with the given mean and standard deviation, from a seeded generator. */
  static randn(shape: Shape, { mean = 0, std = 1, seed = 0, dtype }: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
    checkShape('Tensor.randn', shape);
    checkSeed('Tensor.randn', seed);
    finiteOption('Tensor.randn', 'mean', mean);
    finiteOption('Tensor.randn', 'std', std);
    if (std < 0) throw new ValueError(`Tensor.randn: std must be ≥ 0, got ${std}`);
    const random = new Random(seed);
    const tensor = Tensor.empty(shape, checkDType('Tensor.randn', dtype), 'Tensor.randn');
    const data = tensor.data;
    for (let i = 0; i < data.length; i++) data[i] = mean + std * random.normal();
    return tensor;
  }

  /** @internal A zeroed tensor owned by `owner` (a gate or graph), which frees it. */
  static owned(shape: Shape, dtype: DType, owner: string): Tensor {
    const ptr = allocate(sizeOf(shape) * BYTES[dtype], `${owner}: a [${shape.join(', ')}] ${dtype} buffer`);
    return new Tensor(ptr, shape, dtype, owner);
  }

  /** @internal A view of `size(shape)` elements at `ptr` inside a block that `owner` frees. */
  static view(ptr: number, shape: Shape, dtype: DType, owner: string): Tensor {
    return new Tensor(ptr, shape, dtype, owner, true);
  }

  private static empty(shape: Shape, dtype: DType, op: string): Tensor {
    const ptr = allocate(sizeOf(shape) * BYTES[dtype], `${op}: a [${shape.join(', ')}] ${dtype} tensor`);
    return new Tensor(ptr, shape, dtype, null);
  }

  // ---- reading ---------------------------------------------------------------------------

  get rank(): number {
    return this.shape.length;
  }

  /** Bytes per element. */
  get itemBytes(): number {
    return BYTES[this.dtype];
  }

  /** @internal The buffer's byte offset in linear memory; a clear error once disposed. */
  get ptr(): number {
    return this.live('Tensor');
  }

  /** The pointer, or a StateError naming `op` once the tensor is disposed. */
  private live(op: string): number {
    if (this.#ptr === 0) throw new StateError(`${op}: Tensor [${this.shape.join(', ')}] has been disposed`);
    return this.#ptr;
  }

  get disposed(): boolean {
    return this.#ptr === 0;
  }

  /** A view of the elements in linear memory: valid until memory grows, so do not keep it. */
  get data(): FloatArray {
    const ptr = this.live('data');
    return this.dtype === 'float32'
      ? f32().subarray(ptr >>> 2, (ptr >>> 2) + this.size)
      : f64().subarray(ptr >>> 3, (ptr >>> 3) + this.size);
  }

  /** The elements as nested arrays of numbers. */
  toArray(): NestedNumbers {
    this.live('toArray');
    const data = this.data;
    if (this.rank === 0) return data[0] as number;
    const build = (dim: number, offset: number): NestedNumbers[] => {
      const length = this.shape[dim] as number;
      if (dim === this.rank - 1) return Array.from(data.subarray(offset, offset + length));
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** The one element of a single-element tensor. */
  item(): number {
    this.live('item');
    if (this.size !== 1) throw new ShapeError(`item: the tensor has shape [${this.shape.join(', ')}], not one element`);
    return this.data[0] as number;
  }

  /** A copy the caller owns (and disposes). */
  clone(): Tensor {
    this.live('clone');
    const copy = Tensor.empty(this.shape, this.dtype, 'clone');
    copy.data.set(this.data);
    return copy;
  }

  /** The same elements in float64 or float32, as a new tensor the caller owns. */
  to(dtype: DType): Tensor {
    this.live('to');
    const copy = Tensor.empty(this.shape, checkDType('to', dtype), 'to');
    copy.data.set(this.data);
    return copy;
  }

  /** Frees the buffer. A tensor a gate or graph returned is theirs: clone() it to keep it. */
  dispose(): void {
    if (this.#owner !== null) {
      throw new StateError(`dispose: this tensor belongs to ${this.#owner}, which reuses its buffer; clone() it to keep a copy`);
    }
    if (this.#ptr === 0) return;
    collector.unregister(this);
    release(this.#ptr);
    this.#ptr = 0;
  }

  /** @internal Called by the owning gate or graph when it frees or replaces the buffer. */
  releaseOwned(): void {
    if (this.#ptr !== 0 && !this.#borrowed) {
      collector.unregister(this);
      release(this.#ptr);
    }
    this.#ptr = 0;
  }

  toString(): string {
    return `Tensor(${this.dtype} [${this.shape.join(', ')}])`;
  }
}

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Rows × cols as the kernels see a tensor: the last axis is cols, the rest are rows. */
export function rowsCols(shape: Shape): [rows: number, cols: number] {
  const cols = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  return [cols === 0 ? 0 : sizeOf(shape) / cols, cols];
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

function checkShape(op: string, shape: unknown): void {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new ShapeError(
      `${op}: a shape is an array of non-negative integers, got ${Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape)}`,
    );
  }
}

function checkSeed(op: string, seed: unknown): void {
  if (!Number.isInteger(seed)) throw new ValueError(`${op}: seed must be an integer, got ${describe(seed)}`);
}

function finiteOption(op: string, name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${op}: ${name} must be a finite number, got ${describe(value)}`);
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (dtype === 'float32' || dtype === 'float64') return dtype;
  throw new ValueError(`${op}: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
}

function flatten(data: NestedNumbers): { values: number[]; shape: number[] } {
  if (typeof data === 'number' || !Array.isArray(data)) return { values: [data as number], shape: [] };
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (node: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(node)) throw new ShapeError(`Tensor.from: ragged nesting at ${path}: an array where a number belongs`);
      values.push(node as number);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new ShapeError(
        `Tensor.from: ragged nesting at ${path}: expected ${shape[dim]} entries, got ${Array.isArray(node) ? node.length : describe(node)}`,
      );
    }
    for (const [i, child] of node.entries()) walk(child, dim + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return { values, shape };
}
