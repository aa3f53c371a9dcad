// Suite "scalar-graph": a graph of about a million scalar nodes, built and run by
// wasmgrad and by a micrograd-style Value graph.
//
// 20,000 ReLU neurons of 16 inputs each share the inputs x0..x15; each has its own 16
// weights and bias, neuron = relu(Σ wᵢ·xᵢ + b), and the output is the sum of the neurons.
// Both sides make the same ops in the same order, so the outputs agree to the last bit
// and the gradients up to the order in which they are summed.
//
// micrograd is define-by-run: every iteration builds its graph anew (keeping its param
// Values, as a training loop does) and sorts it before backpropagating. wasmgrad builds
// once, compiles to a tape on the first forward, and then each pass is one wasm call.
import { Graph, type Node } from '../src/index';
import { Value } from './baselines/micrograd';
import type { Case, Options, Suite } from './harness';

const FAN_IN = 16;
const NEURONS = 20_000;
const QUICK_NEURONS = 1_000;
/** Input values cycle through this many seeded sets, so every run sees new inputs. */
const INPUT_SETS = 8;
const TOLERANCE = 1e-9;

interface Problem {
  neurons: number;
  inputNames: string[];
  /** Neuron n's weights at n·(FAN_IN + 1) + i, its bias at n·(FAN_IN + 1) + FAN_IN. */
  params: Float64Array;
  inputSets: Float64Array[];
  inputRecords: Record<string, number>[];
}

export function scalarGraph(options: Options): Suite {
  const problem = makeProblem(options.quick ? QUICK_NEURONS : NEURONS);
  const nodes = nodeCount(problem.neurons);
  const perNeuron = FAN_IN + 1;
  const ops = problem.neurons * (2 * FAN_IN + 1) + problem.neurons - 1;
  return {
    name: 'scalar-graph',
    unit: 'node',
    info: {
      neurons: problem.neurons,
      'inputs per neuron': FAN_IN,
      nodes,
      'op nodes': ops,
      'leaf nodes': nodes - ops,
      params: problem.neurons * perNeuron,
      'active ReLUs (first input set)': `${(100 * activeFraction(problem, 0)).toFixed(1)}%`,
    },
    check: () => check(problem, nodes),
    cases: [...wasmgradCases(problem, nodes), ...microgradCases(problem, nodes)],
    ratios: [
      {
        name: 'micrograd iteration / wasmgrad forward + backward',
        of: ['micrograd iteration (build + backward)'],
        over: ['wasmgrad forward + backward'],
        target: 30,
      },
      { name: 'micrograd build / wasmgrad build', of: ['micrograd build (+ forward)'], over: ['wasmgrad build'], target: 1 },
      {
        name: 'micrograd build / wasmgrad build + compile + first forward',
        of: ['micrograd build (+ forward)'],
        over: ['wasmgrad build', 'wasmgrad compile + first forward'],
      },
    ],
  };
}

// ---- the problem --------------------------------------------------------------------------

function makeProblem(neurons: number): Problem {
  const random = mulberry32(0x5eed);
  const uniform = () => 2 * random() - 1;
  const inputNames = Array.from({ length: FAN_IN }, (_, i) => `x${i}`);
  const params = Float64Array.from({ length: neurons * (FAN_IN + 1) }, uniform);
  const inputSets = Array.from({ length: INPUT_SETS }, () => Float64Array.from({ length: FAN_IN }, uniform));
  const inputRecords = inputSets.map((set) => Object.fromEntries(inputNames.map((name, i) => [name, set[i] as number])));
  return { neurons, inputNames, params, inputSets, inputRecords };
}

/** Inputs, then per neuron FAN_IN weights, a bias, FAN_IN products, FAN_IN sums and a ReLU; then the sums of neurons. */
function nodeCount(neurons: number): number {
  return FAN_IN + neurons * (3 * FAN_IN + 2) + neurons - 1;
}

function activeFraction(problem: Problem, set: number): number {
  const x = problem.inputSets[set] as Float64Array;
  let active = 0;
  for (let n = 0; n < problem.neurons; n++) {
    const base = n * (FAN_IN + 1);
    let sum = 0;
    for (let i = 0; i < FAN_IN; i++) sum += (problem.params[base + i] as number) * (x[i] as number);
    if (sum + (problem.params[base + FAN_IN] as number) > 0) active++;
  }
  return active / problem.neurons;
}

