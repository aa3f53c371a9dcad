import * as w from 'wasmgrad';
import { check } from './check.js';

self.onmessage = ({ data }) =>
  check(w, 'auto', data.threads).then(
    (result) => self.postMessage({ ...result, inWorker: typeof document === 'undefined' }),
    (error) => self.postMessage({ error: String(error?.stack ?? error) }),
  );
