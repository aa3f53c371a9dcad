// A module Worker that Vite bundles on its own, with wasmgrad and its .wasm inside.
const worker = new Worker(new URL('./in-worker.js', import.meta.url), { type: 'module' });
worker.postMessage({ threads: Number(new URLSearchParams(location.search).get('threads')) || undefined });

globalThis.wasmgradResult = new Promise((resolve) => {
  worker.onmessage = (event) => resolve({ ...event.data, violations: [] });
  worker.onerror = (event) => resolve({ error: `the worker failed to start: ${event.message ?? 'no message'}`, violations: [] });
});
