// nn.worker: a model in a worker thread (Node) or a module Worker (browsers). These specs
// run in both, from the sources (Node starts the script through tsx, a browser gets it
// from Vite); test/worker-package.test.ts runs the built dist/ in fresh Node processes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { backend, datasets, init, nn, ShapeError, StateError, Tensor, ValueError } from '../src/index';

const inBrowser = typeof document !== 'undefined';

/** nn.worker's script from the sources; `crash` answers init, then throws outside any call. */
function script(name: 'worker' | 'crash'): URL {
  if (name === 'crash') return new URL('./worker-fixtures/crash.mjs', import.meta.url);
  return inBrowser ? new URL('../src/worker/worker.ts', import.meta.url) : new URL('./worker-fixtures/source.mjs', import.meta.url);
}

const spiral = () => datasets.spiral({ seed: 1 });
const net = (seed = 1, hidden = 32) =>
  new nn.Sequential([new nn.Linear(2, hidden, { seed }), new nn.ReLU(), new nn.Linear(hidden, 3, { seed: seed + 100 })]);

/** The message a call makes in this thread: what the worker's call must reject with. */
function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

const open: nn.ModelWorker[] = [];
async function start(options: Partial<nn.WorkerOptions> = {}): Promise<nn.ModelWorker> {
  const w = await nn.worker({ model: net(), url: script('worker'), ...options });
  open.push(w);
  return w;
}

beforeAll(() => init());
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.terminate()));
  vi.restoreAllMocks();
});

