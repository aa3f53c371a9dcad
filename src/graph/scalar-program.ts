// A graph of scalars, compiled to a tape of 16-byte instructions [op, out, a, b] whose
// operands are byte offsets of f64 values; a value's gradient sits `size·8` bytes later.
// The forward tape is every op in creation order (an op can only read nodes made
// before it, so that is a topological order). The backward tape of a target is the
// ops it depends on, found by one reverse sweep — no recursion, so a million-node
// chain is fine — in reverse order, cached per target.
import { allocate, f64, i32, wasm } from '../wasm/instance';
import { Kind, type NodeTable } from './nodes';
import { type Program, ProgramMemory, type Tape } from './program';

const INSTRUCTION_BYTES = 16;

export class ScalarProgram implements Program {
  readonly size: number;
  private readonly memory = new ProgramMemory(this);
  /** Values of all nodes (f64), then their gradients. */
  private readonly slab: number;
  private readonly forwardTape: Tape;
  private readonly backwardTapes = new Map<number, Tape>();

  constructor(private readonly nodes: NodeTable) {
    const n = nodes.count;
    this.size = n;
    const order = nodes.ops();
    const ops = order.length;
    let slab = 0;
    let tape = 0;
    try {
      slab = this.memory.hold(allocate(n * 16, `forward: the values of ${n} nodes`));
      tape = this.memory.hold(allocate(ops * INSTRUCTION_BYTES, `forward: a tape of ${ops} ops`));
    } catch (error) {
      this.memory.free();
      throw error;
    }
    this.slab = slab;
    const values = f64();
    for (let id = 0; id < n; id++) {
      if (nodes.kinds[id] !== Kind.Op && nodes.kinds[id] !== Kind.Input) values[(slab >>> 3) + id] = nodes.initial[id] as number;
    }
    this.forwardTape = this.writeTape(tape, order);
  }

  setInput(id: number, value: number): void {
    f64()[(this.slab >>> 3) + id] = value;
  }

  forward(): number {
    const tape = this.forwardTape;
    const bad = wasm().tape_forward(tape.ptr, tape.count);
    return bad < 0 ? -1 : (tape.nodes[bad] as number);
  }

  backward(target: number): number {
    const tape = this.backwardTape(target);
    const grads = f64();
    const gradBase = (this.slab >>> 3) + this.size;
    grads.fill(0, gradBase, gradBase + this.size);
    grads[gradBase + target] = 1;
    const bad = wasm().tape_backward(tape.ptr, tape.count, this.size * 8);
    return bad < 0 ? -1 : (tape.nodes[bad] as number);
  }

  value(id: number): number {
    return f64()[(this.slab >>> 3) + id] as number;
  }

  grad(id: number): number {
    return f64()[(this.slab >>> 3) + this.size + id] as number;
  }

  leafValues(id: number): Float64Array {
    return Float64Array.of(this.value(id));
  }

  setLeaf(id: number, values: ArrayLike<number>): void {
    this.setInput(id, values[0] as number);
  }

  /** A graph of numbers has no dropout. */
  setTraining(_training: boolean): void {}

  free(): void {
    this.memory.free();
  }

  /** The ops that `target` depends on, in reverse topological order; cached. */
  private backwardTape(target: number): Tape {
    const cached = this.backwardTapes.get(target);
    if (cached) return cached;
    const order = this.nodes.opsReaching(target);
    const ptr = this.memory.hold(allocate(order.length * INSTRUCTION_BYTES, `backward: a tape of ${order.length} ops`));
    const tape = this.writeTape(ptr, order);
    this.backwardTapes.set(target, tape);
    return tape;
  }

  /** Writes one instruction per op of `order`: [op, out, a, b] as byte offsets of f64 values. */
  private writeTape(ptr: number, order: Int32Array): Tape {
    const words = i32();
    const slab = this.slab;
    const { codes, argA, argB } = this.nodes;
    for (let k = 0, at = ptr >>> 2; k < order.length; k++, at += 4) {
      const id = order[k] as number;
      words[at] = codes[id] as number;
      words[at + 1] = slab + id * 8;
      words[at + 2] = slab + (argA[id] as number) * 8;
      words[at + 3] = slab + (argB[id] as number) * 8;
    }
    return { ptr, count: order.length, nodes: order };
  }
}
