// The lecture's circuits as Graphs, each run forward and backward at the lecture's
// numbers: what `npm run draw` draws and test/viz.test.ts checks. Call `init()` first.
import { Graph, type Node } from '../src/index';

export interface LectureExample {
  readonly title: string;
  /** Decimal places to print: the slide's own. */
  readonly precision: number;
  /** A new Graph of the circuit, after forward and backward at the lecture's inputs. */
  build(): Graph;
}

export const LECTURE = {
  xyz: {
    title: 'f(x, y, z) = (x + y)·z at x = −2, y = 5, z = −4',
    precision: 2,
    build() {
      const g = new Graph();
      const [x, y, z] = [g.input('x'), g.input('y'), g.input('z')];
      g.mul(g.add(x, y), z);
      g.forward({ x: -2, y: 5, z: -4 });
      g.backward();
      return g;
    },
  },
  circuit2: {
    title: 'f = 2·(x·y + max(z, w)): add distributes, max routes, mul switches',
    precision: 2,
    build() {
      const g = new Graph();
      const [x, y, z, w] = [g.input('x'), g.input('y'), g.input('z'), g.input('w')];
      g.scale(g.add(g.mul(x, y), g.max(z, w)), 2);
      g.forward({ x: 3, y: -4, z: 2, w: -1 });
      g.backward();
      return g;
    },
  },
  neuron: {
    title: 'the sigmoid neuron f(w, x) = 1 / (1 + e^−(w0·x0 + w1·x1 + w2))',
    precision: 2,
    build() {
      // σ(x) = 1 / (1 + e^−x) out of the primitive gates: ·(−1), exp, +1, 1/x.
      return neuron((g, dot) => g.recip(g.offset(g.exp(g.scale(dot, -1)), 1)));
    },
  },
  'neuron-sigmoid': {
    title: 'the same neuron with one sigmoid gate: σ′ = σ(1 − σ) gives the same gradients',
    precision: 2,
    build() {
      return neuron((g, dot) => g.sigmoid(dot));
    },
  },
  norm: {
    title: 'f(x, W) = ‖W·x‖² at W = [[0.1, 0.5], [−0.3, 0.8]], x = [0.2, 0.4]',
    precision: 3,
    build() {
      const g = new Graph();
      const W = g.input('W', [2, 2]);
      const x = g.input('x', [2, 1]);
      g.l2(g.matmul(W, x));
      g.forward({
        W: [
          [0.1, 0.5],
          [-0.3, 0.8],
        ],
        x: [[0.2], [0.4]],
      });
      g.backward();
      return g;
    },
  },
} as const satisfies Record<string, LectureExample>;

export type LectureName = keyof typeof LECTURE;

/** The lecture's neuron w0·x0 + w1·x1 + w2 through `activation`, run at its numbers. */
function neuron(activation: (g: Graph, dot: Node) => Node): Graph {
  const g = new Graph();
  const [w0, x0, w1, x1, w2] = [g.input('w0'), g.input('x0'), g.input('w1'), g.input('x1'), g.input('w2')];
  activation(g, g.add(g.add(g.mul(w0, x0), g.mul(w1, x1)), w2));
  g.forward({ w0: 2, x0: -1, w1: -3, x1: -2, w2: -3 });
  g.backward();
  return g;
}