describe('training in a worker', () => {
  it.each([
    [
      'SGD with momentum',
      { type: 'sgd', lr: 0.1, momentum: 0.9 } as const,
      (m: nn.Sequential) => new nn.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }),
    ],
    ['Adam', { type: 'adam', lr: 0.01 } as const, (m: nn.Sequential) => new nn.Adam(m.parameters(), { lr: 0.01 })],
  ])('gives the same weights as nn.fit in this thread, bit for bit (%s)', async (_name, spec, make) => {
    const data = spiral();
    const model = net(7);
    const before = model.save();
    const local = nn.load(before);
    const w = await start({ model });
    const options = { epochs: 60, batchSize: 32, seed: 5 };
    const remote = await w.fit(data, { ...options, optimizer: spec });
    const history = nn.fit(local, data, { ...options, optimizer: make(local) });
    expect(remote.map((r) => r.loss)).toEqual(history.map((r) => r.loss));
    expect(await w.getWeights()).toEqual(local.save());
    const accuracy = nn.evaluate(local, data).accuracy;
    expect(accuracy).toBeGreaterThan(0.9);
    expect(await w.evaluate(data)).toEqual(nn.evaluate(local, data));
    // The caller's model is a copy's source, not the model being trained.
    expect(model.save()).toEqual(before);
    data.x.dispose();
  });

  it('takes typed-array data and a validation set, and reports it per epoch', async () => {
    const { x, y } = spiral();
    const w = await start();
    const local = net();
    const data = { x: { data: Float32Array.from(x.data), shape: x.shape }, y };
    const options = { epochs: 3, batchSize: 50, seed: 2, optimizer: { type: 'sgd', lr: 0.05 } as const };
    const remote = await w.fit(data, { ...options, validation: data });
    const history = nn.fit(local, { x, y }, { ...options, optimizer: new nn.SGD(local.parameters(), { lr: 0.05 }), validation: { x, y } });
    expect(remote.map((r) => r.validation)).toEqual(history.map((r) => r.validation));
    x.dispose();
  });

  it('sends progress after every batch and epoch, to onProgress and to on("progress") listeners', async () => {
    const data = spiral();
    const w = await start();
    const seen: nn.Progress[] = [];
    const heard: string[] = [];
    const stop = w.on('progress', (p) => heard.push(`${p.phase} ${p.epoch}.${p.step}`));
    await w.fit(data, { epochs: 2, batchSize: 100, onProgress: (p) => seen.push(p) });
    const expected = ['batch 1.1', 'batch 1.2', 'batch 1.3', 'epoch 1.3', 'batch 2.1', 'batch 2.2', 'batch 2.3', 'epoch 2.3'];
    expect(seen.map((p) => `${p.phase} ${p.epoch}.${p.step}`)).toEqual(expected);
    expect(heard).toEqual(expected);
    expect(seen.every((p) => p.epochs === 2 && p.steps === 3 && Number.isFinite(p.loss))).toBe(true);
    stop();
    await w.fit(data, { epochs: 1, batchSize: 100 });
    expect(heard).toHaveLength(expected.length);
    data.x.dispose();
  });

  it('a progress listener that throws rejects the fit with its error', async () => {
    const data = spiral();
    const w = await start();
    const error = new RangeError('listener gave up');
    await expect(
      w.fit(data, {
        epochs: 2,
        onProgress: () => {
          throw error;
        },
      }),
    ).rejects.toBe(error);
    expect(await w.getWeights()).toBeInstanceOf(Uint8Array); // still serving
    data.x.dispose();
  });

  it('keeps this thread responsive: a timer keeps firing while the worker trains', async () => {
    const data = spiral();
    const w = await start({ model: net(3, 64) });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 10);
    const started = performance.now();
    // Fits of 500 epochs until 300 ms have passed (at least one, however fast this machine is).
    const fits: number[] = [];
    while (performance.now() - started < 300) {
      const fitStarted = performance.now();
      await w.fit(data, { epochs: 500, batchSize: 16, optimizer: { type: 'sgd', lr: 0.05 } });
      fits.push(performance.now() - fitStarted);
    }
    clearInterval(timer);
    const gaps = ticks.map((t, i) => t - (i === 0 ? started : (ticks[i - 1] as number)));
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    // Trained in this thread, a fit would leave a gap as long as itself.
    expect(Math.max(...gaps)).toBeLessThan(Math.min(...fits) / 2);
    data.x.dispose();
  });

  it('sends data and weights as transferred buffers, never as arrays of numbers', async () => {
    const { Worker: WorkerClass } = inBrowser
      ? { Worker: globalThis.Worker }
      : ((await import('node:worker_threads')) as unknown as { Worker: typeof globalThis.Worker });
    const post = vi.spyOn(WorkerClass.prototype, 'postMessage');
    const data = spiral();
    const model = net();
    const w = await start({ model });
    await w.fit(data, { epochs: 1 });
    await w.setWeights(model);
    const calls = post.mock.calls as unknown as [
      { op: string; data?: { x: { data: Float32Array }; y: Int32Array }; weights?: Uint8Array },
      ArrayBuffer[],
    ][];
    const byOp = (op: string) => calls.find(([message]) => message.op === op) ?? expect.unreachable(`no ${op} message`);
    const [fit, fitTransfer] = byOp('fit');
    expect(fit.data?.x.data).toBeInstanceOf(Float32Array);
    expect(fit.data?.y).toBeInstanceOf(Int32Array);
    expect(fitTransfer).toContain(fit.data?.x.data.buffer);
    expect(fitTransfer).toContain(fit.data?.y.buffer);
    for (const op of ['init', 'setWeights']) {
      const [message, transfer] = byOp(op);
      expect(message.weights).toBeInstanceOf(Uint8Array);
      expect(transfer).toEqual([message.weights?.buffer]);
    }
    // Nothing else in any message is an array longer than a shape.
    const arrays = (value: unknown): number[] =>
      Array.isArray(value)
        ? [value.length, ...value.flatMap(arrays)]
        : value && typeof value === 'object' && !ArrayBuffer.isView(value)
          ? Object.values(value).flatMap(arrays)
          : [];
    expect(Math.max(0, ...calls.flatMap(([message]) => arrays(message)))).toBeLessThanOrEqual(2);
    // The caller's tensors are untouched (a copy crossed, not their memory).
    expect(data.x.shape).toEqual([300, 2]);
    expect(data.y).toHaveLength(300);
    data.x.dispose();
  });
});

