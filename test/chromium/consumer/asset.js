// The main entry, bundled: Vite must carry the .wasm that dist/ finds through import.meta.url.
import * as w from 'wasmgrad';
import { check } from './check.js';

globalThis.wasmgradResult = check(w, 'auto').then(
  (result) => ({ ...result, violations: [] }),
  (error) => ({ error: String(error?.stack ?? error), violations: [] }),
);
