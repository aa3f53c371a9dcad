// nn.worker: a model that lives in a worker — a module Worker in browsers, a
// worker_threads Worker in Node — behind a handle whose calls return promises. The model
// crosses as its safetensors bytes (layers in the metadata), data and weights as typed
// arrays whose buffers are transferred; errors come back as the class and message the
// worker threw.
import { describe, ShapeError, StateError, ValueError } from '../errors';
import type { LossName } from '../nn/losses';
import { Sequential } from '../nn/sequential';
import { save } from '../nn/serialize';
import type { EpochRecord, Evaluation, FitOptions, Progress } from '../nn/train';
import { formatShape, sizeOf, Tensor } from '../tensor';
import { type BackendInfo, backend } from '../wasm/instance';
import { type CompiledModule, loadedModule } from '../wasm/load';
import {
  buffersOf,
  type DatasetData,
  type FitMessageOptions,
  type Op,
  type OptimizerSpec,
  type Reply,
  type Request,
  type Results,
  rebuildError,
  type TensorData,
} from './protocol';

export type { OptimizerSpec, TensorData };

export interface WorkerOptions {
  /**
   * The model to run: an nn.Sequential of built-in layers, or the bytes its `save()` wrote.
   * The worker gets a copy; training there does not change this object.
   */
  model: Sequential | Uint8Array | ArrayBuffer;
  /** Where the worker script is. Default: `worker.js` beside the package's modules. */
  url?: string | URL;
  /**
   * Threads for the worker's large matrix products, its own included. Default: as many as
   * this thread's core runs (`backend().threads`). More than one needs the threaded build,
   * which init() loads where shared memory works; otherwise it is one, silently.
   */
  threads?: number;
}

/** A tensor as nn.worker takes it: a Tensor (copied out of linear memory), or typed-array data with its shape. */
export type WorkerTensor = Tensor | TensorData;

/** A data set for fit/evaluate in a worker: x [samples, features], class labels or target rows. */
export interface WorkerDataset {
  x: WorkerTensor;
  y: Int32Array | WorkerTensor;
}

export interface WorkerFitOptions extends Omit<FitOptions, 'optimizer' | 'validation'> {
  /** The optimizer as data, made afresh in the worker for this call. Default: SGD, lr 0.01. */
  optimizer?: OptimizerSpec;
  validation?: WorkerDataset;
}

export type ProgressListener = (progress: Progress) => void;

/** What nn.worker uses of node:worker_threads (declared here: the package's types do not depend on @types/node). */
interface NodeWorker {
  on(event: 'message' | 'error' | 'messageerror' | 'exit', listener: (value: never) => void): unknown;
  postMessage(value: unknown, transfer: ArrayBuffer[]): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerThreads = { Worker: new (url: string | URL, options: { execArgv?: string[] }) => NodeWorker };

// The specifier is a variable so that bundlers leave Node's worker_threads out of browser builds.
const workerThreads = 'node:worker_threads';

const SCRIPT = './worker.js';

/** The two kinds of worker behind one face. */
interface Port {
  post(message: Request, transfer: ArrayBuffer[]): void;
  /** While calls are pending (Node: an idle worker does not keep the process alive). */
  busy(busy: boolean): void;
  terminate(): Promise<void>;
}

interface Events {
  message(reply: Reply): void;
  /** The worker died (a crash, a script that failed to load, an unexpected exit). */
  fail(error: Error): void;
}

async function start(url: string | URL | undefined, events: Events): Promise<Port> {
  if (typeof Worker === 'function') {
    // Written out as bundlers look for it, so that they bundle the worker script too.
    const worker =
      url === undefined ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }) : new Worker(url, { type: 'module' });
    worker.addEventListener('message', (event) => events.message(event.data as Reply));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      events.fail(new StateError(`nn.worker: the worker failed: ${event.message || 'its script did not load or threw outside a call'}`));
    });
    worker.addEventListener('messageerror', () => events.fail(new StateError('nn.worker: a message from the worker could not be read')));
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      busy: () => {},
      terminate: async () => worker.terminate(),
    };
  }
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ workerThreads)) as WorkerThreads;
  const options = workerOptions();
  // Not the literal form: a bundler would copy the script as a bare asset for this branch too.
  const worker = new NodeWorker(url ?? new URL(SCRIPT, import.meta.url), options);
  let ending = false;
  worker.on('message', (reply: Reply) => events.message(reply));
  worker.on('error', (error: Error) => events.fail(new StateError(`nn.worker: the worker crashed: ${error.message}`)));
  worker.on('messageerror', () => events.fail(new StateError('nn.worker: a message from the worker could not be read')));
  worker.on('exit', (code: number) => {
    if (!ending) events.fail(new StateError(`nn.worker: the worker exited (code ${code})`));
  });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    busy: (busy) => (busy ? worker.ref() : worker.unref()),
    terminate: async () => {
      ending = true;
      await worker.terminate();
    },
  };
}

