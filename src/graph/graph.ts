// A computational graph of gates, built once and run many times. Building only records
// nodes (and checks their shapes); the first forward compiles them into linear memory —
// a graph of scalars to an f64 tape, a graph with tensors to a tensor tape — so that a
// whole forward or backward pass is one call into wasm.
import { describe, GraphError, ShapeError, StateError, ValueError } from '../errors';
import { LEAF_CODE, OPS, type OpName, TENSOR_OPS } from '../ops';
import { type DType, formatShape, type NestedNumbers, rowsCols, type Shape, sameShape, sizeOf, Tensor } from '../tensor';
import { B_ROW, B_SAME, B_SCALAR, kernels } from '../wasm/kernels';
import { Kind, NO_NODE, NodeTable, SCALAR } from './nodes';
import type { Program } from './program';
import { ScalarProgram } from './scalar-program';
import { TensorProgram } from './tensor-program';

/** What a node holds: a number for a scalar, a Tensor for a tensor. */
export type NodeValue = number | Tensor;

/**
 * A node of one Graph. Read its value and gradient from the graph that made it. `V`
 * tells TypeScript whether it is a scalar (number) or a tensor.
 */
export class Node<V extends NodeValue = NodeValue> {
  /** Type-level only: what value() and grad() return for this node. */
  declare readonly valueType?: V;

  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}

  /** The op's name, or 'input', 'param', 'const', 'labels'. */
  get op(): string {
    return this.graph.opOf(this.id);
  }

  /** [] for a scalar. */
  get shape(): Shape {
    return this.graph.shapeOf(this.id);
  }

  get value(): V {
    return this.graph.value(this);
  }

  get grad(): V {
    return this.graph.grad(this);
  }

  /** The nodes this op reads (a fixed constant such as scale's factor is part of the op). */
  get inputs(): Node[] {
    return this.graph.inputsOf(this.id).map((id) => new Node(this.graph, id));
  }

  /** The op as drawn on a gate, with its fixed constant: "mul", "scale -1", "pow 0.5". */
  get gate(): string {
    return this.graph.gateLabel(this.id);
  }

  toString(): string {
    return this.graph.label(this.id);
  }
}

/** An operand: a node of this graph, or a number that becomes a constant. */
export type Operand = Node | number;

type ValueOf<O> = O extends Node<infer V> ? V : number;
/** An elementwise op's result: a tensor if either operand is one. */
type Combined<A, B> = [ValueOf<A>] extends [number] ? ValueOf<B> : ValueOf<A>;

/** What forward takes for an input: a number, or for a tensor input a Tensor or (nested) array. */
export type InputValue = number | Tensor | NestedNumbers | ArrayLike<number>;

export interface GraphOptions {
  /** The precision of a graph with tensors: float32 (default) or float64 (for gradcheck). */
  dtype?: DType;
}

const OP_NAME_BY_CODE = new Map<number, string>([
  ...Object.entries(OPS).map(([name, info]) => [info.code, name] as [number, string]),
  ...Object.entries(TENSOR_OPS).map(([name, code]) => [code, name] as [number, string]),
]);
const COMMUTATIVE = new Set<OpName>(['add', 'mul', 'max']);

export class Graph {
  readonly dtype: DType;
  private readonly table = new NodeTable();
  /** Every named leaf: inputs, labels and params. */
  private readonly byName = new Map<string, number>();
  /** The inputs and labels forward must be given, by name. */
  private readonly inputIds = new Map<string, number>();
  private readonly paramList: number[] = [];
  private readonly constantIds = new Map<number, number>();
  private outputId = NO_NODE;
  private program: Program | null = null;
  private disposed = false;
  private forwardDone = false;
  private gradientsOf = NO_NODE;

  constructor(options: GraphOptions = {}) {
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(`Graph: dtype must be 'float32' or 'float64', got ${describe(dtype)}`);
    this.dtype = dtype;
  }

  /** Number of nodes, leaves included. */
  get size(): number {
    return this.table.count;
  }

  // ---- leaves -------------------------------------------------------------------------

