// Drawing a Graph (src/viz): the lecture's circuits checked structurally — the gates,
// which wires connect them, and the numbers printed on each wire — not byte for byte.
// The SVG is read back with a small XML walker, so this runs the same in Node and Chromium.
import { beforeAll, describe, expect, it } from 'vitest';
import { LECTURE, type LectureName } from '../examples/lecture';
import { Graph, init, Tensor } from '../src/index';
import { drawGraph, formatNumber, gateSymbol } from '../src/viz/index';
import { GATES } from './helpers';

beforeAll(() => init());

// ---- a small XML reader for our own output ---------------------------------------------

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** Parses well-formed XML without a DOM; throws on a tag that is not closed in order. */
function parseXml(xml: string): El {
  const root: El = { tag: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const token = /<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (const m of xml.matchAll(token)) {
    if (m.index !== consumed) throw new Error(`not XML at ${consumed}: ${xml.slice(consumed, consumed + 40)}`);
    consumed = m.index + m[0].length;
    const top = stack[stack.length - 1] as El;
    if (m[5] !== undefined) {
      top.text += unescapeXml(m[5]);
      continue;
    }
    const [, closing, tag, rawAttrs, selfClosing] = m as unknown as [string, string, string, string, string];
    if (closing) {
      if (top.tag !== tag) throw new Error(`</${tag}> closes <${top.tag}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1] as string] = unescapeXml(a[2] as string);
    const el: El = { tag, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (consumed !== xml.length || stack.length !== 1) throw new Error('unclosed XML');
  return root;
}

function all(el: El, match: (e: El) => boolean, out: El[] = []): El[] {
  if (match(el)) out.push(el);
  for (const child of el.children) all(child, match, out);
  return out;
}
const hasClass = (name: string) => (e: El) => (e.attrs.class ?? '').split(' ').includes(name);
const texts = (el: El, cls: string) => all(el, (e) => e.tag === 'text' && hasClass(cls)(e)).map((e) => e.text);

/** What a drawing shows, by node label: gates, wires between labels, and each wire's numbers. */
function read(svg: string) {
  const doc = parseXml(svg);
  const [root] = doc.children;
  expect(root?.tag).toBe('svg');
  const nodes = all(doc, hasClass('node'));
  const labelOf = new Map(nodes.map((n) => [n.attrs['data-id'] as string, (n.children.find((c) => c.tag === 'text') as El).text]));
  const name = (id: string | undefined) => labelOf.get(id as string) ?? `?${id}`;
  const wires = all(doc, (e) => e.tag === 'path' && hasClass('wire')(e) && e.attrs['data-to'] !== undefined);
  const onWire = new Map(
    all(doc, hasClass('wire-label')).map((g) => [
      name(g.attrs['data-node']),
      { value: texts(g, 'value'), grad: texts(g, 'grad'), shape: texts(g, 'shape'), el: g },
    ]),
  );
  return {
    doc,
    gates: nodes.filter(hasClass('gate')).map((n) => name(n.attrs['data-id'])),
    leaves: nodes.filter(hasClass('leaf')).map((n) => name(n.attrs['data-id'])),
    nodeIds: nodes.map((n) => Number(n.attrs['data-id'])).sort((a, b) => a - b),
    edges: wires.map((w) => `${name(w.attrs['data-from'])}→${name(w.attrs['data-to'])}`).sort(),
    edgeIds: wires.map((w) => `${w.attrs['data-from']}->${w.attrs['data-to']}`).sort(),
    onWire,
    /** Value and gradient printed on the wire out of the node labelled `label`. */
    numbers: (label: string) => {
      const wire = onWire.get(label);
      return wire ? [...wire.value, ...wire.grad] : undefined;
    },
  };
}

/** The node ids and edges of `graph.toDot()`. */
function readDot(dot: string) {
  const nodes = [...dot.matchAll(/^\s*n(\d+) \[/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  const edges = [...dot.matchAll(/^\s*n(\d+) -> n(\d+);/gm)].map((m) => `${m[1]}->${m[2]}`).sort();
  return { nodes, edges };
}

function draw(name: LectureName) {
  const example = LECTURE[name];
  const graph = example.build();
  const svg = drawGraph(graph, { title: example.title, precision: example.precision });
  return { graph, svg, drawn: read(svg) };
}

// ---- the lecture's circuits --------------------------------------------------------------

describe('the lecture circuits, drawn', () => {
  it('(x + y)·z: gates + and *, four wires, −12 with gradients −4, −4, 3', () => {
    const { drawn, graph } = draw('xyz');
    expect(drawn.gates.sort()).toEqual(['*', '+']);
    expect(drawn.leaves).toEqual(['x', 'y', 'z']);
    expect(drawn.edges).toEqual(['+→*', 'x→+', 'y→+', 'z→*']);
    // Forward value above (first), gradient below (second), as integers like the slide.
    expect(drawn.numbers('x')).toEqual(['−2', '−4']);
    expect(drawn.numbers('y')).toEqual(['5', '−4']);
    expect(drawn.numbers('z')).toEqual(['−4', '3']);
    expect(drawn.numbers('+')).toEqual(['3', '−4']);
    expect(drawn.numbers('*')).toEqual(['−12', '1']);
    graph.dispose();
  });

  it('2·(x·y + max(z, w)): max routes the gradient to z, none to w', () => {
    const { drawn, graph } = draw('circuit2');
    expect(drawn.gates.sort()).toEqual(['*', '*2', '+', 'max'].sort());
    expect(drawn.edges).toEqual(['*→+', '+→*2', 'max→+', 'w→max', 'x→*', 'y→*', 'z→max'].sort());
    expect(drawn.numbers('x')).toEqual(['3', '−8']);
    expect(drawn.numbers('y')).toEqual(['−4', '6']);
    expect(drawn.numbers('z')).toEqual(['2', '2']);
    expect(drawn.numbers('w')).toEqual(['−1', '0']);
    expect(drawn.numbers('*')).toEqual(['−12', '2']);
    expect(drawn.numbers('max')).toEqual(['2', '2']);
    expect(drawn.numbers('+')).toEqual(['−10', '2']);
    expect(drawn.numbers('*2')).toEqual(['−20', '1']);
    graph.dispose();
  });

  it('the sigmoid neuron from primitive gates: f = 0.73, gradients −0.20, 0.39, −0.39, −0.59, 0.20', () => {
    const { drawn, graph } = draw('neuron');
    expect(drawn.gates.sort()).toEqual(['*', '*', '*−1', '+', '+', '+1', '1/x', 'exp'].sort());
    expect(drawn.leaves).toEqual(['w0', 'x0', 'w1', 'x1', 'w2']);
    expect(drawn.edges).toHaveLength(12);
    expect(drawn.edges.filter((e) => e.endsWith('→*')).sort()).toEqual(['w0→*', 'w1→*', 'x0→*', 'x1→*']);
    expect(drawn.edges.filter((e) => !e.endsWith('→*')).sort()).toEqual(
      ['*→+', '*→+', '+→+', 'w2→+', '+→*−1', '*−1→exp', 'exp→+1', '+1→1/x'].sort(),
    );
    expect(drawn.numbers('w0')).toEqual(['2.00', '−0.20']);
    expect(drawn.numbers('x0')).toEqual(['−1.00', '0.39']);
    expect(drawn.numbers('w1')).toEqual(['−3.00', '−0.39']);
    expect(drawn.numbers('x1')).toEqual(['−2.00', '−0.59']);
    expect(drawn.numbers('w2')).toEqual(['−3.00', '0.20']);
    // The slide's backward pass, right to left.
    expect(drawn.numbers('1/x')).toEqual(['0.73', '1.00']);
    expect(drawn.numbers('+1')).toEqual(['1.37', '−0.53']);
    expect(drawn.numbers('exp')).toEqual(['0.37', '−0.53']);
    expect(drawn.numbers('*−1')).toEqual(['−1.00', '−0.20']);
    graph.dispose();
  });

  it('the same neuron with one σ gate prints the same gradients', () => {
    const { drawn, graph } = draw('neuron-sigmoid');
    expect(drawn.gates.sort()).toEqual(['*', '*', '+', '+', 'σ'].sort());
    expect(drawn.edges).toContain('+→σ');
    expect(drawn.numbers('σ')).toEqual(['0.73', '1.00']);
    const primitive = draw('neuron');
    for (const leaf of ['w0', 'x0', 'w1', 'x1', 'w2']) expect(drawn.numbers(leaf)).toEqual(primitive.drawn.numbers(leaf));
    primitive.graph.dispose();
    graph.dispose();
  });

  it('‖W·x‖²: tensors by shape, W·x = [0.22, 0.26], f = 0.116, ∇W = 2q·xᵀ, ∇x = 2Wᵀq', () => {
    const { drawn, graph } = draw('norm');
    expect(drawn.gates.sort()).toEqual(['L2', '×']);
    expect(drawn.edges).toEqual(['W→×', 'x→×', '×→L2']);
    expect(drawn.onWire.get('W')?.shape).toEqual(['[2, 2]']);
    expect(drawn.onWire.get('x')?.shape).toEqual(['[2, 1]']);
    expect(drawn.onWire.get('×')?.shape).toEqual(['[2, 1]']);
    expect(drawn.onWire.get('L2')?.shape).toEqual([]);
    expect(drawn.onWire.get('W')?.value).toEqual(['[0.100, 0.500]', '[−0.300, 0.800]']);
    expect(drawn.onWire.get('W')?.grad).toEqual(['[0.088, 0.176]', '[0.104, 0.208]']);
    expect(drawn.onWire.get('x')?.value).toEqual(['[0.200]', '[0.400]']);
    expect(drawn.onWire.get('x')?.grad).toEqual(['[−0.112]', '[0.636]']);
    expect(drawn.onWire.get('×')?.value).toEqual(['[0.220]', '[0.260]']);
    expect(drawn.onWire.get('×')?.grad).toEqual(['[0.440]', '[0.520]']);
    expect(drawn.numbers('L2')).toEqual(['0.116', '1.000']);
    graph.dispose();
  });

  it.each(Object.keys(LECTURE) as LectureName[])('%s: the DOT export has the same nodes and edges', (name) => {
    const { drawn, graph } = draw(name);
    const dot = readDot(graph.toDot());
    expect(dot.nodes).toEqual(drawn.nodeIds);
    expect(dot.edges).toEqual(drawn.edgeIds);
    graph.dispose();
  });

  it.each(Object.keys(LECTURE) as LectureName[])('%s: no printed number overlaps a wire, a gate or another number', (name) => {
    const { drawn, graph } = draw(name);
    const boxes = all(drawn.doc, (e) => e.tag === 'text' && (hasClass('value')(e) || hasClass('grad')(e) || hasClass('shape')(e))).map(
      textBox,
    );
    expect(boxes.length).toBeGreaterThan(0);
    const gates = all(drawn.doc, (e) => e.tag === 'ellipse').map((e) => {
      const [cx, cy, rx, ry] = ['cx', 'cy', 'rx', 'ry'].map((k) => Number(e.attrs[k]));
      return {
        x0: (cx as number) - (rx as number),
        x1: (cx as number) + (rx as number),
        y0: (cy as number) - (ry as number),
        y1: (cy as number) + (ry as number),
      };
    });
    const runs = all(drawn.doc, (e) => e.tag === 'path').flatMap((e) => levelRuns(e.attrs.d as string));
    expect(runs.length).toBeGreaterThan(0);
    for (const [i, box] of boxes.entries()) {
      for (const other of boxes.slice(i + 1)) expect(overlap(box, other), `${box.text} / ${other.text}`).toBe(false);
      for (const gate of gates) expect(overlap(box, gate), `${box.text} on a gate`).toBe(false);
      for (const run of runs) {
        const crosses = run.y > box.y0 && run.y < box.y1 && Math.max(run.x0, run.x1) > box.x0 && Math.min(run.x0, run.x1) < box.x1;
        expect(crosses, `${box.text} on a wire at y = ${run.y}`).toBe(false);
      }
    }
    graph.dispose();
  });
});

type Rect = { x0: number; x1: number; y0: number; y1: number };

/** A text's extent, from its font size and an upper bound of 0.62 em a character (middle-anchored). */
function textBox(e: El): Rect & { text: string } {
  const size = Number(e.attrs['font-size']);
  const x = Number(e.attrs.x);
  const y = Number(e.attrs.y);
  const half = (e.text.length * 0.62 * size) / 2;
  return { text: e.text, x0: x - half, x1: x + half, y0: y - 0.72 * size, y1: y + 0.2 * size };
}

function overlap(a: Rect, b: Rect): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** The level stretches of a path written as M, H and C commands. */
function levelRuns(d: string): Array<{ x0: number; x1: number; y: number }> {
  const runs: Array<{ x0: number; x1: number; y: number }> = [];
  let [x, y] = [0, 0];
  for (const [, cmd, args] of d.matchAll(/([MHC])([^MHC]*)/g)) {
    const nums = (args as string)
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (cmd === 'H') {
      runs.push({ x0: x, x1: nums[0] as number, y });
      x = nums[0] as number;
    } else {
      x = nums[nums.length - 2] as number;
      y = nums[nums.length - 1] as number;
    }
  }
  return runs;
}

// ---- tensors, fan-out, what the graph does not hold -----------------------------------------

describe('drawGraph', () => {
  it('draws a large tensor by shape, a heat-map and min/mean/max instead of every number', () => {
    const g = new Graph();
    const X = g.input('X', [8, 16]);
    const h = g.relu(X);
    g.sum(h);
    const data = Array.from({ length: 128 }, (_, i) => (i - 40) / 10); // −4.0 … 8.7
    g.forward({ X: Tensor.from(data, [8, 16]) });
    g.backward();
    const drawn = read(drawGraph(g));
    expect(drawn.gates.sort()).toEqual(['ReLU', 'Σ']);
    const onX = drawn.onWire.get('X');
    expect(onX?.shape).toEqual(['[8, 16]']);
    expect(onX?.value).toEqual(['min −4.00  mean 2.35  max 8.70']);
    expect(onX?.grad).toEqual(['min 0.00  mean 0.68  max 1.00']); // ReLU passes 87 of 128 (not at x = 0)
    const onRelu = drawn.onWire.get('ReLU');
    expect(onRelu?.value).toEqual(['min 0.00  mean 2.99  max 8.70']); // Σ 0.1·k for k ≤ 87 = 382.8
    expect(onRelu?.grad).toEqual(['min 1.00  mean 1.00  max 1.00']);
    expect(drawn.numbers('Σ')).toEqual(['382.80', '1.00']);
    // One heat-map for each value and gradient, as big as the tensor (under the cap).
    const maps = all(onX?.el as El, hasClass('heatmap'));
    expect(maps.map((m) => [m.attrs.class, m.attrs['data-rows'], m.attrs['data-cols']])).toEqual([
      ['value heatmap', '8', '16'],
      ['grad heatmap', '8', '16'],
    ]);
    expect(all(maps[0] as El, (e) => e.tag === 'rect')).toHaveLength(8 * 16 + 1); // cells and a frame
    // No element is printed one by one.
    expect(texts(drawn.doc, 'value').some((t) => t.startsWith('['))).toBe(false);
    g.dispose();
  });

  it('caps a heat-map of a big tensor by averaging blocks', () => {
    const g = new Graph();
    const W = g.param('W', Tensor.full([100, 60], 0.5));
    g.l2(W);
    g.forward();
    g.backward();
    const drawn = read(drawGraph(g));
    const [value, grad] = all(drawn.onWire.get('W')?.el as El, hasClass('heatmap'));
    expect([value?.attrs['data-rows'], value?.attrs['data-cols']]).toEqual(['12', '16']);
    expect([grad?.attrs['data-rows'], grad?.attrs['data-cols']]).toEqual(['12', '16']);
    expect(drawn.onWire.get('W')?.value).toEqual(['min 0.50  mean 0.50  max 0.50']);
    expect(drawn.onWire.get('W')?.grad).toEqual(['min 1.00  mean 1.00  max 1.00']);
    g.dispose();
  });

  it('draws a value used twice once, to a branch point, with its summed gradient', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    g.add(g.mul(x, y), g.mul(x, x)); // x is read three times: dx = y + 2x = 7
    g.forward({ x: 2, y: 3 });
    g.backward();
    const svg = drawGraph(g);
    const drawn = read(svg);
    expect(drawn.numbers('x')).toEqual(['2', '7']);
    expect(drawn.edges).toEqual(['*→+', '*→+', 'x→*', 'x→*', 'x→*', 'y→*']);
    expect(all(drawn.doc, hasClass('branch')).filter((e) => e.tag === 'path')).toHaveLength(3);
    expect(all(drawn.doc, hasClass('trunk'))).toHaveLength(1);
    expect(all(drawn.doc, hasClass('branch-point'))).toHaveLength(1);
    const dot = readDot(g.toDot());
    expect(dot.edges).toEqual(drawn.edgeIds);
    g.dispose();
  });

  it('draws only what the graph holds: nothing before forward, no gradients before backward', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    g.sum(g.tanh(x));
    const before = read(drawGraph(g));
    expect(texts(before.doc, 'value')).toEqual([]);
    expect(texts(before.doc, 'grad')).toEqual([]);
    expect(before.onWire.get('x')?.shape).toEqual(['[2, 3]']); // shapes are known from the start
    expect(all(before.doc, hasClass('legend'))).toHaveLength(0);

    g.forward({
      x: [
        [0, 0, 0],
        [0, 0, 0],
      ],
    });
    const forward = read(drawGraph(g));
    expect(forward.onWire.get('x')?.value).toEqual(['[0, 0, 0]', '[0, 0, 0]']);
    expect(texts(forward.doc, 'grad')).toEqual([]);
    expect(all(forward.doc, hasClass('legend'))).toHaveLength(1);

    g.backward();
    const backward = read(drawGraph(g, { precision: 1 }));
    expect(backward.onWire.get('x')?.grad).toEqual(['[1, 1, 1]', '[1, 1, 1]']);
    expect(backward.numbers('Σ')).toEqual(['0', '1']);
    g.dispose();
  });

  it('escapes names, takes a title, and keeps to the precision asked for', () => {
    const g = new Graph();
    const a = g.input('<a & "b">');
    g.sigmoid(a);
    g.forward({ '<a & "b">': 0.3 });
    g.backward();
    const svg = drawGraph(g, { title: 'σ of <a>', precision: 4 });
    const drawn = read(svg);
    expect(drawn.leaves).toEqual(['<a & "b">']);
    expect(texts(drawn.doc, 'title')).toEqual(['σ of <a>']);
    expect(drawn.numbers('σ')).toEqual(['0.5744', '1.0000']);
    expect(drawn.numbers('<a & "b">')).toEqual(['0.3000', '0.2445']);
    expect(() => drawGraph(g, { precision: -1 })).toThrow(RangeError);
    g.dispose();
  });

  it('draws an empty graph as an empty picture', () => {
    const drawn = read(drawGraph(new Graph()));
    expect(drawn.nodeIds).toEqual([]);
  });
});

describe.each(GATES)('every elementwise op is drawn by its symbol from the op table: $name', (row) => {
  it('one gate with its symbol, a wire from each input, the value and gradient on its output wire', () => {
    const g = new Graph();
    const point = row.points[0] as readonly number[];
    const inputs = point.map((_, i) => g.input(`x${i}`));
    const out = row.graph(g, inputs);
    g.forward(Object.fromEntries(point.map((x, i) => [`x${i}`, x])));
    g.backward();
    const drawn = read(drawGraph(g));
    expect(drawn.gates).toEqual([gateSymbol(out.op, out.gate)]);
    expect(drawn.edges).toEqual(inputs.map((x) => `${x}→${drawn.gates[0]}`).sort());
    expect(drawn.numbers(drawn.gates[0] as string)).toHaveLength(2);
    g.dispose();
  });
});

describe('labels and numbers', () => {
  it('names each gate with the symbol the slides use', () => {
    expect(gateSymbol('add', 'add')).toBe('+');
    expect(gateSymbol('mul', 'mul')).toBe('*');
    expect(gateSymbol('scale', 'scale -1')).toBe('*−1');
    expect(gateSymbol('offset', 'offset 1')).toBe('+1');
    expect(gateSymbol('pow', 'pow 2')).toBe('^2');
    expect(gateSymbol('recip', 'recip')).toBe('1/x');
    expect(gateSymbol('sigmoid', 'sigmoid')).toBe('σ');
    expect(gateSymbol('leakyRelu', 'leakyRelu 0.1')).toBe('leaky 0.1');
  });

  it('prints numbers as the lecture does', () => {
    expect(formatNumber(-0.19661193324148185, 2, false)).toBe('−0.20');
    expect(formatNumber(0.7310585786300049, 2, false)).toBe('0.73');
    expect(formatNumber(1, 2, false)).toBe('1.00');
    expect(formatNumber(-12, 2, true)).toBe('−12');
    expect(formatNumber(0.088, 2, false)).toBe('0.088'); // two significant digits at least
    expect(formatNumber(-0.001, 2, false)).toBe('−0.0010');
    expect(formatNumber(-0, 2, false)).toBe('0.00');
    expect(formatNumber(-0.0000001, 2, false)).toBe('−1.00e−7');
    expect(formatNumber(123456, 2, false)).toBe('1.23e+5');
  });
});
