// A Graph drawn the way the lecture draws a circuit: inputs on the left, gates as labelled
// circles, and on each wire the forward value above it and the gradient below it.
// dagre places the nodes (layered, left to right); a wire's label is a dagre edge label,
// so the layout reserves room for its numbers and no other node or wire is put there.
// Every wire runs level through each column it crosses and bends only in the gaps
// between columns, so a wire never passes through another wire's numbers.
import { type EdgeLabel, type GraphLabel, Graph as LayoutGraph, layout, type NodeLabel } from '@dagrejs/dagre';
import type { Graph } from '../graph/graph';
import { escapeXml, formatNumber, type Heat, heatColor, heatOf, textWidth } from './format';
import { readGraph, type Shown, type VizModel, type VizNode } from './model';

export interface DrawOptions {
  /** A line of text above the drawing. */
  title?: string;
  /** Decimal places of the numbers printed (default 2: 0.73, −0.20). A graph that holds only integers prints integers. */
  precision?: number;
  /** Tensors of at most this many elements print every number; larger ones a heat-map and min/mean/max (default 6). */
  maxValues?: number;
  /** The color of the forward values (default green, as the lecture). */
  valueColor?: string;
  /** The color of the gradients (default red, as the lecture). */
  gradColor?: string;
  /** A key to the two colors under the drawing (default: when values or gradients are shown). */
  legend?: boolean;
}

const FONT = 'Helvetica, Arial, sans-serif';
const NUMBER_SIZE = 13;
const LINE = 16;
const SHAPE_SIZE = 11;
const SHAPE_LINE = 14;
const GATE_SIZE = 15;
const GATE_HEIGHT = 34;
const LEAF_HEIGHT = 22;
/** Room between a wire and the numbers on either side of it. */
const GAP = 2;
const MARGIN = 16;
const HEAT_ROWS = 12;
const HEAT_COLS = 16;
const WIRE = '#222';
const SHAPE_COLOR = '#777';
const SOURCE = 'source';

/** One line of text or one heat-map in a wire's label. */
type Item =
  | { kind: 'text'; text: string; cls: string; color: string; size: number; line: number }
  | { kind: 'heat'; heat: Heat; cls: string; color: string; cell: number };

interface WireLabel {
  /** Top to bottom: what is drawn above the wire (the shape, then the value). */
  above: Item[];
  /** Top to bottom: what is drawn below it (the gradient). */
  below: Item[];
  width: number;
  height: number;
}

interface Settings {
  decimals: number;
  integers: boolean;
  maxValues: number;
  valueColor: string;
  gradColor: string;
}

/**
 * The graph as SVG text: what it holds after `forward` (values, green, above each wire)
 * and `backward` (gradients, red, below); what it does not hold is not drawn. Tensors are
 * drawn by shape, with every number when they are small, else a heat-map and
 * min/mean/max. Needs no DOM: the same string in Node, a page or a worker.
 */
export function drawGraph(graph: Graph, options: DrawOptions = {}): string {
  const model = readGraph(graph);
  const settings: Settings = {
    decimals: options.precision ?? 2,
    integers: model.integers,
    maxValues: options.maxValues ?? 6,
    valueColor: options.valueColor ?? '#1a8a1a',
    gradColor: options.gradColor ?? '#d62020',
  };
  if (!Number.isInteger(settings.decimals) || settings.decimals < 0 || settings.decimals > 10) {
    throw new RangeError(`drawGraph: precision must be an integer from 0 to 10, got ${options.precision}`);
  }
  return render(model, settings, options);
}

interface Use {
  consumer: number;
  operand: number;
}

