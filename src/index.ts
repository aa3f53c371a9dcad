// The main entry: the wasm binaries are separate files beside this module, fetched (or,
// in Node, read) when init() is first called.
import { chooseRelaxed, type SimdChoice } from './wasm/binaries';
import { initFrom, type LoadOptions, type WasmSource } from './wasm/load';

export * from './public';

const plain = new URL('../build/wasmgrad.wasm', import.meta.url);
const relaxed = new URL('../build/wasmgrad-relaxed.wasm', import.meta.url);
const threadsPlain = new URL('../build/wasmgrad-threads.wasm', import.meta.url);
const threadsRelaxed = new URL('../build/wasmgrad-threads-relaxed.wasm', import.meta.url);

export interface InitOptions extends LoadOptions {
  /** Load this binary instead of the packaged one. */
  wasm?: WasmSource;
  /** 'auto' (default): the relaxed-SIMD build where the engine supports it. */
  simd?: SimdChoice;
}

/** Loads the wasm core. Idempotent: every call returns the same promise. */
export function init(options: InitOptions = {}): Promise<void> {
  const pick = (threaded: boolean) =>
    chooseRelaxed(options.simd) ? (threaded ? threadsRelaxed : relaxed) : threaded ? threadsPlain : plain;
  return initFrom(options.wasm ?? pick, options);
}
