// The thread pool of the threaded build: N − 1 workers (worker_threads in Node, module
// Web Workers in browsers), each with its own instance of the same module over one
// shared WebAssembly.Memory. A large f32 GEMM is split into bands of C — of rows, or of
// columns when that packs less twice — one per thread, the caller's taking the first. Each
// element of C is still summed by one thread in the same order, so the result is the
// same bits as with one thread.
//
// Jobs go through a control block (a SharedArrayBuffer of one 16-word slot per worker):
// the caller writes the arguments, bumps SEQ and notifies; the worker runs the GEMM,
// writes DONE = SEQ and notifies. Both sides spin briefly before sleeping, since the jobs
// of a training step come a few tens of µs apart.
import { StateError } from '../errors';

// The control block's layout; thread-worker.js, which imports nothing, spells it again.
const SLOT = 16;
const SEQ = 0;
const DONE = 1;
const ARGS = 2;
const FAILED = 14;
const SPINS = 20000;
/** Below this many multiply-adds a GEMM runs on one thread: waking another costs more. */
const MIN_PARALLEL_MACS = 2 ** 18;
/** A worker that has not finished its band by then is taken to be dead. */
const DEADLINE_MS = 30_000;

/** The shared memory's maximum, in 64 KiB pages: asconfig.threads*.json's maximumMemory (1 GiB). */
export const SHARED_MAX_PAGES = 16384;

type Gemm = (...args: number[]) => void;

interface Handle {
  post(message: unknown): void;
  /** Resolves when the worker says it is ready, rejects if it fails or exits first. */
  ready: Promise<void>;
  terminate(): void;
}

export interface ThreadsOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Threads in all, the caller's included. */
  threads: number;
  /** The worker script (thread-worker.js), when it is not beside this module. */
  url?: string | URL;
  gemm: Gemm;
  /** The GEMM's tile (rows × columns of C): bands are whole tiles where they can be. */
  tile: readonly [number, number];
  /** Bytes of each worker's packing buffers and edge tile. */
  buffers: readonly number[];
  allocate(bytes: number, what: string): number;
  release(ptr: number): void;
}

export class ThreadPool {
  private seq = 0;
  private broken = false;

  private constructor(
    private readonly control: Int32Array,
    private readonly workers: Handle[],
    private readonly single: Gemm,
    private readonly tile: readonly [number, number],
    /** Whether this thread may block in Atomics.wait (a browser page's main thread may not). */
    private readonly canSleep: boolean,
  ) {}