/**
 * A worker inherits this process's Node options, and one of them, --input-type (from
 * `node --input-type=module -e …`), makes a worker refuse to start. Then it gets none:
 * V8 flags are process-wide and hold in the worker anyway, and its script needs no loader.
 */
function workerOptions(): { execArgv?: string[] } {
  const argv = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv ?? [];
  return argv.some((arg) => arg.startsWith('--input-type')) ? { execArgv: [] } : {};
}

interface Pending {
  op: Op;
  resolve(value: unknown): void;
  reject(error: Error): void;
  onProgress?: ProgressListener | undefined;
}

/** A model running in a worker. Calls run there one at a time, in the order they were made. */
export class ModelWorker {
  #port: Port | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<ProgressListener>();
  /** Why calls are refused: set by terminate() or by the worker's death. */
  #dead: Error | null = null;

  /** @internal `nn.worker(options)` makes and starts a ModelWorker. */
  async start(url: string | URL | undefined, module: CompiledModule, threads: number, weights: Uint8Array): Promise<void> {
    this.#port = await start(url, { message: (reply) => this.#receive(reply), fail: (error) => this.#fail(error) });
    await this.#call('init', { module, threads, weights }, buffersOf(weights));
  }

  /** Whether terminate() was called or the worker died. */
  get terminated(): boolean {
    return this.#dead !== null;
  }

