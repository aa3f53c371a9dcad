import { expect } from 'vitest';
import {
  AddGate,
  DivGate,
  EluGate,
  ExpGate,
  type Graph,
  LeakyReluGate,
  LogGate,
  MaxGate,
  MultiplyGate,
  NegGate,
  type Node,
  OffsetGate,
  PowGate,
  ReciprocalGate,
  ReluGate,
  ScaleGate,
  SigmoidGate,
  SoftplusGate,
  SubGate,
  TanhGate,
  type WasmgradError,
} from '../src/index';
import type { GateOpName } from '../src/ops';

/** A WasmgradError subclass, as a refusal test expects one. */
export type ErrorClass = new (...args: never[]) => WasmgradError;

/** That `call` throws an error of class `kind` whose message is exactly `message`. */
export function expectRefusal(call: () => unknown, kind: ErrorClass, message: string): void {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught, message).toBeInstanceOf(kind);
  expect((caught as Error).message).toBe(message);
}

/** mulberry32: a small seeded generator, so every random test is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Sampler = (random: () => number) => number[];

const anywhere =
  (n: number): Sampler =>
  (random) =>
    Array.from({ length: n }, () => random() * 6 - 3);
/** Values at least 0.1 away from 0, where ReLU-like gates have their kink. */
const offKink: Sampler = (random) => {
  const x = 0.1 + random() * 3;
  return [random() < 0.5 ? -x : x];
};
const positive: Sampler = (random) => [0.2 + random() * 3];

/** An op's value and its local gradient (∂f/∂ each input), in closed form. */
export interface Expected {
  value: number;
  grads: number[];
}

/**
 * The fixed parameters the table builds its gates with. Not the defaults: ELU's α = 1
 * makes (out + α) and (out + 1) the same number, and leaky ReLU's α = 0.1 is also what a
 * rule that ignored the gate's α would use, so tests at the defaults cannot tell a rule
 * that reads α from one that does not. The defaults have tests of their own (PARAMETERS).
 */
export const LEAKY_ALPHA = 0.3;
export const ELU_ALPHA = 0.6;

const sigma = (x: number) => 1 / (1 + Math.exp(-x));
/** ELU in closed form: x for x ≥ 0, α(eˣ − 1) below; its derivative 1, else α·eˣ. */
const elu = (alpha: number) => (x: number) =>
  x >= 0 ? { value: x, grads: [1] } : { value: alpha * Math.expm1(x), grads: [alpha * Math.exp(x)] };
/** Leaky ReLU: x for x > 0, αx below; its derivative 1, else α (at 0 too: "dout where x > 0, else α·dout"). */
const leaky = (alpha: number) => (x: number) => (x > 0 ? { value: x, grads: [1] } : { value: alpha * x, grads: [alpha] });
/** Points on both sides of a kink at 0, near it and far from it. */
const AROUND_ZERO = [[-1.5], [-0.2], [0.3], [2]];

/**
 * Every scalar gate, keyed by its op (a gate the op table has and this table lacks does
 * not compile), the Graph op that runs the same rule, and where to sample inputs
 * (away from kinks and outside nothing of the op's domain). `rule` is the lecture's
 * derivative written out here, independent of assembly/rules.ts; `points` are fixed
 * inputs on both sides of every kink, and `onKink` inputs exactly on one, where `rule`
 * gives what the documentation promises (ReLU: 0 at x = 0; max: a tie goes to x).
 */
