// What a drawing of a Graph shows, read once through the Graph's public API: every node
// with the label its gate is drawn with, the nodes it reads, and — when the graph holds
// them — its value from the last forward and its gradient from the last backward.
// Nothing here lays out or renders; svg.ts does that.
import type { Graph, NodeValue } from '../graph/graph';
import { OPS, type OpName } from '../ops';

export type NodeKind = 'input' | 'param' | 'const' | 'labels' | 'op';

/** A number, or a tensor as its shape and a copy of its elements (row-major). */
export type Shown = { readonly kind: 'scalar'; readonly x: number } | TensorShown;

export interface TensorShown {
  readonly kind: 'tensor';
  readonly shape: readonly number[];
  readonly data: Float64Array;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

export interface VizNode {
  /** The node's id in its Graph (`n<id>` in `graph.toDot()`). */
  readonly id: number;
  readonly kind: NodeKind;
  /** The op's name ('mul', 'matmul', …) or the leaf's kind. */
  readonly op: string;
  /** What the node is drawn with: a gate's symbol (+, *, max, σ, 1/x …), a leaf's name or number. */
  readonly label: string;
  readonly shape: readonly number[];
  /** The nodes the op reads, in operand order (a node read twice appears twice). */
  readonly inputs: readonly number[];
  readonly value: Shown | undefined;
  readonly grad: Shown | undefined;
}

export interface VizModel {
  readonly nodes: readonly VizNode[];
  /** Every number in the drawing is an integer: print them without decimals, as the lecture does for (x+y)z. */
  readonly integers: boolean;
}

/**
 * An op's symbol as the lecture's circuits draw it, from the op table; `op` is the name
 * the Graph shows, where pow with a number exponent is the table's powc and a mean is a sum.
 */
function symbolOf(op: string, withConstant: boolean): string {
  if (op === 'mean') return 'mean';
  const name = op === 'pow' && withConstant ? 'powc' : op;
  return Object.hasOwn(OPS, name) ? OPS[name as OpName].symbol : op;
}

/** A gate's label from its op and `node.gate` ("scale -1" → "*−1", "offset 1" → "+1", "elu 1" → "ELU 1"). */
export function gateSymbol(op: string, gate: string): string {
  const constant = gate.startsWith(`${op} `) ? gate.slice(op.length + 1).replace(/^-/, '−') : undefined;
  const symbol = symbolOf(op, constant !== undefined);
  if (constant === undefined) return symbol;
  // A one-character operator takes its constant as an operand (*−1, +1, ^2); a name is followed by it.
  return /^\W$/.test(symbol) ? `${symbol}${constant}` : `${symbol} ${constant}`;
}

const LEAVES = new Set<string>(['input', 'param', 'const', 'labels']);

/** Reads what `graph` holds into a model to draw. Values and gradients that the graph does not hold are left out. */
export function readGraph(graph: Graph): VizModel {
  const nodes = graph.nodes();
  // Values only once a forward has run (an op's value says so): reading a tensor leaf
  // before that would copy its data into a fresh Tensor just to draw it.
  const firstOp = nodes.find((node) => !LEAVES.has(node.op));
  const hasValues = firstOp !== undefined && attempt(() => graph.value(firstOp)) !== undefined;
  const hasGrads = hasValues && attempt(() => graph.grad(firstOp)) !== undefined;
  let integers = true;
  const shown = (read: () => NodeValue): Shown | undefined => {
    const value = attempt(read);
    if (value === undefined) return undefined;
    const s = show(value);
    if (integers) integers = s.kind === 'scalar' ? Number.isInteger(s.x) : s.data.every(Number.isInteger);
    return s;
  };
  const out = nodes.map((node): VizNode => {
    const op = node.op;
    const kind = (LEAVES.has(op) ? op : 'op') as NodeKind;
    return {
      id: node.id,
      kind,
      op,
      label: kind === 'op' ? gateSymbol(op, node.gate) : String(node).replace(/^-/, '−'),
      shape: [...node.shape],
      inputs: node.inputs.map((input) => input.id),
      value: hasValues && kind !== 'labels' ? shown(() => graph.value(node)) : undefined,
      grad: hasGrads && kind !== 'labels' ? shown(() => graph.grad(node)) : undefined,
    };
  });
  return { nodes: out, integers };
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function show(value: NodeValue): Shown {
  if (typeof value === 'number') return { kind: 'scalar', x: value };
  const data = Float64Array.from(value.data);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const x of data) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  return { kind: 'tensor', shape: [...value.shape], data, min, max, mean: data.length > 0 ? sum / data.length : 0 };
}
