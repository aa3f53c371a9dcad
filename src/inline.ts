// The `wasmgrad/inline` entry: the wasm binaries embedded as base64, for bundlers and
// pages that cannot serve a separate .wasm file.
import { plain, relaxed } from 'wasmgrad:inline-binary';
import type { InitOptions } from './index';
import { chooseRelaxed } from './wasm/binaries';
import { initFrom } from './wasm/load';

export * from './public';
export type { InitOptions };

/**
 * Loads the embedded wasm core. Idempotent: every call returns the same promise. The
 * embedded builds are the single-threaded ones (the threaded pair would double the
 * bundle); `threads` applies when `wasm` is a threaded build.
 */
export function init(options: InitOptions = {}): Promise<void> {
  return initFrom(options.wasm ?? (() => (chooseRelaxed(options.simd) ? relaxed() : plain())), options);
}