  /** Trains the worker's model, as nn.fit does in this thread; resolves to one record per epoch. */
  fit(data: WorkerDataset, options: WorkerFitOptions = {}): Promise<EpochRecord[]> {
    return this.#guard('fit', () => {
      const transfer: ArrayBuffer[] = [];
      const { onProgress, optimizer, validation, ...rest } = options ?? {};
      if (onProgress !== undefined && typeof onProgress !== 'function')
        throw new ValueError(`nn.worker: fit: onProgress must be a function, got ${describe(onProgress)}`);
      const message: FitMessageOptions = { ...rest };
      if (optimizer !== undefined) message.optimizer = optimizerSpec(optimizer);
      if (validation !== undefined) message.validation = pack('fit', 'validation', validation, transfer);
      const request = {
        data: pack('fit', 'data', data, transfer),
        options: message,
        progress: onProgress !== undefined || this.#listeners.size > 0,
      };
      return this.#call('fit', request, transfer, onProgress);
    });
  }

  /** The model's mean loss and accuracy on `data`, as nn.evaluate computes them. */
  evaluate(data: WorkerDataset, options: { batchSize?: number; loss?: LossName } = {}): Promise<Evaluation> {
    return this.#guard('evaluate', () => {
      const transfer: ArrayBuffer[] = [];
      return this.#call('evaluate', { data: pack('evaluate', 'data', data, transfer), options: { ...options } }, transfer);
    });
  }

  /** The model's output for `x` [rows, features]: a new Tensor (yours to dispose) for a Tensor, data and shape for data and shape. */
  predict(x: Tensor): Promise<Tensor>;
  predict(x: TensorData): Promise<TensorData>;
  predict(x: WorkerTensor): Promise<Tensor | TensorData> {
    return this.#guard('predict', async () => {
      const transfer: ArrayBuffer[] = [];
      const out = await this.#call('predict', { x: packTensor('predict', 'x', x, transfer) }, transfer);
      return x instanceof Tensor ? toTensor(out) : out;
    });
  }

  /** The worker's weights as a safetensors file with the layers in its metadata: `nn.load(bytes)` rebuilds the model. */
  getWeights(): Promise<Uint8Array> {
    return this.#guard('getWeights', () => this.#call('getWeights', {}, []));
  }

  /** What the worker's core is: the same build as this thread's, and its threads. */
  backend(): Promise<BackendInfo> {
    return this.#guard('backend', () => this.#call('backend', {}, []));
  }

  /** Loads weights into the worker's model: a model of the same architecture, or the bytes its save() wrote. */
  setWeights(weights: Sequential | Uint8Array | ArrayBuffer): Promise<void> {
    return this.#guard('setWeights', async () => {
      const bytes = modelBytes('setWeights', 'weights', weights);
      await this.#call('setWeights', { weights: bytes }, buffersOf(bytes));
    });
  }

  /** Calls `listener` with the progress of every fit started after this (after each batch and each epoch); returns a function that removes it. */
  on(event: 'progress', listener: ProgressListener): () => void {
    if (event !== 'progress') throw new ValueError(`nn.worker: on: the only event is 'progress', got ${describe(event)}`);
    if (typeof listener !== 'function') throw new ValueError(`nn.worker: on: listener must be a function, got ${describe(listener)}`);
    this.#listeners.add(listener);
    return () => this.off(event, listener);
  }

  off(_event: 'progress', listener: ProgressListener): void {
    this.#listeners.delete(listener);
  }

  /** Stops the worker at once: pending calls reject with a StateError, and so does every later call. */
  async terminate(): Promise<void> {
    if (this.#dead === null) this.#fail(new StateError('nn.worker: the worker was terminated'));
    await this.#port?.terminate();
  }

  #guard<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (this.#dead !== null) return Promise.reject(new StateError(`nn.worker: ${op}: ${stripPrefix(this.#dead.message)}`));
    try {
      return run();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #call<K extends Op>(
    op: K,
    body: Omit<Extract<Request, { op: K }>, 'id' | 'op'>,
    transfer: ArrayBuffer[],
    onProgress?: ProgressListener,
  ): Promise<Results[K]> {
    const port = this.#port;
    if (port === null || this.#dead !== null) return Promise.reject(new StateError(`nn.worker: ${op}: the worker is not running`));
    const id = this.#nextId++;
    return new Promise<Results[K]>((resolve, reject) => {
      this.#pending.set(id, { op, resolve: resolve as (value: unknown) => void, reject, onProgress });
      port.busy(true);
      port.post({ id, op, ...body } as Request, transfer);
    });
  }

  #receive(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    if ('progress' in reply) {
      try {
        pending.onProgress?.(reply.progress);
        for (const listener of this.#listeners) listener(reply.progress);
      } catch (error) {
        // As in nn.fit, a listener's error is the call's (the worker still finishes the fit).
        this.#settle(reply.id, () => pending.reject(error as Error));
      }
      return;
    }
    this.#settle(reply.id, () => (reply.ok ? pending.resolve(reply.result) : pending.reject(rebuildError(reply.error))));
  }

  #settle(id: number, settle: () => void): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#port?.busy(false);
    settle();
  }

  /** The worker is gone: every pending call rejects, and later calls too. */
  #fail(error: Error): void {
    if (this.#dead !== null) return;
    this.#dead = error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new StateError(`nn.worker: ${p.op}: ${stripPrefix(error.message)}`));
    if (this.#port) {
      this.#port.busy(false);
      // A worker that failed may still be running (a browser worker survives an uncaught error).
      void this.#port.terminate();
    }
  }
}

