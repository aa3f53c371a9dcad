// The lecture's modular API: forward(...) computes and keeps what backward needs,
// backward(dout) applies the chain rule locally and returns one gradient per input.
// The rules themselves are the wasm module's (assembly/rules.ts), the same code the
// compiled Graph runs; a gate decides what to cache and checks its inputs.
import { describe, NonFiniteError, ShapeError, StateError, ValueError } from '../errors';
import { type Cached, type ElementwiseDescriptor, type ElementwiseOpName, OPS } from '../ops';
import { isRowOf } from '../shapes';
import { formatShape, rowsCols, sameShape, type Tensor } from '../tensor';
import { f64, wasm } from '../wasm/instance';
import { B_CONST, B_ROW, B_SAME, kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, requireFinite, useSaved, useTensor } from './buffers';
import { scratch } from './scratch';

export type GateValue = number | Tensor;

/** A gate's cache: its inputs x, y and its output, whichever its backward reads. */
export type GateCache = { x?: GateValue; y?: GateValue; out?: GateValue };

const CACHE_KEY = { a: 'x', b: 'y', out: 'out' } as const satisfies Record<Cached, keyof GateCache>;

/** Every gate: forward caches, backward returns one gradient per input, in input order. */
export abstract class Gate {
  /** What the last forward kept for backward. */
  protected cache: GateCache | null = null;
  /** @internal The name messages give this gate (a loss function's, when it runs one). */
  label?: string;

  /** The values kept by the last forward (for inspection and teaching). */
  get cached(): Readonly<GateCache> | null {
    return this.cache;
  }

  protected get name(): string {
    return this.label ?? this.constructor.name;
  }

  protected requireForward(): GateCache {
    if (this.cache === null) throw new StateError(`${this.name}.backward: called before forward`);
    return this.cache;
  }
}

/**
 * A gate of one elementwise rule, on numbers or on Tensors. With tensors, y may be a
 * row (shape [cols] or [1, cols]) broadcast down x's rows, as a bias is; its gradient
 * is then the sum down the rows.
 */
export abstract class ElementwiseGate extends Gate {
  private broadcast = false;
  private readonly output = new Owned(this);
  private readonly dx = new Owned(this, 'gradient');
  private readonly dy = new Owned(this, 'gradient');
  /** x and y as forward saw them: the shapes backward must return. */
  private inputs: readonly GateValue[] = [];
  /** Their versions then, and the output forward made: what backward checks it still differentiates. */
  private versions: number[] = [];
  private produced: Tensor | null = null;

  protected constructor(
    protected readonly op: ElementwiseOpName,
    /** The fixed parameter of scale, offset, leaky ReLU and ELU. */
    protected readonly constant = 0,
  ) {
    super();
  }

  /** The op's row of the table: its category and what its backward reads. */
  private get rule(): ElementwiseDescriptor {
    return OPS[this.op];
  }

  protected get inputNames(): readonly string[] {
    return this.rule.category === 'binary' ? ['x', 'y'] : ['x'];
  }

  protected run(args: readonly unknown[]): GateValue {
    const names = this.inputNames;
    if (args.length !== names.length) {
      throw new ValueError(`${this.name}.forward: takes ${names.length} input(s) (${names.join(', ')}), got ${args.length}`);
    }
    return args.some((arg) => typeof arg === 'object' && arg !== null) ? this.runTensors(args) : this.runNumbers(args);
  }