function render(model: VizModel, settings: Settings, options: DrawOptions): string {
  const byId = new Map(model.nodes.map((node) => [node.id, node]));
  const uses = new Map<number, Use[]>(model.nodes.map((node) => [node.id, []]));
  for (const node of model.nodes) {
    node.inputs.forEach((input, operand) => {
      uses.get(input)?.push({ consumer: node.id, operand });
    });
  }

  const g = new LayoutGraph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: 36, nodesep: 14, edgesep: 10, marginx: 0, marginy: 0 });
  const labels = new Map<string, WireLabel>();
  const anyLeaf = model.nodes.some((node) => node.kind !== 'const' && node.kind !== 'op');
  if (anyLeaf) g.setNode(SOURCE, { width: 0, height: 0 });
  for (const node of model.nodes) {
    const size = nodeSize(node);
    g.setNode(`n${node.id}`, size);
    // Inputs, params and labels are held in the first column, as the lecture draws them:
    // a heavy edge from a hidden source costs far more to stretch than their own wires.
    if (anyLeaf && node.kind !== 'const' && node.kind !== 'op') g.setEdge(SOURCE, `n${node.id}`, { weight: 100, minlen: 1 }, `s${node.id}`);
  }
  for (const node of model.nodes) {
    const label = wireLabel(node, settings);
    const used = uses.get(node.id) as Use[];
    const labelled = { width: label.width, height: label.height, labelpos: 'c' as const };
    const from = `n${node.id}`;
    if (used.length === 0) {
      if (node.kind !== 'op') continue;
      // The output: a wire out to the right carrying f and df/df = 1.
      g.setNode(`o${node.id}`, { width: 1, height: 1 });
      g.setEdge(from, `o${node.id}`, labelled, `w${node.id}`);
    } else if (used.length === 1) {
      const use = used[0] as Use;
      g.setEdge(from, `n${use.consumer}`, labelled, `w${node.id}`);
    } else {
      // Fan-out: one wire carries the value and the summed gradient to a branch point.
      g.setNode(`j${node.id}`, { width: 6, height: 6 });
      g.setEdge(from, `j${node.id}`, labelled, `w${node.id}`);
      used.forEach((use, k) => {
        g.setEdge(`j${node.id}`, `n${use.consumer}`, { width: 0, height: 0 }, `b${node.id}-${k}`);
      });
    }
    labels.set(`w${node.id}`, label);
  }
  layout(g);
  // dagre's ordering stacks the leaves in reverse order of creation from the top; flipped,
  // x, y, z read top to bottom as on the slides.
  for (const id of g.nodes()) g.node(id).y = -(g.node(id).y as number);
  for (const e of g.edges()) {
    const edge = g.edge(e);
    if (edge.y !== undefined) edge.y = -edge.y;
    for (const p of edge.points ?? []) p.y = -p.y;
  }

  // Each column's half-width: wires run level across it.
  const columns = new Map<number, number>();
  const widen = (x: number, half: number) => columns.set(Math.round(x * 2), Math.max(columns.get(Math.round(x * 2)) ?? 0, half));
  for (const id of g.nodes()) if (id !== SOURCE) widen(g.node(id).x as number, g.node(id).width / 2);
  for (const e of g.edges()) {
    const edge = g.edge(e);
    if (edge.width && edge.x !== undefined) widen(edge.x, (edge.width as number) / 2);
  }
  const half = (x: number) => columns.get(Math.round(x * 2)) ?? 0;

  const box = new Box();
  const wires: string[] = [];
  const wireLabels: string[] = [];
  const ports = inputPorts(g, model, uses);
  for (const e of g.edges()) {
    if (e.v === SOURCE) continue;
    const edge = g.edge(e);
    const from = g.node(e.v);
    const to = g.node(e.w);
    const start = e.v.startsWith('j')
      ? { x: from.x as number, y: from.y as number }
      : { x: (from.x as number) + from.width / 2, y: from.y as number };
    const end = e.w.startsWith('n') ? (ports.get(`${e.v}→${e.w}→${e.name}`) as Point) : { x: to.x as number, y: to.y as number };
    const runs: Run[] = [[start.x, (from.x as number) + half(from.x as number), start.y]];
    for (const p of (edge.points ?? []).slice(1, -1)) runs.push([p.x - half(p.x), p.x + half(p.x), p.y]);
    runs.push([(to.x as number) - half(to.x as number), end.x, end.y]);
    for (const [xa, xb, y] of runs) box.add(xa, y).add(xb, y);
    const source = Number(e.v.slice(1));
    const name = e.name ?? '';
    let attrs: string;
    if (name.startsWith('b')) attrs = `class="wire branch" data-from="${source}" data-to="${e.w.slice(1)}"`;
    else if (e.w.startsWith('j')) attrs = `class="wire trunk" data-from="${source}"`;
    else if (e.w.startsWith('o')) attrs = `class="wire output" data-from="${source}"`;
    else attrs = `class="wire" data-from="${source}" data-to="${e.w.slice(1)}"`;
    wires.push(`<path ${attrs} d="${pathOf(runs)}" fill="none" stroke="${WIRE}" stroke-width="1.5"/>`);
    const label = labels.get(name);
    if (label && edge.x !== undefined && edge.y !== undefined) {
      box.add(edge.x - label.width / 2, edge.y - label.height / 2).add(edge.x + label.width / 2, edge.y + label.height / 2);
      wireLabels.push(drawLabel(label, edge.x, edge.y, source));
    }
  }

  const nodes: string[] = [];
  for (const id of g.nodes()) {
    if (id === SOURCE || id.startsWith('o')) continue;
    const at = g.node(id);
    const [x, y] = [at.x as number, at.y as number];
    box.add(x - at.width / 2, y - at.height / 2).add(x + at.width / 2, y + at.height / 2);
    if (id.startsWith('j')) {
      nodes.push(`<circle class="branch-point" data-node="${id.slice(1)}" cx="${r(x)}" cy="${r(y)}" r="3" fill="${WIRE}"/>`);
      continue;
    }
    nodes.push(drawNode(byId.get(Number(id.slice(1))) as VizNode, x, y, at.width, at.height));
  }

  const shows = model.nodes.some((node) => node.value !== undefined || node.grad !== undefined);
  const legend = options.legend ?? shows;
  const empty = model.nodes.length === 0;
  const [minX, minY, maxX, maxY] = empty ? [0, 0, 120, 20] : [box.minX, box.minY, box.maxX, box.maxY];
  const titleHeight = options.title ? 28 : 0;
  const legendHeight = legend ? 26 : 0;
  const legendWidth = legend ? 300 : 0;
  const width = Math.ceil(Math.max(maxX - minX, legendWidth, options.title ? textWidth(options.title, 15) : 0) + 2 * MARGIN);
  const height = Math.ceil(maxY - minY + 2 * MARGIN + titleHeight + legendHeight);
  const dx = MARGIN - minX;
  const dy = MARGIN + titleHeight - minY;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="wasmgrad-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img">`,
  );
  if (options.title) out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  if (options.title) {
    out.push(
      `<text class="title" x="${MARGIN}" y="${MARGIN + 14}" font-size="15" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`,
    );
  }
  out.push(`<g transform="translate(${r(dx)},${r(dy)})">`, ...wires, ...nodes, ...wireLabels, '</g>');
  if (legend) {
    const y = height - MARGIN - 4;
    out.push(
      `<g class="legend" font-size="12">`,
      `<line x1="${MARGIN}" y1="${y - 4}" x2="${MARGIN + 18}" y2="${y - 4}" stroke="${settings.valueColor}" stroke-width="3"/>`,
      `<text x="${MARGIN + 24}" y="${y}" fill="#444">value (forward)</text>`,
      `<line x1="${MARGIN + 130}" y1="${y - 4}" x2="${MARGIN + 148}" y2="${y - 4}" stroke="${settings.gradColor}" stroke-width="3"/>`,
      `<text x="${MARGIN + 154}" y="${y}" fill="#444">gradient (backward)</text>`,
      '</g>',
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

type Point = { x: number; y: number };
/** A level stretch of wire: from x, to x, at y. */
type Run = [number, number, number];

/** Level runs joined by S-bends that leave and arrive level. */
function pathOf(runs: Run[]): string {
  const [first, ...rest] = runs as [Run, ...Run[]];
  let d = `M${r(first[0])},${r(first[2])} H${r(first[1])}`;
  let prev = first;
  for (const run of rest) {
    if (Math.abs(run[2] - prev[2]) < 0.5 && run[0] >= prev[1] - 0.5) d += ` H${r(run[1])}`;
    else {
      const mid = (prev[1] + run[0]) / 2;
      d += ` C${r(mid)},${r(prev[2])} ${r(mid)},${r(run[2])} ${r(run[0])},${r(run[2])} H${r(run[1])}`;
    }
    prev = run;
  }
  return d;
}

/**
 * Where each wire meets its gate: spread down the gate's left side. A commutative gate
 * takes its wires in the order they arrive (no crossings); any other, in operand order,
 * first on top, so x − y and W × x read the right way round.
 */
function inputPorts(g: LayoutGraph<GraphLabel, NodeLabel, EdgeLabel>, model: VizModel, uses: Map<number, Use[]>): Map<string, Point> {
  const ports = new Map<string, Point>();
  for (const node of model.nodes) {
    if (node.kind !== 'op') continue;
    const id = `n${node.id}`;
    const incoming = (g.inEdges(id) ?? []).filter((e) => e.v !== SOURCE);
    const operandOf = (e: { v: string; name?: string }) => {
      // A direct wire is its source's only use; a branch b<source>-<k> is its k-th use.
      const source = Number(e.v.slice(1));
      if (!e.name?.startsWith('b')) return node.inputs.indexOf(source);
      return (uses.get(source) as Use[])[Number(e.name.split('-')[1])]?.operand ?? 0;
    };
    const arrival = (e: { v: string; w: string; name?: string }) => {
      const points = g.edge(e).points ?? [];
      return (points[points.length - 2] ?? points[0] ?? { y: 0 }).y;
    };
    const commutative = node.op === 'add' || node.op === 'mul' || node.op === 'max';
    const ordered = [...incoming].sort((a, b) => (commutative ? arrival(a) - arrival(b) : operandOf(a) - operandOf(b)));
    const at = g.node(id);
    const [cx, cy, rx, ry] = [at.x as number, at.y as number, at.width / 2, at.height / 2];
    const step = Math.min(10, (ry * 1.4) / Math.max(1, ordered.length - 1));
    ordered.forEach((e, i) => {
      const y = cy + (i - (ordered.length - 1) / 2) * step;
      const dy = (y - cy) / ry;
      ports.set(`${e.v}→${e.w}→${e.name}`, { x: cx - rx * Math.sqrt(Math.max(0, 1 - dy * dy)), y });
    });
  }
  return ports;
}

function nodeSize(node: VizNode): { width: number; height: number } {
  if (node.kind === 'op') return { width: Math.max(GATE_HEIGHT, textWidth(node.label, GATE_SIZE) + 18), height: GATE_HEIGHT };
  return { width: textWidth(node.label, GATE_SIZE) + 8, height: LEAF_HEIGHT };
}

function drawNode(node: VizNode, x: number, y: number, width: number, height: number): string {
  const attrs = `class="node ${node.kind === 'op' ? 'gate' : `leaf ${node.kind}`}" data-id="${node.id}" data-op="${escapeXml(node.op)}"`;
  const label = escapeXml(node.label);
  if (node.kind === 'op') {
    return [
      `<g ${attrs}>`,
      `<ellipse cx="${r(x)}" cy="${r(y)}" rx="${r(width / 2)}" ry="${r(height / 2)}" fill="#fff" stroke="${WIRE}" stroke-width="1.5"/>`,
      `<text class="gate-label" x="${r(x)}" y="${r(y + 5)}" text-anchor="middle" font-size="${GATE_SIZE}" fill="#111">${label}</text>`,
      '</g>',
    ].join('');
  }
  const style = node.kind === 'labels' ? ' font-style="italic" fill="#555"' : ' fill="#111"';
  return `<g ${attrs}><text class="leaf-label" x="${r(x + width / 2 - 4)}" y="${r(y + 5)}" text-anchor="end" font-size="${GATE_SIZE}"${style}>${label}</text></g>`;
}

/** What the wire out of `node` carries: its shape, value and gradient, sized for the layout. */
function wireLabel(node: VizNode, s: Settings): WireLabel {
  const above: Item[] = [];
  const below: Item[] = [];
  if (node.shape.length > 0) {
    above.push({ kind: 'text', text: `[${node.shape.join(', ')}]`, cls: 'shape', color: SHAPE_COLOR, size: SHAPE_SIZE, line: SHAPE_LINE });
  }
  if (node.value) above.push(...items(node.value, 'value', s.valueColor, s, false));
  if (node.grad) below.push(...items(node.grad, 'grad', s.gradColor, s, true));
  const width = Math.max(0, ...[...above, ...below].map(itemWidth));
  const height = Math.max(sideHeight(above), sideHeight(below));
  return { above, below, width: width === 0 ? 0 : width + 10, height: height === 0 ? 0 : 2 * height };
}

function items(shown: Shown, cls: string, color: string, s: Settings, summaryFirst: boolean): Item[] {
  const text = (t: string, extra = ''): Item => ({ kind: 'text', text: t, cls: `${cls}${extra}`, color, size: NUMBER_SIZE, line: LINE });
  const fmt = (x: number) => formatNumber(x, s.decimals, s.integers);
  if (shown.kind === 'scalar') return [text(fmt(shown.x))];
  if (shown.data.length <= s.maxValues) {
    const cols = shown.shape[shown.shape.length - 1] ?? 1;
    const rows: Item[] = [];
    for (let i = 0; i < shown.data.length; i += cols) rows.push(text(`[${Array.from(shown.data.subarray(i, i + cols), fmt).join(', ')}]`));
    return rows;
  }
  const heat = heatOf(shown.shape, shown.data, HEAT_ROWS, HEAT_COLS);
  const cell = Math.max(5, Math.min(12, Math.floor(80 / Math.max(heat.rows, heat.cols))));
  const map: Item = { kind: 'heat', heat, cls: `${cls} heatmap`, color, cell };
  const summary = text(`min ${fmt(shown.min)}  mean ${fmt(shown.mean)}  max ${fmt(shown.max)}`, ' summary');
  return summaryFirst ? [summary, map] : [map, summary];
}

function itemWidth(item: Item): number {
  return item.kind === 'text' ? textWidth(item.text, item.size) : item.heat.cols * item.cell;
}

function itemHeight(item: Item): number {
  return item.kind === 'text' ? item.line : item.heat.rows * item.cell + 4;
}

function sideHeight(side: Item[]): number {
  return side.length === 0 ? 0 : GAP + side.reduce((sum, item) => sum + itemHeight(item), 0);
}

function drawLabel(label: WireLabel, x: number, y: number, source: number): string {
  const out = [`<g class="wire-label" data-node="${source}">`];
  // Top to bottom, so the text reads in order: above the wire, then below it.
  let cursor = y - sideHeight(label.above);
  for (const item of label.above) {
    out.push(drawItem(item, x, cursor));
    cursor += itemHeight(item);
  }
  cursor = y + GAP;
  for (const item of label.below) {
    out.push(drawItem(item, x, cursor));
    cursor += itemHeight(item);
  }
  out.push('</g>');
  return out.join('');
}

/** An item whose box starts at `top`, centred on x. */
function drawItem(item: Item, x: number, top: number): string {
  if (item.kind === 'text') {
    const baseline = top + item.line - (item.line - item.size * 0.72) / 2 - 1;
    return `<text class="${item.cls}" x="${r(x)}" y="${r(baseline)}" text-anchor="middle" font-size="${item.size}" fill="${item.color}">${escapeXml(item.text)}</text>`;
  }
  const { heat, cell } = item;
  const left = x - (heat.cols * cell) / 2;
  const y0 = top + 2;
  const cells: string[] = [];
  for (let i = 0; i < heat.rows; i++) {
    for (let j = 0; j < heat.cols; j++) {
      const v = heat.cells[i * heat.cols + j] as number;
      cells.push(
        `<rect x="${r(left + j * cell)}" y="${r(y0 + i * cell)}" width="${cell}" height="${cell}" fill="${heatColor(v, heat.scale)}"/>`,
      );
    }
  }
  const frame = `<rect x="${r(left)}" y="${r(y0)}" width="${heat.cols * cell}" height="${heat.rows * cell}" fill="none" stroke="${item.color}" stroke-width="1"/>`;
  return `<g class="${item.cls}" data-rows="${heat.rows}" data-cols="${heat.cols}">${cells.join('')}${frame}</g>`;
}

function r(x: number): number {
  return Math.round(x * 10) / 10;
}

class Box {
  minX = Number.POSITIVE_INFINITY;
  minY = Number.POSITIVE_INFINITY;
  maxX = Number.NEGATIVE_INFINITY;
  maxY = Number.NEGATIVE_INFINITY;
  add(x: number, y: number): this {
    this.minX = Math.min(this.minX, x);
    this.minY = Math.min(this.minY, y);
    this.maxX = Math.max(this.maxX, x);
    this.maxY = Math.max(this.maxY, y);
    return this;
  }
}
