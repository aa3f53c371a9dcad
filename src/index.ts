// The main entry: the wasm binary is a separate file beside this module, fetched (or,
// in Node, read) when init() is first called.
import { initFrom, type WasmSource } from './wasm/load';

export * from './public';

const binary = new URL('../build/wasmgrad.wasm', import.meta.url);

/** Loads the wasm core. Idempotent: every call returns the same promise. */
export function init(options: { wasm?: WasmSource } = {}): Promise<void> {
  return initFrom(options.wasm ?? binary);
}