/** A progress event without its rate, which is the only part that depends on the clock. */
const event = ({ samplesPerSecond, ...rest }: nn.Progress) => {
  expect(samplesPerSecond).toBeGreaterThan(0);
  return rest;
};

/** What nn.fit reports in this thread for a copy of `model`, with `options` as data turned into objects. */
function fitHere(model: nn.Sequential, data: nn.Dataset, options: nn.WorkerFitOptions) {
  const local = nn.load(model.save());
  const events: nn.Progress[] = [];
  const { optimizer: spec, validation, ...rest } = options;
  let optimizer: nn.Optimizer | undefined;
  if (spec?.type === 'sgd') {
    const { type: _, ...sgd } = spec;
    optimizer = new nn.SGD(local.parameters(), sgd);
  } else if (spec?.type === 'adam') {
    const { type: _, ...adam } = spec;
    optimizer = new nn.Adam(local.parameters(), adam);
  }
  const history = nn.fit(local, data, {
    ...rest,
    ...(optimizer ? { optimizer } : {}),
    ...(validation ? { validation: validation as nn.Dataset } : {}),
    onProgress: (p) => events.push(p),
  });
  return { records: history.map(({ epoch, loss, validation: v }) => ({ epoch, loss, validation: v })), weights: local.save(), events };
}

describe('progress: on("progress") and onProgress, each on its own and together', () => {
  const options = { epochs: 2, batchSize: 128, seed: 3, optimizer: { type: 'sgd', lr: 0.1 } } as const;

  it('w.on("progress") alone hears every batch and epoch event nn.fit reports here', async () => {
    const data = spiral();
    const model = net(5);
    const w = await start({ model });
    const heard: nn.Progress[] = [];
    w.on('progress', (p) => heard.push(p));
    await w.fit(data, options);
    const here = fitHere(model, data, options).events.map(event);
    expect(here).toHaveLength(8); // 300 rows in batches of 128: 3 steps and an epoch event, twice
    expect(heard.map(event)).toEqual(here);
    data.x.dispose();
  });

  it('onProgress alone gets every batch and epoch event nn.fit reports here', async () => {
    const data = spiral();
    const model = net(5);
    const w = await start({ model });
    const seen: nn.Progress[] = [];
    await w.fit(data, { ...options, onProgress: (p) => seen.push(p) });
    expect(seen.map(event)).toEqual(fitHere(model, data, options).events.map(event));
    data.x.dispose();
  });

  it('together: onProgress and every listener each get every event once, in order; a removed listener gets none', async () => {
    const data = spiral();
    const model = net(5);
    const w = await start({ model });
    const log: string[] = [];
    const label = (who: string) => (p: nn.Progress) => log.push(`${who} ${p.phase} ${p.epoch}.${p.step}`);
    w.on('progress', label('first'));
    const stop = w.on('progress', label('second'));
    const removed = label('removed');
    w.on('progress', removed);
    w.off('progress', removed);
    await w.fit(data, { ...options, onProgress: label('onProgress') });
    const steps = ['batch 1.1', 'batch 1.2', 'batch 1.3', 'epoch 1.3', 'batch 2.1', 'batch 2.2', 'batch 2.3', 'epoch 2.3'];
    // onProgress first, then the listeners in the order they were added.
    expect(log).toEqual(steps.flatMap((s) => [`onProgress ${s}`, `first ${s}`, `second ${s}`]));
    log.length = 0;
    stop();
    await w.fit(data, { ...options, epochs: 1 });
    expect(log).toEqual(steps.slice(0, 4).map((s) => `first ${s}`));
    data.x.dispose();
  });

  it('with a validation set, the epoch events carry its scores, as in nn.fit', async () => {
    const data = spiral();
    const held = datasets.spiral({ seed: 2, pointsPerClass: 20 });
    const model = net(5);
    const w = await start({ model });
    const heard: nn.Progress[] = [];
    w.on('progress', (p) => heard.push(p));
    await w.fit(data, { ...options, validation: held });
    const here = fitHere(model, data, { ...options, validation: held }).events.map(event);
    expect(here.filter((p) => p.validation !== undefined)).toHaveLength(2);
    expect(heard.map(event)).toEqual(here);
    data.x.dispose();
    held.x.dispose();
  });
});

