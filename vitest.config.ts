import { defineConfig } from 'vitest/config';
import { inlineWasm } from './scripts/wasm-plugins.mjs';

// The same specs run on both builds of the core: plain SIMD128 in a default Node, and
// relaxed SIMD (FMA) where Node is started with the flag that enables it.
const node = { include: ['test/**/*.test.ts'], environment: 'node' as const, testTimeout: 60_000 };

export default defineConfig({
  test: {
    projects: [
      { plugins: [inlineWasm()], test: { ...node, name: 'node', env: { WASMGRAD_EXPECT_SIMD: 'plain' } } },
      {
        plugins: [inlineWasm()],
        test: {
          ...node,
          name: 'node-relaxed',
          env: { WASMGRAD_EXPECT_SIMD: 'relaxed' },
          execArgv: ['--experimental-wasm-relaxed-simd'],
        },
      },
    ],
  },
});