  /** An input, given a value by name on every forward: a scalar, or a tensor of `shape`. */
  input(name: string): Node<number>;
  input(name: string, shape: Shape): Node<Tensor>;
  input(name: string, shape: Shape = SCALAR): Node {
    this.checkName('input', name);
    const id = this.table.push(Kind.Input, LEAF_CODE, NO_NODE, NO_NODE, 0, checkShape('input', shape));
    this.inputIds.set(name, id);
    return this.named(id, name);
  }

  /** Class indices for a loss, one per row, given on every forward (an Int32Array or array). */
  labels(name: string, count: number): Node<never> {
    this.checkName('labels', name);
    if (!Number.isInteger(count) || count < 1) throw new ValueError(`labels: count must be a positive integer, got ${describe(count)}`);
    const id = this.table.push(Kind.Labels, LEAF_CODE, NO_NODE, NO_NODE, 0, [count]);
    this.inputIds.set(name, id);
    return this.named(id, name) as Node<never>;
  }

  /**
   * A trainable value, a number or a Tensor (copied): it keeps its value between runs
   * until `set` changes it. Unnamed params (`g.param(0.5)`) are labelled param#id.
   */
  param(name: string, value: number): Node<number>;
  param(name: string, value: Tensor): Node<Tensor>;
  param(value: number): Node<number>;
  param(value: Tensor): Node<Tensor>;
  param(nameOrValue: string | number | Tensor, value?: number | Tensor): Node {
    const named = typeof nameOrValue === 'string';
    if (named) this.checkName('param', nameOrValue);
    else this.checkLive('param');
    const id = this.leaf(Kind.Param, 'param', named ? value : nameOrValue);
    this.paramList.push(id);
    return named ? this.named(id, nameOrValue) : new Node(this, id);
  }

  const(value: number): Node<number>;
  const(value: Tensor): Node<Tensor>;
  const(value: number | Tensor): Node {
    this.checkLive('const');
    return new Node(this, this.leaf(Kind.Const, 'const', value));
  }

  /** The input or param of that name. */
  node(name: string): Node {
    const id = this.byName.get(name);
    if (id === undefined) throw new GraphError(`node: no input or param is named ${JSON.stringify(name)}`);
    return new Node(this, id);
  }

  /** Every node in topological (creation) order; fixed constants of ops are part of their op. */
  nodes(): Node[] {
    const nodes: Node[] = [];
    for (let id = 0; id < this.table.count; id++) if (this.table.kinds[id] !== Kind.OpConstant) nodes.push(new Node(this, id));
    return nodes;
  }

  /** The params, by name, with their current value and (after backward) gradient. */
  params(): Array<{ name: string; node: Node }> {
    return this.paramList.map((id) => ({ name: this.label(id), node: new Node(this, id) }));
  }

  /** Sets a param's value (a number, or the same shape as the param); it holds from the next forward on. */
  set(param: Node, value: number | Tensor | NestedNumbers): void {
    const id = this.own(param, 'set');
    if (this.table.kinds[id] !== Kind.Param) throw new GraphError(`set: ${this.label(id)} is not a param`);
    const values = this.readValue('set', id, value);
    if (this.table.leafData.has(id)) this.table.leafData.set(id, values);
    else this.table.initial[id] = values[0] as number;
    if (this.program && id < this.program.size) this.program.setLeaf(id, values);
    this.forwardDone = false;
    this.gradientsOf = NO_NODE;
  }

  // ---- ops ------------------------------------------------------------------------------