describe('fit options cross into the worker: each gives what nn.fit gives here with it', () => {
  const base = { epochs: 2, batchSize: 64, seed: 1, optimizer: { type: 'sgd', lr: 0.1 } } as const;
  const sgd = { type: 'sgd', lr: 0.1 } as const;
  const adam = { type: 'adam', lr: 0.01 } as const;
  // [option, with it, without it]: the second run shows the option changes the result here,
  // so a worker that dropped it would not match.
  const cases: [string, nn.WorkerFitOptions, nn.WorkerFitOptions][] = [
    ['epochs', { ...base, epochs: 3 }, base],
    ['batchSize', { ...base, batchSize: 50 }, base],
    ['shuffle', { ...base, shuffle: false }, base],
    ['seed', { ...base, seed: 2 }, base],
    ['loss', { ...base, loss: 'svm' }, base],
    ['optimizer: none is SGD with lr 0.01', { epochs: 2, batchSize: 64, seed: 1 }, base],
    ['optimizer sgd: lr', { ...base, optimizer: { ...sgd, lr: 0.3 } }, base],
    ['optimizer sgd: momentum', { ...base, optimizer: { ...sgd, momentum: 0.9 } }, base],
    [
      'optimizer sgd: nesterov',
      { ...base, optimizer: { ...sgd, momentum: 0.9, nesterov: true } },
      { ...base, optimizer: { ...sgd, momentum: 0.9 } },
    ],
    ['optimizer sgd: weightDecay', { ...base, optimizer: { ...sgd, weightDecay: 0.05 } }, base],
    ['optimizer adam: lr', { ...base, optimizer: adam }, { ...base, optimizer: { type: 'adam' } }],
    ['optimizer adam: beta1', { ...base, optimizer: { ...adam, beta1: 0.5 } }, { ...base, optimizer: adam }],
    ['optimizer adam: beta2', { ...base, optimizer: { ...adam, beta2: 0.9 } }, { ...base, optimizer: adam }],
    ['optimizer adam: eps', { ...base, optimizer: { ...adam, eps: 0.1 } }, { ...base, optimizer: adam }],
    ['optimizer adam: weightDecay', { ...base, optimizer: { ...adam, weightDecay: 0.05 } }, { ...base, optimizer: adam }],
  ];

  // One worker for all the cases (starting one is most of a case's time), its weights set
  // back to the model's before each: every fit starts from the same weights.
  let model: nn.Sequential;
  let w: nn.ModelWorker;
  beforeAll(async () => {
    await init();
    model = net(9);
    w = await nn.worker({ model, url: script('worker') });
  });
  afterAll(() => w.terminate());

  it.each(cases)('%s', async (_name, options, without) => {
    const data = spiral();
    await w.setWeights(model);
    const remote = await w.fit(data, options);
    const here = fitHere(model, data, options);
    expect(remote.map(({ epoch, loss }) => ({ epoch, loss, validation: undefined }))).toEqual(here.records);
    expect(await w.getWeights()).toEqual(here.weights);
    expect(fitHere(model, data, without).weights).not.toEqual(here.weights);
    data.x.dispose();
  });

  it('validation: scored per epoch as nn.fit scores it, and the weights are those of a fit without it', async () => {
    const data = spiral();
    const held = datasets.spiral({ seed: 2, pointsPerClass: 20 });
    const model = net(9);
    const w = await start({ model });
    const remote = await w.fit(data, { ...base, validation: held });
    const here = fitHere(model, data, { ...base, validation: held });
    expect(remote.map(({ epoch, loss, validation }) => ({ epoch, loss, validation }))).toEqual(here.records);
    expect(here.records.every((r) => r.validation !== undefined)).toBe(true);
    expect(await w.getWeights()).toEqual(fitHere(model, data, base).weights);
    data.x.dispose();
    held.x.dispose();
  });

  it('evaluate: loss and batchSize cross, and give what nn.evaluate gives here', async () => {
    const data = spiral();
    const model = net(9);
    const w = await start({ model });
    for (const options of [{}, { loss: 'svm' as const }, { batchSize: 7, loss: 'svm' as const }]) {
      expect(await w.evaluate(data, options)).toEqual(nn.evaluate(model, data, options));
    }
    expect((await w.evaluate(data, { loss: 'svm' })).loss).not.toBe(nn.evaluate(model, data).loss);
    data.x.dispose();
  });
});

