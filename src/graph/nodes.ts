// The nodes of a Graph, one row per node in typed arrays (a million nodes are a few
// allocations, not a million objects), plus what tensors need: shapes and leaf data.
import { differentiatesB, OPS } from '../ops';
import type { WindowGeometry } from '../shapes';
import type { Shape } from '../tensor';

export enum Kind {
  Op = 0,
  Input = 1,
  Param = 2,
  Const = 3,
  /** The fixed parameter of scale, offset, leaky ReLU, ELU and pow(x, number). */
  OpConstant = 4,
  /** Class indices for a loss, given on every forward like an input. */
  Labels = 5,
}

export const NO_NODE = -1;
export const SCALAR: Shape = Object.freeze([]);

export class NodeTable {
  count = 0;
  kinds = new Uint8Array(64);
  codes = new Int32Array(64);
  argA = new Int32Array(64);
  argB = new Int32Array(64);
  /** A scalar leaf's value; an op's constant (a mean's 1/n, the SVM margin). */
  initial = new Float64Array(64);
  /** An op's integer parameter: the reduction axis (−1: all), maxout's k, a conv's bias node (NO_NODE: none). */
  extra = new Int32Array(64);
  /** The geometry of each convolution and pooling, by id. */
  readonly windows = new Map<number, WindowGeometry>();
  /** Shapes of the tensor nodes; every other node is a scalar (kept out, so a million scalars cost the GC nothing). */
  private readonly tensorShapes = new Map<number, Shape>();
  /** The data of tensor params and consts, as given (the program holds the live copy). */
  readonly leafData = new Map<number, Float64Array>();
  /** Names of inputs, labels and params, by id. */
  readonly names: string[] = [];

  push(kind: Kind, code: number, a: number, b: number, initial: number, shape: Shape = SCALAR, extra = 0): number {
    if (this.count === this.codes.length) this.grow();
    const id = this.count++;
    this.kinds[id] = kind;
    this.codes[id] = code;
    this.argA[id] = a;
    this.argB[id] = b;
    this.initial[id] = initial;
    this.extra[id] = extra;
    if (shape.length > 0) this.tensorShapes.set(id, shape);
    return id;
  }

  shape(id: number): Shape {
    return this.tensorShapes.get(id) ?? SCALAR;
  }

  /** Whether any node is a tensor (labels are too): then the tensor program runs the graph. */
  hasTensors(): boolean {
    return this.tensorShapes.size > 0;
  }

  /** Every op, in creation order: a topological order, since an op reads only older nodes. */
  ops(): Int32Array {
    let count = 0;
    for (let id = 0; id < this.count; id++) if (this.kinds[id] === Kind.Op) count++;
    const out = new Int32Array(count);
    for (let id = 0, k = 0; id < this.count; id++) if (this.kinds[id] === Kind.Op) out[k++] = id;
    return out;
  }

  /**
   * The ops `target` depends on, in reverse topological order: one sweep down from the
   * target marking what each needed op reads (no recursion, so a million-node chain is fine).
   */
  opsReaching(target: number): Int32Array {
    const needed = new Uint8Array(target + 1);
    needed[target] = 1;
    let count = 0;
    for (let id = target; id >= 0; id--) {
      if (needed[id] === 0 || this.kinds[id] !== Kind.Op) continue;
      count++;
      needed[this.argA[id] as number] = 1;
      if (differentiatesB(this.codes[id] as number)) needed[this.argB[id] as number] = 1;
      if (this.codes[id] === OPS.conv2d.code && (this.extra[id] as number) >= 0) needed[this.extra[id] as number] = 1;
    }
    const out = new Int32Array(count);
    for (let id = target, k = 0; id >= 0; id--) if (needed[id] === 1 && this.kinds[id] === Kind.Op) out[k++] = id;
    return out;
  }

  private grow(): void {
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(old: T): T => {
      const next = new (old.constructor as new (n: number) => T)(old.length * 2);
      next.set(old);
      return next;
    };
    this.kinds = grown(this.kinds);
    this.codes = grown(this.codes);
    this.argA = grown(this.argA);
    this.argB = grown(this.argB);
    this.initial = grown(this.initial);
    this.extra = grown(this.extra);
  }
}
