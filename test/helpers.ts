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
  SubGate,
  TanhGate,
} from '../src/index';

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

/**
 * The fixed parameters the table builds its gates with. Not the defaults: ELU's α = 1
 * makes (out + α) and (out + 1) the same number, and leaky ReLU's α = 0.1 is also what a
 * rule that ignored the gate's α would use, so tests at the defaults cannot tell a rule
 * that reads α from one that does not.
 */
export const LEAKY_ALPHA = 0.3;
export const ELU_ALPHA = 0.6;

/**
 * Every scalar gate, the Graph op that runs the same rule, and where to sample inputs
 * (away from kinks and outside nothing of the op's domain).
 */
export const GATES = [
  {
    name: 'AddGate',
    make: () => new AddGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.add(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
  },
  {
    name: 'SubGate',
    make: () => new SubGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.sub(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
  },
  {
    name: 'MultiplyGate',
    make: () => new MultiplyGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.mul(x as Node<number>, y as Node<number>),
    sample: anywhere(2),
  },
  {
    name: 'DivGate',
    make: () => new DivGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.div(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => [random() * 6 - 3, (offKink(random)[0] as number) + Math.sign(random() - 0.5) * 0.4],
  },
  {
    name: 'MaxGate',
    make: () => new MaxGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.max(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => {
      const x = random() * 6 - 3;
      return [x, x + (offKink(random)[0] as number)];
    },
  },
  {
    name: 'PowGate',
    make: () => new PowGate(),
    graph: (g: Graph, [x, y]: Node<number>[]) => g.pow(x as Node<number>, y as Node<number>),
    sample: (random: () => number) => [0.2 + random() * 2, random() * 4 - 2],
  },
  { name: 'ExpGate', make: () => new ExpGate(), graph: (g: Graph, [x]: Node<number>[]) => g.exp(x as Node<number>), sample: anywhere(1) },
  { name: 'LogGate', make: () => new LogGate(), graph: (g: Graph, [x]: Node<number>[]) => g.log(x as Node<number>), sample: positive },
  {
    name: 'ReciprocalGate',
    make: () => new ReciprocalGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.recip(x as Node<number>),
    sample: offKink,
  },
  { name: 'NegGate', make: () => new NegGate(), graph: (g: Graph, [x]: Node<number>[]) => g.neg(x as Node<number>), sample: anywhere(1) },
  {
    name: 'ScaleGate',
    make: () => new ScaleGate(-2.5),
    graph: (g: Graph, [x]: Node<number>[]) => g.scale(x as Node<number>, -2.5),
    sample: anywhere(1),
  },
  {
    name: 'OffsetGate',
    make: () => new OffsetGate(1.5),
    graph: (g: Graph, [x]: Node<number>[]) => g.offset(x as Node<number>, 1.5),
    sample: anywhere(1),
  },
  {
    name: 'SigmoidGate',
    make: () => new SigmoidGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.sigmoid(x as Node<number>),
    sample: anywhere(1),
  },
  {
    name: 'TanhGate',
    make: () => new TanhGate(),
    graph: (g: Graph, [x]: Node<number>[]) => g.tanh(x as Node<number>),
    sample: anywhere(1),
  },
  { name: 'ReluGate', make: () => new ReluGate(), graph: (g: Graph, [x]: Node<number>[]) => g.relu(x as Node<number>), sample: offKink },
  {
    name: 'LeakyReluGate',
    make: () => new LeakyReluGate(LEAKY_ALPHA),
    graph: (g: Graph, [x]: Node<number>[]) => g.leakyRelu(x as Node<number>, LEAKY_ALPHA),
    sample: offKink,
  },
  {
    name: 'EluGate',
    make: () => new EluGate(ELU_ALPHA),
    graph: (g: Graph, [x]: Node<number>[]) => g.elu(x as Node<number>, ELU_ALPHA),
    sample: offKink,
  },
] as const;