const GATE_ROWS = {
  add: {
    name: 'AddGate',
    make: () => new AddGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.add(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
    rule: ([x, y]: number[]) => ({ value: (x as number) + (y as number), grads: [1, 1] }), // add distributes
    points: [
      [-2, 3],
      [1.5, -0.5],
    ],
  },
  sub: {
    name: 'SubGate',
    make: () => new SubGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.sub(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
    rule: ([x, y]: number[]) => ({ value: (x as number) - (y as number), grads: [1, -1] }),
    points: [
      [-2, 3],
      [1.5, -0.5],
    ],
  },
  mul: {
    name: 'MultiplyGate',
    make: () => new MultiplyGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.mul(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
    rule: ([x, y]: number[]) => ({ value: (x as number) * (y as number), grads: [y as number, x as number] }), // mul switches
    points: [
      [-2, 3],
      [1.5, -0.5],
      [-1, -2.5],
    ],
  },
  div: {
    name: 'DivGate',
    make: () => new DivGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.div(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => [random() * 6 - 3, (offKink(random)[0] as number) + Math.sign(random() - 0.5) * 0.4],
    rule: ([x, y]: number[]) => ({ value: (x as number) / (y as number), grads: [1 / (y as number), -(x as number) / (y as number) ** 2] }),
    points: [
      [3, -2],
      [-1.5, 0.5],
    ],
  },
  max: {
    name: 'MaxGate',
    make: () => new MaxGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.max(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => {
      const x = random() * 6 - 3;
      return [x, x + (offKink(random)[0] as number)];
    },
    // max routes: all of the gradient to the larger input; a tie goes to x.
    rule: ([x, y]: number[]) =>
      (x as number) >= (y as number) ? { value: x as number, grads: [1, 0] } : { value: y as number, grads: [0, 1] },
    points: [
      [1, 2],
      [2, 1],
      [-3, -1],
      [-1, -3],
    ],
    onKink: [
      [0.5, 0.5],
      [-2, -2],
    ],
  },
  pow: {
    name: 'PowGate',
    make: () => new PowGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.pow(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => [0.2 + random() * 2, random() * 4 - 2],
    rule: ([x, y]: number[]) => {
      const [b, e] = [x as number, y as number];
      return { value: b ** e, grads: [e * b ** (e - 1), b ** e * Math.log(b)] };
    },
    points: [
      [0.5, 3],
      [2, -0.5],
      [1.5, 2.5],
    ],
  },
  exp: {
    name: 'ExpGate',
    make: () => new ExpGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.exp(x as Node<number>),
    sample: anywhere(1),
    rule: ([x]: number[]) => ({ value: Math.exp(x as number), grads: [Math.exp(x as number)] }),
    points: [[-2], [0.5], [1.5]],
  },
  log: {
    name: 'LogGate',
    make: () => new LogGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.log(x as Node<number>),
    sample: positive,
    rule: ([x]: number[]) => ({ value: Math.log(x as number), grads: [1 / (x as number)] }),
    points: [[0.3], [2.5]],
  },
  recip: {
    name: 'ReciprocalGate',
    make: () => new ReciprocalGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.recip(x as Node<number>),
    sample: offKink,
    rule: ([x]: number[]) => ({ value: 1 / (x as number), grads: [-1 / (x as number) ** 2] }),
    points: [[-2], [0.5]],
  },
  neg: {
    name: 'NegGate',
    make: () => new NegGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.neg(x as Node<number>),
    sample: anywhere(1),
    rule: ([x]: number[]) => ({ value: -(x as number), grads: [-1] }),
    points: [[-1], [2]],
  },
  scale: {
    name: 'ScaleGate',
    make: () => new ScaleGate(-2.5),
    graph: (g: Graph, [x]: Node<number>[]) => g.scale(x as Node<number>, -2.5),
    sample: anywhere(1),
    rule: ([x]: number[]) => ({ value: -2.5 * (x as number), grads: [-2.5] }),
    points: [[-1.5], [2]],
  },
  offset: {
    name: 'OffsetGate',
    make: () => new OffsetGate(1.5),
    graph: (g: Graph, [x]: Node<number>[]) => g.offset(x as Node<number>, 1.5),
    sample: anywhere(1),
    rule: ([x]: number[]) => ({ value: 1.5 + (x as number), grads: [1] }),
    points: [[-1.5], [2]],
  },
  sigmoid: {
    name: 'SigmoidGate',
    make: () => new SigmoidGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.sigmoid(x as Node<number>),
    sample: anywhere(1),
    rule: ([x]: number[]) => {
      const s = sigma(x as number);
      return { value: s, grads: [s * (1 - s)] };
    },
    points: [[-2], [0.3], [1.7]],
  },
  tanh: {
    name: 'TanhGate',
    make: () => new TanhGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.tanh(x as Node<number>),
    sample: anywhere(1),
    rule: ([x]: number[]) => {
      const t = Math.tanh(x as number);
      return { value: t, grads: [1 - t * t] };
    },
    points: [[-2], [0.3], [1.7]],
  },
  relu: {
    name: 'ReluGate',
    make: () => new ReluGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.relu(x as Node<number>),
    sample: offKink,
    rule: ([x]: number[]) => ((x as number) > 0 ? { value: x as number, grads: [1] } : { value: 0, grads: [0] }),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
  softplus: {
    name: 'SoftplusGate',
    make: () => new SoftplusGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.softplus(x as Node<number>),
    sample: anywhere(1),
    // log(1 + eˣ), written out; its derivative is σ(x). Far out on either side: x and 0.
    rule: ([x]: number[]) => ({ value: Math.log1p(Math.exp(x as number)), grads: [sigma(x as number)] }),
    points: [[-30], [-2], [0], [0.7], [25]],
  },
  leakyRelu: {
    name: 'LeakyReluGate',
    make: () => new LeakyReluGate(LEAKY_ALPHA),
    graph: (g: Graph, [x]: Node<number>[]) => g.leakyRelu(x as Node<number>, LEAKY_ALPHA),
    sample: offKink,
    rule: ([x]: number[]) => leaky(LEAKY_ALPHA)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
  elu: {
    name: 'EluGate',
    make: () => new EluGate(ELU_ALPHA),
    graph: (g: Graph, [x]: Node<number>[]) => g.elu(x as Node<number>, ELU_ALPHA),
    sample: offKink,
    rule: ([x]: number[]) => elu(ELU_ALPHA)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
} satisfies Record<GateOpName, unknown>;

/** Every gate's row, in the table's order. */
export const GATES = Object.values(GATE_ROWS);

/** A row of RULES: an op, its gate where it has one, and its closed form. */
export interface RuleCase {
  name: string;
  make?: () => unknown;
  graph: (g: Graph, xs: Node<number>[]) => Node<number>;
  rule: (xs: number[]) => Expected;
  points: readonly (readonly number[])[];
  onKink?: readonly (readonly number[])[];
}

/**
 * The ops with a fixed number at more of its values: each at its default (called
 * without it) and away from it, and pow with a number exponent, which only the Graph has.
 */
export const PARAMETERS: readonly RuleCase[] = [
  ...[0.5, -1].map((a) => ({
    name: `scale(x, ${a})`,
    make: () => new ScaleGate(a),
    graph: (g: Graph, [x]: Node<number>[]) => g.scale(x as Node<number>, a),
    rule: ([x]: number[]) => ({ value: a * (x as number), grads: [a] }),
    points: [[-1.5], [2]],
  })),
  {
    name: 'offset(x, -3)',
    make: () => new OffsetGate(-3),
    graph: (g: Graph, [x]: Node<number>[]) => g.offset(x as Node<number>, -3),
    rule: ([x]: number[]) => ({ value: (x as number) - 3, grads: [1] }),
    points: [[-1.5], [2]],
  },
  ...[-1.5, -1, 0.5, 2, 3].map((p) => ({
    name: `pow(x, ${p})`,
    graph: (g: Graph, [x]: Node<number>[]) => g.pow(x as Node<number>, p),
    rule: ([x]: number[]) => ({ value: (x as number) ** p, grads: [p * (x as number) ** (p - 1)] }),
    points: [[0.4], [1.7]],
  })),
  {
    name: 'leakyRelu(x), α = 0.1 by default',
    make: () => new LeakyReluGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.leakyRelu(x as Node<number>),
    rule: ([x]: number[]) => leaky(0.1)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
  {
    name: 'leakyRelu(x, 0.01)',
    make: () => new LeakyReluGate(0.01),
    graph: (g: Graph, [x]: Node<number>[]) => g.leakyRelu(x as Node<number>, 0.01),
    rule: ([x]: number[]) => leaky(0.01)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
  {
    name: 'elu(x), α = 1 by default',
    make: () => new EluGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.elu(x as Node<number>),
    rule: ([x]: number[]) => elu(1)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
  {
    name: 'elu(x, 2)',
    make: () => new EluGate(2),
    graph: (g: Graph, [x]: Node<number>[]) => g.elu(x as Node<number>, 2),
    rule: ([x]: number[]) => elu(2)(x as number),
    points: AROUND_ZERO,
    onKink: [[0]],
  },
];

/** Every elementwise op with its closed form: the gates' table, then PARAMETERS. */
export const RULES: readonly RuleCase[] = [...GATES, ...PARAMETERS];

/** The ops of RULES that have a gate. */
export const RULE_GATES = RULES.filter((r): r is RuleCase & { make: () => unknown } => r.make !== undefined);

/** `actual` within rel·max(1, |expected|) of `expected`; `what` names the number in a failure. */
export function expectNear(actual: number, expected: number, rel: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual}, expected ${expected}`).toBeLessThanOrEqual(
    rel * Math.max(1, Math.abs(expected)),
  );
}

/**
 * The multiclass SVM loss as the lecture writes it, in float64: the mean over rows of
 * Σ_{c ≠ y} max(0, s_c − s_y + margin), and its gradient (a class strictly past the margin
 * adds 1/rows to its score's gradient and takes 1/rows from the correct one's; a class
 * exactly on it adds max(0, 0) = 0, and nothing). `ties` counts the classes on the margin.
 */
export function svmReference(scores: number[][], labels: readonly number[], margin: number) {
  const rows = scores.length;
  let loss = 0;
  let ties = 0;
  const grad = scores.map((row) => row.map(() => 0));
  scores.forEach((row, i) => {
    const y = labels[i] as number;
    const g = grad[i] as number[];
    row.forEach((s, c) => {
      if (c === y) return;
      const m = s - (row[y] as number) + margin;
      if (m === 0) ties++;
      if (m > 0) {
        loss += m;
        g[c] = (g[c] as number) + 1 / rows;
        g[y] = (g[y] as number) - 1 / rows;
      }
    });
  });
  return { loss: loss / rows, grad, ties };
}
