// A graph with tensors, compiled to one block of linear memory — every node's value,
// then every gradient at the same offsets, then the ops' caches (a convolution's or
// pooling's cache starts with its geometry block, src/ops.ts WINDOW) — and a tape of
// 80-byte instructions (assembly/tensor-tape.ts) that names each op's buffers. A
// forward or backward pass is one wasm call; nothing is allocated after compilation,
// so a training loop's memory stays flat.
import { DTYPES } from '../dtype';
import { BROADCAST, categoryOf, INSTRUCTION, OPS, WINDOW, WINDOW_WORD, WORD } from '../ops';
import { Random } from '../random';
import { columnsPerImage, type WindowGeometry, weightPartials, windowWords } from '../shapes';
import { type DType, rowsCols, sizeOf, Tensor } from '../tensor';
import { allocate, f64, i32 } from '../wasm/instance';
import { kernels } from '../wasm/kernels';
import { Kind, type NodeTable } from './nodes';
import { type Program, ProgramMemory, type Tape } from './program';

const INSTRUCTION_WORDS = INSTRUCTION.bytes / 4;
const align16 = (bytes: number) => (bytes + 15) & ~15;

export class TensorProgram implements Program {
  readonly size: number;
  private readonly memory = new ProgramMemory(this);
  private readonly block: number;
  /** Byte offset of each node's value; its gradient is at offset + gradDelta. */
  private readonly offsets: Int32Array;
  private readonly gradDelta: number;
  private readonly gradBytes: number;
  /** The cache buffer of a softmax cross-entropy (probabilities) or maxout (winners); a conv's or pooling's window block. */
  private readonly aux: Int32Array;
  private readonly forwardTape: Tape;
  private readonly backwardTapes = new Map<number, Tape>();
  private readonly views = new Map<number, Tensor>();
  private readonly itemBytes: number;
  /** Where each dropout's mode word is, which every forward sets. */
  private readonly dropoutModes: number[] = [];

  constructor(
    private readonly nodes: NodeTable,
    readonly dtype: DType,
  ) {
    const n = nodes.count;
    this.size = n;
    this.itemBytes = DTYPES[dtype].bytes;
    this.offsets = new Int32Array(n);
    this.aux = new Int32Array(n);
    let valueBytes = 0;
    for (let id = 0; id < n; id++) {
      this.offsets[id] = valueBytes;
      const bytesPer = nodes.kinds[id] === Kind.Labels ? 4 : this.itemBytes;
      valueBytes += align16(sizeOf(nodes.shape(id)) * bytesPer);
    }
    let auxBytes = 0;
    const auxOffsets = new Int32Array(n).fill(-1);
    let ops = 0;
    for (let id = 0; id < n; id++) {
      if (nodes.kinds[id] !== Kind.Op) continue;
      ops++;
      const code = nodes.codes[id];
      if (code === OPS.softmaxCrossEntropy.code || code === OPS.maxout.code) {
        auxOffsets[id] = auxBytes;
        const input = nodes.shape(nodes.argA[id] as number);
        const elements = code === OPS.maxout.code ? sizeOf(nodes.shape(id)) : sizeOf(input);
        auxBytes += align16(elements * (code === OPS.maxout.code ? 4 : this.itemBytes));
      }
      if (code === OPS.dropout.code) {
        auxOffsets[id] = auxBytes;
        auxBytes += DROPOUT_HEADER + align16(sizeOf(nodes.shape(id)) * this.itemBytes);
      }
      const window = nodes.windows.get(id);
      if (window) {
        auxOffsets[id] = auxBytes;
        auxBytes += windowCacheBytes(code as number, window, this.itemBytes).total;
      }
    }
    let block = 0;
    let tape = 0;
    try {
      block = this.memory.hold(allocate(2 * valueBytes + auxBytes, `forward: the values and gradients of ${n} tensor nodes`));
      tape = this.memory.hold(allocate(ops * INSTRUCTION_WORDS * 4, `forward: a tape of ${ops} ops`));
    } catch (error) {
      this.memory.free();
      throw error;
    }
    this.block = block;
    for (let id = 0; id < n; id++) this.offsets[id] = block + (this.offsets[id] as number);
    for (let id = 0; id < n; id++) if ((auxOffsets[id] as number) >= 0) this.aux[id] = block + 2 * valueBytes + (auxOffsets[id] as number);
    this.gradDelta = valueBytes;
    this.gradBytes = valueBytes;
    for (const [id, window] of nodes.windows) this.writeWindow(id, window);
    for (let id = 0; id < n; id++) {
      if (nodes.codes[id] !== OPS.dropout.code) continue;
      // A dropout's generator starts from its seed (the node's extra word).
      i32().set(new Random(nodes.extra[id] as number).state, (this.aux[id] as number) >>> 2);
      this.dropoutModes.push((this.aux[id] as number) + DROPOUT_TRAINING);
    }
    for (let id = 0; id < n; id++) {
      const kind = nodes.kinds[id];
      if (kind === Kind.Param || kind === Kind.Const || kind === Kind.OpConstant) {
        this.setLeaf(id, nodes.leafData.get(id) ?? [nodes.initial[id] as number]);
      }
    }
    this.forwardTape = this.writeTape(tape, nodes.ops());
  }

