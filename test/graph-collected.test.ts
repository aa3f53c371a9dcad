// A Graph dropped without dispose(): once the garbage collector takes it, the linear memory
// its program held (values, gradients, tapes) is freed. Node only: the collector is run
// here by V8's gc(), which node:v8 exposes on request and a page does not have.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, init, memoryStats } from '../src/index';

beforeAll(() => init());

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects, and lets the finalizers run (they run as tasks of their own), until `done` or ten rounds. */
async function collect(done: () => boolean): Promise<void> {
  for (let round = 0; round < 10 && !done(); round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Builds a graph, runs it forward and backward, and drops it; the blocks its program holds. */
function runAndDrop(build: (g: Graph) => Record<string, number | Float64Array>): number {
  const before = memoryStats().blocks;
  const g = new Graph({ dtype: 'float64' });
  g.forward(build(g));
  g.backward();
  return memoryStats().blocks - before;
}

describe('a Graph that is never disposed', () => {
  it.each([
    [
      'of numbers',
      (g: Graph) => {
        const x = g.input('x');
        g.mul(x, g.exp(x));
        return { x: 0.5 };
      },
    ],
    [
      'with tensors',
      (g: Graph) => {
        const x = g.input('x', [2, 3]);
        g.sum(g.mul(x, g.exp(x)));
        return { x: Float64Array.of(1, 2, 3, 4, 5, 6) };
      },
    ],
  ])('%s: its program’s memory is freed once the graph is collected', async (_, build) => {
    const before = memoryStats();
    // Values, the forward tape and a backward tape.
    expect(runAndDrop(build)).toBe(3);
    await collect(() => memoryStats().blocks === before.blocks);
    expect(memoryStats().blocks).toBe(before.blocks);
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
  });
});
