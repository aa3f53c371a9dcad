// The consumer's whole Vite configuration: three pages, workers as ES modules.
export default {
  logLevel: 'warn',
  build: {
    outDir: 'out',
    emptyOutDir: true,
    rolldownOptions: {
      input: { asset: 'asset.html', worker: 'worker.html', inline: 'inline.html' },
      // Rolldown reports slow plugins as a warning, which a busy machine triggers; the test
      // wants no warning about the package, and build times are not one.
      checks: { bundlerTimings: false },
    },
  },
  worker: { format: 'es' },
};
