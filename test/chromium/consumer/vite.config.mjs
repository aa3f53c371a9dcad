// The consumer's whole Vite configuration: three pages, workers as ES modules.
export default {
  logLevel: 'warn',
  build: {
    outDir: 'out',
    emptyOutDir: true,
    rolldownOptions: { input: { asset: 'asset.html', worker: 'worker.html', inline: 'inline.html' } },
  },
  worker: { format: 'es' },
};