  /** Threads in all, the caller's included. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Starts the workers; null (one thread, silently) where they cannot run. */
  static async start(options: ThreadsOptions): Promise<ThreadPool | null> {
    const count = Math.max(0, Math.floor(options.threads) - 1);
    if (count === 0 || typeof SharedArrayBuffer !== 'function' || !(options.memory.buffer instanceof SharedArrayBuffer)) return null;
    const control = new Int32Array(new SharedArrayBuffer(count * SLOT * 4));
    const workers: Handle[] = [];
    const owned: number[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const buffers = options.buffers.map((bytes) => options.allocate(bytes, `GEMM thread ${index + 1}: packing buffer`));
        owned.push(...buffers);
        const worker = await spawn(options.url ?? new URL('./thread-worker.js', import.meta.url));
        workers.push(worker);
        worker.post({ module: options.module, memory: options.memory, control: control.buffer, index, buffers });
        await worker.ready;
      }
    } catch {
      for (const worker of workers) worker.terminate();
      for (const ptr of owned) options.release(ptr);
      return null;
    }
    return new ThreadPool(control, workers, options.gemm, options.tile, canSleep());
  }

  /** C = op(A)·op(B) (+ C), as gemm_f32, split across the threads when it is large enough. */
  gemm = (
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
  ): void => {
    if (this.broken || m * n * k < MIN_PARALLEL_MACS) {
      this.single(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
      return;
    }
    // Every thread packs the whole of the operand it does not split: split rows when
    // packing B (k·n values) costs less than packing A (m·k values, pre-broadcast ×4).
    const byRows = n < 4 * m;
    const extent = byRows ? m : n;
    const unit = this.tile[byRows ? 0 : 1];
    // Whole tiles, dealt out as evenly as they go.
    const tiles = Math.ceil(extent / unit);
    const bounds = [0];
    for (let p = 0; p < this.size; p++) {
      const share = Math.floor(tiles / this.size) + (p < tiles % this.size ? 1 : 0);
      bounds.push(Math.min(extent, (bounds[p] as number) + share * unit));
    }
    const seq = ++this.seq;
    const posted: number[] = [];
    for (let w = 0; w < this.workers.length; w++) {
      const start = bounds[w + 1] as number;
      const size = (bounds[w + 2] as number) - start;
      if (size <= 0) continue;
      const args = byRows
        ? [transA, transB, size, n, k, a + (transA ? start : start * lda) * 4, lda, b, ldb, c + start * ldc * 4, ldc, accumulate]
        : [transA, transB, m, size, k, a, lda, b + (transB ? start * ldb : start) * 4, ldb, c + start * 4, ldc, accumulate];
      const base = w * SLOT;
      this.control.set(args, base + ARGS);
      Atomics.store(this.control, base + SEQ, seq);
      Atomics.notify(this.control, base + SEQ);
      posted.push(w);
    }
    const first = bounds[1] as number;
    if (byRows) this.single(transA, transB, first, n, k, a, lda, b, ldb, c, ldc, accumulate);
    else this.single(transA, transB, m, first, k, a, lda, b, ldb, c, ldc, accumulate);
    for (const w of posted) this.await(w, seq);
  };

  private await(w: number, seq: number): void {
    const at = w * SLOT + DONE;
    let spins = 0;
    let deadline = 0;
    for (let done = Atomics.load(this.control, at); done !== seq; done = Atomics.load(this.control, at)) {
      if (++spins < SPINS) continue;
      if (deadline === 0) deadline = Date.now() + DEADLINE_MS;
      if (this.canSleep) Atomics.wait(this.control, at, done, 50);
      if (Date.now() > deadline) {
        this.broken = true;
        throw new StateError(`matmul: GEMM thread ${w + 1} did not finish in ${DEADLINE_MS / 1000} s; threads are off from now on`);
      }
    }
    if (this.control[w * SLOT + FAILED] !== 0) {
      this.broken = true;
      throw new StateError(`matmul: GEMM thread ${w + 1} failed; threads are off from now on`);
    }
  }
}

/** Atomics.wait throws on a browser page's main thread; workers and Node may block. */
function canSleep(): boolean {
  const scope = globalThis as { window?: unknown; document?: unknown };
  return !(scope.window !== undefined && scope.document !== undefined);
}

// The specifier is a variable so that bundlers leave Node's worker_threads out of browser builds.
const workerThreads = 'node:worker_threads';

interface NodeWorker {
  postMessage(message: unknown): void;
  once(event: 'message', listener: (message: { ready?: boolean; error?: string }) => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  once(event: 'exit', listener: (code: number) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerThreads = { Worker: new (url: string | URL, options: { execArgv: string[] }) => NodeWorker };

async function spawn(url: string | URL): Promise<Handle> {
  if (typeof Worker === 'function') {
    const worker = new Worker(url, { type: 'module' });
    const ready = new Promise<void>((resolve, reject) => {
      worker.addEventListener('message', (event) => (event.data?.ready ? resolve() : reject(new Error(event.data?.error))), {
        once: true,
      });
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      });
    });
    return { post: (message) => worker.postMessage(message), ready, terminate: () => worker.terminate() };
  }
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ workerThreads)) as WorkerThreads;
  // No inherited options: the script is plain JavaScript, and V8 flags are process-wide anyway.
  const worker = new NodeWorker(url, { execArgv: [] });
  // A GEMM thread never keeps the process alive: it ends when the program does.
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', (message) => (message.ready ? resolve() : reject(new Error(message.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  return { post: (message) => worker.postMessage(message), ready, terminate: () => void worker.terminate() };
}
