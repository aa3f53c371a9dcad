// A computational graph of scalar gates, built once and run many times. Building only
// records nodes in typed arrays; the first forward compiles them to a tape in linear
// memory, so a whole forward or backward pass is one call into wasm.
//
// Creation order is a topological order (an op can only take nodes that already
// exist), so the forward tape is the ops in creation order. The backward tape of a
// target is the ops it depends on, found by one reverse sweep — no recursion, so a
// million-node chain is fine — and cached until the graph grows.
import { describe, GraphError, StateError, ValueError } from './errors';
import { LEAF_CODE, OPS, type OpName } from './ops';
import { allocate, f64, i32, release, wasm } from './wasm/instance';

enum Kind {
  Op = 0,
  Input = 1,
  Param = 2,
  Const = 3,
  /** The fixed parameter of scale, offset, leaky ReLU, ELU and pow(x, number). */
  OpConstant = 4,
}

const INSTRUCTION_BYTES = 16;
const NO_NODE = -1;

/** A node of one Graph. Read its value and gradient from the graph that made it. */
export class Node {
  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}

  /** The op's name, or 'input', 'param', 'const'. */
  get op(): string {
    return this.graph.opOf(this.id);
  }

  get value(): number {
    return this.graph.value(this);
  }

  get grad(): number {
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

interface Tape {
  ptr: number;
  count: number;
  /** Node id of each instruction, to name the op that went wrong. */
  nodes: Int32Array;
}

/** What a Graph holds in linear memory; freed by dispose() or when the Graph is collected. */
interface Buffers {
  /** Values of all nodes (f64), then their gradients. */
  slab: number;
  forward: Tape | null;
  backward: Map<number, Tape>;
}

const collector = new FinalizationRegistry<Buffers>(freeBuffers);

function freeBuffers(buffers: Buffers): void {
  release(buffers.slab);
  if (buffers.forward) release(buffers.forward.ptr);
  for (const tape of buffers.backward.values()) release(tape.ptr);
  buffers.slab = 0;
  buffers.forward = null;
  buffers.backward.clear();
}

const OP_NAME_BY_CODE = new Map<number, OpName>(Object.entries(OPS).map(([name, info]) => [info.code, name as OpName]));

export class Graph {
  private count = 0;
  private codes = new Int32Array(64);
  private argA = new Int32Array(64);
  private argB = new Int32Array(64);
  private kinds = new Uint8Array(64);
  /** Values of params and constants as given; the slab holds their live values. */
  private initial = new Float64Array(64);
  private readonly names = new Map<number, string>();
  private readonly inputIds = new Map<string, number>();
  private readonly paramIds = new Map<string, number>();
  private readonly constantIds = new Map<number, number>();
  private outputId = NO_NODE;

  private readonly buffers: Buffers = { slab: 0, forward: null, backward: new Map() };
  /** Node count the slab and forward tape were compiled for. */
  private compiled = 0;
  private disposed = false;
  private forwardDone = false;
  private gradientsOf = NO_NODE;

  constructor() {
    collector.register(this, this.buffers, this);
  }

  /** Number of nodes, leaves included. */
  get size(): number {
    return this.count;
  }

  // ---- leaves -------------------------------------------------------------------------

  /** A scalar input, given a value by name on every forward. */
  input(name: string): Node {
    this.checkName('input', name);
    const id = this.push(Kind.Input, LEAF_CODE, NO_NODE, NO_NODE, 0);
    this.names.set(id, name);
    this.inputIds.set(name, id);
    return new Node(this, id);
  }

  /** A trainable value: it keeps its value between runs until `set` changes it. */
  param(name: string, value: number): Node {
    this.checkName('param', name);
    const id = this.push(Kind.Param, LEAF_CODE, NO_NODE, NO_NODE, this.finite('param', name, value));
    this.names.set(id, name);
    this.paramIds.set(name, id);
    return new Node(this, id);
  }

  const(value: number): Node {
    return new Node(this, this.push(Kind.Const, LEAF_CODE, NO_NODE, NO_NODE, this.finite('const', 'value', value)));
  }

  /** Every node in topological (creation) order; fixed constants of ops are part of their op. */
  nodes(): Node[] {
    const nodes: Node[] = [];
    for (let id = 0; id < this.count; id++) if (this.kinds[id] !== Kind.OpConstant) nodes.push(new Node(this, id));
    return nodes;
  }

  /** The input or param of that name. */
  node(name: string): Node {
    const id = this.inputIds.get(name) ?? this.paramIds.get(name);
    if (id === undefined) throw new GraphError(`node: no input or param is named ${JSON.stringify(name)}`);
    return new Node(this, id);
  }

  /** Sets a param's value; it holds from the next forward on. */
  set(param: Node, value: number): void {
    const id = this.own(param, 'set');
    if (this.kinds[id] !== Kind.Param) throw new GraphError(`set: ${this.label(id)} is not a param`);
    this.initial[id] = this.finite('set', this.label(id), value);
    if (id < this.compiled) f64()[(this.buffers.slab >>> 3) + id] = value;
    this.forwardDone = false;
    this.gradientsOf = NO_NODE;
  }

  // ---- ops ------------------------------------------------------------------------------

  add(a: Operand, b: Operand): Node {
    return this.binary('add', a, b);
  }
  sub(a: Operand, b: Operand): Node {
    return this.binary('sub', a, b);
  }
  mul(a: Operand, b: Operand): Node {
    return this.binary('mul', a, b);
  }
  div(a: Operand, b: Operand): Node {
    return this.binary('div', a, b);
  }
  /** max(a, b); a tie routes the gradient to a. */
  max(a: Operand, b: Operand): Node {
    return this.binary('max', a, b);
  }
  /** aᵇ. A number exponent is a fixed constant; a node exponent gets a gradient too (a > 0). */
  pow(a: Operand, b: Operand): Node {
    return typeof b === 'number' ? this.withConstant('powc', a, b) : this.binary('pow', a, b);
  }
  exp(a: Operand): Node {
    return this.unary('exp', a);
  }
  log(a: Operand): Node {
    return this.unary('log', a);
  }
  /** 1/a */
  recip(a: Operand): Node {
    return this.unary('recip', a);
  }
  neg(a: Operand): Node {
    return this.unary('neg', a);
  }
  sigmoid(a: Operand): Node {
    return this.unary('sigmoid', a);
  }
  tanh(a: Operand): Node {
    return this.unary('tanh', a);
  }
  relu(a: Operand): Node {
    return this.unary('relu', a);
  }
  /** factor·a for a fixed number factor. */
  scale(a: Operand, factor: number): Node {
    return this.withConstant('scale', a, factor);
  }
  /** c + a for a fixed number c. */
  offset(a: Operand, c: number): Node {
    return this.withConstant('offset', a, c);
  }
  /** max(α·a, a), α = 0.1 as in the lecture. */
  leakyRelu(a: Operand, alpha = 0.1): Node {
    return this.withConstant('leakyRelu', a, alpha);
  }
  /** a for a ≥ 0, α(eᵃ − 1) below. */
  elu(a: Operand, alpha = 1): Node {
    return this.withConstant('elu', a, alpha);
  }

  /** Makes `node` the one forward returns and backward starts from by default. */
  output(node: Node): Node {
    this.outputId = this.own(node, 'output');
    return node;
  }

  // ---- running --------------------------------------------------------------------------

  /** Runs every op in topological order with these input values; returns the output's value. */
  forward(inputs: Readonly<Record<string, number>> = {}): number {
    this.checkLive('forward');
    const output = this.defaultOutput('forward');
    const given = this.readInputs(inputs);
    this.compile();
    const values = f64();
    const base = this.buffers.slab >>> 3;
    for (const [id, value] of given) values[base + id] = value;
    this.gradientsOf = NO_NODE;
    const tape = this.buffers.forward as Tape;
    const bad = wasm().tape_forward(tape.ptr, tape.count);
    this.forwardDone = bad < 0;
    if (bad >= 0) {
      const id = tape.nodes[bad] as number;
      throw new ValueError(`forward: ${this.describeOp(id)} is ${values[base + id]}`);
    }
    return values[base + output] as number;
  }

  /** Backpropagates from `node` (default: the output), seeding d node/d node = 1. */
  backward(node?: Node): void {
    this.checkLive('backward');
    const target = node === undefined ? this.defaultOutput('backward') : this.own(node, 'backward');
    if (!this.forwardDone) throw new StateError('backward: run forward first (and after any change to the graph)');
    const tape = this.backwardTape(target);
    const grads = f64();
    const gradBase = (this.buffers.slab >>> 3) + this.compiled;
    grads.fill(0, gradBase, gradBase + this.compiled);
    grads[gradBase + target] = 1;
    const bad = wasm().tape_backward(tape.ptr, tape.count, this.compiled * 8);
    this.gradientsOf = target;
    if (bad >= 0) {
      this.gradientsOf = NO_NODE;
      const id = tape.nodes[bad] as number;
      throw new ValueError(`backward: ${this.describeOp(id)} gave its input a gradient that is not finite`);
    }
  }

  /** A node's value from the last forward (params and constants: their current value). */
  value(node: Node): number {
    const id = this.own(node, 'value');
    const kind = this.kinds[id];
    if (kind === Kind.Param || kind === Kind.Const || kind === Kind.OpConstant) {
      return id < this.compiled ? (f64()[(this.buffers.slab >>> 3) + id] as number) : (this.initial[id] as number);
    }
    if (!this.forwardDone) throw new StateError(`value: ${this.label(id)} has no value until forward has run`);
    return f64()[(this.buffers.slab >>> 3) + id] as number;
  }

  /** d(target of the last backward)/d node. */
  grad(node: Node): number {
    const id = this.own(node, 'grad');
    if (this.gradientsOf === NO_NODE) throw new StateError(`grad: ${this.label(id)} has no gradient until backward has run`);
    return f64()[(this.buffers.slab >>> 3) + this.compiled + id] as number;
  }

  /** Frees the graph's linear memory; the graph cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    freeBuffers(this.buffers);
    collector.unregister(this);
    this.disposed = true;
  }

  // ---- drawing --------------------------------------------------------------------------

  /** Graphviz DOT: inputs on the left, each node with its value and, after backward, its gradient. */
  toDot(): string {
    const lines = ['digraph wasmgrad {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
    const withValues = this.forwardDone;
    const withGrads = this.gradientsOf !== NO_NODE;
    const number = (x: number) => String(Number(x.toPrecision(6)));
    for (let id = 0; id < this.count; id++) {
      const kind = this.kinds[id];
      if (kind === Kind.OpConstant) continue;
      const node = new Node(this, id);
      const parts = [this.gateLabel(id)];
      if (withValues || kind === Kind.Param || kind === Kind.Const) parts.push(`value ${number(this.value(node))}`);
      if (withGrads) parts.push(`grad ${number(this.grad(node))}`);
      const shape = kind === Kind.Op ? 'ellipse' : 'box';
      lines.push(`  n${id} [shape=${shape}, label=${JSON.stringify(parts.join('\n'))}];`);
      if (kind !== Kind.Op) continue;
      for (const arg of this.differentiableArgs(id)) lines.push(`  n${arg} -> n${id};`);
    }
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }

  // ---- internals, used by Node and the error messages -------------------------------

  /** @internal */
  opOf(id: number): string {
    switch (this.kinds[id]) {
      case Kind.Input:
        return 'input';
      case Kind.Param:
        return 'param';
      case Kind.Op: {
        const name = this.opName(id);
        return name === 'powc' ? 'pow' : name;
      }
      default:
        return 'const';
    }
  }

  /** @internal A short name: inputs and params by name, constants by value, ops as op#id. */
  label(id: number): string {
    const kind = this.kinds[id];
    if (kind === Kind.Input || kind === Kind.Param) return this.names.get(id) as string;
    if (kind === Kind.Op) return `${this.opOf(id)}#${id}`;
    return String(this.initial[id]);
  }

  private opName(id: number): OpName {
    return OP_NAME_BY_CODE.get(this.codes[id] as number) as OpName;
  }

  /** @internal The op with its fixed constant, as drawn on a gate: "scale -1", "pow 0.5". */
  gateLabel(id: number): string {
    if (this.kinds[id] !== Kind.Op) return this.label(id);
    if (OPS[this.opName(id)].arity !== 'const') return this.opOf(id);
    return `${this.opOf(id)} ${this.initial[this.argB[id] as number]}`;
  }

  private describeOp(id: number): string {
    const values = f64();
    const base = this.buffers.slab >>> 3;
    const shown = this.differentiableArgs(id).map((arg) => `${this.label(arg)} = ${values[base + arg]}`);
    return `${this.label(id)} (${this.gateLabel(id)} of ${shown.join(', ')})`;
  }

  /** @internal */
  inputsOf(id: number): number[] {
    return this.kinds[id] === Kind.Op ? this.differentiableArgs(id) : [];
  }

  private differentiableArgs(id: number): number[] {
    return OPS[this.opName(id)].arity === 2 ? [this.argA[id] as number, this.argB[id] as number] : [this.argA[id] as number];
  }

  private binary(op: OpName, a: Operand, b: Operand): Node {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    const ib = this.operand(op, b, 'second');
    return new Node(this, this.push(Kind.Op, OPS[op].code, ia, ib, 0));
  }

  private unary(op: OpName, a: Operand): Node {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    return new Node(this, this.push(Kind.Op, OPS[op].code, ia, ia, 0));
  }

  private withConstant(op: OpName, a: Operand, constant: number): Node {
    this.checkLive(op);
    const ia = this.operand(op, a, 'first');
    const value = this.finite(op, 'its constant', constant);
    let ib = this.constantIds.get(value);
    if (ib === undefined || Object.is(value, -0) !== Object.is(this.initial[ib], -0)) {
      ib = this.push(Kind.OpConstant, LEAF_CODE, NO_NODE, NO_NODE, value);
      this.constantIds.set(value, ib);
    }
    return new Node(this, this.push(Kind.Op, OPS[op].code, ia, ib, 0));
  }

  private operand(op: string, x: unknown, which: string): number {
    if (typeof x === 'number') return this.const(this.finite(op, `the ${which} operand`, x)).id;
    if (x instanceof Node) return this.own(x, op);
    throw new ValueError(`${op}: the ${which} operand must be a Node or a number, got ${describe(x)}`);
  }

  /** The id of a node of this graph; a clear error for anything else. */
  private own(node: unknown, op: string): number {
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
    if (this.inputIds.has(name) || this.paramIds.has(name)) throw new GraphError(`${op}: the name ${JSON.stringify(name)} is taken`);
  }

  private checkLive(op: string): void {
    if (this.disposed) throw new StateError(`${op}: the graph has been disposed`);
  }

  private defaultOutput(op: string): number {
    if (this.outputId !== NO_NODE) return this.outputId;
    if (this.count === 0) throw new GraphError(`${op}: the graph is empty`);
    return this.count - 1;
  }

  /** Every input, checked before anything is written: a bad call changes nothing. */
  private readInputs(inputs: unknown): Array<[number, number]> {
    if (typeof inputs !== 'object' || inputs === null) {
      throw new ValueError(`forward: inputs must be an object of name → number, got ${describe(inputs)}`);
    }
    const given: Array<[number, number]> = [];
    for (const [name, value] of Object.entries(inputs)) {
      const id = this.inputIds.get(name);
      if (id === undefined) {
        const known = [...this.inputIds.keys()].map((n) => JSON.stringify(n)).join(', ') || 'none';
        throw new GraphError(`forward: unknown input ${JSON.stringify(name)} (inputs: ${known})`);
      }
      given.push([id, this.finite('forward', `input ${JSON.stringify(name)}`, value)]);
    }
    if (given.length !== this.inputIds.size) {
      const missing = [...this.inputIds.keys()].filter((name) => !Object.hasOwn(inputs, name));
      throw new GraphError(`forward: missing input ${missing.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    return given;
  }

  private push(kind: Kind, code: number, a: number, b: number, initial: number): number {
    if (this.count === this.codes.length) this.growArrays();
    const id = this.count++;
    this.kinds[id] = kind;
    this.codes[id] = code;
    this.argA[id] = a;
    this.argB[id] = b;
    this.initial[id] = initial;
    return id;
  }

  private growArrays(): void {
    const grown = <T extends Int32Array | Uint8Array | Float64Array>(old: T): T => {
      const next = new (old.constructor as new (n: number) => T)(old.length * 2);
      next.set(old);
      return next;
    };
    this.codes = grown(this.codes);
    this.argA = grown(this.argA);
    this.argB = grown(this.argB);
    this.kinds = grown(this.kinds);
    this.initial = grown(this.initial);
  }

  /** Lays out values, gradients and the forward tape for the nodes made so far. */
  private compile(): void {
    if (this.compiled === this.count && this.buffers.forward) return;
    const n = this.count;
    let ops = 0;
    for (let id = 0; id < n; id++) if (this.kinds[id] === Kind.Op) ops++;
    const slab = allocate(n * 16, `forward: the values of ${n} nodes`);
    let tapePtr = 0;
    try {
      tapePtr = allocate(ops * INSTRUCTION_BYTES, `forward: a tape of ${ops} ops`);
    } catch (error) {
      release(slab);
      throw error;
    }
    const values = f64();
    const old = this.buffers.slab;
    if (old !== 0) values.copyWithin(slab >>> 3, old >>> 3, (old >>> 3) + this.compiled);
    for (let id = this.compiled; id < n; id++) {
      if (this.kinds[id] !== Kind.Op && this.kinds[id] !== Kind.Input) values[(slab >>> 3) + id] = this.initial[id] as number;
    }
    freeBuffers(this.buffers);
    this.buffers.slab = slab;
    this.buffers.forward = this.writeTape(tapePtr, ops, (emit) => {
      for (let id = 0; id < n; id++) if (this.kinds[id] === Kind.Op) emit(id);
    });
    this.compiled = n;
  }

  /** The ops that `target` depends on, in reverse topological order; cached. */
  private backwardTape(target: number): Tape {
    const cached = this.buffers.backward.get(target);
    if (cached) return cached;
    const needed = new Uint8Array(target + 1);
    needed[target] = 1;
    let ops = 0;
    for (let id = target; id >= 0; id--) {
      if (needed[id] === 0 || this.kinds[id] !== Kind.Op) continue;
      ops++;
      needed[this.argA[id] as number] = 1;
      if (OPS[this.opName(id)].arity === 2) needed[this.argB[id] as number] = 1;
    }
    const ptr = allocate(ops * INSTRUCTION_BYTES, `backward: a tape of ${ops} ops`);
    const tape = this.writeTape(ptr, ops, (emit) => {
      for (let id = target; id >= 0; id--) if (needed[id] === 1 && this.kinds[id] === Kind.Op) emit(id);
    });
    this.buffers.backward.set(target, tape);
    return tape;
  }

  private writeTape(ptr: number, count: number, each: (emit: (id: number) => void) => void): Tape {
    const words = i32();
    const slab = this.buffers.slab;
    const nodes = new Int32Array(count);
    let at = ptr >>> 2;
    let k = 0;
    each((id) => {
      words[at] = this.codes[id] as number;
      words[at + 1] = slab + id * 8;
      words[at + 2] = slab + (this.argA[id] as number) * 8;
      words[at + 3] = slab + (this.argB[id] as number) * 8;
      at += 4;
      nodes[k++] = id;
    });
    return { ptr, count, nodes };
  }
}
