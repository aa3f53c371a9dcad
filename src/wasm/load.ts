// Loading the module the same way everywhere: Node reads the file, browsers and workers
// fetch and compile while the bytes stream in. init() is idempotent and safe to call
// concurrently: every caller awaits the same promise. There is one core per realm, shared
// by every copy of the package (shared.ts): a later init() whose options disagree with
// the one that loaded it is refused, not silently ignored.
import { instantiate } from '@assemblyscript/loader';
import { StateError, ValueError, WasmgradError } from '../errors';
import type { WasmExports } from './abi';
import { chooseRelaxed, type SimdChoice } from './binaries';
import { isReady, setInstance, setThreads } from './instance';
import { core, type LoadedWith } from './shared';
import { THREAD_KERNELS } from './split';
import { SHARED_MAX_PAGES, ThreadPool } from './threads';

/** Where the binary comes from: a URL or path, the bytes, or a compiled module. */
export type WasmSource = URL | string | ArrayBuffer | ArrayBufferView | CompiledModule | Response;

/**
 * `WebAssembly.Module`, named without the namespace so that the published declarations
 * also type-check in a program whose lib does not declare it (Node with `lib: ["ES2022"]`
 * and @types/node, which declares URL and Response but not WebAssembly): there it is
 * `never`, and elsewhere exactly WebAssembly.Module.
 */
export type CompiledModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never) => infer M } } ? M : never;

/** The compiled module init() loaded, or null before it has: nn.worker sends it to its worker, so both run the same binary. */
export function loadedModule(): WebAssembly.Module | null {
  return core.module;
}

export interface LoadOptions {
  /**
   * Threads for large matrix products, the caller's included (default: the cores
   * available). More than one needs shared memory: Node, or a cross-origin isolated
   * page; elsewhere it is one thread, silently.
   */
  threads?: number;
  /** Where thread-worker.js is, when a bundler has moved it away from this module. */
  threadWorker?: string | URL;
}

export interface InitOptions extends LoadOptions {
  /** Load this binary instead of the packaged one. */
  wasm?: WasmSource;
  /** 'auto' (default): the relaxed-SIMD build where the engine supports it. */
  simd?: SimdChoice;
}

/** The package's own binaries, as each entry finds them: relaxed SIMD or plain, threaded or not. */
export type Packaged = (relaxed: boolean, threaded: boolean) => WasmSource;

/**
 * Loads the core once per realm. `options.wasm`, when given, is the binary; else
 * `packaged` picks one (the worker script has no packaged binaries: it is sent the module).
 * A call while a core is loaded or loading returns that load's promise, or rejects with a
 * StateError when its options ask for another core.
 */
