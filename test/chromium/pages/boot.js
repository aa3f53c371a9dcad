// page.html?entry=index|inline&where=page|worker&simd=auto|plain[&threads=n] loads dist/<entry>.js in
// the page itself or in a module Worker, runs check.js there and leaves the outcome, with
// any Content-Security-Policy violations, in globalThis.wasmgradResult.
const params = new URLSearchParams(location.search);
const entry = params.get('entry');
const where = params.get('where');
const simd = params.get('simd') ?? 'auto';
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

async function inPage() {
  const [w, { check }] = await Promise.all([import(`/dist/${entry}.js`), import('./check.js')]);
  return check(w, simd, threads);
}

function inWorker() {
  return new Promise((resolve) => {
    const worker = new Worker(`worker.js?${params}`, { type: 'module' });
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => resolve({ error: `the worker failed to start: ${event.message ?? 'no message'}` });
  });
}

const outcome = where === 'worker' ? inWorker() : inPage().catch((error) => ({ error: String(error?.stack ?? error) }));
globalThis.wasmgradResult = outcome.then((result) => ({ ...result, violations: [...violations, ...(result.violations ?? [])] }));
