import * as w from 'wasmgrad';
import { check } from './check.js';

check(w, 'auto').then(
  (result) => self.postMessage({ ...result, inWorker: typeof document === 'undefined' }),
  (error) => self.postMessage({ error: String(error?.stack ?? error) }),
);
