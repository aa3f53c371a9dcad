// The page's side of trainer.worker.ts: a model trained in a Worker a number of steps at a
// time, its learning rate and batch size changed between steps, reset to its initial weights.
import { backend, nn } from 'wasmgrad';

/** A data set as it crosses to the worker: rows of `features` numbers, and a class label per row. */
export interface Rows {
  x: Float32Array;
  y: Int32Array;
}

export interface TrainerOptions {
  /** The model at its initial weights (saved and sent; yours to keep or dispose). */
  model: nn.Sequential;
  features: number;
  /** The shape of one row as the model takes it (default [features]; a CNN's digit: [1, 28, 28]). */
  shape?: number[];
  train: Rows;
  /** Held-out rows for evaluate('test'). */
  test?: Rows;
  sgd: nn.SGDOptions;
  batchSize: number;
  /** A new order of the training rows every epoch. */
  shuffle: boolean;
  /** GEMM threads in the worker (default: as many as this page runs). */
  threads?: number;
}

/** What the page exposes of a trained section, for the tests (globalThis.examplesPage). */
export interface SectionHandle {
  /** Trainer.weightsHash of the section's model as it is now. */
  weightsHash(): Promise<string>;
}

/**
 * The test set's score (nn.evaluate's loss and accuracy) and, for each test row, the
 * model's probability of each class (softmax of its scores), row after row: what the page
 * draws the predictions of, all from the same weights.
 */
export interface TestScore extends nn.Evaluation {
  probabilities: Float32Array;
  classes: number;
}

/** One layer's output for one input, as the page draws it: [C, H, W] maps, or [features]. */
export interface LayerOutput {
  /** The layer's class name (Conv2d, ReLU, MaxPool2d, …). */
  layer: string;
  shape: number[];
  data: Float32Array;
}

/** What a call of steps() did. */
export interface StepResult {
  /** The loss of each step's batch. */
  losses: Float32Array;
  /** Steps taken since the start or the last reset. */
  step: number;
  /** The epoch the last step belongs to (from 1). */
  epoch: number;
  /** The steps (indices in `losses`) that finished an epoch, with the test set's score then. */
  epochEnds: Array<{ index: number; samplesPerSecond: number; test?: TestScore }>;
  /** Training rows seen, and the worker's time for the steps (scoring left out). */
  samples: number;
  ms: number;
}

export type Request = { id: number } & (
  | {
      op: 'load';
      threads: number;
      model: Uint8Array;
      shape: number[];
      train: Rows;
      test?: Rows;
      sgd: nn.SGDOptions;
      batchSize: number;
      shuffle: boolean;
    }
  | { op: 'steps'; count: number }
  | { op: 'set'; lr?: number; batchSize?: number; weightDecay?: number }
  | { op: 'data'; train: Rows; batchSize: number }
  | { op: 'reset' }
  | { op: 'evaluate'; on: 'train' | 'test' }
  | { op: 'predict'; x: Float32Array }
  | { op: 'parameter'; name: string }
  | { op: 'layers'; x: Float32Array }
  | { op: 'hash' }
);

export type Reply = { id: number } & ({ ok: true; result: unknown } | { ok: false; message: string });

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class Trainer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor() {
    this.worker = new Worker(new URL('./trainer.worker.ts', import.meta.url), { type: 'module' });
    this.worker.addEventListener('message', (event: MessageEvent<Reply>) => {
      const reply = event.data;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiting?.resolve(reply.result);
      else waiting?.reject(new Error(reply.message));
    });
    this.worker.addEventListener('error', (event) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`trainer worker: ${event.message}`));
      this.pending.clear();
    });
  }

  /** A worker with the model and data loaded (the data is copied: the arrays stay yours). */
  static async start(options: TrainerOptions): Promise<Trainer> {
    const trainer = new Trainer();
    const copy = (rows: Rows) => ({ x: rows.x.slice(), y: rows.y.slice() });
    const train = copy(options.train);
    const test = options.test && copy(options.test);
    const message = {
      op: 'load' as const,
      threads: options.threads ?? backend().threads,
      model: nn.save(options.model),
      shape: options.shape ?? [options.features],
      train,
      ...(test ? { test } : {}),
      sgd: options.sgd,
      batchSize: options.batchSize,
      shuffle: options.shuffle,
    };
    const buffers = [train, ...(test ? [test] : [])].flatMap((rows) => [rows.x.buffer, rows.y.buffer]);
    await trainer.call(message, buffers);
    return trainer;
  }

  steps(count: number): Promise<StepResult> {
    return this.call({ op: 'steps', count }) as Promise<StepResult>;
  }

  /**
   * Takes effect from the next step (a batch size: from the next epoch). A new weight decay
   * makes a new optimizer: SGD's is fixed when it is made (its momentum starts again).
   */
  set(change: { lr?: number; batchSize?: number; weightDecay?: number }): Promise<void> {
    return this.call({ op: 'set', ...change }) as Promise<void>;
  }

  /** Other training rows from the next step on, in a new epoch of `batchSize` rows a batch (the rows are copied). */
  setData(train: Rows, batchSize: number): Promise<void> {
    const copy = { x: train.x.slice(), y: train.y.slice() };
    return this.call({ op: 'data', train: copy, batchSize }, [copy.x.buffer, copy.y.buffer]) as Promise<void>;
  }

  /** Back to the initial weights, a fresh optimizer (no momentum) and the first epoch's order. */
  reset(): Promise<void> {
    return this.call({ op: 'reset' }) as Promise<void>;
  }

  evaluate(on: 'train'): Promise<nn.Evaluation>;
  evaluate(on: 'test'): Promise<TestScore>;
  evaluate(on: 'train' | 'test'): Promise<nn.Evaluation | TestScore> {
    return this.call({ op: 'evaluate', on }) as Promise<nn.Evaluation>;
  }

  /** The model's scores for rows of `features` numbers (each of the model's row shape). */
  predict(x: Float32Array): Promise<Float32Array> {
    return this.call({ op: 'predict', x }) as Promise<Float32Array>;
  }

  /** A copy of the values of the parameter named `name` ("0.weight": as model.parameters() names them), and its shape. */
  parameter(name: string): Promise<{ shape: number[]; data: Float32Array }> {
    return this.call({ op: 'parameter', name }) as Promise<{ shape: number[]; data: Float32Array }>;
  }

  /** Every layer's output for one row (as predict computes it): what a CNN's activation maps are drawn from. */
  layers(x: Float32Array): Promise<LayerOutput[]> {
    return this.call({ op: 'layers', x }) as Promise<LayerOutput[]>;
  }

  /** A hash of the weights' bits (for tests: equal after a reset to what it was at the start). */
  weightsHash(): Promise<string> {
    return this.call({ op: 'hash' }) as Promise<string>;
  }

  terminate(): void {
    this.worker.terminate();
    for (const waiting of this.pending.values()) waiting.reject(new Error('trainer: terminated'));
    this.pending.clear();
  }

  private call(request: DistributiveOmit<Request, 'id'>, transfer: Transferable[] = []): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