export function initFrom(options: InitOptions, packaged?: Packaged): Promise<void> {
  const asked = options.threads;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1)) {
    return Promise.reject(new ValueError(`init: threads must be a positive integer, got ${String(asked)}`));
  }
  const { wasm, simd } = options;
  if (wasm === undefined && packaged === undefined) return Promise.reject(new ValueError('init: no wasm binary to load'));
  if (core.loading !== null && core.loadedWith !== null) return agreeing(core.loading, core.loadedWith, options);
  const relaxed = wasm === undefined && chooseRelaxed(simd);
  const build = relaxed ? 'relaxed' : 'plain';
  const wanted: LoadedWith = { wasm: wasm ?? null, picked: null, simd: wasm === undefined ? build : null, threads: null };
  const shares = sharedMemorySupported();
  if (!shares || asked !== undefined) wanted.threads = shares ? (asked as number) : 1;
  const loading = (async () => {
    wanted.threads ??= await coresAvailable();
    const threads = wanted.threads;
    const source = wasm ?? (packaged as Packaged)(relaxed, threads > 1);
    if (wasm === undefined) wanted.picked = hrefOf(source);
    const module = await compile(source);
    // The threaded build imports its memory: one shared memory for every thread.
    const shared = WebAssembly.Module.imports(module).some((entry) => entry.kind === 'memory');
    let memory: WebAssembly.Memory | null = shared ? new WebAssembly.Memory({ initial: 2, maximum: SHARED_MAX_PAGES, shared: true }) : null;
    const { exports } = await instantiate<Record<string, unknown>>(module, {
      env: {
        ...(memory ? { memory } : {}),
        abort(message: number, file: number, line: number, column: number) {
          const text = (ptr: number) => (memory ? readString(memory, ptr) : '?');
          throw new WasmgradError(`wasm: ${text(message)} (${text(file)}:${line}:${column})`);
        },
      },
    });
    const raw = exports as unknown as WasmExports & Record<string, unknown>;
    memory = raw.memory;
    wanted.simd = raw.RELAXED_SIMD.value ? 'relaxed' : 'plain';
    const pool =
      shared && threads > 1
        ? await ThreadPool.start({
            module,
            memory,
            threads,
            url: options.threadWorker,
            exports: raw,
            kernels: THREAD_KERNELS,
            buffers: ['GEMM_PACK_A_BYTES', 'GEMM_PACK_B_BYTES', 'GEMM_EDGE_BYTES'].map((name) => global(raw, name)),
            allocate: (bytes) => raw.alloc(bytes),
            release: (ptr) => raw.free(ptr),
          })
        : null;
    setThreads(pool);
    setInstance(raw);
    core.module = module;
  })();
  core.loading = loading;
  core.loadedWith = wanted;
  // A failed load may be retried (say, with another source).
  loading.catch(() => {
    if (core.loading === loading && !isReady()) {
      core.loading = null;
      core.loadedWith = null;
    }
  });
  return loading;
}

/**
 * `loading` when `options` agree with what it loads — options left out agree with
 * anything — else a StateError naming both. Facts not known yet (the default thread count,
 * the build of a given binary) are compared once the load has found them.
 */
function agreeing(loading: Promise<void>, loaded: LoadedWith, options: InitOptions): Promise<void> {
  const verdict = disagreement(loaded, options);
  if (verdict === null) return loading;
  if (verdict !== undefined) return Promise.reject(verdict);
  return loading.then(() => {
    const late = disagreement(loaded, options);
    if (late) throw late;
  });
}

/** null: they agree; undefined: cannot tell until the load is done; else the error. */
function disagreement(loaded: LoadedWith, options: InitOptions): StateError | null | undefined {
  const clash: string[] = [];
  let unknown = false;
  const { wasm, simd, threads } = options;
  if (wasm !== undefined) {
    const same = sameSource(wasm, loaded);
    if (same === undefined) unknown = true;
    else if (!same) clash.push('wasm');
  }
  if (simd !== undefined && wasm === undefined) {
    // A given binary is the build it is; `simd` chooses among the packaged ones.
    const build = chooseRelaxed(simd) ? 'relaxed' : 'plain';
    if (loaded.simd === null) unknown = true;
    else if (build !== loaded.simd) clash.push('simd');
  }
  if (threads !== undefined) {
    const effective = sharedMemorySupported() ? threads : 1;
    if (loaded.threads === null) unknown = true;
    else if (effective !== loaded.threads) clash.push('threads');
  }
  if (clash.length > 0) {
    const state = isReady() ? 'is loaded' : 'is being loaded';
    const was = [
      `wasm: ${describeSource(loaded.wasm)}`,
      `simd: ${loaded.simd ?? '(not known yet)'}`,
      `threads: ${loaded.threads ?? '(not known yet)'}`,
    ];
    const now = clash.map((name) => {
      if (name === 'wasm') return `wasm: ${describeSource(wasm)}`;
      if (name === 'threads') return `threads: ${threads}`;
      return `simd: ${simd}${simd === 'auto' ? ` (${chooseRelaxed(simd) ? 'relaxed' : 'plain'} here)` : ''}`;
    });
    return new StateError(
      `init: wasmgrad ${state} with { ${was.join(', ')} }, and this call asks for { ${now.join(', ')} }: ` +
        'there is one core per page or process; call init() once, or again with no options or the same ones',
    );
  }
  return unknown ? undefined : null;
}

