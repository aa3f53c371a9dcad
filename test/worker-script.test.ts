// nn.worker's script (src/worker/worker.ts) run in this thread, behind a stand-in for
// node:worker_threads' parentPort: each request is what the handle sends, each reply is
// checked against what the same call gives here. test/worker.test.ts runs the script in a
// real worker thread, where a test cannot see inside it (nor can mutation testing, which
// sees only this thread): this file holds its every branch to what it must do.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  backend,
  datasets,
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  init,
  memoryStats,
  nn,
  ShapeError,
  StateError,
  Tensor,
  ValueError,
} from '../src/index';
import { loadedModule } from '../src/wasm/load';
import type { Reply, Request } from '../src/worker/protocol';

/** What the script sees of parentPort, and what it posted. */
const port = vi.hoisted(() => {
  const listeners: ((request: unknown) => void)[] = [];
  const posted: { reply: unknown; transfer: ArrayBuffer[] }[] = [];
  return {
    listeners,
    posted,
    on(event: string, listener: (request: unknown) => void) {
      if (event === 'message') listeners.push(listener);
    },
    postMessage(reply: unknown, transfer: ArrayBuffer[]) {
      posted.push({ reply, transfer });
    },
  };
});
vi.mock('node:worker_threads', () => ({ parentPort: port }));

type Sent = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

let nextId = 1;

/** Sends `request`; resolves to its final reply (ok or not), with what it transferred and the progress posted on the way. */
async function send(request: Sent): Promise<{ reply: Reply & { ok: boolean }; transfer: ArrayBuffer[]; progress: nn.Progress[] }> {
  const id = nextId++;
  const listener = port.listeners[0] as (request: unknown) => void;
  listener({ ...request, id });
  const mine = () => port.posted.filter(({ reply }) => (reply as Reply).id === id);
  await vi.waitFor(() => expect(mine().some(({ reply }) => 'ok' in (reply as Reply))).toBe(true), { timeout: 20_000, interval: 1 });
  const all = mine();
  const last = all.find(({ reply }) => 'ok' in (reply as Reply)) as { reply: Reply & { ok: boolean }; transfer: ArrayBuffer[] };
  const progress = all
    .filter(({ reply }) => 'progress' in (reply as Reply))
    .map(({ reply }) => (reply as { progress: nn.Progress }).progress);
  return { ...last, progress };
}

async function expectError(request: Sent, kind: string, message: string): Promise<void> {
  const { reply } = await send(request);
  expect(reply.ok).toBe(false);
  expect((reply as { error: { name: string; message: string } }).error).toMatchObject({ name: kind, message });
}

const net = (seed = 1) => new nn.Sequential([new nn.Linear(2, 6, { seed }), new nn.ReLU(), new nn.Linear(6, 3, { seed: seed + 10 })]);
const asData = (t: Tensor) => ({ data: t.data.slice(), shape: [...t.shape] });
const initRequest = (weights: Uint8Array): Sent => ({
  op: 'init',
  module: loadedModule() as WebAssembly.Module,
  threads: backend().threads,
  weights,
});

beforeAll(async () => {
  // The script shares this thread's core: its init request must ask for what this init
  // chose, which a default init() makes depend on the machine's cores.
  await init({ threads: 1 });
  await import('../src/worker/worker');
  await vi.waitFor(() => expect(port.listeners).toHaveLength(1));
});
afterEach(() => {
  port.posted.length = 0;
});

