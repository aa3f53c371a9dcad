// The loop a user writes: batches from a DataLoader (or one tensor refilled with
// Tensor.set), forward, loss, backward, step — allocating nothing after the first step,
// disposing nothing, and training exactly as nn.fit does.
import { beforeAll, describe, expect, it } from 'vitest';
import { datasets, init, memoryStats, nn, ShapeError, StateError, Tensor, ValueError } from '../src/index';

beforeAll(() => init());

const rows = (t: Tensor) => t.toArray() as number[][];

describe('nn.DataLoader', () => {
  const data = () => ({
    x: Tensor.from(
      Float32Array.from({ length: 10 * 3 }, (_, i) => i),
      [10, 3],
    ),
    y: Int32Array.from({ length: 10 }, (_, i) => i),
  });

  it('in order: batches of batchSize rows, the last one smaller, each row with its label', () => {
    const loader = new nn.DataLoader(data(), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const seen = [];
    for (const { x, y, size, index } of loader) seen.push({ first: rows(x)[0]?.[0], labels: Array.from(y as Int32Array), size, index });
    expect(seen).toEqual([
      { first: 0, labels: [0, 1, 2, 3], size: 4, index: 0 },
      { first: 12, labels: [4, 5, 6, 7], size: 4, index: 1 },
      { first: 24, labels: [8, 9], size: 2, index: 2 },
    ]);
  });

  it('shuffled: every sample once per epoch, rows kept with their labels, a new order each epoch, the same for the same seed', () => {
    const epoch = (loader: nn.DataLoader) => {
      const pairs: [number, number][] = [];
      for (const { x, y } of loader)
        pairs.push(...rows(x).map((row, i): [number, number] => [row[0] as number, (y as Int32Array)[i] as number]));
      return pairs;
    };
    const loader = new nn.DataLoader(data(), { batchSize: 4, shuffle: true, seed: 7 });
    const first = epoch(loader);
    const second = epoch(loader);
    for (const order of [first, second]) {
      expect(order.map(([value]) => value / 3).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const [value, label] of order) expect(value / 3).toBe(label);
    }
    expect(first).not.toEqual(second);
    const again = new nn.DataLoader(data(), { batchSize: 4, shuffle: true, seed: 7 });
    expect([epoch(again), epoch(again)]).toEqual([first, second]);
  });

  it('dropLast leaves out the smaller last batch; target rows (a Tensor y) are gathered too', () => {
    const { x } = data();
    const y = Tensor.from(
      Float32Array.from({ length: 10 * 2 }, (_, i) => i),
      [10, 2],
    );
    const loader = new nn.DataLoader({ x, y }, { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    const batches = [];
    for (const batch of loader) batches.push(rows(batch.y as Tensor));
    expect(batches).toEqual([
      [
        [0, 1],
        [2, 3],
        [4, 5],
        [6, 7],
      ],
      [
        [8, 9],
        [10, 11],
        [12, 13],
        [14, 15],
      ],
    ]);
  });

  it("a batch is the loader's buffer: kept past the next batch it is stale", () => {
    const iterator = new nn.DataLoader(data(), { batchSize: 4 })[Symbol.iterator]();
    const first = iterator.next().value as nn.Batch;
    iterator.next();
    expect(() => first.x.toArray()).toThrow(StateError);
    expect(() => first.x.toArray()).toThrow('overwritten since by the next batch of the DataLoader');
  });

  it('bad options and data are clear errors', () => {
    expect(() => new nn.DataLoader(data(), { batchSize: 0 })).toThrow('DataLoader: batchSize must be a positive integer, got 0');
    expect(() => new nn.DataLoader({ x: Tensor.zeros([3, 2]), y: new Int32Array(2) })).toThrow(ShapeError);
    expect(() => new nn.DataLoader(data(), { batchSize: 11, dropLast: true })).toThrow(ValueError);
    const gone = data();
    const loader = new nn.DataLoader(gone);
    gone.x.dispose();
    expect(() => [...loader]).toThrow(/^DataLoader: data\.x .* has been disposed/);
  });

  it('at the edges of its options and data: batchSize 1, dropLast with exactly one batch, and what it refuses', () => {
    const ones = [...new nn.DataLoader(data(), { batchSize: 1 })];
    expect(ones.map((b) => b.size)).toEqual(new Array(10).fill(1));
    const exact = new nn.DataLoader(data(), { batchSize: 10, dropLast: true });
    expect([...exact].map((b) => [b.size, Array.from(b.y)])).toEqual([[10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]]);
    expect(() => new nn.DataLoader(data(), { shuffle: true, seed: 1.5 })).toThrow('DataLoader: seed must be an integer, got 1.5');
    expect(() => new nn.DataLoader(null as never)).toThrow('DataLoader: data must be { x: Tensor, y: Int32Array | Tensor }');
    expect(() => new nn.DataLoader({ x: Tensor.zeros([3]), y: new Int32Array(3) })).toThrow(
      'DataLoader: x must be [samples, features], got [3]',
    );
    const y = Tensor.zeros([10, 1]);
    y.dispose();
    expect(() => new nn.DataLoader({ x: data().x, y })).toThrow(/^DataLoader: data\.y .* has been disposed/);
  });
});

describe('the training loop of the README', () => {
  const spiral = () => datasets.spiral({ pointsPerClass: 100, seed: 1 });
  const model = () => new nn.Sequential([new nn.Linear(2, 32, { seed: 1 }), new nn.ReLU(), new nn.Linear(32, 3, { seed: 2 })]);

  it('trains exactly as nn.fit does, and allocates nothing after its first step', () => {
    const { x, y } = spiral();
    const byHand = model();
    const optimizer = new nn.SGD(byHand.parameters(), { lr: 0.5, momentum: 0.9 });
    const loader = new nn.DataLoader({ x, y }, { batchSize: 32, shuffle: true, seed: 3 });
    let after: ReturnType<typeof memoryStats> | null = null;
    for (let epoch = 0; epoch < 5; epoch++) {
      for (const batch of loader) {
        optimizer.zeroGrad();
        const { dlogits } = nn.softmaxCrossEntropy(byHand.forward(batch.x), batch.y as Int32Array);
        byHand.backward(dlogits);
        optimizer.step();
        after ??= memoryStats();
      }
    }
    // 300 samples in batches of 32: the smaller last batch reuses every buffer too.
    expect(memoryStats()).toEqual(after);
    const fitted = model();
    nn.fit(fitted, { x, y }, { epochs: 5, batchSize: 32, seed: 3, optimizer: new nn.SGD(fitted.parameters(), { lr: 0.5, momentum: 0.9 }) });
    expect(byHand.parameters().map((p) => Array.from(p.value.data))).toEqual(fitted.parameters().map((p) => Array.from(p.value.data)));
    expect(nn.evaluate(byHand, { x, y }).accuracy).toBeGreaterThan(0.6);
  });

  it('an epoch loop around nn.fit and nn.evaluate: no allocation after the first either', () => {
    // Each call makes a DataLoader for itself and must free its buffers on return: a
    // synchronous loop never lets a collected one be freed.
    const { x, y } = spiral();
    const net = model();
    const optimizer = new nn.SGD(net.parameters(), { lr: 0.5 });
    const epoch = () => {
      nn.fit(net, { x, y }, { batchSize: 32, optimizer });
      return nn.evaluate(net, { x, y }, { batchSize: 64 });
    };
    epoch();
    const before = memoryStats();
    for (let i = 0; i < 20; i++) epoch();
    expect(memoryStats()).toEqual(before);
  });

  it('with one input tensor refilled by Tensor.set each step: no allocation either', () => {
    const { x, y } = spiral();
    const net = model();
    const optimizer = new nn.SGD(net.parameters(), { lr: 0.5 });
    const all = Float32Array.from(x.data);
    const input = Tensor.zeros([20, 2]);
    const step = (i: number) => {
      const start = (i % 15) * 20;
      input.set(all.subarray(start * 2, (start + 20) * 2));
      optimizer.zeroGrad();
      const { dlogits } = nn.softmaxCrossEntropy(net.forward(input), y.subarray(start, start + 20));
      net.backward(dlogits);
      optimizer.step();
    };
    step(0);
    const before = memoryStats();
    for (let i = 1; i < 200; i++) step(i);
    expect(memoryStats()).toEqual(before);
  });
});

describe('Tensor.set', () => {
  it('copies new values in, from a typed array, a flat array or nested arrays', () => {
    const t = Tensor.zeros([2, 2]);
    expect(t.set(new Float32Array([1, 2, 3, 4])).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(t.set([5, 6, 7, 8]).toArray()).toEqual([
      [5, 6],
      [7, 8],
    ]);
    expect(
      t
        .set([
          [9, 8],
          [7, 6],
        ])
        .toArray(),
    ).toEqual([
      [9, 8],
      [7, 6],
    ]);
    const d = Tensor.zeros([3], { dtype: 'float64' });
    expect(d.set(new Float64Array([0.1, 0.2, 0.3])).toArray()).toEqual([0.1, 0.2, 0.3]);
  });

  it('refuses a bad value before changing anything: the tensor keeps its old values', () => {
    const t = Tensor.from([1, 2, 3]);
    expect(() => t.set(new Float32Array([4, Number.NaN, 6]))).toThrow('Tensor.set: element 1 must be a finite number, got NaN');
    expect(() => t.set(new Float64Array([4, 5, 1e39]))).toThrow('Tensor.set: element 2 (1e+39) is outside the range of float32');
    expect(() => t.set([4, '5' as never, 6])).toThrow('Tensor.set: element 1 must be a finite number, got "5"');
    expect(() => t.set([4, 5])).toThrow(ShapeError);
    expect(() => Tensor.zeros([2, 2]).set([[1, 2, 3, 4]])).toThrow(ShapeError);
    expect(t.toArray()).toEqual([1, 2, 3]);
  });

  it('is for tensors of yours: a buffer a gate or layer owns is refused', () => {
    const layer = new nn.Linear(2, 2);
    expect(() => layer.forward(Tensor.zeros([1, 2])).set([1, 2])).toThrow(/^Tensor\.set: this tensor is Linear's output/);
  });
});

describe('memoryStats', () => {
  it('counts the tensors you made and have not disposed', () => {
    const before = memoryStats();
    const made = [Tensor.zeros([10]), Tensor.from([1, 2]), Tensor.zeros([10]).clone()];
    const during = memoryStats();
    expect(during.userTensors - before.userTensors).toBe(4); // zeros([10]) for clone() is still alive too
    expect(during.userTensorBytes - before.userTensorBytes).toBe(4 * (10 + 2 + 10 + 10));
    for (const t of made) t.dispose();
    expect(memoryStats().userTensors - before.userTensors).toBe(1);
  });
});
