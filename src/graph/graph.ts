// A computational graph of gates, built once and run many times. Building only records
// nodes (and checks their shapes); the first forward compiles them into linear memory —
// a graph of scalars to an f64 tape, a graph with tensors to a tensor tape — so that a
// whole forward or backward pass is one call into wasm.
import { describe, GraphError, NonFiniteError, ShapeError, StateError, ValueError } from '../errors';
import { AXIS_ALL, BROADCAST, categoryOf, type ElementwiseOpName, LEAF_CODE, OPS, opOfCode } from '../ops';
import {
  broadcastOf,
  checkPieces,
  conv2dGeometry,
  matmulDims,
  maxoutShape,
  type Pair,
  pool2dGeometry,
  poolSpec,
  reduction,
  reshapeTo,
  scoresShape,
  type WindowGeometry,
  windowOutput,
} from '../shapes';
import { type DType, formatShape, type NestedNumbers, rowsCols, type Shape, sizeOf, Tensor } from '../tensor';
import { summary, toDot } from '../viz/dot';
import { kernels } from '../wasm/kernels';
import { ElementwiseBuilders } from './builders.generated';
import { checkShape, type Declared, finite, readInputs, readValue } from './inputs';
import { type Combined, Node, type NodeValue, type Operand } from './node';
import { Kind, NO_NODE, NodeTable, SCALAR } from './nodes';
import type { Program } from './program';
import { ScalarProgram } from './scalar-program';
import { TensorProgram } from './tensor-program';

/** What forward takes for an input: a number, or for a tensor input a Tensor or (nested) array. */
export type InputValue = number | Tensor | NestedNumbers | ArrayLike<number>;

export interface GraphOptions {
  /** The precision of a graph with tensors: float32 (default) or float64 (for gradcheck). */
  dtype?: DType;
}

export { Node, type NodeValue, type Operand };

const COMMUTATIVE = new Set<ElementwiseOpName>(['add', 'mul', 'max']);

/** A Graph: its elementwise ops (g.add, g.relu, …) come from the op table (builders.generated.ts); the rest are here. */
export class Graph extends ElementwiseBuilders {
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
  /** Training mode (the default: g.dropout drops) or evaluation (it passes x through): see train(). */
  training = true;
  private nextDropoutSeed = 1;
  private disposed = false;
  private forwardDone = false;
  private gradientsOf = NO_NODE;
  /** The sum nodes that are means (a mean over one element scales by 1, as a sum does). */
  private readonly means = new Set<number>();
  /** What input checks read (graph/inputs.ts). */
  private readonly declared: Declared = { table: this.table, inputIds: this.inputIds, label: (id) => this.label(id) };

  constructor(options: GraphOptions = {}) {
    super();
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
    const id = this.push(Kind.Input, LEAF_CODE, NO_NODE, NO_NODE, 0, checkShape('input', shape));
    this.inputIds.set(name, id);
    return this.named(id, name);
  }

  /** Class indices for a loss, one per row, given on every forward (an Int32Array or array). */
  labels(name: string, count: number): Node<never> {
    this.checkName('labels', name);
    if (!Number.isInteger(count) || count < 1) throw new ValueError(`labels: count must be a positive integer, got ${describe(count)}`);
    const id = this.push(Kind.Labels, LEAF_CODE, NO_NODE, NO_NODE, 0, [count]);
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
    const values = readValue(this.declared, 'set', id, value);
    if (this.table.leafData.has(id)) this.table.leafData.set(id, values);
    else this.table.initial[id] = values[0] as number;
    if (this.program && id < this.program.size) this.program.setLeaf(id, values);
    this.forwardDone = false;
    this.gradientsOf = NO_NODE;
  }

  // ---- ops ------------------------------------------------------------------------------

  /** aᵇ. A number exponent is a fixed constant; a node exponent gets a gradient too (a > 0). */
  override pow<A extends Operand, B extends Operand>(a: A, b: B): Node<Combined<A, B>> {
    return (typeof b === 'number' ? this.withConstant('powc', a, b) : this.binary('pow', a, b)) as Node<Combined<A, B>>;
  }

  /** A·B of 2-D tensors: [m, k]·[k, n] → [m, n]. */
  matmul(a: Node, b: Node): Node<Tensor> {
    const [ia, ib] = [this.own(a, 'matmul'), this.own(b, 'matmul')];
    const [m, , n] = matmulDims('matmul', this.shapeOf(ia), this.shapeOf(ib));
    return this.op(OPS.matmul.code, ia, ib, [m, n]);
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
    return this.op(OPS.l2.code, this.own(a, 'l2'), NO_NODE, SCALAR);
  }

