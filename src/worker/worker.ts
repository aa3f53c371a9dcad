// The worker script nn.worker starts (dist/worker.js): it holds one model and runs the
// calls its handle sends, one at a time, in order. It loads the compiled module the
// caller's thread sends, so it needs no .wasm file of its own and runs the same binary.
import { FormatError, StateError, ValueError } from '../errors';
import { decodeSafetensors } from '../io/safetensors';
import { Adam, type Optimizer, SGD, type SGDOptions } from '../nn/optim';
import type { Sequential } from '../nn/sequential';
import { load, loadInto, save } from '../nn/serialize';
import { type Dataset, evaluate, fit as fitModel, type Progress } from '../nn/train';
import { Tensor } from '../tensor';
import { backend } from '../wasm/instance';
import { initFrom } from '../wasm/load';
import { buffersOf, type DatasetData, errorData, type OptimizerSpec, type Reply, type Request, type TensorData } from './protocol';

// The specifier is a variable so that bundlers leave Node's worker_threads out of browser builds.
const workerThreads = 'node:worker_threads';

type Post = (reply: Reply, transfer: ArrayBuffer[]) => void;

let model: Sequential | null = null;

function current(op: string): Sequential {
  if (model === null) throw new StateError(`nn.worker: ${op}: the worker has no model yet`);
  return model;
}

/** The model from its bytes, with a clearer word than nn.load's when they hold no layer list. */
function rebuild(bytes: Uint8Array): Sequential {
  try {
    return load(bytes);
  } catch (error) {
    if (!(error instanceof ValueError) || error instanceof FormatError) throw error;
    const { tensors, metadata } = decodeSafetensors(bytes);
    for (const t of tensors.values()) t.dispose();
    if (metadata['wasmgrad.layers'] !== undefined) throw error;
    throw new ValueError(
      'nn.worker: the model must be an nn.Sequential of built-in layers (or the bytes its save() wrote): only those can be rebuilt inside a worker',
    );
  }
}

function toTensor(t: TensorData): Tensor {
  return Tensor.from(t.data, t.shape, { dtype: t.data instanceof Float64Array ? 'float64' : 'float32' });
}

/** Tensors in linear memory for the duration of `run`, disposed after it whatever happens. */
function withDataset<T>(data: DatasetData, run: (d: Dataset) => T): T {
  const made: Tensor[] = [];
  try {
    const x = toTensor(data.x);
    made.push(x);
    const y = data.y instanceof Int32Array ? data.y : toTensor(data.y);
    if (y instanceof Tensor) made.push(y);
    return run({ x, y });
  } finally {
    for (const t of made) t.dispose();
  }
}

function optimizerFor(m: Sequential, spec: OptimizerSpec | undefined): Optimizer | undefined {
  if (spec === undefined) return undefined;
  const { type, ...options } = spec;
  if (type === 'sgd') return new SGD(m.parameters(), options as SGDOptions);
  if (type === 'adam') return new Adam(m.parameters(), options);
  throw new ValueError(`nn.worker: fit: optimizer.type must be 'sgd' or 'adam', got ${JSON.stringify(type)}`);
}

async function handle(request: Request, post: Post): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'init': {
      await initFrom({ wasm: request.module, threads: request.threads });
      model = rebuild(request.weights);
      return { result: null, transfer: [] };
    }
    case 'fit': {
      const m = current('fit');
      const { optimizer, validation, ...options } = request.options;
      const train = (data: Dataset, validationSet?: Dataset) =>
        fitModel(m, data, {
          ...options,
          ...(optimizer ? { optimizer: optimizerFor(m, optimizer) } : {}),
          ...(validationSet ? { validation: validationSet } : {}),
          ...(request.progress ? { onProgress: (progress: Progress) => post({ id: request.id, progress }, []) } : {}),
        });
      const history = withDataset(request.data, (data) => (validation ? withDataset(validation, (v) => train(data, v)) : train(data)));
      return { result: history, transfer: [] };
    }
    case 'evaluate': {
      const m = current('evaluate');
      return { result: withDataset(request.data, (data) => evaluate(m, data, request.options)), transfer: [] };
    }
    case 'predict': {
      const m = current('predict');
      const x = toTensor(request.x);
      try {
        const out = m.predict ? m.predict(x) : m.forward(x);
        const result: TensorData = { data: out.data.slice(), shape: [...out.shape] };
        return { result, transfer: buffersOf(result.data) };
      } finally {
        x.dispose();
      }
    }
    case 'getWeights': {
      const bytes = save(current('getWeights'));
      return { result: bytes, transfer: buffersOf(bytes) };
    }
    case 'backend':
      return { result: backend(), transfer: [] };
    case 'setWeights': {
      loadInto(current('setWeights'), request.weights);
      return { result: null, transfer: [] };
    }
    default:
      throw new ValueError(`nn.worker: unknown request ${JSON.stringify((request as { op: unknown }).op)}`);
  }
}

/** Runs requests strictly in order: an async init must finish before the next call starts. */
function serve(post: Post): (request: Request) => void {
  let queue: Promise<void> = Promise.resolve();
  return (request) => {
    queue = queue.then(async () => {
      try {
        const { result, transfer } = await handle(request, post);
        post({ id: request.id, ok: true, result }, transfer);
      } catch (error) {
        post({ id: request.id, ok: false, error: errorData(error) }, []);
      }
    });
  };
}

/** What the script uses of node:worker_threads (declared here: the package's types do not depend on @types/node). */
interface NodeWorkerThreads {
  parentPort: {
    on(event: 'message', listener: (request: Request) => void): void;
    postMessage(value: unknown, transfer: ArrayBuffer[]): void;
  } | null;
}

interface WorkerScope {
  addEventListener(type: 'message', listener: (event: { data: Request }) => void): void;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
}

const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
if (typeof scope.WorkerGlobalScope === 'function') {
  // A browser (module) worker: listen at once, so no message that arrives early is lost.
  const self = globalThis as unknown as WorkerScope;
  const run = serve((reply, transfer) => self.postMessage(reply, transfer));
  self.addEventListener('message', (event) => run(event.data));
} else {
  // A Node worker thread: the port holds messages until a listener is attached.
  import(/* @vite-ignore */ workerThreads).then(({ parentPort }: NodeWorkerThreads) => {
    if (!parentPort) throw new StateError('nn.worker: this script runs inside a worker that nn.worker() starts');
    const run = serve((reply, transfer) => parentPort.postMessage(reply, transfer));
    parentPort.on('message', run);
  });
}