  private runNumbers(args: readonly unknown[]): number {
    const names = this.inputNames;
    args.forEach((value, i) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ValueError(`${this.name}.forward: input ${names[i]} must be a finite number, got ${describe(value)}`);
      }
    });
    const a = args[0] as number;
    const b = names.length === 2 ? (args[1] as number) : this.constant;
    const out = wasm().scalar_forward(OPS[this.op].code, a, b);
    if (!Number.isFinite(out)) {
      throw new NonFiniteError(`${this.name}.forward: ${this.op}(${args.join(', ')}) is ${out}, outside the op's domain`, {
        op: this.op,
        kind: 'value',
        value: out,
        inputs: args as number[],
      });
    }
    this.keep({ a, b, out }, args as number[]);
    return out;
  }

  private runTensors(args: readonly unknown[]): Tensor {
    const op = `${this.name}.forward`;
    const names = this.inputNames;
    const [x, y] = args.map((arg, i) => useTensor(op, names[i] as string, arg));
    const tx = x as Tensor;
    let broadcast = false;
    if (y) {
      if (y.dtype !== tx.dtype) throw new ValueError(`${op}: dtypes differ: x is ${tx.dtype}, y is ${y.dtype}`);
      broadcast = !sameShape(tx.shape, y.shape);
      if (broadcast && !isRowOf(tx.shape, y.shape)) {
        throw shapeError(op, tx, y, `y must have x's shape or be a row of ${rowsCols(tx.shape)[1]} values`);
      }
    }
    const [rows, cols] = rowsCols(tx.shape);
    const out = this.output.get(tx.shape, tx.dtype);
    // The output buffer is about to change: a cache that points at it is no longer valid.
    this.cache = null;
    const suspect = kernels(tx.dtype).elementwiseForward(
      OPS[this.op].code,
      tx.ptr,
      y ? y.ptr : 0,
      out.ptr,
      rows,
      cols,
      y ? (broadcast ? B_ROW : B_SAME) : B_CONST,
      this.constant,
    );
    // The kernel checks what it writes where it can; only then is out scanned for the culprit.
    if (suspect !== 0) requireFinite(op, out, () => `${this.op} of ${args.map(String).join(', ')}`, { op: this.op, kind: 'value' });
    this.broadcast = broadcast;
    this.keep({ a: tx, b: y ?? this.constant, out }, y ? [tx, y] : [tx]);
    this.produced = out;
    return out;
  }

  private keep(values: Record<Cached, GateValue>, inputs: readonly GateValue[]): void {
    const cache: GateCache = {};
    for (const key of this.rule.reads) {
      // A fixed parameter (scale's a, α) is the gate's own, not something forward keeps.
      if (key === 'b' && this.rule.category === 'const') continue;
      cache[CACHE_KEY[key]] = values[key];
    }
    this.cache = cache;
    this.inputs = inputs;
    this.versions = inputs.map((value) => (typeof value === 'number' ? 0 : value.version));
    this.produced = null;
  }

  /** Gradients of the loss w.r.t. each input, in input order, given dL/d(output). */
  backward(dout: GateValue): [GateValue] | [GateValue, GateValue] {
    const cache = this.requireForward();
    const first = this.inputs[0];
    return typeof first === 'number' ? this.backwardNumbers(cache, dout) : this.backwardTensors(cache, dout);
  }

  private backwardNumbers(cache: GateCache, dout: unknown): [number] | [number, number] {
    if (typeof dout !== 'number' || !Number.isFinite(dout)) {
      throw new ValueError(`${this.name}.backward: dout must be a finite number, got ${describe(dout)}`);
    }
    const { x = 0, y = this.constant, out = 0 } = cache as Record<string, number>;
    const ptr = scratch();
    wasm().scalar_backward(OPS[this.op].code, x, y, out, dout, ptr);
    const view = f64();
    const grads = this.inputNames.map((_, i) => view[(ptr >>> 3) + i] as number);
    grads.forEach((grad, i) => {
      if (!Number.isFinite(grad)) {
        throw new NonFiniteError(
          `${this.name}.backward: the gradient for ${this.inputNames[i]} is ${grad} (cached ${JSON.stringify(cache)})`,
          {
            op: this.op,
            kind: 'gradient',
            value: grad,
            inputs: this.inputs as number[],
          },
        );
      }
    });
    return grads as [number] | [number, number];
  }

  private backwardTensors(cache: GateCache, doutArg: unknown): [Tensor] | [Tensor, Tensor] {
    const op = `${this.name}.backward`;
    // An input the rule reads must be as forward saw it; add's and sub's need only their shapes.
    const reads: readonly Cached[] = this.rule.reads;
    const [x, y] = (this.inputs as Tensor[]).map((t, i) =>
      reads.includes(i === 0 ? 'a' : 'b') ? useSaved(op, this.inputNames[i] as string, t, this.versions[i] as number) : t,
    );
    const tx = x as Tensor;
    const dout = useTensor(op, 'dout', doutArg);
    checkGradientSource(op, dout, this.produced);
    if (!sameShape(dout.shape, tx.shape) || dout.dtype !== tx.dtype) {
      throw shapeError(op, tx, dout, `dout must have the output's shape and dtype (${tx.dtype} ${formatShape(tx.shape)})`);
    }
    // Unread values are passed as dout's pointer: valid memory the rule never looks at.
    const pointer = (value: GateValue | undefined, name: string) =>
      typeof value === 'object' ? useTensor(op, `${name} (cached by forward)`, value).ptr : dout.ptr;
    const [rows, cols] = rowsCols(tx.shape);
    // dx is zeroed by the kernel as it goes (fresh); dy, which a row's gradient sums into, first.
    const dx = this.dx.get(tx.shape, tx.dtype);
    const dy = y ? this.dy.zeroed(y.shape, y.dtype) : null;
    const suspect = kernels(tx.dtype).elementwiseBackward(
      OPS[this.op].code,
      pointer(cache.x, 'x'),
      pointer(cache.y, 'y'),
      pointer(cache.out, 'out'),
      dout.ptr,
      dx.ptr,
      dy ? dy.ptr : 0,
      rows,
      cols,
      y ? (this.broadcast ? B_ROW : B_SAME) : B_CONST,
      this.constant,
      1,
    );
    if (suspect !== 0) requireFinite(op, dx, () => `the gradient for x`, { op: this.op, kind: 'gradient' });
    if (dy) requireFinite(op, dy, () => `the gradient for y`, { op: this.op, kind: 'gradient' });
    dx.gradientFor(tx);
    return dy && y ? [dx, dy.gradientFor(y)] : [dx];
  }
}

/** f(x, y) on numbers or Tensors: forward(x, y), backward(dout) → [dx, dy]. */
export abstract class BinaryGate extends ElementwiseGate {
  forward(x: number, y: number): number;
  forward(x: Tensor, y: Tensor): Tensor;
  forward(...inputs: [x: GateValue, y: GateValue]): GateValue {
    return this.run(inputs);
  }
  override backward(dout: number): [dx: number, dy: number];
  override backward(dout: Tensor): [dx: Tensor, dy: Tensor];
  override backward(dout: GateValue): [GateValue] | [GateValue, GateValue] {
    return super.backward(dout);
  }
}

/** f(x) on numbers or Tensors: forward(x), backward(dout) → [dx]. */
export abstract class UnaryGate extends ElementwiseGate {
  forward(x: number): number;
  forward(x: Tensor): Tensor;
  forward(...inputs: [x: GateValue]): GateValue {
    return this.run(inputs);
  }
  override backward(dout: number): [dx: number];
  override backward(dout: Tensor): [dx: Tensor];
  override backward(dout: GateValue): [GateValue] | [GateValue, GateValue] {
    return super.backward(dout);
  }
}

/** A gate's fixed parameter (scale's a, offset's c, α), checked once at construction. */
export function finiteParameter(gate: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${gate}: ${name} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

function shapeError(op: string, a: Tensor, b: Tensor, why: string): ShapeError {
  return new ShapeError(`${op}: ${formatShape(a.shape)} and ${formatShape(b.shape)}: ${why}`);
}
