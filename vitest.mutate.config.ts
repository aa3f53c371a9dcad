import { relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { inlineWasm } from './scripts/wasm-plugins.mjs';

// The specs that judge a mutant, for StrykerJS (`npm run mutate`, stryker.config.mjs) and
// for the kernel mutations (`npm run mutate:kernels`, scripts/mutate-kernels.mjs): the
// `node` project of vitest.config.ts alone, on the plain build. Not the browser projects
// (a Chromium per mutant would cost minutes for no new verdict: the same specs on the same
// host code), not node-relaxed (same host code, the other build of the kernels) and not
// dist (the built package, which neither tool rebuilds).
/**
 * Spec files quickest first, by their time in this process's last run (the dry run times
 * them all), else smallest first. Stryker stops a mutant's run at its first failing test,
 * and vitest's own order (slowest first) would start most runs with test/worker.test.ts's
 * worker threads, seconds per test, when a spec of a few milliseconds would kill the mutant.
 */
class QuickestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cost = (file: TestSpecification): [number, number] => {
      const key = `${file.project.name}:${relative(this.ctx.config.root, file.moduleId)}`;
      return [this.ctx.cache.getFileTestResults(key)?.duration ?? Number.POSITIVE_INFINITY, this.ctx.cache.getFileStats(key)?.size ?? 0];
    };
    return [...files].sort((a, b) => {
      const [durationA, sizeA] = cost(a);
      const [durationB, sizeB] = cost(b);
      return durationA - durationB || sizeA - sizeB;
    });
  }
}

export default defineConfig({
  plugins: [inlineWasm()],
  test: {
    name: 'node',
    include: ['test/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // These load dist/ (packed, or in fresh Node processes): a mutant never reaches them,
      // so they could only slow every run down.
      'test/package.test.ts',
      'test/package-types.test.ts',
      'test/worker-package.test.ts',
      // 2.1 GiB of linear memory for memoryStats(), and the threaded build's GEMM with a
      // child process: neither touches src/nn, src/graph, src/gates or src/worker, and the
      // kernel mutations rebuild the plain single-threaded core only.
      'test/memory-large.test.ts',
      'test/threads.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
    provide: { simd: 'plain' },
    sequence: { sequencer: QuickestFirst },
  },
});
