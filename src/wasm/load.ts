// Loading the module the same way everywhere: Node reads the file, browsers and workers
// fetch and compile while the bytes stream in. init() is idempotent and safe to call
// concurrently: every caller awaits the same promise.
import { instantiate } from '@assemblyscript/loader';
import { WasmgradError } from '../errors';
import type { WasmExports } from './abi';
import { isReady, setInstance } from './instance';

/** Where the binary comes from: a URL or path, the bytes, or a compiled module. */
export type WasmSource = URL | string | ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response;

let loading: Promise<void> | null = null;
let loaded: WebAssembly.Module | null = null;

/** The compiled module init() loaded, or null before it has: nn.worker sends it to its worker, so both run the same binary. */
export function loadedModule(): WebAssembly.Module | null {
  return loaded;
}

export function initFrom(source: WasmSource | (() => WasmSource)): Promise<void> {
  if (loading === null) {
    loading = (async () => {
      const module = await compile(typeof source === 'function' ? source() : source);
      let memory: WebAssembly.Memory | null = null;
      const { exports } = await instantiate<Record<string, unknown>>(module, {
        env: {
          abort(message: number, file: number, line: number, column: number) {
            const text = (ptr: number) => (memory ? readString(memory, ptr) : '?');
            throw new WasmgradError(`wasm: ${text(message)} (${text(file)}:${line}:${column})`);
          },
        },
      });
      memory = (exports as unknown as WasmExports).memory;
      setInstance(exports as unknown as WasmExports);
      loaded = module;
    })();
    // A failed load may be retried (say, with another source).
    loading.catch(() => {
      if (!isReady()) loading = null;
    });
  }
  return loading;
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
