// The inline entry, bundled: the wasm travels inside the JavaScript.
import * as w from 'wasmgrad/inline';
import { check } from './check.js';

globalThis.wasmgradResult = check(w, 'auto').then(
  (result) => ({ ...result, violations: [] }),
  (error) => ({ error: String(error?.stack ?? error), violations: [] }),
);
