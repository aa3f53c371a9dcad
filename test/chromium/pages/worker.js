// A module Worker: loads dist/<entry>.js, runs check.js and posts the outcome back.
const params = new URLSearchParams(location.search);
const violations = [];
self.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

try {
  const [w, { check }] = await Promise.all([import(`/dist/${params.get('entry')}.js`), import('./check.js')]);
  const threads = params.has('threads') ? Number(params.get('threads')) : undefined;
  const result = await check(w, params.get('simd') ?? 'auto', threads);
  self.postMessage({ ...result, inWorker: typeof document === 'undefined', violations });
} catch (error) {
  self.postMessage({ error: String(error?.stack ?? error), violations });
}
