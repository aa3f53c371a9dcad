// One loaded core per JavaScript realm (a process's main thread, a page, a worker). An
// app that both imports and requires wasmgrad, or bundles it twice, runs two copies of
// this package's modules; with state of their own, the copy init() was not called on
// would say "not initialized", and two instances would split linear memory. So the
// copies of one version keep what init() loads in one object on globalThis, under a
// registered symbol that both can name. Another version has its own (its wasm ABI may
// differ). Tensors, Graphs and gates stay with the copy that made them.
import type { WasmExports } from './abi';
import type { ThreadPool } from './threads';

/** What the loaded (or loading) core was asked to be, for comparing later init() calls with. */
export interface LoadedWith {
  /** The binary init() was given; null for the package's own builds. */
  wasm: unknown;
  /** The URL of the package's own build it picked, once picked (the inline entry's are bytes: null). */
  picked: string | null;
  /** The build: known at once for the package's own, after loading for a given binary. */
  simd: 'relaxed' | 'plain' | null;
  /** Threads asked for (the cores available by default; 1 where memory cannot be shared), once known. */
  threads: number | null;
}

export interface Core {
  /** The instance's exports, once loaded. */
  exports: WasmExports | null;
  /** The GEMM threads, when the threaded build runs with more than one. */
  pool: ThreadPool | null;
  /** The load under way or done: every init() that agrees with it returns this promise. */
  loading: Promise<void> | null;
  /** The compiled module: nn.worker sends it to its worker. */
  module: WebAssembly.Module | null;
  loadedWith: LoadedWith | null;
  /** Tensors users made and have not freed, in every copy, and their bytes: memoryStats(). */
  userTensors: number;
  userTensorBytes: number;
}

// Replaced with the package's version by the build (rollup.config.mjs). From the sources
// (tests, tsx) it is not defined, and every copy of the sources shares one key.
declare const __WASMGRAD_VERSION__: string | undefined;
export const version = typeof __WASMGRAD_VERSION__ === 'string' ? __WASMGRAD_VERSION__ : 'source';

const key = Symbol.for(`wasmgrad ${version}: the loaded core`);
const scope = globalThis as unknown as Record<symbol, Core | undefined>;

scope[key] ??= { exports: null, pool: null, loading: null, module: null, loadedWith: null, userTensors: 0, userTensorBytes: 0 };

/** The state every copy of this version in this realm shares. */
export const core: Core = scope[key];