  /** softmax along the last axis. */
  softmax(a: Node): Node<Tensor> {
    const id = this.own(a, 'softmax');
    return this.op(OPS.softmax.code, id, NO_NODE, this.shapeOf(id));
  }

  /** The mean softmax cross-entropy of logits [rows, classes] against labels (fused, stable). */
  softmaxCrossEntropy(logits: Node, labels: Node): Node<number> {
    return this.loss('softmaxCrossEntropy', logits, labels, 0);
  }

  /** The mean multiclass SVM (hinge) loss of scores [rows, classes] against labels. */
  svmLoss(scores: Node, labels: Node, margin = 1): Node<number> {
    return this.loss('svmLoss', scores, labels, finite('svmLoss', 'margin', margin));
  }

  /** The max of each unit's k pieces: z [rows, units·k] → [rows, units]. */
  maxout(z: Node, k: number): Node<Tensor> {
    const id = this.own(z, 'maxout');
    const shape = this.shapeOf(id);
    const [rows, units] = maxoutShape('maxout', shape, checkPieces('maxout', k));
    return this.op(OPS.maxout.code, id, NO_NODE, [rows, units], 0, k);
  }

  /**
   * 2-D convolution (cross-correlation, as PyTorch's): x [N, C, H, W], w [O, C, KH, KW],
   * b [O] or null → [N, O, OH, OW]. Options: stride, padding, dilation (a number or [h, w]).
   */
  conv2d(x: Node, w: Node, b?: Node | null, options: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}): Node<Tensor> {
    const [ix, iw] = [this.own(x, 'conv2d'), this.own(w, 'conv2d')];
    const ib = b === undefined || b === null ? NO_NODE : this.own(b, 'conv2d');
    const g = conv2dGeometry('conv2d', this.shapeOf(ix), this.shapeOf(iw), ib === NO_NODE ? null : this.shapeOf(ib), options);
    return this.windowed(OPS.conv2d.code, ix, iw, g, ib);
  }

  /** The max of each window of x [N, C, H, W]. Options: stride (default: the kernel), padding, dilation. */
  maxPool2d(x: Node, kernelSize: Pair, options: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}): Node<Tensor> {
    const id = this.own(x, 'maxPool2d');
    const g = pool2dGeometry('maxPool2d', this.shapeOf(id), poolSpec('maxPool2d', kernelSize, options, true));
    return this.windowed(OPS.maxPool2d.code, id, NO_NODE, g, NO_NODE);
  }

  /** The mean of each window of x [N, C, H, W], padding counted as zeros. Options: stride (default: the kernel), padding. */
  avgPool2d(x: Node, kernelSize: Pair, options: { stride?: Pair; padding?: Pair } = {}): Node<Tensor> {
    const id = this.own(x, 'avgPool2d');
    const g = pool2dGeometry('avgPool2d', this.shapeOf(id), poolSpec('avgPool2d', kernelSize, options, false));
    return this.windowed(OPS.avgPool2d.code, id, NO_NODE, g, NO_NODE);
  }

  /** The same values in another shape; one dimension may be −1 (inferred). */
  reshape(x: Node, shape: readonly number[]): Node<Tensor> {
    const id = this.own(x, 'reshape');
    return this.op(OPS.reshape.code, id, NO_NODE, reshapeTo('reshape', this.shapeOf(id), shape));
  }

  /** The transpose of a 2-D x [r, c] → [c, r]; its gradient is dout transposed back. */
  transpose(x: Node): Node<Tensor> {
    const id = this.own(x, 'transpose');
    const shape = this.shapeOf(id);
    if (shape.length !== 2) throw new ShapeError(`transpose: x must be 2-D, got ${formatShape(shape)}`);
    return this.op(OPS.transpose.code, id, NO_NODE, [shape[1] as number, shape[0] as number]);
  }

  /**
   * The tensors side by side along `axis` (default 0, as torch.cat; negative counts from the
   * end): every other dimension must agree. Each input gets its part of the gradient.
   */
  concat(xs: readonly Node[], axis = 0): Node<Tensor> {
    if (!Array.isArray(xs) || xs.length === 0) throw new ValueError('concat: give it a non-empty array of nodes');
    const ids = xs.map((x) => this.own(x, 'concat'));
    const rank = this.shapeOf(ids[0] as number).length;
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank || rank === 0) {
      throw new ValueError(`concat: axis must be an integer in [${-rank}, ${rank - 1}] for ${rank}-D tensors, got ${String(axis)}`);
    }
    const at = axis < 0 ? axis + rank : axis;
    const shapes = ids.map((id) => this.shapeOf(id));
    shapes.forEach((shape, i) => {
      if (shape.length !== rank || shape.some((dim, d) => d !== at && dim !== shapes[0]?.[d])) {
        throw new ShapeError(
          `concat: along axis ${at}, every other dimension must agree, got ${shapes.map((s) => formatShape(s)).join(', ')} (input ${i} differs)`,
        );
      }
    });
    let id = ids[0] as number;
    for (const next of ids.slice(1)) {
      const shape = [...this.shapeOf(id)];
      shape[at] = (shape[at] as number) + (this.shapeOf(next)[at] as number);
      id = this.op<Tensor>(OPS.concat.code, id, next, shape, 0, at).id;
    }
    return ids.length === 1 ? this.op(OPS.reshape.code, id, NO_NODE, this.shapeOf(id)) : new Node<Tensor>(this, id);
  }

  /**
   * Inverted dropout: while the graph is in training mode, each value of x is zeroed with
   * probability p and the rest scaled by 1/(1 − p), a new mask each forward (seeded: the same
   * seed draws the same masks); in evaluation (`g.eval()`) it is x. Its gradient is dout
   * times the last forward's mask. Without a seed, a graph's dropouts take seeds 1, 2, 3, …
   * in the order they are made (seeded ones do not count), so a graph built the same way
   * draws the same masks.
   */
  dropout(x: Node, p = 0.5, options: { seed?: number } = {}): Node<Tensor> {
    const id = this.own(x, 'dropout');
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new ValueError(`dropout: p, the probability of dropping a value, must be in [0, 1), got ${describe(p)}`);
    }
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new ValueError(`dropout: seed must be an integer, got ${describe(options.seed)}`);
    }
    const shape = this.shapeOf(id);
    if (shape.length === 0) throw new ShapeError('dropout: x must be a tensor, got a number');
    return this.op(OPS.dropout.code, id, NO_NODE, shape, p, options.seed ?? this.nextDropoutSeed++);
  }

  /** Training mode (true, the default) or evaluation (false) for the next forward: g.dropout drops only while training. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError(`Graph.train: mode must be true or false, got ${describe(mode)}`);
    this.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
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
    const given = readInputs(this.declared, inputs);
    const program = this.compile();
    for (const [id, value] of given) program.setInput(id, value);
    program.setTraining(this.training);
    this.gradientsOf = NO_NODE;
    const bad = program.forward();
    this.forwardDone = bad < 0;
    if (bad >= 0) throw this.nonFinite(bad, 'value', `forward: ${this.describeOp(bad)} is ${summary(program.value(bad))}`);
    return program.value(output);
  }

  /** Backpropagates from `node` (default: the output), seeding d node/d node = 1 (ones for a tensor). */
  backward(node?: Node): void {
    this.checkLive('backward');
    const target = node === undefined ? this.defaultOutput('backward') : this.own(node, 'backward');
    if (!this.forwardDone || this.program === null) throw new StateError('backward: run forward first (and after any change to the graph)');
    const bad = this.program.backward(target);
    this.gradientsOf = bad < 0 ? target : NO_NODE;
    if (bad >= 0) throw this.nonFinite(bad, 'gradient', `backward: ${this.describeOp(bad)} gave its input a gradient that is not finite`);
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
    return toDot(this);
  }

  /** @internal Whether the last forward ran to the end (values can be read). */
  get hasValues(): boolean {
    return this.forwardDone;
  }

  /** @internal Whether gradients from a backward can be read. */
  get hasGradients(): boolean {
    return this.gradientsOf !== NO_NODE;
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
        // The op as the user wrote it: the Graph's own variants of pow and max by their name.
        const name = opOfCode(this.table.codes[id] as number);
        if (name === 'powc') return 'pow';
        if (name === 'maxSwapped') return 'max';
        if (name === 'sum' && this.means.has(id)) return 'mean';
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
    if (categoryOf(this.table.codes[id] as number) !== 'const') return this.opOf(id);
    return `${this.opOf(id)} ${this.table.initial[this.table.argB[id] as number]}`;
  }

  /** @internal The nodes an op reads and differentiates (not fixed constants). */
  inputsOf(id: number): number[] {
    if (this.table.kinds[id] !== Kind.Op) return [];
    const code = this.table.codes[id] as number;
    const a = this.table.argA[id] as number;
    const b = this.table.argB[id] as number;
    if (code === OPS.softmaxCrossEntropy.code || code === OPS.svmLoss.code) return [a, b];
    if (code === OPS.maxSwapped.code) return [b, a]; // in the order they were written
    if (code === OPS.conv2d.code) {
      const bias = this.table.extra[id] as number;
      return bias === NO_NODE ? [a, b] : [a, b, bias];
    }
    return categoryOf(code) === 'binary' || code === OPS.matmul.code || code === OPS.concat.code ? [a, b] : [a];
  }

  /**
   * A graph of numbers runs on the scalar tape, whose instructions are the elementwise
   * rules: an op of tensors made on a number (a sum, a softmax) has none there.
   */
  private checkScalarTape(): void {
    for (const id of this.table.ops()) {
      if (categoryOf(this.table.codes[id] as number) !== 'tensor') continue;
      throw new GraphError(
        `forward: ${this.label(id)} is a ${this.gateLabel(id)} (an op of tensors), and this graph holds only numbers, which run as ` +
          'float64 scalars with no such op: give the graph a tensor (an input, param or constant with a shape) or leave it out',
      );
    }
  }

  /**
   * The refusal of op `id`'s value or of a gradient it passed back: the node, its op, what
   * it was given (a graph of numbers), and the first value that is not finite.
   */
  private nonFinite(id: number, kind: 'value' | 'gradient', message: string): NonFiniteError {
    const program = this.program as Program;
    const args = this.inputsOf(id).filter((arg) => this.table.kinds[arg] !== Kind.Labels);
    const values = args.map((arg) => program.value(arg));
    const numbers = values.every((v) => typeof v === 'number');
    const found = kind === 'value' ? firstNonFinite(program.value(id)) : firstNonFinite(args.map((arg) => program.grad(arg)));
    return new NonFiniteError(message, {
      op: this.opOf(id),
      kind,
      ...found,
      ...(numbers ? { inputs: values as number[] } : {}),
      node: new Node(this, id),
    });
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
      const id = this.push(kind, LEAF_CODE, NO_NODE, NO_NODE, 0, value.shape);
      this.table.leafData.set(id, Float64Array.from(value.data));
      return id;
    }
    return this.push(kind, LEAF_CODE, NO_NODE, NO_NODE, finite(op, 'value', value));
  }

  private leafValue(id: number): number | Tensor {
    const data = this.table.leafData.get(id);
    if (!data) return this.table.initial[id] as number;
    return Tensor.from(data, this.shapeOf(id), { dtype: this.dtype });
  }

  private windowed(code: number, a: number, b: number, g: WindowGeometry, bias: number): Node<Tensor> {
    const node = this.op<Tensor>(code, a, b, windowOutput(g), 0, bias);
    this.table.windows.set(node.id, g);
    return node;
  }

  /**
   * Adds a node. The graph has changed, so the last run's values and gradients no longer
   * describe it: until the next forward (and backward) they are refused, as after set.
   * Otherwise a node made since would be read from, or backpropagated through, a program
   * compiled without it: outside that program's memory.
   */
  private push(kind: Kind, code: number, a: number, b: number, initial: number, shape?: Shape, extra?: number): number {
    this.forwardDone = false;
    this.gradientsOf = NO_NODE;
    return this.table.push(kind, code, a, b, initial, shape, extra);
  }

  private op<R extends NodeValue>(code: number, a: number, b: number, shape: Shape, constant = 0, extra = 0): Node<R> {
    return new Node<R>(this, this.push(Kind.Op, code, a, b, constant, shape, extra));
  }

  protected binary<R extends NodeValue>(op: ElementwiseOpName, a: Operand, b: Operand): Node<R> {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    const ib = this.operand(op, b, 'second');
    const [sa, sb] = [this.shapeOf(ia), this.shapeOf(ib)];
    if (sa === SCALAR && sb === SCALAR) return this.op(OPS[op].code, ia, ib, SCALAR, 0, BROADCAST.same);
    // The second operand broadcasts into the first; a commutative op may swap them for that.
    if (sizeOf(sa) < sizeOf(sb) && COMMUTATIVE.has(op) && broadcastOf(sb, sa) >= 0) {
      // max's tie goes to the operand written first: swapped, that is b.
      const code = op === 'max' ? OPS.maxSwapped.code : OPS[op].code;
      return this.op(code, ib, ia, sb, 0, broadcastOf(sb, sa));
    }
    const mode = broadcastOf(sa, sb);
    if (mode < 0) {
      const cols = rowsCols(sa)[1];
      throw new ShapeError(
        `${op}: ${formatShape(sa)} and ${formatShape(sb)}: the second must match the first, be a row of ${cols}, or be a scalar`,
      );
    }
    return this.op(OPS[op].code, ia, ib, sa, 0, mode);
  }

  protected unary<R extends NodeValue>(op: ElementwiseOpName, a: Operand): Node<R> {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    return this.op(OPS[op].code, ia, ia, this.shapeOf(ia));
  }

  protected withConstant<R extends NodeValue>(op: ElementwiseOpName, a: Operand, constant: number): Node<R> {
    // Errors name the op as the user wrote it: pow(x, 2) runs as powc.
    const name = op === 'powc' ? 'pow' : op;
    this.checkLive(name);
    const ia = this.operand(name, a, 'first');
    const value = finite(name, 'its constant', constant);
    let ib = this.constantIds.get(value);
    if (ib === undefined || Object.is(value, -0) !== Object.is(this.table.initial[ib], -0)) {
      ib = this.push(Kind.OpConstant, LEAF_CODE, NO_NODE, NO_NODE, value);
      this.constantIds.set(value, ib);
    }
    return this.op(OPS[op].code, ia, ib, this.shapeOf(ia));
  }

  private reduction<R extends NodeValue>(op: 'sum' | 'mean', a: Node, axis: 0 | 1 | undefined, mean: boolean): Node<R> {
    const id = this.own(a, op);
    const shape = this.shapeOf(id);
    const { count, out } = reduction(op, shape, axis);
    const node = this.op<R>(
      OPS.sum.code,
      id,
      NO_NODE,
      out.length === 0 ? SCALAR : out,
      mean ? 1 / Math.max(count, 1) : 1,
      axis ?? AXIS_ALL,
    );
    if (mean) this.means.add(node.id);
    return node;
  }

  private loss(op: 'softmaxCrossEntropy' | 'svmLoss', scores: Node, labels: Node, margin: number): Node<number> {
    const is = this.own(scores, op);
    const il = this.own(labels, op);
    const shape = scoresShape(op, 'scores', this.shapeOf(is));
    if (this.table.kinds[il] !== Kind.Labels) throw new GraphError(`${op}: ${this.label(il)} is not a labels node (g.labels(name, count))`);
    if (this.shapeOf(il)[0] !== shape[0]) throw new ShapeError(`${op}: ${this.shapeOf(il)[0]} labels for ${shape[0]} rows`);
    // A labels node remembers how many classes its losses have, to check every label it is given.
    const classes = this.table.extra[il] as number;
    if (classes !== 0 && classes !== shape[1])
      throw new ShapeError(`${op}: ${this.label(il)} already labels ${classes} classes, not ${shape[1]}`);
    this.table.extra[il] = shape[1] as number;
    return this.op(OPS[op].code, is, il, SCALAR, margin);
  }

  private operand(op: string, x: unknown, which: string): number {
    if (typeof x === 'number') return this.const(finite(op, `the ${which} operand`, x)).id;
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

  /** The program for the nodes made so far: compiled on first use and after the graph grows. */
  private compile(): Program {
    if (this.program && this.program.size === this.table.count) return this.program;
    if (!this.table.hasTensors()) this.checkScalarTape();
    const old = this.program;
    if (old) {
      // Params keep the values training gave them; a param made since has none there yet.
      for (const id of this.paramList) {
        if (id >= old.size) continue;
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

/** The first value that is not finite: a number itself, or a tensor's element and its index. */
function firstNonFinite(values: NodeValue | readonly NodeValue[]): { value: number; index?: number } {
  for (const v of Array.isArray(values) ? values : [values]) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { value: v };
      continue;
    }
    const index = kernels(v.dtype).firstNonFinite(v.ptr, v.size);
    if (index >= 0) return { value: v.data[index] as number, index };
  }
  return { value: Number.NaN };
}
