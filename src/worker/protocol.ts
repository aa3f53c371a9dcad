// The messages between nn.worker's handle (the caller's thread) and the worker script.
// Numbers cross as typed arrays whose buffers are transferred, never as arrays of numbers;
// errors cross as their class name and message and are rebuilt on the other side.
import { FormatError, GraphError, OutOfMemoryError, ShapeError, StateError, ValueError, WasmgradError } from '../errors';
import type { AdamOptions, SGDOptions } from '../nn/optim';
import type { EpochRecord, Evaluation, FitOptions, Progress } from '../nn/train';
import type { BackendInfo } from '../wasm/instance';

/** A tensor's elements and shape, outside linear memory (what crosses between threads). */
export interface TensorData {
  data: Float32Array | Float64Array;
  shape: readonly number[];
}

/** An optimizer as data: the worker builds it over its own copy of the model's parameters. */
export type OptimizerSpec = ({ type: 'sgd' } & SGDOptions) | ({ type: 'adam' } & AdamOptions);

export interface DatasetData {
  x: TensorData;
  y: Int32Array | TensorData;
}

/** FitOptions as they cross: the optimizer as a spec, data as typed arrays, no callback. */
export interface FitMessageOptions extends Omit<FitOptions, 'optimizer' | 'validation' | 'onProgress'> {
  optimizer?: OptimizerSpec;
  validation?: DatasetData;
}

export type Request =
  | { id: number; op: 'init'; module: WebAssembly.Module; threads: number; weights: Uint8Array }
  | { id: number; op: 'fit'; data: DatasetData; options: FitMessageOptions; progress: boolean }
  | { id: number; op: 'evaluate'; data: DatasetData; options: { batchSize?: number; loss?: FitOptions['loss'] } }
  | { id: number; op: 'predict'; x: TensorData }
  | { id: number; op: 'getWeights' }
  | { id: number; op: 'backend' }
  | { id: number; op: 'setWeights'; weights: Uint8Array };

export type Op = Request['op'];

export interface Results {
  init: null;
  fit: EpochRecord[];
  evaluate: Evaluation;
  predict: TensorData;
  getWeights: Uint8Array;
  backend: BackendInfo;
  setWeights: null;
}

export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
}

export type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: ErrorData }
  | { id: number; progress: Progress };

/** The buffers of typed arrays to transfer: each once, none shared with wasm memory. */
export function buffersOf(...arrays: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  return [...out];
}

export function errorData(error: unknown): ErrorData {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

const CLASSES: Record<string, new (message: string) => Error> = {
  WasmgradError,
  ShapeError,
  ValueError,
  StateError,
  GraphError,
  FormatError,
  OutOfMemoryError,
  TypeError,
  RangeError,
  RuntimeError: WebAssembly.RuntimeError,
};

/** The error the worker threw, rebuilt as the same class with the same message. */
export function rebuildError({ name, message, stack }: ErrorData): Error {
  const Class = Object.hasOwn(CLASSES, name) ? (CLASSES[name] as new (message: string) => Error) : Error;
  const error = new Class(message);
  if (error.name !== name) error.name = name;
  // Where it was thrown, which is more use than where the reply arrived.
  if (stack) error.stack = `${stack}\n    at (nn.worker: thrown in the worker)`;
  return error;
}
