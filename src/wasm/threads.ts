// The thread pool of the threaded build: N − 1 workers (worker_threads in Node, module
// Web Workers in browsers), each with its own instance of the same module over one
// shared WebAssembly.Memory. The pool runs one kernel at a time in parts, one part per
// thread, the caller's taking the first; split.ts decides the parts (bands of a GEMM's C,
// ranges of a convolution's images, of a pooling's planes) so that every value is still
// computed by one thread in the same order: the results are the same bits as with one
// thread.
//
// Jobs go through a control block (a SharedArrayBuffer of one 4-word slot per worker) and
// an argument block (one of MAX_JOB_ARGS float64s per worker: a float64 holds every i32
// and pointer exactly, and the optimizers' rates): the caller writes the kernel's index
// and its arguments, bumps SEQ and notifies; the worker runs it, writes what it returned
// over the first argument, then DONE = SEQ, and notifies. Both sides spin briefly before
// sleeping, since the jobs of a training step come a few tens of µs apart.
import { StateError } from '../errors';

// The control block's layout; thread-worker.js, which imports nothing, spells it again.
const SLOT = 4;
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const JOB = 3;
/** The most arguments a job may have: its slot of the argument block. */
const MAX_JOB_ARGS = 12;
const SPINS = 20000;
/** A worker that has not finished its part by then is taken to be dead. */
const DEADLINE_MS = 30_000;

/** The shared memory's maximum, in 64 KiB pages: asconfig.threads*.json's maximumMemory (1 GiB). */
export const SHARED_MAX_PAGES = 16384;

type Kernel = (...args: number[]) => number | undefined;

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
  /** The caller's instance: it runs the first part of each job, and names the kernels. */
  exports: Record<string, unknown>;
  /** The exports a job may run, by name: a job is sent as its index in this list. */
  kernels: readonly string[];
  /** Bytes of each worker's GEMM packing buffers and edge tile. */
  buffers: readonly number[];
  allocate(bytes: number, what: string): number;
  release(ptr: number): void;
}

export class ThreadPool {
  private seq = 0;
  private broken = false;
  /**
   * While true every call runs whole on the calling thread: bench/threads.ts alternates
   * one and two threads in one process, so that both meet the same host.
   */
  paused = false;

  private constructor(
    private readonly control: Int32Array,
    private readonly args: Float64Array,
    private readonly workers: Handle[],
    /** The caller's own kernels, in the order of the list the workers were given. */
    private readonly local: readonly Kernel[],
    private readonly names: readonly string[],
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
    const local = options.kernels.map((name) => {
      const fn = options.exports[name];
      if (typeof fn !== 'function') throw new StateError(`threads: the wasm core has no ${name}`);
      return fn as Kernel;
    });
    const control = new Int32Array(new SharedArrayBuffer(count * SLOT * 4));
    const args = new Float64Array(new SharedArrayBuffer(count * MAX_JOB_ARGS * 8));
    const workers: Handle[] = [];
    const owned: number[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const buffers = options.buffers.map((bytes) => options.allocate(bytes, `GEMM thread ${index + 1}: packing buffer`));
        owned.push(...buffers);
        const worker = await spawn(options.url ?? new URL('./thread-worker.js', import.meta.url));
        workers.push(worker);
        worker.post({
          module: options.module,
          memory: options.memory,
          control: control.buffer,
          args: args.buffer,
          index,
          buffers,
          kernels: options.kernels,
        });
        await worker.ready;
      }
    } catch {
      for (const worker of workers) worker.terminate();
      for (const ptr of owned) options.release(ptr);
      return null;
    }
    return new ThreadPool(control, args, workers, local, options.kernels, canSleep());
  }

  /** Whether parts may be sent to the workers (not after one has failed, nor while paused). */
  get usable(): boolean {
    return !this.broken && !this.paused;
  }

  /**
   * Runs kernel `job` (an index in the list the pool was started with) once per part, at
   * the same time: parts[0] here, parts[i] on worker i. Returns, when every part is done,
   * what each part's call returned (0 for a kernel that returns nothing), in part order.
   */
  run(job: number, parts: readonly (readonly number[])[]): number[] {
    if (parts.length > this.size) throw new StateError(`threads: ${parts.length} parts for ${this.size} threads`);
    if (parts.some((part) => part.length > MAX_JOB_ARGS))
      throw new StateError(`threads: ${this.names[job]} has more than ${MAX_JOB_ARGS} arguments`);
    const seq = ++this.seq;
    for (let w = 0; w + 1 < parts.length; w++) {
      const base = w * SLOT;
      this.control[base + JOB] = job;
      this.args.set(parts[w + 1] as readonly number[], w * MAX_JOB_ARGS);
      Atomics.store(this.control, base + SEQ, seq);
      Atomics.notify(this.control, base + SEQ);
    }
    const results = [(this.local[job] as Kernel)(...(parts[0] as readonly number[])) ?? 0];
    for (let w = 0; w + 1 < parts.length; w++) {
      this.await(w, seq, job);
      // A worker leaves its call's result in the first word of its argument slot.
      results.push(this.args[w * MAX_JOB_ARGS] as number);
    }
    return results;
  }

  private await(w: number, seq: number, job: number): void {
    const at = w * SLOT + DONE;
    let spins = 0;
    let deadline = 0;
    for (let done = Atomics.load(this.control, at); done !== seq; done = Atomics.load(this.control, at)) {
      if (++spins < SPINS) continue;
      if (deadline === 0) deadline = Date.now() + DEADLINE_MS;
      if (this.canSleep) Atomics.wait(this.control, at, done, 50);
      if (Date.now() > deadline) {
        this.broken = true;
        throw new StateError(
          `threads: thread ${w + 1} did not finish its part of ${this.names[job]} in ${DEADLINE_MS / 1000} s; threads are off from now on`,
        );
      }
    }
    if (this.control[w * SLOT + FAILED] !== 0) {
      this.broken = true;
      throw new StateError(`threads: thread ${w + 1} failed in its part of ${this.names[job]}; threads are off from now on`);
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
