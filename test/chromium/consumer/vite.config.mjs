// The consumer's whole Vite configuration: four pages, workers as ES modules.

// Rolldown reports slow plugins (PLUGIN_TIMINGS) as a warning, which a busy machine
// triggers; the test wants no warning about the package, and build times are not one.
// Both the pages' build and the workers' (a bundle of their own) are told.
const quietTimings = {
  checks: { bundlerTimings: false },
  onLog(level, log, handler) {
    if (log.code !== 'PLUGIN_TIMINGS') handler(level, log);
  },
};

export default {
  logLevel: 'warn',
  build: {
    outDir: 'out',
    emptyOutDir: true,
    rolldownOptions: {
      input: { asset: 'asset.html', worker: 'worker.html', inline: 'inline.html', onnx: 'onnx.html' },
      ...quietTimings,
    },
  },
  worker: { format: 'es', rolldownOptions: quietTimings },
};
