// nn.worker's script from the TypeScript sources, for the Node projects: tsx compiles
// them as they load (a browser gets src/worker/worker.ts from Vite directly).
import { register } from 'tsx/esm/api';

register();
await import('../../src/worker/worker.ts');
