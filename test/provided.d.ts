import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The build of the core the project runs (vitest.config.ts provides it). */
    simd: 'plain' | 'relaxed';
  }
}