/**
 * Starts a worker (a module Worker in browsers, a worker_threads Worker in Node) holding a
 * copy of `model`; resolves once the model is loaded there. Needs `await init()` first:
 * the worker runs the same compiled binary as this thread.
 */
export async function worker(options: WorkerOptions): Promise<ModelWorker> {
  if (typeof options !== 'object' || options === null) throw new ValueError(`nn.worker: give it { model }, got ${describe(options)}`);
  const module = loadedModule();
  if (module === null) throw new StateError('nn.worker: wasmgrad is not initialized: `await init()` first');
  const { url } = options;
  if (url !== undefined && typeof url !== 'string' && !(url instanceof URL))
    throw new ValueError(`nn.worker: url must be a string or URL, got ${describe(url)}`);
  const { threads = backend().threads } = options;
  if (!Number.isInteger(threads) || threads < 1)
    throw new ValueError(`nn.worker: threads must be a positive integer, got ${describe(threads)}`);
  const weights = modelBytes('nn.worker', 'model', options.model);
  const handle = new ModelWorker();
  try {
    await handle.start(url, module, threads, weights);
  } catch (error) {
    await handle.terminate();
    throw error;
  }
  return handle;
}

function stripPrefix(message: string): string {
  return message.replace(/^nn\.worker: /, '');
}

/** A model's bytes, fresh (so the buffer can be transferred without touching the caller's). */
function modelBytes(op: string, what: string, model: unknown): Uint8Array {
  const where = op === 'nn.worker' ? op : `nn.worker: ${op}`;
  if (model instanceof Sequential) return save(model);
  if (model instanceof Uint8Array) return model.slice();
  if (model instanceof ArrayBuffer) return new Uint8Array(model.slice(0));
  throw new ValueError(`${where}: ${what} must be an nn.Sequential or the bytes its save() wrote, got ${describe(model)}`);
}

function optimizerSpec(spec: unknown): OptimizerSpec {
  const type = (spec as { type?: unknown } | null)?.type;
  if (typeof spec !== 'object' || spec === null || (type !== 'sgd' && type !== 'adam')) {
    throw new ValueError(
      `nn.worker: fit: optimizer must be { type: 'sgd', lr, momentum } or { type: 'adam', lr } (an optimizer object cannot cross into a worker), got ${describe(spec)}`,
    );
  }
  return { ...(spec as OptimizerSpec) };
}

function pack(op: string, what: string, data: WorkerDataset, transfer: ArrayBuffer[]): DatasetData {
  if (typeof data !== 'object' || data === null || !data.x || !data.y)
    throw new ValueError(`nn.worker: ${op}: ${what} must be { x, y }, got ${describe(data)}`);
  const x = packTensor(op, `${what}.x`, data.x, transfer);
  if (data.y instanceof Int32Array) {
    const y = data.y.slice();
    transfer.push(y.buffer);
    return { x, y };
  }
  return { x, y: packTensor(op, `${what}.y`, data.y, transfer) };
}

/** A copy of the elements (out of linear memory, or out of a larger buffer), to transfer. */
function packTensor(op: string, what: string, x: WorkerTensor, transfer: ArrayBuffer[]): TensorData {
  if (x instanceof Tensor) {
    const data = x.data.slice();
    transfer.push(data.buffer as ArrayBuffer);
    return { data, shape: [...x.shape] };
  }
  const { data, shape } = (x ?? {}) as Partial<TensorData>;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || !Array.isArray(shape)) {
    throw new ValueError(`nn.worker: ${op}: ${what} must be a Tensor or { data: Float32Array | Float64Array, shape }, got ${describe(x)}`);
  }
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(shape) !== data.length) {
    throw new ShapeError(`nn.worker: ${op}: ${what} has ${data.length} values but shape ${formatShape(shape)}`);
  }
  const copy = data.slice();
  transfer.push(copy.buffer as ArrayBuffer);
  return { data: copy, shape: [...shape] };
}

function toTensor(t: TensorData): Tensor {
  return Tensor.from(t.data, t.shape, { dtype: t.data instanceof Float64Array ? 'float64' : 'float32' });
}