describe('nn.worker’s script, in this thread', () => {
  it('before init has given it a model, every call is a StateError naming the call', async () => {
    for (const op of ['fit', 'evaluate', 'predict', 'getWeights', 'setWeights'] as const) {
      const request = { op, data: { x: { data: new Float32Array(2), shape: [1, 2] }, y: new Int32Array(1) }, options: {}, progress: false };
      await expectError(
        { ...request, x: request.data.x, weights: new Uint8Array(0) } as Sent,
        StateError.name,
        `nn.worker: ${op}: the worker has no model yet`,
      );
    }
  });

  it('init refuses bytes without a layer list in words of its own, passes a damaged list’s FormatError on, and keeps no tensor of either', async () => {
    const custom = nn.save({
      forward: (x: Tensor) => x,
      backward: () => null,
      parameters: () => new nn.Linear(2, 2, { seed: 1 }).parameters(),
    });
    // A layer list whose first Linear takes 9 inputs, beside weights [6, 2]: a FormatError of nn.load's.
    const { tensors } = decodeSafetensors(net().save());
    const edited = encodeSafetensors(tensors, {
      'wasmgrad.layers': '[{"type":"Linear","in":9,"out":6,"bias":true},{"type":"ReLU"},{"type":"Linear","in":6,"out":3,"bias":true}]',
    });
    for (const t of tensors.values()) t.dispose();
    const before = memoryStats().bytesInUse;
    await expectError(
      initRequest(custom),
      ValueError.name,
      'nn.worker: the model must be an nn.Sequential of built-in layers (or the bytes its save() wrote): only those can be rebuilt inside a worker',
    );
    const { reply } = await send(initRequest(edited));
    expect((reply as { error: { name: string } }).error.name).toBe(FormatError.name);
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('serves each op as the same call here serves it, in the order sent', async () => {
    const model = net(3);
    const local = nn.load(model.save());
    // Sent at once: init is asynchronous, and each call must wait for the one before it.
    const started = send(initRequest(model.save()));
    const engine = send({ op: 'backend' });
    expect((await started).reply).toEqual({ id: expect.any(Number), ok: true, result: null });
    expect((await engine).reply).toMatchObject({ ok: true, result: backend() });

    const { x, y } = datasets.spiral({ seed: 2, pointsPerClass: 7 });
    const data = { x: asData(x), y };
    const options = { epochs: 2, batchSize: 16, seed: 4 };
    const sgd = await send({
      op: 'fit',
      data,
      options: { ...options, optimizer: { type: 'sgd', lr: 0.1, momentum: 0.9 } },
      progress: false,
    });
    const here = nn.fit(local, { x, y }, { ...options, optimizer: new nn.SGD(local.parameters(), { lr: 0.1, momentum: 0.9 }) });
    expect(sgd.reply).toMatchObject({ ok: true });
    expect((sgd.reply as { result: nn.EpochRecord[] }).result.map((r) => r.loss)).toEqual(here.map((r) => r.loss));
    expect(sgd.progress).toEqual([]);

    const adam = await send({
      op: 'fit',
      data,
      options: { ...options, optimizer: { type: 'adam', lr: 0.01 }, validation: data },
      progress: true,
    });
    const seen: nn.Progress[] = [];
    const again = nn.fit(
      local,
      { x, y },
      {
        ...options,
        optimizer: new nn.Adam(local.parameters(), { lr: 0.01 }),
        validation: { x, y },
        onProgress: (p) => seen.push(p),
      },
    );
    const records = (adam.reply as { result: nn.EpochRecord[] }).result;
    expect(records.map((r) => [r.loss, r.validation])).toEqual(again.map((r) => [r.loss, r.validation]));
    const rateless = ({ samplesPerSecond: _, ...rest }: nn.Progress) => rest;
    expect(adam.progress.map(rateless)).toEqual(seen.map(rateless));

    // Without an optimizer: SGD, lr 0.01, as nn.fit's default.
    await send({ op: 'fit', data, options, progress: false });
    nn.fit(local, { x, y }, options);

    const evaluated = await send({ op: 'evaluate', data, options: { batchSize: 7 } });
    expect(evaluated.reply).toMatchObject({ ok: true, result: nn.evaluate(local, { x, y }, { batchSize: 7 }) });

    const predicted = await send({ op: 'predict', x: asData(x) });
    const result = (predicted.reply as { result: { data: Float32Array; shape: number[] } }).result;
    expect(result.shape).toEqual([21, 3]);
    expect(result.data).toEqual(local.predict(x).data.slice());
    expect(predicted.transfer).toEqual([result.data.buffer]);

    const weights = await send({ op: 'getWeights' });
    expect((weights.reply as { result: Uint8Array }).result).toEqual(local.save());
    expect(weights.transfer).toEqual([(weights.reply as { result: Uint8Array }).result.buffer]);

    const other = net(9);
    expect((await send({ op: 'setWeights', weights: other.save() })).reply).toMatchObject({ ok: true, result: null });
    expect((await send({ op: 'getWeights' })).reply).toMatchObject({ result: other.save() });
    x.dispose();
  });

  it('a float64 model predicts float64 data', async () => {
    const model = new nn.Sequential([new nn.Linear(2, 2, { seed: 1, dtype: 'float64' })]);
    await send(initRequest(model.save()));
    const x = Tensor.from([[0.25, -1]], undefined, { dtype: 'float64' });
    const { reply } = await send({ op: 'predict', x: asData(x) });
    const result = (reply as { result: { data: Float64Array } }).result;
    expect(result.data).toBeInstanceOf(Float64Array);
    expect(Array.from(result.data)).toEqual(Array.from(model.predict(x).data));
  });

  it('frees the tensors a call makes of its data, after it returns or throws', async () => {
    await send(initRequest(net().save()));
    const { x, y } = datasets.spiral({ seed: 2, pointsPerClass: 4 });
    const data = { x: asData(x), y: { data: Float32Array.from(y, (v) => v), shape: [y.length, 1] } };
    const calls: Sent[] = [
      { op: 'fit', data: { x: data.x, y }, options: { validation: { x: data.x, y } }, progress: false },
      { op: 'evaluate', data: { x: data.x, y }, options: {} },
      { op: 'predict', x: data.x },
      // Target rows for a loss that needs labels: refused after the tensors are made.
      { op: 'fit', data, options: {}, progress: false },
      { op: 'fit', data, options: { validation: data }, progress: false },
    ];
    for (const call of calls) await send(call);
    const settled = memoryStats().bytesInUse;
    for (const call of calls) await send(call);
    expect(memoryStats().bytesInUse).toBe(settled);
    x.dispose();
  });

  it('refuses an optimizer it does not know, and a request it does not know, naming them; still serving after', async () => {
    await send(initRequest(net().save()));
    const data = { x: { data: new Float32Array(4), shape: [2, 2] }, y: new Int32Array(2) };
    await expectError(
      { op: 'fit', data, options: { optimizer: { type: 'rmsprop' } as never }, progress: false },
      ValueError.name,
      `nn.worker: fit: optimizer.type must be 'sgd' or 'adam', got "rmsprop"`,
    );
    await expectError({ op: 'transpose' } as never, ValueError.name, 'nn.worker: unknown request "transpose"');
    await expectError(
      { op: 'predict', x: { data: new Float32Array(3), shape: [1, 3] } },
      ShapeError.name,
      'Linear.predict: x must be [batch, 2], got [1,3]',
    );
    expect((await send({ op: 'backend' })).reply).toMatchObject({ ok: true });
  });
});
