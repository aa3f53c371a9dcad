// The main entry: the wasm binaries are separate files beside this module, fetched (or,
// in Node, read) when init() is first called.
import { type InitOptions, initFrom } from './wasm/load';

export * from './public';
export type { InitOptions };

const plain = new URL('../build/wasmgrad.wasm', import.meta.url);
const relaxed = new URL('../build/wasmgrad-relaxed.wasm', import.meta.url);
const threadsPlain = new URL('../build/wasmgrad-threads.wasm', import.meta.url);
const threadsRelaxed = new URL('../build/wasmgrad-threads-relaxed.wasm', import.meta.url);

/**
 * Loads the wasm core. Idempotent: every call returns the same promise — also from another
 * copy of the package in the same page or process (one imported, one required). A call
 * whose options disagree with the core already loaded or loading (another `threads`,
 * `simd` or `wasm`) rejects with a StateError; options left out agree with anything.
 */
export function init(options: InitOptions = {}): Promise<void> {
  return initFrom(options, (isRelaxed, threaded) => (isRelaxed ? (threaded ? threadsRelaxed : relaxed) : threaded ? threadsPlain : plain));
}