  setInput(id: number, value: number | Tensor | ArrayLike<number>): void {
    if (this.nodes.kinds[id] === Kind.Labels) {
      const ptr = this.offsets[id] as number;
      const labels = value as ArrayLike<number>;
      i32().set(labels, ptr >>> 2);
      return;
    }
    const view = this.view(id);
    if (typeof value === 'number') view.data[0] = value;
    else view.data.set(value instanceof Tensor ? value.data : value);
  }

  forward(): number {
    this.overwrite(false);
    const tape = this.forwardTape;
    const bad = kernels(this.dtype).tensorForward(tape.ptr, tape.count);
    return bad < 0 ? -1 : (tape.nodes[bad] as number);
  }

  backward(target: number): number {
    this.overwrite(true);
    const tape = this.backwardTape(target);
    const seed = (this.offsets[target] as number) + this.gradDelta;
    const count = sizeOf(this.nodes.shape(target));
    const bad = kernels(this.dtype).tensorBackward(tape.ptr, tape.count, this.block + this.gradDelta, this.gradBytes, seed, count);
    return bad < 0 ? -1 : (tape.nodes[bad] as number);
  }

  value(id: number): number | Tensor {
    const view = this.view(id);
    return view.rank === 0 ? (view.data[0] as number) : view;
  }

  grad(id: number): number | Tensor {
    const view = this.view(id, true);
    return view.rank === 0 ? (view.data[0] as number) : view;
  }

  leafValues(id: number): Float64Array {
    return Float64Array.from(this.view(id).data);
  }

  setLeaf(id: number, values: ArrayLike<number>): void {
    this.view(id).data.set(values);
  }

  setTraining(training: boolean): void {
    const words = i32();
    for (const at of this.dropoutModes) words[at >>> 2] = training ? 1 : 0;
  }

  free(): void {
    for (const view of this.views.values()) view.storage.release();
    this.views.clear();
    this.memory.free();
  }

  /**
   * A run rewrites every value (or gradient): the Tensors handed out for the last one are
   * stale from now on, so one kept across a forward is an error rather than new numbers.
   */
  private overwrite(gradients: boolean): void {
    for (const [key, view] of this.views) {
      if (key < 0 !== gradients) continue;
      view.storage.version++;
      view.storage.writer = gradients ? 'a later Graph.backward' : 'a later Graph.forward';
      this.views.delete(key);
    }
  }

  /** A Tensor over a node's value (or gradient) in the block, made once per run and reused. */
  private view(id: number, gradient = false): Tensor {
    const key = gradient ? -1 - id : id;
    let view = this.views.get(key);
    if (!view) {
      const ptr = (this.offsets[id] as number) + (gradient ? this.gradDelta : 0);
      view = Tensor.view(ptr, this.nodes.shape(id), this.dtype, 'Graph');
      this.views.set(key, view);
    }
    return view;
  }

  /** A conv's or pooling's window block: its geometry, then (for the tape) its bias and where its buffers are. */
  private writeWindow(id: number, window: WindowGeometry): void {
    const at = this.aux[id] as number;
    const words = windowWords(window);
    const { cache, scratch, partials } = windowCacheBytes(this.nodes.codes[id] as number, window, this.itemBytes);
    const bias = this.nodes.extra[id] as number;
    if (this.nodes.codes[id] === OPS.conv2d.code && bias >= 0) {
      words[WINDOW_WORD.bias] = this.offsets[bias] as number;
      words[WINDOW_WORD.dbias] = (this.offsets[bias] as number) + this.gradDelta;
    }
    words[WINDOW_WORD.cache] = at + WINDOW_BLOCK;
    words[WINDOW_WORD.scratch] = scratch === 0 ? 0 : at + WINDOW_BLOCK + cache;
    words[WINDOW_WORD.partials] = partials === 0 ? 0 : at + WINDOW_BLOCK + cache + partials;
    i32().set(words, at >>> 2);
  }

  /** The ops `target` depends on, in reverse topological order; cached. */
  private backwardTape(target: number): Tape {
    const cached = this.backwardTapes.get(target);
    if (cached) return cached;
    const order = this.nodes.opsReaching(target);
    const ptr = this.memory.hold(allocate(order.length * INSTRUCTION_WORDS * 4, `backward: a tape of ${order.length} ops`));
    const tape = this.writeTape(ptr, order);
    this.backwardTapes.set(target, tape);
    return tape;
  }