/** mulberry32: a seeded 32-bit generator, uniform on [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- wasmgrad -------------------------------------------------------------------------------

type Scalar = Node<number>;

interface BuiltGraph {
  graph: Graph;
  inputs: Scalar[];
  params: Scalar[];
}

// Params are unnamed (labelled param#id), as micrograd's Values are.
function buildGraph(problem: Problem): BuiltGraph {
  const g = new Graph();
  const inputs = problem.inputNames.map((name) => g.input(name));
  const params: Scalar[] = [];
  let output: Scalar | null = null;
  for (let n = 0; n < problem.neurons; n++) {
    const base = n * (FAN_IN + 1);
    for (let i = 0; i < FAN_IN; i++) params.push(g.param(problem.params[base + i] as number));
    params.push(g.param(problem.params[base + FAN_IN] as number));
    let sum = g.mul(params[base] as Scalar, inputs[0] as Scalar);
    for (let i = 1; i < FAN_IN; i++) sum = g.add(sum, g.mul(params[base + i] as Scalar, inputs[i] as Scalar));
    const neuron = g.relu(g.add(sum, params[base + FAN_IN] as Scalar));
    output = output === null ? neuron : g.add(output, neuron);
  }
  g.output(output as Scalar);
  return { graph: g, inputs, params };
}

function wasmgradCases(problem: Problem, nodes: number): Case[] {
  let built: BuiltGraph | null = null;
  const drop = () => {
    built?.graph.dispose();
    built = null;
  };
  let pass = 0;
  const nextInputs = () => problem.inputRecords[pass++ % INPUT_SETS] as Record<string, number>;
  return [
    {
      name: 'wasmgrad build',
      units: nodes,
      prepare: drop,
      run: () => {
        built = buildGraph(problem);
      },
      teardown: drop,
    },
    {
      name: 'wasmgrad compile + first forward',
      units: nodes,
      prepare: () => {
        drop();
        built = buildGraph(problem);
      },
      run: () => {
        built?.graph.forward(nextInputs());
      },
      teardown: drop,
    },
    {
      name: 'wasmgrad forward + backward',
      units: nodes,
      warmup: 5,
      runs: 20,
      setup: () => {
        built = buildGraph(problem);
        built.graph.forward(nextInputs());
      },
      run: () => {
        const graph = (built as BuiltGraph).graph;
        graph.forward(nextInputs());
        graph.backward();
      },
      teardown: drop,
    },
  ];
}

// ---- micrograd ------------------------------------------------------------------------------

function makeParams(problem: Problem): Value[] {
  return Array.from(problem.params, (value) => new Value(value));
}

/** The define-by-run forward: building the graph is computing it. */
function buildValues(problem: Problem, params: readonly Value[], x: Float64Array): { output: Value; inputs: Value[] } {
  const inputs = Array.from(x, (value) => new Value(value));
  let output: Value | null = null;
  for (let n = 0; n < problem.neurons; n++) {
    const base = n * (FAN_IN + 1);
    let sum = (params[base] as Value).mul(inputs[0] as Value);
    for (let i = 1; i < FAN_IN; i++) sum = sum.add((params[base + i] as Value).mul(inputs[i] as Value));
    const neuron = sum.add(params[base + FAN_IN] as Value).relu();
    output = output === null ? neuron : output.add(neuron);
  }
  return { output: output as Value, inputs };
}

function microgradCases(problem: Problem, nodes: number): Case[] {
  let params: Value[] = [];
  let output: Value | null = null;
  let pass = 0;
  const nextInputs = () => problem.inputSets[pass++ % INPUT_SETS] as Float64Array;
  const zeroGrads = () => {
    for (const param of params) param.grad = 0;
  };
  const drop = () => {
    params = [];
    output = null;
  };
  return [
    {
      name: 'micrograd build (+ forward)',
      units: nodes,
      warmup: 2,
      runs: 9,
      prepare: drop,
      run: () => {
        params = makeParams(problem);
        output = buildValues(problem, params, nextInputs()).output;
      },
      teardown: drop,
    },
    {
      name: 'micrograd backward',
      units: nodes,
      warmup: 2,
      runs: 9,
      setup: () => {
        params = makeParams(problem);
      },
      prepare: () => {
        output = null;
        zeroGrads();
        output = buildValues(problem, params, nextInputs()).output;
      },
      run: () => {
        output?.backward();
      },
      teardown: drop,
    },
    {
      name: 'micrograd iteration (build + backward)',
      units: nodes,
      warmup: 2,
      runs: 9,
      setup: () => {
        params = makeParams(problem);
      },
      prepare: () => {
        output = null;
      },
      run: () => {
        zeroGrads();
        output = buildValues(problem, params, nextInputs()).output;
        output.backward();
      },
      teardown: drop,
    },
  ];
}

// ---- agreement ------------------------------------------------------------------------------

/** Same node count, same output, same gradients (to TOLERANCE, relative) on both sides; throws if not. */
function check(problem: Problem, nodes: number): void {
  const built = buildGraph(problem);
  const { graph } = built;
  const wasmOutput = graph.forward(problem.inputRecords[0]) as number;
  graph.backward();

  const params = makeParams(problem);
  const { output, inputs } = buildValues(problem, params, problem.inputSets[0] as Float64Array);
  output.backward();

  const mismatches: string[] = [];
  const compare = (what: string, ours: number, theirs: number) => {
    if (!(Math.abs(ours - theirs) <= TOLERANCE * Math.max(Math.abs(ours), Math.abs(theirs)))) {
      mismatches.push(`${what}: wasmgrad ${ours}, micrograd ${theirs}`);
    }
  };
  const microgradNodes = output.topologicalOrder().length;
  if (graph.size !== nodes || microgradNodes !== nodes) {
    mismatches.push(`node count: expected ${nodes}, wasmgrad ${graph.size}, micrograd ${microgradNodes}`);
  }
  compare('output', wasmOutput, output.data);
  for (let i = 0; i < FAN_IN; i++) {
    compare(`d output/d x${i}`, graph.grad(built.inputs[i] as Scalar), (inputs[i] as Value).grad);
  }
  for (const n of [0, problem.neurons >> 1, problem.neurons - 1]) {
    const base = n * (FAN_IN + 1);
    for (const k of [0, FAN_IN - 1, FAN_IN]) {
      const param = built.params[base + k] as Scalar;
      compare(`d output/d ${param.toString()}`, graph.grad(param), (params[base + k] as Value).grad);
    }
  }
  graph.dispose();
  if (mismatches.length > 0) throw new Error(`scalar-graph: wasmgrad and micrograd disagree:\n  ${mismatches.join('\n  ')}`);
}
