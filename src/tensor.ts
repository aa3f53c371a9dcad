// A Tensor is a handle: a shape and a dtype over a Storage, a buffer in wasm linear
// memory. TypeScript holds only the pointer: `data` makes a fresh view on each access, so
// a memory.grow (which detaches every old view) can never leave a stale one behind.
//
// A gate or layer reuses its output buffers from call to call. Each call hands out a new
// handle and bumps the storage's version, so a handle from an earlier call — kept by the
// user, or cached by the next layer for its backward — is known to be stale and using it
// is a StateError naming who overwrote it, never a silent read of newer numbers. It is
// PyTorch's version counter for in-place changes, applied to reused buffers.
import { DTYPES, type DType } from './dtype';
import { describe, ShapeError, StateError, ValueError } from './errors';
import { Random } from './random';
import { allocate, countUserTensor, f32, f64, release } from './wasm/instance';
import { kernels } from './wasm/kernels';

export type { DType };
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

/** What a collected storage must free: its block, and whether it counted as the user's. */
interface Held {
  ptr: number;
  userBytes: number;
}

// A buffer nobody disposes is freed when its storage is collected.
const collector = new FinalizationRegistry<Held>((held) => {
  release(held.ptr);
  if (held.userBytes > 0) countUserTensor(-1, -held.userBytes);
});

/**
 * @internal A block of linear memory and who writes it. `slot` is the buffer slot of a
 * gate or layer that rewrites it on every call; null for the user's tensors (which only
 * `Tensor.set` rewrites) and for the fixed buffers of parameters and graph nodes.
 */
export class Storage {
  /** Bumped on every write by its owner; a handle remembers the version it was made at. */
  version = 0;
  /** Who wrote the current contents ("ReLU.forward", "Tensor.set"): for messages. */
  writer: string;
  readonly #held: Held | null;