  private writeTape(ptr: number, order: Int32Array): Tape {
    for (let k = 0; k < order.length; k++) this.writeInstruction(ptr + k * INSTRUCTION_WORDS * 4, order[k] as number);
    return { ptr, count: order.length, nodes: order };
  }

  private writeInstruction(at: number, id: number): void {
    const { codes, argA, argB, extra, initial } = this.nodes;
    const nodes = this.nodes;
    const code = codes[id] as number;
    const a = argA[id] as number;
    const b = argB[id] as number;
    const value = (node: number) => this.offsets[node] as number;
    const grad = (node: number) => (this.offsets[node] as number) + this.gradDelta;
    const outShape = nodes.shape(id);
    const aShape = nodes.shape(a);
    let [rows, cols] = rowsCols(aShape);
    let k = 0;
    let mode = 0;
    let constant = initial[id] as number;
    let bValue = 0;
    let bGrad = 0;
    let bSize = 0;
    const category = categoryOf(code);
    if (category !== 'tensor') {
      [rows, cols] = rowsCols(outShape);
      if (category === 'binary') {
        mode = extra[id] as number;
        bValue = value(b);
        bGrad = grad(b);
        bSize = sizeOf(nodes.shape(b));
      } else {
        mode = BROADCAST.const;
        constant = category === 'const' ? (initial[b] as number) : 0;
      }
    } else if (code === OPS.matmul.code) {
      rows = aShape[0] as number;
      k = aShape[1] as number;
      cols = nodes.shape(b)[1] as number;
      bValue = value(b);
      bGrad = grad(b);
      bSize = sizeOf(nodes.shape(b));
    } else if (code === OPS.sum.code) {
      mode = extra[id] as number;
    } else if (code === OPS.softmaxCrossEntropy.code || code === OPS.svmLoss.code) {
      bValue = value(b);
    } else if (code === OPS.maxout.code) {
      k = extra[id] as number;
      cols = (outShape[1] as number) ?? 1;
    } else if (code === OPS.concat.code) {
      // outer runs (rows) of a's k values, then b's cols values.
      const axis = extra[id] as number;
      const bShape = nodes.shape(b);
      rows = sizeOf(aShape.slice(0, axis));
      k = sizeOf(aShape.slice(axis));
      cols = sizeOf(bShape.slice(axis));
      bValue = value(b);
      bGrad = grad(b);
      bSize = sizeOf(bShape);
    } else if (code === OPS.conv2d.code) {
      // x and w; the bias and the geometry are in the window block at aux.
      bValue = value(b);
      bGrad = grad(b);
      bSize = sizeOf(nodes.shape(b));
    }
    const words = i32();
    const w = at >>> 2;
    words[w + WORD.op] = code;
    words[w + WORD.out] = value(id);
    words[w + WORD.dout] = grad(id);
    words[w + WORD.a] = value(a);
    words[w + WORD.da] = grad(a);
    words[w + WORD.b] = bValue;
    words[w + WORD.db] = bGrad;
    words[w + WORD.rows] = rows;
    words[w + WORD.cols] = cols;
    words[w + WORD.k] = k;
    words[w + WORD.mode] = mode;
    words[w + WORD.aux] = this.aux[id] as number;
    words[w + WORD.outSize] = sizeOf(outShape);
    words[w + WORD.aSize] = sizeOf(aShape);
    words[w + WORD.bSize] = bSize;
    f64()[(at + INSTRUCTION.constantAt) >>> 3] = constant;
  }
}

/** A dropout's cache (assembly/dropout.ts): its generator's state, its mode and whether it masked, then the mask. */
const DROPOUT_HEADER = 32;
const DROPOUT_TRAINING = 16;

/** Bytes of a window block's geometry words, rounded to 16 so the buffers after it stay aligned. */
const WINDOW_BLOCK = align16(WINDOW.words.length * 4);

/**
 * What a conv or pooling node keeps after its window block: a conv nothing, and a scratch
 * of one image's columns (unfolded for the forward, again for dW, then the column
 * gradient) followed by its weight gradient's group sums; a max pool its winners (i32); an
 * average pool nothing.
 */
function windowCacheBytes(
  code: number,
  g: WindowGeometry,
  itemBytes: number,
): { cache: number; scratch: number; partials: number; total: number } {
  let cache = 0;
  let scratch = 0;
  // Where in the scratch a conv's weight-gradient groups start (0: none).
  let partials = 0;
  if (code === OPS.conv2d.code) {
    partials = align16(columnsPerImage(g) * itemBytes);
    scratch = partials + weightPartials(g) * itemBytes;
  } else if (code === OPS.maxPool2d.code) {
    cache = align16(g.batch * g.channels * g.outH * g.outW * 4);
  }
  return { cache, scratch, partials, total: WINDOW_BLOCK + cache + scratch };
}
