import { defineConfig } from 'vitest/config';
import { inlineWasm } from './scripts/wasm-plugins.mjs';

export default defineConfig({
  plugins: [inlineWasm()],
  test: {
    projects: [
      {
        plugins: [inlineWasm()],
        test: { name: 'node', include: ['test/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
    ],
  },
});
