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
  const text = document.getElementById('backend') as HTMLElement;
  text.textContent = `Everything runs here, in your browser, on ${threads === 1 ? 'one' : threads} of this device's processor cores.`;
  text.dataset.threads = String(threads);
  text.dataset.simd = simd;
  // The same, in a developer's words, for whoever opens the details.
  const where = globalThis.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated, so one thread';
  (document.getElementById('backend-details') as HTMLElement).textContent =
    `The wasm core's ${simd === 'relaxed' ? 'relaxed SIMD (FMA)' : 'SIMD128'} build, ${threads} GEMM thread${threads === 1 ? '' : 's'} ` +
    `(the page is ${where}); each section trains in its own Web Worker.`;
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
