// The main entry, bundled: Vite must carry the .wasm that dist/ finds through import.meta.url.
import * as w from 'wasmgrad';
import { check } from './check.js';

const threads = Number(new URLSearchParams(location.search).get('threads')) || undefined;
globalThis.wasmgradResult = check(w, 'auto', threads).then(
  (result) => ({ ...result, violations: [] }),
  (error) => ({ error: String(error?.stack ?? error), violations: [] }),
);
