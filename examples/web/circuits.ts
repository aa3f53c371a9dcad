// Section 1: the lecture's circuits (examples/lecture.ts), drawn by drawGraph. Each graph is
// built once; an edit runs it forward and backward again and redraws it.
import type { Graph } from 'wasmgrad';
import { drawGraph, formatNumber } from 'wasmgrad/viz';
import { LECTURE, type LectureName } from '../lecture';

type Circuit = 'xyz' | 'circuit2' | 'neuron';
type Neuron = 'neuron' | 'neuron-sigmoid';

/** Gradients closer than this (relative) agree: the two neurons differ only in rounding. */
const AGREE = 1e-9;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setupCircuits(): void {
  const select = byId<HTMLSelectElement>('circuit');
  const neuronGates = byId<HTMLElement>('neuron-gates');
  const inputsBox = byId<HTMLElement>('circuit-inputs');
  const errorBox = byId<HTMLElement>('circuit-error');
  const drawing = byId<HTMLElement>('circuit-drawing');
  const table = byId<HTMLTableElement>('circuit-table');

  const graphs = new Map<LectureName, Graph>();
  const graph = (name: LectureName): Graph => {
    let g = graphs.get(name);
    if (g === undefined) {
      g = LECTURE[name].build();
      graphs.set(name, g);
    }
    return g;
  };
  const inputsOf = (g: Graph) => g.nodes().filter((node) => node.op === 'input');
  /** The inputs of each circuit as last edited; the two neurons share theirs. */
  const values = new Map<Circuit, Record<string, number>>();
  const valuesOf = (circuit: Circuit): Record<string, number> => {
    let v = values.get(circuit);
    if (v === undefined) {
      v = Object.fromEntries(inputsOf(graph(circuit)).map((node) => [String(node), node.value as number]));
      values.set(circuit, v);
    }
    return v;
  };

  const circuit = () => select.value as Circuit;
  const neuron = () => (document.querySelector('input[name="gates"]:checked') as HTMLInputElement).value as Neuron;
  /** The graphs to run for the circuit shown: both neurons, so that their gradients can be compared. */
  const runs = (c: Circuit): LectureName[] => (c === 'neuron' ? ['neuron', 'neuron-sigmoid'] : [c]);
  const shown = (c: Circuit): LectureName => (c === 'neuron' ? neuron() : c);

  function showInputs(): void {
    const c = circuit();
    neuronGates.hidden = c !== 'neuron';
    inputsBox.replaceChildren(
      ...Object.entries(valuesOf(c)).map(([name, value]) => {
        const label = document.createElement('label');
        const input = document.createElement('input');
        Object.assign(input, { type: 'number', step: 'any', name, value: String(value) });
        input.addEventListener('input', () => edit(name, input.value));
        label.append(`${name} `, input);
        return label;
      }),
    );
  }

  function edit(name: string, text: string): void {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) {
      errorBox.textContent = `${name} must be a number.`;
      return;
    }
    valuesOf(circuit())[name] = value;
    update();
  }

  function update(): void {
    const c = circuit();
    const inputs = valuesOf(c);
    const outputs: number[] = [];
    try {
      for (const name of runs(c)) {
        outputs.push(graph(name).forward(inputs) as number);
        graph(name).backward();
      }
    } catch (error) {
      errorBox.textContent = error instanceof Error ? error.message : String(error);
      return;
    }
    errorBox.textContent = '';
    const name = shown(c);
    drawing.innerHTML = drawGraph(graph(name), { title: LECTURE[name].title, precision: LECTURE[name].precision });
    drawing.dataset.circuit = name;
    showTable(c, outputs);
  }

  /** Every input with its value and gradient; for the neuron, both versions' gradients side by side. */
  function showTable(c: Circuit, outputs: number[]): void {
    const names = runs(c);
    const fmt = (x: number) => formatNumber(x, 4, true);
    const head = [
      'input',
      'value',
      ...names.map((n) => (names.length > 1 ? `∂f/∂input, ${n === 'neuron' ? 'primitive gates' : 'σ gate'}` : '∂f/∂input')),
    ];
    if (names.length > 1) head.push('agree');
    const rows = inputsOf(graph(names[0] as LectureName)).map((node) => {
      const grads = names.map((n) => graph(n).grad(graph(n).node(String(node))) as number);
      const cells = [String(node), fmt(node.value as number), ...grads.map(fmt)];
      if (names.length > 1) cells.push(agree(grads) ? '✓' : '✗');
      return { name: String(node), cells };
    });
    // f's own row: its value, and df/df = 1 that backward seeds.
    const f = ['f', fmt(outputs[0] as number), ...names.map(() => '1')];
    if (names.length > 1) f.push(agree(outputs) ? '✓' : '✗');
    table.innerHTML = '';
    const thead = table.createTHead().insertRow();
    for (const text of head) thead.append(Object.assign(document.createElement('th'), { textContent: text }));
    const body = table.createTBody();
    for (const { name, cells } of [...rows, { name: 'f', cells: f }]) {
      const row = body.insertRow();
      row.dataset.name = name;
      for (const text of cells) row.insertCell().textContent = text;
    }
  }

  select.addEventListener('change', () => {
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
