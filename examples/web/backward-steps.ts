// The backward pass one gate at a time, as the lecture walks through it: the gates in
// reverse topological order, which wires' gradients are known after each step, and each
// gate's rule in the lecture's words. Reads a drawing's model (wasmgrad/viz); no DOM.
import { formatNumber, type Shown, type VizModel, type VizNode } from 'wasmgrad/viz';

/** The gates in the order backward applies their local gradients: the output's gate first. */
export function backwardOrder(model: VizModel): VizNode[] {
  // graph.nodes() lists every node after the nodes it reads, so its reverse is a reverse topological order.
  return model.nodes.filter((node) => node.kind === 'op').reverse();
}

/**
 * The nodes whose outgoing wire carries its gradient after the first `step` gates of `order`:
 * the output (df/df = 1 is seeded) and every node whose readers have all been applied.
 */
export function reachedWires(model: VizModel, order: readonly VizNode[], step: number): Set<number> {
  const applied = new Set(order.slice(0, step).map((node) => node.id));
  const readers = new Map<number, number[]>(model.nodes.map((node) => [node.id, []]));
  for (const node of model.nodes) for (const input of node.inputs) readers.get(input)?.push(node.id);
  const reached = new Set<number>();
  for (const [id, by] of readers) if (by.every((reader) => applied.has(reader))) reached.add(id);
  return reached;
}

const scalar = (shown: Shown | undefined): number | undefined => (shown?.kind === 'scalar' ? shown.x : undefined);

/** The rule of `gate` in the lecture's words, with its numbers when they are scalars. */
export function ruleOf(gate: VizNode, model: VizModel, decimals: number): string {
  const byId = new Map(model.nodes.map((node) => [node.id, node]));
  const operands = gate.inputs.map((id) => byId.get(id) as VizNode);
  const fmt = (x: number | undefined) => (x === undefined ? '?' : formatNumber(x, decimals, model.integers));
  /** A factor of a product: a negative one in brackets, 1·(−4) rather than 1·−4. */
  const factor = (x: number | undefined) => (x !== undefined && x < 0 ? `(${fmt(x)})` : fmt(x));
  const g = scalar(gate.grad);
  const out = scalar(gate.value);
  const [a, b] = operands.map((node) => scalar(node.value));
  const upstream = `the gradient arriving from the right, ${fmt(g)}`;
  const name = (node: VizNode | undefined) =>
    node === undefined ? '' : node.kind === 'op' ? `the ${node.label} gate's output` : node.label;
  const constant = gate.label.replace(/^[^\d−.]+\s?/, '');
  switch (gate.op) {
    case 'add':
      return `add distributes: each input gets ${upstream}, unchanged (local gradient 1).`;
    case 'max': {
      const winner = (a ?? 0) >= (b ?? 0) ? 0 : 1;
      return `max routes: the larger input, ${name(operands[winner])} = ${fmt(winner === 0 ? a : b)}, gets all of ${upstream}; the other gets 0.`;
    }
    case 'mul':
      return `mul switches: each input gets ${upstream} times the other input: ${name(operands[0])} gets ${factor(g)}·${factor(b)} = ${fmt(prod(g, b))}, ${name(operands[1])} gets ${factor(g)}·${factor(a)} = ${fmt(prod(g, a))}.`;
    case 'scale':
      return `multiply by a constant (${gate.label}): df/dx = ${constant}, so the input gets ${constant.startsWith('−') ? `(${constant})` : constant}·${factor(g)} = ${fmt(prod(g, Number(constant.replace('−', '-'))))}.`;
    case 'offset':
      return `add a constant (${gate.label}): df/dx = 1, so the input gets ${upstream}, unchanged.`;
    case 'exp':
      return `exp: d(eˣ)/dx = eˣ = ${fmt(out)}, so the input gets ${factor(out)}·${factor(g)} = ${fmt(prod(g, out))}.`;
    case 'recip':
      return `1/x: d(1/x)/dx = −1/x² = ${fmt(a === undefined ? undefined : -1 / (a * a))}, so the input gets ${fmt(a === undefined || g === undefined ? undefined : -g / (a * a))}.`;
    case 'sigmoid':
      return `σ: dσ/dx = σ(1 − σ) = ${fmt(out === undefined ? undefined : out * (1 - out))}, so the input gets ${fmt(out === undefined || g === undefined ? undefined : out * (1 - out) * g)}.`;
    case 'matmul':
      return `matrix product W·x: the gradient of W is the output's gradient times xᵀ (dW = dout·xᵀ), of x it is Wᵀ times the output's gradient (dx = Wᵀ·dout) — mul switches, for matrices.`;
    case 'l2':
      return `‖v‖² = Σ v²: the local gradient is 2v, so v gets 2v·${factor(g)}.`;
    default:
      return `${gate.label}: the input gets its local gradient times ${upstream}.`;
  }
}

function prod(x: number | undefined, y: number | undefined): number | undefined {
  return x === undefined || y === undefined ? undefined : x * y;
}