describe('nn.worker options', () => {
  it('model: a Sequential, the bytes its save() wrote, or their ArrayBuffer — the same model', async () => {
    const model = net(4);
    const bytes = model.save();
    for (const given of [model, bytes, bytes.slice().buffer as ArrayBuffer]) {
      const w = await start({ model: given });
      expect(await w.getWeights()).toEqual(bytes);
    }
  });

  it('threads: the worker runs the same build on as many threads as it is given', async () => {
    const w = await start({ threads: 1 });
    expect(await w.backend()).toEqual({ ...backend(), threads: 1 });
  });
});

describe('predict, getWeights, setWeights', () => {
  it('predicts what the model predicts in this thread: a Tensor for a Tensor, data for data', async () => {
    const { x } = spiral();
    const model = net(11);
    const w = await start({ model });
    const expected = Float32Array.from(model.forward(x).data);
    const out = await w.predict(x);
    expect(out).toBeInstanceOf(Tensor);
    expect(out.shape).toEqual([300, 3]);
    expect(out.data).toEqual(expected);
    out.dispose();
    const raw = await w.predict({ data: Float32Array.from(x.data), shape: [300, 2] });
    expect(raw).toEqual({ data: expected, shape: [300, 3] });
    x.dispose();
  });

  it('round-trips weights: getWeights is what save() writes, nn.load rebuilds it, setWeights loads it', async () => {
    const { x } = spiral();
    const model = net(1);
    const other = net(2);
    const w = await start({ model });
    expect(await w.getWeights()).toEqual(model.save());
    await w.setWeights(other);
    const bytes = await w.getWeights();
    expect(bytes).toEqual(other.save());
    // (Copied out: a view over linear memory is detached when the next call grows it.)
    const expected = Float32Array.from(other.forward(x).data);
    expect(nn.load(bytes).forward(x).data).toEqual(expected);
    await w.setWeights(model.save().buffer as ArrayBuffer);
    const again = Float32Array.from(model.forward(x).data);
    const predicted = await w.predict(x);
    expect(predicted.data).toEqual(again);
    predicted.dispose();
    x.dispose();
  });

  it('the worker runs the same build as this thread, with as many threads', async () => {
    const w = await start();
    expect(await w.backend()).toEqual(backend());
  });
});

