// Section 1: the lecture's circuits (examples/lecture.ts), drawn by drawGraph. Each graph is
// built once; an edit runs it forward and backward again and redraws it. The backward pass
// can be stepped through one gate at a time (backward-steps.ts).
import type { Graph } from 'wasmgrad';
import { drawGraph, formatNumber, readGraph, type VizModel, type VizNode } from 'wasmgrad/viz';
import { LECTURE, type LectureName } from '../lecture';
import { backwardOrder, reachedWires, ruleOf } from './backward-steps';
import { plainError } from './plain-errors';

type Circuit = 'xyz' | 'circuit2' | 'neuron' | 'norm';
type Neuron = 'neuron' | 'neuron-sigmoid';

/** Gradients closer than this (relative) agree: the two neurons differ only in rounding. */
const AGREE = 1e-9;
/** How far a drawing may grow past its own size to fill the column, and shrink before it scrolls in its box. */
const MAX_ZOOM = 1.6;
const MIN_ZOOM = 0.8;

/** Each circuit's formula; the title adds the inputs as they are now. */
const FORMULA: Record<LectureName, string> = {
  xyz: 'f(x, y, z) = (x + y)·z',
  circuit2: 'f = 2·(x·y + max(z, w))',
  neuron: 'the sigmoid neuron f = 1 / (1 + e^−(w0·x0 + w1·x1 + w2))',
  'neuron-sigmoid': 'the same neuron with one σ gate, f = σ(w0·x0 + w1·x1 + w2)',
  norm: 'f(W, x) = ‖W·x‖²',
};