/**
 * Whether init's `wasm` is the binary loaded: the same object, compiled module, URL (also
 * the URL of the packaged build picked) or bytes; undefined while the packaged build is
 * not picked yet.
 */
function sameSource(wasm: WasmSource, loaded: LoadedWith): boolean | undefined {
  if (wasm === loaded.wasm || wasm === core.module) return true;
  if (typeof wasm === 'string' || wasm instanceof URL) {
    const href = hrefOf(wasm);
    if (loaded.wasm === null) {
      // The packaged build is picked once the thread count is known (the inline entry's are bytes).
      if (loaded.picked !== null) return href === loaded.picked;
      return loaded.threads === null ? undefined : false;
    }
    return href !== null && href === hrefOf(loaded.wasm);
  }
  const given = loaded.wasm;
  if ((wasm instanceof ArrayBuffer || ArrayBuffer.isView(wasm)) && (given instanceof ArrayBuffer || ArrayBuffer.isView(given))) {
    try {
      const a = bytesOf(wasm);
      const b = bytesOf(given);
      return a.length === b.length && a.every((byte, i) => byte === b[i]);
    } catch {
      return false; // a buffer transferred since: detached, nothing to compare
    }
  }
  return false;
}

/** The URL a string or URL source names, or null for anything else (or a string no URL parses). */
function hrefOf(source: unknown): string | null {
  if (typeof source !== 'string' && !(source instanceof URL)) return null;
  try {
    return new URL(source, baseUrl()).href;
  } catch {
    return null;
  }
}

function bytesOf(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

function describeSource(source: unknown): string {
  if (source === null || source === undefined) return 'the packaged build';
  if (typeof source === 'string' || source instanceof URL) return JSON.stringify(String(source));
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return `${source.byteLength} bytes`;
  if (source instanceof WebAssembly.Module) return 'a WebAssembly.Module';
  if (typeof Response === 'function' && source instanceof Response) return `a Response from ${JSON.stringify(source.url)}`;
  return 'another binary';
}

function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

// The specifier is a variable so that bundlers leave Node's os out of browser builds.
const osModule = 'node:os';

async function coresAvailable(): Promise<number> {
  const navigator = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (navigator?.hardwareConcurrency) return navigator.hardwareConcurrency;
  try {
    const os = (await import(/* @vite-ignore */ osModule)) as { availableParallelism?: () => number; cpus(): unknown[] };
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

function global(exports: Record<string, unknown>, name: string): number {
  return (exports[name] as WebAssembly.Global).value as number;
}

// An AssemblyScript string: its byte length in the word before it, then UTF-16 units.
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0] ?? 0;
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source as BufferSource);
  if (typeof source !== 'string' && !(source instanceof URL)) return compileResponse(source);
  const url = source instanceof URL ? source : new URL(source, baseUrl());
  if (url.protocol === 'file:') return WebAssembly.compile((await readFile(url)) as BufferSource);
  return compileResponse(await fetch(url));
}

async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (!response.ok) throw new WasmgradError(`init: fetching ${response.url} failed: ${response.status} ${response.statusText}`);
  const streams = typeof WebAssembly.compileStreaming === 'function';
  if (streams && response.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

function baseUrl(): string {
  const location = (globalThis as { location?: { href: string } }).location;
  return location?.href ?? 'file:///';
}

// The specifier is a variable so that bundlers leave Node's fs out of browser builds.
const fsModule = 'node:fs/promises';

async function readFile(url: URL): Promise<Uint8Array> {
  const fs = (await import(/* @vite-ignore */ fsModule)) as { readFile(path: URL): Promise<Uint8Array> };
  return fs.readFile(url);
}