  add<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return this.binary('add', a, b);
  }
  sub<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return this.binary('sub', a, b);
  }
  mul<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return this.binary('mul', a, b);
  }
  div<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return this.binary('div', a, b);
  }
  /** max(a, b); a tie routes the gradient to a. */
  max<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return this.binary('max', a, b);
  }
  /** aᵇ. A number exponent is a fixed constant; a node exponent gets a gradient too (a > 0). */
  pow<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return typeof b === 'number' ? this.withConstant('powc', a, b) : this.binary('pow', a, b);
  }
  exp<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('exp', a);
  }
  log<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('log', a);
  }
  /** 1/a */
  recip<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('recip', a);
  }
  neg<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('neg', a);
  }
  sigmoid<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('sigmoid', a);
  }
  tanh<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('tanh', a);
  }
  relu<A extends Operand>(a: A): Node<ValueOf<A>> {
    return this.unary('relu', a);
  }
  /** factor·a for a fixed number factor. */
  scale<A extends Operand>(a: A, factor: number): Node<ValueOf<A>> {
    return this.withConstant('scale', a, factor);
  }
  /** c + a for a fixed number c. */
  offset<A extends Operand>(a: A, c: number): Node<ValueOf<A>> {
    return this.withConstant('offset', a, c);
  }
  /** max(α·a, a), α = 0.1 as in the lecture. */
  leakyRelu<A extends Operand>(a: A, alpha = 0.1): Node<ValueOf<A>> {
    return this.withConstant('leakyRelu', a, alpha);
  }
  /** a for a ≥ 0, α(eᵃ − 1) below. */
  elu<A extends Operand>(a: A, alpha = 1): Node<ValueOf<A>> {
    return this.withConstant('elu', a, alpha);
  }

  /** A·B of 2-D tensors: [m, k]·[k, n] → [m, n]. */
  matmul(a: Node, b: Node): Node<Tensor> {
    const [ia, ib] = [this.own(a, 'matmul'), this.own(b, 'matmul')];
    const [sa, sb] = [this.shapeOf(ia), this.shapeOf(ib)];
    if (sa.length !== 2 || sb.length !== 2) throw new ShapeError(`matmul: ${formatShape(sa)} · ${formatShape(sb)}: both must be 2-D`);
    if (sa[1] !== sb[0]) throw new ShapeError(`matmul: ${formatShape(sa)} · ${formatShape(sb)}: inner dims ${sa[1]} ≠ ${sb[0]}`);
    return this.op(TENSOR_OPS.matmul, ia, ib, [sa[0] as number, sb[1] as number]);
  }

  /** Σ a over everything (a scalar), down the rows (axis 0) or along each row (axis 1). */
  sum(a: Node): Node<number>;
  sum(a: Node, axis: 0 | 1): Node<Tensor>;
  sum(a: Node, axis?: 0 | 1): Node {
    return this.reduction('sum', a, axis, false);
  }

  /** The mean over everything or along an axis. */
  mean(a: Node): Node<number>;
  mean(a: Node, axis: 0 | 1): Node<Tensor>;
  mean(a: Node, axis?: 0 | 1): Node {
    return this.reduction('mean', a, axis, true);
  }

  /** Σ a², the squared L2 norm. */
  l2(a: Node): Node<number> {
    return this.op(TENSOR_OPS.l2, this.own(a, 'l2'), NO_NODE, SCALAR);
  }

  /** softmax along the last axis. */
  softmax(a: Node): Node<Tensor> {
    const id = this.own(a, 'softmax');
    return this.op(TENSOR_OPS.softmax, id, NO_NODE, this.shapeOf(id));
  }

  /** The mean softmax cross-entropy of logits [rows, classes] against labels (fused, stable). */
  softmaxCrossEntropy(logits: Node, labels: Node): Node<number> {
    return this.loss('softmaxCrossEntropy', logits, labels, 0);
  }

  /** The mean multiclass SVM (hinge) loss of scores [rows, classes] against labels. */
  svmLoss(scores: Node, labels: Node, margin = 1): Node<number> {
    return this.loss('svmLoss', scores, labels, this.finite('svmLoss', 'margin', margin));
  }

  /** The max of each unit's k pieces: z [rows, units·k] → [rows, units]. */
  maxout(z: Node, k: number): Node<Tensor> {
    const id = this.own(z, 'maxout');
    const shape = this.shapeOf(id);
    if (!Number.isInteger(k) || k < 1) throw new ValueError(`maxout: k must be a positive integer, got ${describe(k)}`);
    if (shape.length !== 2 || (shape[1] as number) % k !== 0)
      throw new ShapeError(`maxout: z must be [rows, units·${k}], got ${formatShape(shape)}`);
    return this.op(TENSOR_OPS.maxout, id, NO_NODE, [shape[0] as number, (shape[1] as number) / k], 0, k);
  }

  /** Makes `node` the one forward returns and backward starts from by default. */
  output<V extends NodeValue>(node: Node<V>): Node<V> {
    this.outputId = this.own(node, 'output');
    return node;
  }

  // ---- running --------------------------------------------------------------------------

  /**
   * Runs every op in topological order with these input values; returns the output's
   * value: a number for a scalar, else a Tensor the graph owns (valid until it changes).
   */
  forward(inputs: Readonly<Record<string, InputValue>> = {}): number | Tensor {
    this.checkLive('forward');
    const output = this.defaultOutput('forward');
    const given = this.readInputs(inputs);
    const program = this.compile();
    for (const [id, value] of given) program.setInput(id, value);
    this.gradientsOf = NO_NODE;
    const bad = program.forward();
    this.forwardDone = bad < 0;
    if (bad >= 0) throw new ValueError(`forward: ${this.describeOp(bad)} is ${summary(program.value(bad))}`);
    return program.value(output);
  }

  /** Backpropagates from `node` (default: the output), seeding d node/d node = 1 (ones for a tensor). */
  backward(node?: Node): void {
    this.checkLive('backward');
    const target = node === undefined ? this.defaultOutput('backward') : this.own(node, 'backward');
    if (!this.forwardDone || this.program === null) throw new StateError('backward: run forward first (and after any change to the graph)');
    const bad = this.program.backward(target);
    this.gradientsOf = bad < 0 ? target : NO_NODE;
    if (bad >= 0) throw new ValueError(`backward: ${this.describeOp(bad)} gave its input a gradient that is not finite`);
  }

  /** A node's value from the last forward (params and constants: their current value). */
  value<V extends NodeValue>(node: Node<V>): V {
    const id = this.own(node, 'value');
    const kind = this.table.kinds[id];
    const leaf = kind === Kind.Param || kind === Kind.Const;
    if (!leaf && !this.forwardDone) throw new StateError(`value: ${this.label(id)} has no value until forward has run`);
    if (kind === Kind.Labels) throw new GraphError(`value: ${this.label(id)} holds labels, not values`);
    if (this.program === null || id >= this.program.size) return this.leafValue(id) as V;
    return this.program.value(id) as V;
  }

  /** d(target of the last backward)/d node: a number, or a Tensor the graph owns. */
  grad<V extends NodeValue>(node: Node<V>): V {
    const id = this.own(node, 'grad');
    if (this.gradientsOf === NO_NODE || this.program === null) {
      throw new StateError(`grad: ${this.label(id)} has no gradient until backward has run`);
    }
    if (this.table.kinds[id] === Kind.Labels) throw new GraphError(`grad: ${this.label(id)} holds labels, which have no gradient`);
    return this.program.grad(id) as V;
  }

  /** Frees the graph's linear memory; the graph cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.program?.free();
    this.program = null;
    this.disposed = true;
  }

  // ---- drawing --------------------------------------------------------------------------

  /** Graphviz DOT: inputs on the left, each node with its value and, after backward, its gradient. */
  toDot(): string {
    const lines = ['digraph wasmgrad {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
    const withValues = this.forwardDone;
    const withGrads = this.gradientsOf !== NO_NODE;
    for (let id = 0; id < this.table.count; id++) {
      const kind = this.table.kinds[id];
      if (kind === Kind.OpConstant) continue;
      const node = new Node(this, id);
      const parts = [this.gateLabel(id)];
      if (this.shapeOf(id).length > 0) parts.push(formatShape(this.shapeOf(id)));
      if (kind !== Kind.Labels && (withValues || kind === Kind.Param || kind === Kind.Const))
        parts.push(`value ${summary(this.value(node))}`);
      if (withGrads && kind !== Kind.Labels) parts.push(`grad ${summary(this.grad(node))}`);
      const shape = kind === Kind.Op ? 'ellipse' : 'box';
      lines.push(`  n${id} [shape=${shape}, label=${JSON.stringify(parts.join('\n'))}];`);
      for (const arg of this.inputsOf(id)) lines.push(`  n${arg} -> n${id};`);
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }

  // ---- internals, used by Node and the error messages -------------------------------

  /** @internal */
  opOf(id: number): string {
    switch (this.table.kinds[id]) {
      case Kind.Input:
        return 'input';
      case Kind.Param:
        return 'param';
      case Kind.Labels:
        return 'labels';
      case Kind.Op: {
        const name = OP_NAME_BY_CODE.get(this.table.codes[id] as number) as string;
        if (name === 'powc') return 'pow';
        if (name === 'maxSwapped') return 'max';
        if (name === 'sum' && this.table.initial[id] !== 1) return 'mean';
        return name;
      }
      default:
        return 'const';
    }
  }

  /** @internal */
  shapeOf(id: number): Shape {
    return this.table.shape(id);
  }

  /** @internal A short name: inputs and params by name, constants by value, ops as op#id. */
  label(id: number): string {
    const kind = this.table.kinds[id];
    if (kind === Kind.Input || kind === Kind.Param || kind === Kind.Labels) return this.table.names[id] ?? `param#${id}`;
    if (kind === Kind.Op) return `${this.opOf(id)}#${id}`;
    return this.table.leafData.has(id) ? `const#${id}` : String(this.table.initial[id]);
  }

  /** @internal The op with its fixed constant, as drawn on a gate: "scale -1", "pow 0.5". */
  gateLabel(id: number): string {
    if (this.table.kinds[id] !== Kind.Op) return this.label(id);
    const info = OPS[OP_NAME_BY_CODE.get(this.table.codes[id] as number) as OpName] as { arity: unknown } | undefined;
    if (info?.arity !== 'const') return this.opOf(id);
    return `${this.opOf(id)} ${this.table.initial[this.table.argB[id] as number]}`;
  }

  /** @internal The nodes an op reads and differentiates (not fixed constants). */
  inputsOf(id: number): number[] {
    if (this.table.kinds[id] !== Kind.Op) return [];
    const code = this.table.codes[id] as number;
    const a = this.table.argA[id] as number;
    const b = this.table.argB[id] as number;
    if (code === TENSOR_OPS.softmaxCrossEntropy || code === TENSOR_OPS.svmLoss) return [a, b];
    if (code === OPS.maxSwapped.code) return [b, a]; // in the order they were written
    const info = OPS[OP_NAME_BY_CODE.get(code) as OpName] as { arity: unknown } | undefined;
    return info?.arity === 2 || code === TENSOR_OPS.matmul ? [a, b] : [a];
  }

  private describeOp(id: number): string {
    const program = this.program as Program;
    const shown = this.inputsOf(id)
      .filter((arg) => this.table.kinds[arg] !== Kind.Labels)
      .map((arg) => `${this.label(arg)} = ${summary(program.value(arg))}`);
    return `${this.label(id)} (${this.gateLabel(id)} of ${shown.join(', ')})`;
  }

  private named(id: number, name: string): Node {
    this.table.names[id] = name;
    this.byName.set(name, id);
    return new Node(this, id);
  }

  private leaf(kind: Kind, op: string, value: unknown): number {
    if (value instanceof Tensor) {
      if (value.disposed) throw new StateError(`${op}: the tensor has been disposed`);
      const id = this.table.push(kind, LEAF_CODE, NO_NODE, NO_NODE, 0, value.shape);
      this.table.leafData.set(id, Float64Array.from(value.data));
      return id;
    }
    return this.table.push(kind, LEAF_CODE, NO_NODE, NO_NODE, this.finite(op, 'value', value));
  }

  private leafValue(id: number): number | Tensor {
    const data = this.table.leafData.get(id);
    if (!data) return this.table.initial[id] as number;
    return Tensor.from(data, this.shapeOf(id), { dtype: this.dtype });
  }

  private op<R extends NodeValue>(code: number, a: number, b: number, shape: Shape, constant = 0, extra = 0): Node<R> {
    return new Node<R>(this, this.table.push(Kind.Op, code, a, b, constant, shape, extra));
  }

  private binary<R extends NodeValue>(op: OpName, a: Operand, b: Operand): Node<R> {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    const ib = this.operand(op, b, 'second');
    const [sa, sb] = [this.shapeOf(ia), this.shapeOf(ib)];
    if (sa === SCALAR && sb === SCALAR) return this.op(OPS[op].code, ia, ib, SCALAR, 0, B_SAME);
    // The second operand broadcasts into the first; a commutative op may swap them for that.
    if (sizeOf(sa) < sizeOf(sb) && COMMUTATIVE.has(op) && broadcastMode(sb, sa) >= 0) {
      // max's tie goes to the operand written first: swapped, that is b.
      const code = op === 'max' ? OPS.maxSwapped.code : OPS[op].code;
      return this.op(code, ib, ia, sb, 0, broadcastMode(sb, sa));
    }
    const mode = broadcastMode(sa, sb);
    if (mode < 0) {
      const cols = rowsCols(sa)[1];
      throw new ShapeError(
        `${op}: ${formatShape(sa)} and ${formatShape(sb)}: the second must match the first, be a row of ${cols}, or be a scalar`,
      );
    }
    return this.op(OPS[op].code, ia, ib, sa, 0, mode);
  }

  private unary<R extends NodeValue>(op: OpName, a: Operand): Node<R> {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    return this.op(OPS[op].code, ia, ia, this.shapeOf(ia));
  }

  private withConstant<R extends NodeValue>(op: OpName, a: Operand, constant: number): Node<R> {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    const value = this.finite(op, 'its constant', constant);
    let ib = this.constantIds.get(value);
    if (ib === undefined || Object.is(value, -0) !== Object.is(this.table.initial[ib], -0)) {
      ib = this.table.push(Kind.OpConstant, LEAF_CODE, NO_NODE, NO_NODE, value);
      this.constantIds.set(value, ib);
    }
    return this.op(OPS[op].code, ia, ib, this.shapeOf(ia));
  }

  private reduction<R extends NodeValue>(op: 'sum' | 'mean', a: Node, axis: 0 | 1 | undefined, mean: boolean): Node<R> {
    const id = this.own(a, op);
    const shape = this.shapeOf(id);
    if (axis !== undefined && axis !== 0 && axis !== 1) throw new ValueError(`${op}: axis must be 0, 1 or left out, got ${describe(axis)}`);
    if (axis !== undefined && shape.length !== 2) throw new ShapeError(`${op}: axis ${axis} needs a 2-D tensor, got ${formatShape(shape)}`);
    const [rows, cols] = rowsCols(shape);
    const out = axis === undefined ? SCALAR : [axis === 0 ? cols : rows];
    const count = axis === undefined ? sizeOf(shape) : axis === 0 ? rows : cols;
    return this.op(TENSOR_OPS.sum, id, NO_NODE, out, mean ? 1 / Math.max(count, 1) : 1, axis ?? -1);
  }

  private loss(op: 'softmaxCrossEntropy' | 'svmLoss', scores: Node, labels: Node, margin: number): Node<number> {
    const is = this.own(scores, op);
    const il = this.own(labels, op);
    const shape = this.shapeOf(is);
    if (shape.length !== 2) throw new ShapeError(`${op}: scores must be 2-D [rows, classes], got ${formatShape(shape)}`);
    if (this.table.kinds[il] !== Kind.Labels) throw new GraphError(`${op}: ${this.label(il)} is not a labels node (g.labels(name, count))`);
    if (this.shapeOf(il)[0] !== shape[0]) throw new ShapeError(`${op}: ${this.shapeOf(il)[0]} labels for ${shape[0]} rows`);
    // A labels node remembers how many classes its losses have, to check every label it is given.
    const classes = this.table.extra[il] as number;
    if (classes !== 0 && classes !== shape[1])
      throw new ShapeError(`${op}: ${this.label(il)} already labels ${classes} classes, not ${shape[1]}`);
    this.table.extra[il] = shape[1] as number;
    return this.op(TENSOR_OPS[op], is, il, SCALAR, margin);
  }

  private operand(op: string, x: unknown, which: string): number {
    if (typeof x === 'number') return this.const(this.finite(op, `the ${which} operand`, x)).id;
    if (x instanceof Node) {
      const id = this.own(x, op);
      if (this.table.kinds[id] === Kind.Labels) throw new GraphError(`${op}: ${this.label(id)} holds labels, which only a loss reads`);
      return id;
    }
    throw new ValueError(`${op}: the ${which} operand must be a Node or a number, got ${describe(x)}`);
  }

  /** The id of a node of this graph; a clear error for anything else. */
  private own(node: unknown, op: string): number {
    this.checkLive(op);
    if (!(node instanceof Node)) throw new ValueError(`${op}: expected a Node, got ${describe(node)}`);
    if (node.graph !== this) throw new GraphError(`${op}: node ${node.toString()} belongs to another Graph`);
    return node.id;
  }

  private finite(op: string, what: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValueError(`${op}: ${what} must be a finite number, got ${describe(value)}`);
    }
    return value;
  }

  private checkName(op: string, name: unknown): void {
    this.checkLive(op);
    if (typeof name !== 'string' || name === '') throw new ValueError(`${op}: the name must be a non-empty string, got ${describe(name)}`);
    if (this.byName.has(name)) throw new GraphError(`${op}: the name ${JSON.stringify(name)} is taken`);
  }

  private checkLive(op: string): void {
    if (this.disposed) throw new StateError(`${op}: the graph has been disposed`);
  }

  private defaultOutput(op: string): number {
    if (this.outputId !== NO_NODE) return this.outputId;
    if (this.table.count === 0) throw new GraphError(`${op}: the graph is empty`);
    return this.table.count - 1;
  }

  /** Every input, checked before anything is written: a bad call changes nothing. */
  private readInputs(inputs: unknown): Array<[number, number | Tensor | ArrayLike<number>]> {
    if (typeof inputs !== 'object' || inputs === null) {
      throw new ValueError(`forward: inputs must be an object of name → value, got ${describe(inputs)}`);
    }
    const given: Array<[number, number | Tensor | ArrayLike<number>]> = [];
    for (const [name, value] of Object.entries(inputs)) {
      const id = this.inputIds.get(name);
      if (id === undefined) {
        const known = [...this.inputIds.keys()].map((n) => JSON.stringify(n)).join(', ') || 'none';
        throw new GraphError(`forward: unknown input ${JSON.stringify(name)} (inputs: ${known})`);
      }
      given.push([id, this.table.kinds[id] === Kind.Labels ? this.readLabels(id, value) : this.readInput(id, value)]);
    }
    if (given.length !== this.inputIds.size) {
      const missing = [...this.inputIds.keys()].filter((name) => !Object.hasOwn(inputs, name));
      throw new GraphError(`forward: missing input ${missing.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    return given;
  }

  private readInput(id: number, value: unknown): number | Tensor | ArrayLike<number> {
    const what = `input ${JSON.stringify(this.label(id))}`;
    if (this.shapeOf(id).length === 0) return this.finite('forward', what, value);
    if (value instanceof Tensor) {
      if (value.disposed) throw new StateError(`forward: ${what} has been disposed`);
      if (!sameShape(value.shape, this.shapeOf(id))) {
        throw new ShapeError(`forward: ${what} has shape ${formatShape(value.shape)}, declared ${formatShape(this.shapeOf(id))}`);
      }
      const bad = kernels(value.dtype).firstNonFinite(value.ptr, value.size);
      if (bad >= 0) throw new ValueError(`forward: ${what} element ${bad} is ${value.data[bad]}`);
      return value;
    }
    return this.readValue('forward', id, value);
  }

  private readLabels(id: number, value: unknown): ArrayLike<number> {
    const count = this.shapeOf(id)[0] as number;
    const what = `labels ${JSON.stringify(this.label(id))}`;
    if (!(value instanceof Int32Array || Array.isArray(value)))
      throw new ValueError(`forward: ${what} must be an Int32Array or array of class indices`);
    if (value.length !== count) throw new ShapeError(`forward: ${what} has ${value.length} entries, declared ${count}`);
    const classes = this.table.extra[id] as number;
    for (let i = 0; i < count; i++) {
      const label = value[i];
      if (!Number.isInteger(label) || (label as number) < 0 || (label as number) >= classes) {
        throw new ValueError(`forward: ${what} entry ${i} is ${describe(label)}, not a class index in [0, ${classes})`);
      }
    }
    return value;
  }

  /** A value for a leaf of `id`'s shape as f64s: a number for a scalar, else a Tensor or (nested) array. */
  private readValue(op: string, id: number, value: unknown): Float64Array {
    const shape = this.shapeOf(id);
    const what = `${this.table.kinds[id] === Kind.Input ? 'input' : 'value of'} ${JSON.stringify(this.label(id))}`;
    if (shape.length === 0) return Float64Array.of(this.finite(op, what, value));
    let values: Float64Array;
    let given: Shape;
    if (value instanceof Tensor) {
      values = Float64Array.from(value.data);
      given = value.shape;
    } else if (ArrayBuffer.isView(value) || (Array.isArray(value) && !value.some(Array.isArray))) {
      values = Float64Array.from(value as ArrayLike<number>);
      given = values.length === sizeOf(shape) ? shape : [values.length];
    } else if (Array.isArray(value)) {
      const t = Tensor.from(value as NestedNumbers, undefined, { dtype: 'float64' });
      values = Float64Array.from(t.data);
      given = t.shape;
      t.dispose();
    } else {
      throw new ValueError(`${op}: ${what} must be a Tensor or an array of numbers, got ${describe(value)}`);
    }
    if (sizeOf(given) !== sizeOf(shape) || (value instanceof Tensor && !sameShape(given, shape))) {
      throw new ShapeError(`${op}: ${what} has shape ${formatShape(given)}, declared ${formatShape(shape)}`);
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ValueError(`${op}: ${what} element ${bad} is ${values[bad]}`);
    return values;
  }

  /** The program for the nodes made so far: compiled on first use and after the graph grows. */
  private compile(): Program {
    if (this.program && this.program.size === this.table.count) return this.program;
    const old = this.program;
    if (old) {
      // Params keep the values training gave them.
      for (const id of this.paramList) {
        const values = old.leafValues(id);
        if (this.table.leafData.has(id)) this.table.leafData.set(id, values);
        else this.table.initial[id] = values[0] as number;
      }
    }
    const program = this.table.hasTensors() ? new TensorProgram(this.table, this.dtype) : new ScalarProgram(this.table);
    old?.free();
    this.program = program;
    this.forwardDone = false;
    return program;
  }
}

function checkShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 1)) {
    throw new ShapeError(
      `${op}: a shape is an array of positive integers, got ${Array.isArray(shape) ? formatShape(shape) : describe(shape)}`,
    );
  }
  return shape.length === 0 ? SCALAR : Object.freeze([...shape]);
}

/** How b reaches a's shape: the same shape, a row broadcast down a's rows, one value — or -1. */
function broadcastMode(a: Shape, b: Shape): number {
  if (sameShape(a, b)) return B_SAME;
  if (sizeOf(b) === 1) return B_SCALAR;
  const cols = rowsCols(a)[1];
  const isRow = a.length >= 1 && sizeOf(b) === cols && (b.length === 1 || (b.length === 2 && b[0] === 1));
  return isRow ? B_ROW : -1;
}

/** A value for a message: a number as is, a tensor by shape and first values. */
function summary(value: number | Tensor): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(6)));
  const data = value.data;
  const head = Array.from(data.subarray(0, 4), (x) => Number(x.toPrecision(4))).join(', ');
  return `${formatShape(value.shape)} [${head}${data.length > 4 ? ', …' : ''}]`;
}