/** One editable number: a scalar input, or one element of a tensor input. */
interface Field {
  /** The input element's name, and the key of its value. */
  key: string;
  /** What the label shows: x, W₁₂. */
  label: string;
  leaf: string;
  shape: readonly number[];
  index: number;
}

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
const subscript = (n: number) => [...String(n)].map((d) => SUBSCRIPTS[Number(d)]).join('');
const minus = (text: string) => text.replace(/-/g, '−');
const fmt = (x: number) => formatNumber(x, 4, true);

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setupCircuits(): void {
  const select = byId<HTMLSelectElement>('circuit');
  const neuronGates = byId<HTMLElement>('neuron-gates');
  const inputsBox = byId<HTMLElement>('circuit-inputs');
  const errorBox = byId<HTMLElement>('circuit-error');
  const staleMark = byId<HTMLElement>('circuit-stale');
  const drawing = byId<HTMLElement>('circuit-drawing');
  const caption = byId<HTMLElement>('circuit-title');
  const table = byId<HTMLTableElement>('circuit-table');
  const rule = byId<HTMLElement>('circuit-rule');
  const stepCount = byId<HTMLElement>('step-count');
  const buttons = {
    start: byId<HTMLButtonElement>('step-start'),
    back: byId<HTMLButtonElement>('step-back'),
    next: byId<HTMLButtonElement>('step-next'),
    end: byId<HTMLButtonElement>('step-end'),
  };

  const graphs = new Map<LectureName, Graph>();
  const graph = (name: LectureName): Graph => {
    let g = graphs.get(name);
    if (g === undefined) {
      g = LECTURE[name].build();
      graphs.set(name, g);
    }
    return g;
  };
  /** The editable numbers of each circuit, from the lecture's own inputs. */
  const fields = new Map<Circuit, Field[]>();
  const fieldsOf = (c: Circuit): Field[] => {
    let f = fields.get(c);
    if (f === undefined) {
      f = readGraph(graph(c))
        .nodes.filter((node) => node.kind === 'input')
        .flatMap((node) => {
          if (node.shape.length === 0) return [{ key: node.label, label: node.label, leaf: node.label, shape: [], index: 0 }];
          const cols = node.shape[1] ?? 1;
          const count = node.shape.reduce((a, b) => a * b, 1);
          return Array.from({ length: count }, (_, index) => {
            const [i, j] = [Math.floor(index / cols), index % cols];
            // A column vector's elements are x₁, x₂; a matrix's W₁₁, W₁₂ (1-based, as the slides).
            const label = cols === 1 ? `${node.label}${subscript(i + 1)}` : `${node.label}${subscript(i + 1)}${subscript(j + 1)}`;
            return { key: `${node.label}.${index}`, label, leaf: node.label, shape: node.shape, index };
          });
        });
      fields.set(c, f);
    }
    return f;
  };
  /** The inputs of each circuit as last edited; the two neurons share theirs. */
  const values = new Map<Circuit, Record<string, number>>();
  const valuesOf = (c: Circuit): Record<string, number> => {
    let v = values.get(c);
    if (v === undefined) {
      const model = readGraph(graph(c));
      const leaf = (name: string) => model.nodes.find((node) => node.label === name)?.value;
      v = Object.fromEntries(
        fieldsOf(c).map((field) => {
          const shown = leaf(field.leaf);
          return [field.key, shown?.kind === 'scalar' ? shown.x : (shown?.data[field.index] ?? 0)];
        }),
      );
      values.set(c, v);
    }
    return v;
  };
  /** The Graph's inputs: a number each, or a tensor's rows. */
  const feedOf = (c: Circuit) => {
    const v = valuesOf(c);
    const feed: Record<string, number | number[][]> = {};
    for (const field of fieldsOf(c)) {
      if (field.shape.length === 0) feed[field.leaf] = v[field.key] as number;
      else if (!(field.leaf in feed)) {
        const [rows = 1, cols = 1] = field.shape;
        const mine = fieldsOf(c).filter((f) => f.leaf === field.leaf);
        feed[field.leaf] = Array.from({ length: rows }, (_, i) =>
          Array.from({ length: cols }, (_, j) => v[(mine[i * cols + j] as Field).key] as number),
        );
      }
    }
    return feed;
  };
  /** The inputs as the title shows them: x = −2, W = [[0.1, 0.5], [−0.3, 0.8]]. */
  const inputsText = (c: Circuit): string => {
    const v = valuesOf(c);
    const leaves = [...new Set(fieldsOf(c).map((f) => f.leaf))];
    return leaves
      .map((leaf) => {
        const mine = fieldsOf(c).filter((f) => f.leaf === leaf);
        const first = mine[0] as Field;
        if (first.shape.length === 0) return `${leaf} = ${fmt(v[first.key] as number)}`;
        const cols = first.shape[1] ?? 1;
        const rows: string[] = [];
        for (let i = 0; i < mine.length; i += cols)
          rows.push(
            mine
              .slice(i, i + cols)
              .map((f) => fmt(v[f.key] as number))
              .join(', '),
          );
        return `${leaf} = ${cols === 1 ? `[${rows.join(', ')}]` : `[${rows.map((row) => `[${row}]`).join(', ')}]`}`;
      })
      .join(', ');
  };

  const circuit = () => select.value as Circuit;
  const neuron = () => (document.querySelector('input[name="gates"]:checked') as HTMLInputElement).value as Neuron;
  /** The graphs to run for the circuit shown: both neurons, so that their gradients can be compared. */
  const runs = (c: Circuit): LectureName[] => (c === 'neuron' ? ['neuron', 'neuron-sigmoid'] : [c]);
  const shown = (c: Circuit): LectureName => (c === 'neuron' ? neuron() : c);

  /** The drawing's model and its backward order, from the last run that could be computed. */
  let current: { name: LectureName; svg: string; model: VizModel; order: VizNode[] } | undefined;
  /** How many gates of the backward pass are applied in the drawing (all, until the visitor steps). */
  let step = Number.POSITIVE_INFINITY;

  function showInputs(): void {
    const c = circuit();
    neuronGates.hidden = c !== 'neuron';
    inputsBox.replaceChildren(
      ...fieldsOf(c).map((field) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        // Text, not type=number: a number input cannot show the drawing's "−2".
        Object.assign(input, { type: 'text', inputMode: 'decimal', name: field.key, value: fmt(valuesOf(c)[field.key] as number) });
        input.size = 7;
        input.addEventListener('input', () => edit(field, input.value));
        label.append(`${field.label} `, input);
        return label;
      }),
    );
  }

  function edit(field: Field, text: string): void {
    const trimmed = text.trim().replace(/[−–]/g, '-');
    const value = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isFinite(value)) {
      markStale(`${field.label} must be a number.`);
      return;
    }
    valuesOf(circuit())[field.key] = value;
    update();
  }

  function markStale(message: string): void {
    errorBox.textContent = message;
    staleMark.hidden = false;
    drawing.dataset.stale = 'true';
  }

  function update(): void {
    const c = circuit();
    const feed = feedOf(c);
    const name = shown(c);
    // The drawn graph alone decides whether the drawing is valid: the primitive neuron's
    // exp can overflow where the σ gate's value is fine.
    const outputs = new Map<LectureName, number>();
    for (const run of [name, ...runs(c).filter((n) => n !== name)]) {
      try {
        outputs.set(run, graph(run).forward(feed) as number);
        graph(run).backward();
      } catch (error) {
        if (run === name) {
          markStale(plainError(error));
          return;
        }
      }
    }
    errorBox.textContent = '';
    staleMark.hidden = true;
    delete drawing.dataset.stale;
    // The title is the page's text, not the picture's: it wraps on a phone, and the picture's
    // width is the circuit's own, so it scales up to the column.
    caption.textContent = `${FORMULA[name]} at ${inputsText(c)}`;
    const svg = drawGraph(graph(name), { precision: LECTURE[name].precision });
    const model = readGraph(graph(name));
    current = { name, svg, model, order: backwardOrder(model) };
    drawing.dataset.circuit = name;
    showStep();
    showTable(c, outputs);
  }

  /** The drawing with the first `step` gates of the backward pass applied, and the last one's rule. */
  function showStep(): void {
    if (current === undefined) return;
    const { svg, model, order } = current;
    // At the end stays at the end: the neuron's two versions have 8 gates and 5.
    step = Math.max(0, step);
    if (step >= order.length) step = Number.POSITIVE_INFINITY;
    const at = Math.min(step, order.length);
    drawing.innerHTML = svg;
    const picture = drawing.querySelector('svg') as SVGSVGElement;
    const width = Number(picture.getAttribute('width'));
    Object.assign(picture.style, { width: '100%', height: 'auto', maxWidth: `${MAX_ZOOM * width}px`, minWidth: `${MIN_ZOOM * width}px` });
    // The lecture draws every product as "*": the matrix product too, as mul switches for matrices.
    for (const text of picture.querySelectorAll('g.gate[data-op="matmul"] text')) text.textContent = '*';
    const reached = reachedWires(model, order, at);
    for (const label of picture.querySelectorAll<SVGGElement>('g.wire-label')) {
      if (!reached.has(Number(label.dataset.node))) for (const grad of label.querySelectorAll('.grad')) grad.remove();
    }
    const active = order[at - 1];
    if (active !== undefined) picture.querySelector(`g.gate[data-id="${active.id}"]`)?.classList.add('active');
    picture.dataset.step = String(at);
    picture.setAttribute('aria-label', caption.textContent ?? '');
    stepCount.textContent = `step ${at} of ${order.length}`;
    rule.textContent =
      active === undefined
        ? 'The backward pass starts at the output with df/df = 1. Next applies the last gate’s local gradient.'
        : ruleOf(active, model, LECTURE[current.name].precision);
    rule.dataset.op = active?.op ?? '';
    buttons.start.disabled = buttons.back.disabled = at === 0;
    buttons.next.disabled = buttons.end.disabled = at === order.length;
  }

  /** Every input with its value and gradient; for the neuron, both versions' gradients side by side. */
  function showTable(c: Circuit, outputs: Map<LectureName, number>): void {
    if (c === 'norm') {
      // The tensor circuit's numbers are all on its drawing.
      table.innerHTML = '';
      return;
    }
    const names = runs(c);
    const ok = (n: LectureName) => outputs.has(n);
    const head = [
      'input',
      'value',
      ...names.map((n) => (names.length > 1 ? `∂f/∂input, ${n === 'neuron' ? 'primitive gates' : 'σ gate'}` : '∂f/∂input')),
    ];
    if (names.length > 1) head.push('agree');
    const inputs = graph(names[0] as LectureName)
      .nodes()
      .filter((node) => node.op === 'input');
    const rows = inputs.map((node) => {
      const grads = names.map((n) => (ok(n) ? (graph(n).grad(graph(n).node(String(node))) as number) : Number.NaN));
      const cells = [
        String(node),
        fmt(valuesOf(c)[String(node)] as number),
        ...grads.map((x, i) => (ok(names[i] as LectureName) ? fmt(x) : 'overflows')),
      ];
      if (names.length > 1) cells.push(names.every(ok) ? (agree(grads) ? '✓' : '✗') : '—');
      return { name: String(node), cells };
    });
    // f's own row: its value, and df/df = 1 that backward seeds.
    const outs = names.map((n) => outputs.get(n) ?? Number.NaN);
    const f = ['f', fmt(outputs.get(shown(c)) as number), ...names.map((n) => (ok(n) ? '1' : 'overflows'))];
    if (names.length > 1) f.push(names.every(ok) ? (agree(outs) ? '✓' : '✗') : '—');
    table.innerHTML = '';
    const thead = table.createTHead().insertRow();
    for (const text of head) thead.append(Object.assign(document.createElement('th'), { textContent: text }));
    const body = table.createTBody();
    for (const { name, cells } of [...rows, { name: 'f', cells: f }]) {
      const row = body.insertRow();
      row.dataset.name = name;
      for (const text of cells) row.insertCell().textContent = minus(text);
    }
  }

  const goTo = (to: number) => {
    step = to;
    showStep();
  };
  buttons.start.addEventListener('click', () => goTo(0));
  buttons.back.addEventListener('click', () => goTo(Math.min(step, current?.order.length ?? 0) - 1));
  buttons.next.addEventListener('click', () => goTo(step + 1));
  buttons.end.addEventListener('click', () => goTo(Number.POSITIVE_INFINITY));
  select.addEventListener('change', () => {
    step = Number.POSITIVE_INFINITY;
    showInputs();
    update();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="gates"]')) radio.addEventListener('change', update);
  showInputs();
  update();
}

function agree(xs: number[]): boolean {
  const [first, ...rest] = xs as [number, ...number[]];
  return rest.every((x) => Math.abs(x - first) <= AGREE * Math.max(1, Math.abs(x), Math.abs(first)));
}
