// Loading the module the same way everywhere: Node reads the file, browsers and workers
// fetch and compile while the bytes stream in. init() is idempotent and safe to call
// concurrently: every caller awaits the same promise.
import { instantiate } from '@assemblyscript/loader';
import { ValueError, WasmgradError } from '../errors';
import type { WasmExports } from './abi';
import { isReady, setInstance, setThreads } from './instance';
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

let loading: Promise<void> | null = null;
let loaded: WebAssembly.Module | null = null;

/** The compiled module init() loaded, or null before it has: nn.worker sends it to its worker, so both run the same binary. */
export function loadedModule(): WebAssembly.Module | null {
  return loaded;
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

/** A binary, or a function that picks one knowing whether it must be the threaded build. */
export type SourceChoice = WasmSource | ((threaded: boolean) => WasmSource);

export function initFrom(source: SourceChoice, options: LoadOptions = {}): Promise<void> {
  const asked = options.threads;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1)) {
    return Promise.reject(new ValueError(`init: threads must be a positive integer, got ${String(asked)}`));
  }
  if (loading === null) {
    loading = (async () => {
      const threads = sharedMemorySupported() ? (asked ?? (await coresAvailable())) : 1;
      const module = await compile(typeof source === 'function' ? source(threads > 1) : source);
      // The threaded build imports its memory: one shared memory for every thread.
      const shared = WebAssembly.Module.imports(module).some((entry) => entry.kind === 'memory');
      let memory: WebAssembly.Memory | null = shared
        ? new WebAssembly.Memory({ initial: 2, maximum: SHARED_MAX_PAGES, shared: true })
        : null;
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
      const pool =
        shared && threads > 1
          ? await ThreadPool.start({
              module,
              memory,
              threads,
              url: options.threadWorker,
              gemm: raw.gemm_f32 as (...args: number[]) => void,
              tile: [global(raw, 'GEMM_TILE_ROWS'), global(raw, 'GEMM_TILE_COLUMNS')],
              buffers: ['GEMM_PACK_A_BYTES', 'GEMM_PACK_B_BYTES', 'GEMM_EDGE_BYTES'].map(
                (name) => (raw[name] as WebAssembly.Global).value as number,
              ),
              allocate: (bytes) => raw.alloc(bytes),
              release: (ptr) => raw.free(ptr),
            })
          : null;
      setThreads(pool);
      setInstance(raw);
      loaded = module;
    })();
    // A failed load may be retried (say, with another source).
    loading.catch(() => {
      if (!isReady()) loading = null;
    });
  }
  return loading;
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
