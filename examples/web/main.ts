// The examples page: loads the wasm core and the digits once, then wires up its four sections.
import { backend, init } from 'wasmgrad';
import { setupCircuits } from './circuits';
import { setupConvnet } from './convnet';
import { setupMnist } from './mnist';
import { loadDigits } from './mnist-data';
import { setupSpiral } from './spiral';

async function main(): Promise<void> {
  // Threads need a cross-origin isolated page (npm run web serves it with COOP + COEP);
  // elsewhere init() runs one thread, silently.
  await init();
  const { simd, threads } = backend();
  const where = globalThis.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated';
  const text = document.getElementById('backend') as HTMLElement;
  text.textContent = `Core: ${simd === 'relaxed' ? 'relaxed SIMD (FMA)' : 'SIMD128'}, ${threads} thread${threads === 1 ? '' : 's'} (${where}).`;
  text.dataset.threads = String(threads);
  setupCircuits();
  const digits = await loadDigits();
  const [spiral, mnist, cnn] = await Promise.all([setupSpiral(), setupMnist(digits), setupConvnet(digits)]);
  // For the Chromium tests: the weights' hash of each trained section (reset restores them bit for bit).
  (globalThis as { examplesPage?: unknown }).examplesPage = { spiral, mnist, cnn };
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => {
  console.error(error);
  const text = document.getElementById('backend');
  if (text) text.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
});
