// A Graph as Graphviz DOT: inputs on the left, each node with its value and, after
// backward, its gradient. The same nodes and edges as drawGraph (svg.ts) draws.
import type { Graph, NodeValue } from '../graph/graph';
import { formatShape } from '../tensor';

export function toDot(graph: Graph): string {
  const lines = ['digraph wasmgrad {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  for (const node of graph.nodes()) {
    const leaf = node.op === 'input' || node.op === 'labels' || node.op === 'param' || node.op === 'const';
    const parts = [node.gate];
    if (node.shape.length > 0) parts.push(formatShape(node.shape));
    if (node.op !== 'labels' && (graph.hasValues || node.op === 'param' || node.op === 'const')) parts.push(`value ${summary(node.value)}`);
    if (graph.hasGradients && node.op !== 'labels') parts.push(`grad ${summary(node.grad)}`);
    lines.push(`  n${node.id} [shape=${leaf ? 'box' : 'ellipse'}, label=${JSON.stringify(parts.join('\n'))}];`);
    for (const input of node.inputs) lines.push(`  n${input.id} -> n${node.id};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** A value for a message: a number as is, a tensor by shape and first values. */
export function summary(value: NodeValue): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(6)));
  const data = value.data;
  const head = Array.from(data.subarray(0, 4), (x) => Number(x.toPrecision(4))).join(', ');
  return `${formatShape(value.shape)} [${head}${data.length > 4 ? ', …' : ''}]`;
}
