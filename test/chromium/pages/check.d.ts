import type { Outcome } from '../harness';

/** Runs the checks on a loaded wasmgrad entry (its module namespace). */
export function check(w: object, simd: 'auto' | 'plain', threads?: number): Promise<Omit<Outcome, 'error' | 'violations' | 'inWorker'>>;