describe('errors', () => {
  it('an error in the worker rejects with the original class and message, and leaves the model as it was', async () => {
    const { x, y } = spiral();
    const model = net();
    const w = await start({ model });
    const wide = Tensor.zeros([4, 3]);
    const predicted = thrown(() => model.predict(wide));
    await expect(w.predict(wide)).rejects.toThrow(predicted.message);
    await expect(w.predict(wide)).rejects.toBeInstanceOf(ShapeError);
    const bad = { x: wide, y: new Int32Array(4) };
    const fitted = thrown(() => nn.fit(net(), bad, { epochs: 1 }));
    expect(fitted).toBeInstanceOf(ShapeError);
    await expect(w.fit(bad, { epochs: 1 })).rejects.toSatisfy((e: Error) => e instanceof ShapeError && e.message === fitted.message);
    const rate = thrown(() => new nn.SGD(model.parameters(), { lr: Number.NaN }));
    await expect(w.fit({ x, y }, { optimizer: { type: 'sgd', lr: Number.NaN } })).rejects.toSatisfy(
      (e: Error) => e instanceof ValueError && e.message === rate.message,
    );
    const foreign = new nn.Sequential([new nn.Linear(2, 5)]);
    const loaded = thrown(() => model.load(foreign.save()));
    await expect(w.setWeights(foreign)).rejects.toSatisfy((e: Error) => e instanceof ShapeError && e.message === loaded.message);
    expect(await w.getWeights()).toEqual(model.save());
    wide.dispose();
    x.dispose();
  });

  it('refuses what cannot cross, naming the call', async () => {
    const w = await start();
    const data = spiral();
    await expect(w.fit(data, { optimizer: new nn.SGD(net().parameters(), { lr: 1 }) as never })).rejects.toThrow(
      /^nn\.worker: fit: optimizer must be \{ type: 'sgd'/,
    );
    await expect(w.predict({ data: new Float32Array(5), shape: [2, 2] })).rejects.toThrow(
      new ShapeError('nn.worker: predict: x has 5 values but shape [2,2]'),
    );
    await expect(w.predict([[1, 2]] as never)).rejects.toBeInstanceOf(ValueError);
    await expect(nn.worker({ model: 5 as never })).rejects.toThrow(/^nn\.worker: model must be an nn\.Sequential/);
    await expect(nn.worker({ model: net(), threads: 0 })).rejects.toThrow(
      new ValueError('nn.worker: threads must be a positive integer, got 0'),
    );
    const custom = new nn.Sequential([
      new nn.Linear(2, 3),
      { forward: (x: Tensor) => x, backward: (d: Tensor) => d, parameters: () => [] },
    ]);
    await expect(start({ model: custom })).rejects.toThrow(
      new ValueError(
        'nn.worker: the model must be an nn.Sequential of built-in layers (or the bytes its save() wrote): only those can be rebuilt inside a worker',
      ),
    );
    data.x.dispose();
  });

  it('terminate() rejects every pending call with a StateError, and every call after it', async () => {
    const data = spiral();
    const w = await start();
    const training = w.fit(data, { epochs: 2000, batchSize: 8 });
    const predicting = w.predict(data.x);
    const rejected = [
      expect(training).rejects.toThrow(new StateError('nn.worker: fit: the worker was terminated')),
      expect(predicting).rejects.toThrow(new StateError('nn.worker: predict: the worker was terminated')),
    ];
    await w.terminate();
    await Promise.all(rejected);
    await expect(w.getWeights()).rejects.toThrow(new StateError('nn.worker: getWeights: the worker was terminated'));
    expect(w.terminated).toBe(true);
    await w.terminate(); // idempotent
    data.x.dispose();
  });

  it('a worker that crashes rejects every pending call, and every call after it', async () => {
    const w = await start({ url: script('crash') });
    const calls = [w.getWeights(), w.predict({ data: new Float32Array(2), shape: [1, 2] })];
    for (const call of calls)
      await expect(call).rejects.toSatisfy((e: Error) => e instanceof StateError && /the worker (crashed|failed)/.test(e.message));
    await expect(w.getWeights()).rejects.toBeInstanceOf(StateError);
    expect(w.terminated).toBe(true);
  });

  it('a script that does not load rejects nn.worker() instead of hanging', async () => {
    await expect(nn.worker({ model: net(), url: new URL('./worker-fixtures/missing.mjs', import.meta.url) })).rejects.toBeInstanceOf(
      StateError,
    );
  });
});
