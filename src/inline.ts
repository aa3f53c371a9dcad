// The `wasmgrad/inline` entry: the wasm binaries embedded as base64, for bundlers and
// pages that cannot serve a separate .wasm file.
import { plain, relaxed } from 'wasmgrad:inline-binary';
import { type InitOptions, initFrom } from './wasm/load';

export * from './public';
export type { InitOptions };

/**
 * Loads the embedded wasm core. Idempotent: every call returns the same promise, as the
 * main entry's init() does, and options that disagree with the loaded core are a
 * StateError. The embedded builds are the single-threaded ones (the threaded pair would
 * double the bundle); `threads` applies when `wasm` is a threaded build.
 */
export function init(options: InitOptions = {}): Promise<void> {
  return initFrom(options, (isRelaxed) => (isRelaxed ? relaxed() : plain()));
}