  constructor(
    public ptr: number,
    /** Whose buffer it is ("Linear", "DataLoader"), or null for the user's. */
    readonly owner: string | null,
    /** What the buffer is, for messages: "output", "gradient", "batch". */
    readonly role: string,
    readonly slot: object | null,
    bytes: number,
    /** A view into a block someone else frees (a graph's slab). */
    borrowed = false,
  ) {
    this.writer = owner === null ? 'Tensor.from' : owner;
    this.#held = borrowed ? null : { ptr, userBytes: owner === null ? bytes : 0 };
    if (this.#held) {
      collector.register(this, this.#held, this);
      if (owner === null) countUserTensor(1, bytes);
    }
  }

  /** "ReLU's output", "your tensor": whose buffer, in a message. */
  get description(): string {
    return this.owner === null ? 'a tensor of yours' : `${this.owner}'s ${this.role}`;
  }

  /** Frees the block now. `replaced`: its owner made a new one, so old handles are stale, not disposed. */
  release(replaced = false): void {
    if (this.ptr !== 0 && this.#held) {
      collector.unregister(this);
      release(this.ptr);
      if (this.#held.userBytes > 0) countUserTensor(-1, -this.#held.userBytes);
    }
    this.ptr = 0;
    if (replaced) this.version++;
  }
}

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  readonly #storage: Storage;
  /** The storage's version when this handle was made (or last set by its user). */
  #version: number;
  /** @internal For a gradient: the tensor it is the gradient of, and that tensor's version then. */
  gradientOf: Storage | null = null;
  /** @internal */
  gradientOfVersion = 0;

  /** @internal Use Tensor.from / zeros / … ; gates and layers get theirs from an `Owned` slot. */
  constructor(storage: Storage, shape: Shape, dtype: DType) {
    this.#storage = storage;
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.#version = storage.version;
  }

  // ---- making tensors -------------------------------------------------------------------

  /** From nested arrays (the shape is read from the nesting) or a flat array with a shape. */
  static from(data: NestedNumbers | ArrayLike<number>, shape?: Shape, options: TensorOptions = {}): Tensor {
    const op = 'Tensor.from';
    const dtype = checkDType(op, options.dtype);
    const { flat, shape: resolved } = readData(op, data, shape);
    const tensor = Tensor.empty(resolved, dtype, op);
    try {
      tensor.data.set(flat);
      requireFiniteCopy(op, tensor.ptr, tensor, flat);
    } catch (error) {
      tensor.dispose();
      throw error;
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
    fillTensor(tensor, value);
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

  /** @internal A zeroed tensor that `owner` keeps for its lifetime (a parameter, an optimizer's state). */
  static owned(shape: Shape, dtype: DType, owner: string, role = 'buffer'): Tensor {
    const bytes = sizeOf(shape) * DTYPES[dtype].bytes;
    const ptr = allocate(bytes, `${owner}: a [${shape.join(', ')}] ${dtype} ${role}`);
    return new Tensor(new Storage(ptr, owner, role, null, bytes), shape, dtype);
  }

  /** @internal A view of `size(shape)` elements at `ptr` inside a block that `owner` frees. */
  static view(ptr: number, shape: Shape, dtype: DType, owner: string): Tensor {
    return new Tensor(new Storage(ptr, owner, 'value', null, 0, true), shape, dtype);
  }

  private static empty(shape: Shape, dtype: DType, op: string): Tensor {
    const bytes = sizeOf(shape) * DTYPES[dtype].bytes;
    const ptr = allocate(bytes, `${op}: a [${shape.join(', ')}] ${dtype} tensor`);
    return new Tensor(new Storage(ptr, null, 'tensor', null, bytes), shape, dtype);
  }

  // ---- writing ---------------------------------------------------------------------------

  /**
   * Copies new values into this tensor (same number of elements, e.g. the next batch), so
   * that a loop can reuse one tensor instead of making one per step. Checked before any
   * element changes: on a bad value the tensor keeps its old contents.
   */
  set(data: NestedNumbers | ArrayLike<number>): this {
    const op = 'Tensor.set';
    const storage = this.#storage;
    if (storage.owner !== null) {
      throw new StateError(`${op}: this tensor is ${storage.description}, which writes it; set a tensor of your own`);
    }
    const ptr = this.live(op);
    const flatData = ArrayBuffer.isView(data) || isFlatArray(data);
    const { flat, shape } = readData(op, data, flatData ? this.shape : undefined, this.size);
    if (!flatData && !sameShape(shape, this.shape)) {
      throw new ShapeError(`${op}: nested arrays of shape ${formatShape(shape)} for a tensor of shape ${formatShape(this.shape)}`);
    }
    const bytes = this.size * this.itemBytes;
    // Staged and checked in linear memory, then copied in: a failure leaves this tensor as it was.
    const staging = stagingBlock(bytes);
    const view =
      this.dtype === 'float32'
        ? f32().subarray(staging >>> 2, (staging >>> 2) + this.size)
        : f64().subarray(staging >>> 3, (staging >>> 3) + this.size);
    view.set(flat);
    requireFiniteCopy(op, staging, this, flat);
    const memory = this.dtype === 'float32' ? f32() : f64();
    const shift = this.dtype === 'float32' ? 2 : 3;
    memory.copyWithin(ptr >>> shift, staging >>> shift, (staging >>> shift) + this.size);
    storage.version++;
    storage.writer = op;
    this.#version = storage.version;
    return this;
  }

  // ---- reading ---------------------------------------------------------------------------

  get rank(): number {
    return this.shape.length;
  }

  /** Bytes per element. */
  get itemBytes(): number {
    return DTYPES[this.dtype].bytes;
  }

  /** @internal The buffer's byte offset in linear memory; a clear error once disposed or overwritten. */
  get ptr(): number {
    return this.live('Tensor');
  }

  /** @internal The storage's version: a cache compares it with the one it saw. */
  get version(): number {
    return this.#storage.version;
  }

  /** @internal */
  get storage(): Storage {
    return this.#storage;
  }

  /** Whether a later call of its owner (a gate or layer) has overwritten this buffer. */
  get stale(): boolean {
    return this.#version !== this.#storage.version;
  }

  /** The pointer, or a StateError naming `op` once the tensor is disposed or overwritten. */
  private live(op: string): number {
    const storage = this.#storage;
    if (this.#version !== storage.version) throw new StateError(`${op}: ${staleMessage(this)}`);
    if (storage.ptr === 0) throw new StateError(`${op}: Tensor [${this.shape.join(', ')}] has been disposed`);
    return storage.ptr;
  }

  get disposed(): boolean {
    return this.#storage.ptr === 0;
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

  /** Frees the buffer. A tensor a gate or layer returned is theirs: clone() it to keep it. */
  dispose(): void {
    const storage = this.#storage;
    if (storage.owner !== null) {
      throw new StateError(
        `dispose: this tensor belongs to ${storage.owner} (its ${storage.role}), which reuses its buffer; clone() it to keep a copy`,
      );
    }
    storage.release();
  }

  /** @internal Marks this tensor as the gradient of `x` as it is now. */
  gradientFor(x: Tensor): this {
    this.gradientOf = x.#storage;
    this.gradientOfVersion = x.#storage.version;
    return this;
  }

  toString(): string {
    return `Tensor(${this.dtype} [${this.shape.join(', ')}])`;
  }
}

/** Why a handle is stale: whose buffer it is and what has written it since. */
export function staleMessage(t: Tensor): string {
  const storage = t.storage;
  const what = storage.owner === null ? 'this tensor' : `this tensor (${storage.description} from an earlier call)`;
  return `${what} has been overwritten since by ${storage.writer}; clone() a result you want to keep`;
}

// One block where Tensor.set stages and checks new values before they replace the old.
let staging = 0;
let stagingBytes = 0;

function stagingBlock(bytes: number): number {
  if (bytes > stagingBytes) {
    const ptr = allocate(bytes, `Tensor.set: ${bytes} bytes to stage new values in`);
    release(staging);
    staging = ptr;
    stagingBytes = bytes;
  }
  return staging;
}

/**
 * After `flat` was copied to `ptr`: every element must have arrived as a finite number.
 * The scan runs in wasm (one SIMD pass); only a failure looks at `flat` to say why.
 */
function requireFiniteCopy(op: string, ptr: number, like: Tensor, flat: ArrayLike<unknown>): void {
  const at = like.size === 0 ? -1 : kernels(like.dtype).firstNonFinite(ptr, like.size);
  if (at < 0) return;
  const value = flat[at];
  if (typeof value === 'number' && Number.isFinite(value)) {
    throw new ValueError(`${op}: element ${at} (${value}) is outside the range of ${like.dtype}`);
  }
  throw new ValueError(`${op}: element ${at} must be a finite number, got ${describe(value)}`);
}

function isFlatArray(data: unknown): boolean {
  return Array.isArray(data) && !data.some(Array.isArray);
}

/**
 * The values of `data` in row-major order and their shape. Typed arrays are taken as they
 * are; plain arrays must hold numbers only (a string or boolean would be converted silently
 * by a typed array, so it is refused here).
 */
function readData(op: string, data: unknown, shape: Shape | undefined, expectedSize?: number): { flat: ArrayLike<number>; shape: Shape } {
  let flat: ArrayLike<number>;
  let resolved: Shape;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    flat = data as unknown as ArrayLike<number>;
    resolved = shape ?? [flat.length];
  } else if (shape !== undefined && isFlatArray(data)) {
    flat = data as number[];
    resolved = shape;
  } else if (typeof data === 'number' || Array.isArray(data)) {
    const nested = flatten(op, data as NestedNumbers);
    flat = nested.values;
    resolved = shape ?? nested.shape;
  } else {
    throw new ValueError(`${op}: data must be numbers (nested arrays, an array or a typed array), got ${describe(data)}`);
  }
  checkShape(op, resolved);
  const size = expectedSize ?? sizeOf(resolved);
  if (flat.length !== size) {
    throw new ShapeError(`${op}: ${flat.length} values do not fill shape [${resolved.join(', ')}] (${size} elements)`);
  }
  if (Array.isArray(flat)) {
    for (let i = 0; i < flat.length; i++) {
      if (typeof flat[i] !== 'number') throw new ValueError(`${op}: element ${i} must be a finite number, got ${describe(flat[i])}`);
    }
  }
  return { flat, shape: resolved };
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

function flatten(op: string, data: NestedNumbers): { values: number[]; shape: number[] } {
  if (typeof data === 'number' || !Array.isArray(data)) return { values: [data as number], shape: [] };
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (node: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(node)) throw new ShapeError(`${op}: ragged nesting at ${path}: an array where a number belongs`);
      values.push(node as number);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[dim]) {
      throw new ShapeError(
        `${op}: ragged nesting at ${path}: expected ${shape[dim]} entries, got ${Array.isArray(node) ? node.length : describe(node)}`,
      );
    }
    for (const [i, child] of node.entries()) walk(child, dim + 1, `${path}[${i}]`);
  };
  walk(data, 0, 'data');
  return { values, shape };
}

/**
 * @internal Sets every value of `tensor` to `value`, in wasm: TypedArray.fill over the
 * threaded build's shared memory is ~10× slower (V8 fills a SharedArrayBuffer element by
 * element), and zeroing gradients is part of every training step.
 */
export function fillTensor(tensor: Tensor, value: number): void {
  kernels(tensor.dtype).fill(tensor.ptr, tensor.size, value);
}
