// The `wasmgrad/inline` entry: the wasm binary embedded as base64, for bundlers and
// pages that cannot serve a separate .wasm file.
import bytes from 'wasmgrad:inline-binary';
import { initFrom, type WasmSource } from './wasm/load';

export * from './public';

/** Loads the embedded wasm core. Idempotent: every call returns the same promise. */
export function init(options: { wasm?: WasmSource } = {}): Promise<void> {
  return initFrom(options.wasm ?? (() => bytes()));
}
