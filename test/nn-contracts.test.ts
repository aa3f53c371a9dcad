// What src/nn promises that mutation testing (StrykerJS, README: Mutation testing) found no
// test holding it to: the losses' values and gradients against their definitions written
// out here in float64, which loss buffer a call writes, and each refusal of bad input by its
// error class and its whole message, the object still working after it.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, init, memoryStats, nn, ShapeError, StateError, Tensor, ValueError } from '../src/index';
import { expectRefusal, rng } from './helpers';

beforeAll(() => init());

const f64 = (rows: number[][]) => Tensor.from(rows, undefined, { dtype: 'float64' });

/** rows × cols scores in float64, of mixed sign, a row's values spread over a few units. */
function scores(rows: number, cols: number, seed: number): number[][] {
  const random = rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => random() * 6 - 3));
}

describe('the losses against their definitions (float64, computed here)', () => {
  const s = scores(4, 5, 1);
  const labels = [3, 0, 4, 1];
  const rows = s.length;

  it('softmaxCrossEntropy: the mean of −log softmax(s)[label]; dlogits = (softmax − onehot)/rows', () => {
    const probs = s.map((row) => {
      const top = Math.max(...row);
      const e = row.map((v) => Math.exp(v - top));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    });
    const loss = probs.reduce((a, p, r) => a - Math.log(p[labels[r] as number] as number), 0) / rows;
    const grad = probs.map((p, r) => p.map((v, c) => (v - (c === labels[r] ? 1 : 0)) / rows));
    const result = nn.softmaxCrossEntropy(f64(s), labels);
    expect(result.loss).toBeCloseTo(loss, 12);
    expect(result.grad.toArray()).toEqual(grad.map((row) => row.map((v) => expect.closeTo(v, 12))));
    expect(result.dlogits).toBe(result.grad);
  });

  it('svmLoss: the mean over rows of Σ_{j ≠ label} max(0, s_j − s_label + 1); +1/rows inside the margin, −count/rows at the label', () => {
    let loss = 0;
    const grad = s.map((row, r) => {
      const label = labels[r] as number;
      const g = row.map(() => 0);
      row.forEach((v, j) => {
        const margin = v - (row[label] as number) + 1;
        if (j === label || margin <= 0) return;
        loss += margin;
        g[j] = 1 / rows;
        g[label] = (g[label] as number) - 1 / rows;
      });
      return g;
    });
    const result = nn.svmLoss(f64(s), labels);
    expect(result.loss).toBeCloseTo(loss / rows, 12);
    expect(result.grad.toArray()).toEqual(grad.map((row) => row.map((v) => expect.closeTo(v, 12))));
  });

  it('mse: the mean over all elements of (p − t)²; dp = 2(p − t)/n', () => {
    const t = scores(4, 5, 2);
    const n = rows * 5;
    const loss = s.flat().reduce((a, v, i) => a + (v - (t.flat()[i] as number)) ** 2, 0) / n;
    const result = nn.mse(f64(s), f64(t));
    expect(result.loss).toBeCloseTo(loss, 12);
    expect(result.grad.toArray()).toEqual(s.map((row, r) => row.map((v, c) => expect.closeTo((2 * (v - (t[r]?.[c] as number))) / n, 12))));
  });
});

describe('which buffer a loss writes: one per source of scores', () => {
  it.each([
    ['softmaxCrossEntropy', (x: Tensor) => nn.softmaxCrossEntropy(x, [0, 2])],
    ['svmLoss', (x: Tensor) => nn.svmLoss(x, [0, 2])],
    ['mse', (x: Tensor) => nn.mse(x, Tensor.from([[0.5, 0, -1]]))],
  ] as const)('%s: a second call on the same source makes the first gradient stale, saying which call wrote it', (name, loss) => {
    // mse's target has one row: the model below outputs one row for it.
    const model = new nn.Sequential([new nn.Linear(2, 3, { seed: 1 })]);
    const x = Tensor.from(
      name === 'mse'
        ? [[1, -2]]
        : [
            [1, -2],
            [0.5, 3],
          ],
    );
    const first = loss(model.forward(x));
    const kept = Array.from(first.grad.data);
    // Scores of other sources (the model's predict buffer, a tensor of the user's) have gradients of their own.
    const other = loss(model.predict(x));
    const own = loss(Tensor.from(Array.from({ length: x.shape[0] as number }, () => [3, 1, 2])));
    expect(Array.from(first.grad.data)).toEqual(kept);
    expect(Array.from(other.grad.data)).toEqual(kept);
    expect(own.grad.data.length).toBe(kept.length);
    const again = loss(model.forward(x));
    expectRefusal(
      () => first.grad.data,
      StateError,
      `data: this tensor (${name}'s gradient from an earlier call) has been overwritten since by a later ${name} call; clone() a result you want to keep`,
    );
    expect(Array.from(again.grad.data)).toEqual(kept);
  });

  // A Linear that passes its input through (float64, identity weights, no bias), so its
  // second row can be scores 3.4e308 apart: finite whichever label or target is given, and
  // the loss overflows for one label (or target) and not for another.
  it.each([
    ['softmaxCrossEntropy', (out: Tensor, refused: boolean) => nn.softmaxCrossEntropy(out, refused ? [0, 0] : [0, 1])],
    ['svmLoss', (out: Tensor, refused: boolean) => nn.svmLoss(out, refused ? [0, 0] : [0, 1])],
    ['mse', (out: Tensor, refused: boolean) => nn.mse(out, f64([[0, 0], refused ? [1.7e308, -1.7e308] : [-1.7e308, 1.7e308]]))],
  ] as const)(
    '%s: a refused call leaves the gradient of the earlier call on the same scores as it was, and backward still takes it',
    (name, loss) => {
      const model = new nn.Sequential([new nn.Linear(2, 2, { dtype: 'float64', bias: false })]);
      model.parameters()[0]?.value.data.set([1, 0, 0, 1]);
      const x = f64([
        [1, 2],
        [-1.7e308, 1.7e308],
      ]);
      const out = model.forward(x);
      const first = loss(out, false);
      const kept = Array.from(first.grad.data);
      expect(kept.slice(0, 2).some((g) => g !== 0)).toBe(true);
      expectRefusal(() => loss(out, true), ValueError, `${name}: the loss is Infinity`);
      expect(Array.from(first.grad.data)).toEqual(kept);
      // dW = Σ_rows doutᵀ·x: the second row's gradient is 0 in each loss, so only the first row's counts.
      model.backward(first.grad);
      const [g0, g1] = kept as [number, number];
      expect(Array.from(model.parameters()[0]?.grad.data ?? [])).toEqual([g0 * 1, g0 * 2, g1 * 1, g1 * 2]);
    },
  );
});

describe('the losses refuse bad input, naming the op and the value, and work after', () => {
  const good = () => Tensor.from([[1, 2, 3]]);
  it.each([
    [
      'softmaxCrossEntropy: logits not a tensor',
      () => nn.softmaxCrossEntropy('x' as never, [0]),
      ValueError,
      'softmaxCrossEntropy.forward: logits must be a Tensor, got "x"',
    ],
    [
      'softmaxCrossEntropy: a loss that overflows (float64 logits 3.4e308 apart)',
      () => nn.softmaxCrossEntropy(f64([[-1.7e308, 1.7e308]]), [0]),
      ValueError,
      'softmaxCrossEntropy: the loss is Infinity',
    ],
    // A margin past the largest double: the mean is Infinity, which the loss refuses as softmaxCrossEntropy does.
    [
      'svmLoss: a loss that overflows (float64 scores 3.4e308 apart)',
      () => nn.svmLoss(f64([[1.7e308, -1.7e308]]), [1]),
      ValueError,
      'svmLoss: the loss is Infinity',
    ],
    [
      'svmLoss: scores not a tensor',
      () => nn.svmLoss(null as never, [0]),
      ValueError,
      'svmLoss.forward: scores must be a Tensor, got null',
    ],
    [
      'mse: prediction not a tensor',
      () => nn.mse([[1, 2, 3]] as never, good()),
      ValueError,
      'mse: prediction must be a Tensor, got an array of length 1',
    ],
    ['mse: target not a tensor', () => nn.mse(good(), 'a' as never), ValueError, 'mse: target must be a Tensor, got "a"'],
    [
      'mse: shapes differ',
      () => nn.mse(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])),
      ShapeError,
      'mse: prediction float32 [2,3] and target float32 [3,2] differ',
    ],
    [
      'mse: dtypes differ',
      () => nn.mse(Tensor.zeros([2, 3]), Tensor.zeros([2, 3], { dtype: 'float64' })),
      ShapeError,
      'mse: prediction float32 [2,3] and target float64 [2,3] differ',
    ],
    [
      'mse: a square that overflows float32',
      () => nn.mse(Tensor.from([[1e30, 2, 3]]), Tensor.zeros([1, 3])),
      ValueError,
      'mse: the loss is Infinity',
    ],
  ] as const)('%s', (_case, call, kind, message) => {
    expectRefusal(call, kind, message);
    expect(nn.softmaxCrossEntropy(good(), [2]).loss).toBeCloseTo(-Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))), 6);
    expect(nn.mse(good(), Tensor.from([[1, 0, 3]])).loss).toBeCloseTo(4 / 3, 6);
  });
});

describe('Linear.reset', () => {
  it("'zeros' zeroes weights another initializer drew (and the bias), 'he' draws them again as at first", () => {
    const layer = new nn.Linear(4, 3, { seed: 5 });
    const drawn = Array.from(layer.weight.value.data);
    expect(drawn.some((w) => w !== 0)).toBe(true);
    layer.bias?.value.data.fill(0.5);
    layer.reset('zeros');
    expect(Array.from(layer.weight.value.data)).toEqual(new Array(12).fill(0));
    expect(Array.from(layer.bias?.value.data ?? [])).toEqual([0, 0, 0]);
    layer.reset('he');
    expect(Array.from(layer.weight.value.data)).toEqual(drawn);
  });
});

describe('nn.fit and nn.evaluate free the DataLoader they make when they return', () => {
  it('a second call on the same model and data leaves exactly as many bytes in use as the first', () => {
    const random = rng(3);
    const x = Tensor.from(Array.from({ length: 12 }, () => [random(), random(), random()]));
    const y = Int32Array.from({ length: 12 }, (_, i) => i % 2);
    const model = new nn.Sequential([new nn.Linear(3, 4, { seed: 1 }), new nn.ReLU(), new nn.Linear(4, 2, { seed: 2 })]);
    for (const run of [() => nn.fit(model, { x, y }, { batchSize: 5 }), () => nn.evaluate(model, { x, y }, { batchSize: 5 })]) {
      run();
      const after = memoryStats().bytesInUse;
      run();
      expect(memoryStats().bytesInUse).toBe(after);
    }
  });
});

describe('nn.fit on a model that diverges', () => {
  const random = rng(3);
  const rows = Array.from({ length: 32 }, () => [random(), random(), random()]);
  const targetRows = Array.from({ length: 32 }, () => [random(), random()]);
  const labels = Int32Array.from({ length: 32 }, (_, i) => i % 2);
  const model = () => new nn.Sequential([new nn.Linear(3, 8, { seed: 1 }), new nn.ReLU(), new nn.Linear(8, 2, { seed: 2 })]);

  /** What fit throws training `model()` on `data` with SGD at `lr`, batches of 4, for up to 50 epochs. */
  function refusal(lr: number, loss: nn.LossName, data: nn.Dataset): Error {
    const m = model();
    try {
      nn.fit(m, data, { batchSize: 4, epochs: 50, loss, optimizer: new nn.SGD(m.parameters(), { lr }) });
    } catch (error) {
      return error as Error;
    }
    throw new Error('fit returned');
  }

  it.each([
    // The loss overflows on finite scores.
    [1e3, 'mse', 'mse: the loss is Infinity'],
    [1e30, 'svm', 'svmLoss: the loss is Infinity'],
    // The scores themselves stop being finite, which the loss refuses before its value.
    [1e20, 'softmaxCrossEntropy', "softmaxCrossEntropy.forward: a logit is NaN at element 0, outside the op's domain or range"],
  ] as const)(
    'at lr %s, the %s loss refused as not finite on finite data: fit names the step and says to lower the learning rate',
    (lr, loss, cause) => {
      const error = refusal(lr, loss, { x: Tensor.from(rows), y: loss === 'mse' ? Tensor.from(targetRows) : labels });
      expect(error).toBeInstanceOf(ValueError);
      expect(error.message).toMatch(/^fit: at epoch [1-9]\d*, step [1-8], (.*): the model diverged; lower the learning rate$/);
      expect(error.message).toContain(`, ${cause}: the model diverged`);
    },
  );

  it("a layer's refusal of an activation that is not finite is the model diverging too (two hidden layers, lr 1e30)", () => {
    const m = new nn.Sequential([
      new nn.Linear(3, 8, { seed: 1 }),
      new nn.ReLU(),
      new nn.Linear(8, 8, { seed: 3 }),
      new nn.ReLU(),
      new nn.Linear(8, 2, { seed: 2 }),
    ]);
    expectRefusal(
      () => nn.fit(m, { x: Tensor.from(rows), y: labels }, { batchSize: 4, optimizer: new nn.SGD(m.parameters(), { lr: 1e30 }) }),
      ValueError,
      "fit: at epoch 1, step 2, ReLU.forward: relu of Tensor(float32 [4, 8]) is Infinity at element 3, outside the op's domain or range: the model diverged; lower the learning rate",
    );
  });

  it('names the epoch and a step of 1 when the whole data set is one batch and it diverges in a later epoch', () => {
    const m = model();
    expectRefusal(
      () =>
        nn.fit(
          m,
          { x: Tensor.from(rows), y: Tensor.from(targetRows) },
          { batchSize: 32, epochs: 10, loss: 'mse', optimizer: new nn.SGD(m.parameters(), { lr: 1e10 }) },
        ),
      ValueError,
      'fit: at epoch 3, step 1, mse: the loss is Infinity: the model diverged; lower the learning rate',
    );
  });

  it('passes a refusal on as it was thrown where the data are at fault, not the learning rate', () => {
    const labelOut = Int32Array.from(labels, (label, i) => (i === 9 ? 2 : label));
    const badLabel = refusal(0.01, 'softmaxCrossEntropy', { x: Tensor.from(rows), y: labelOut });
    expect(badLabel).toBeInstanceOf(ValueError);
    // Which row of its batch the label is in depends on the shuffle.
    expect(badLabel.message).toMatch(/^softmaxCrossEntropy\.forward: label \d is 2, not a class index in \[0, 2\)$/);
    // Data a step has not touched: written past Tensor.from's check, or finite but past what the first step's forward can square.
    const infinite = Tensor.from(rows);
    infinite.data[5 * 3] = Number.POSITIVE_INFINITY;
    expect(refusal(0.01, 'softmaxCrossEntropy', { x: infinite, y: labels }).message).toMatch(
      /^ReLU\.forward: relu of Tensor\(float32 \[4, 8\]\) is (Infinity|NaN) at element \d+, outside the op's domain or range$/,
    );
    const infiniteTarget = Tensor.from(targetRows);
    infiniteTarget.data[10 * 2] = Number.POSITIVE_INFINITY;
    const huge = Tensor.from(rows.map((row) => row.map((v) => v * 1e30)));
    for (const data of [
      { x: Tensor.from(rows), y: infiniteTarget },
      { x: huge, y: Tensor.from(targetRows) },
    ]) {
      expectRefusal(
        () => {
          throw refusal(0.01, 'mse', data);
        },
        ValueError,
        'mse: the loss is Infinity',
      );
    }
  });
});

describe('model files: what load reads, refuses and frees', () => {
  /** A safetensors file of `parts` (name, dtype, shape, raw little-endian bytes), written out byte by byte. */
  function file(parts: [string, 'F32' | 'I64', number[], Uint8Array][]): Uint8Array {
    let offset = 0;
    const header: Record<string, unknown> = {};
    for (const [name, dtype, shape, bytes] of parts) {
      header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
      offset += bytes.length;
    }
    let json = JSON.stringify(header);
    while (json.length % 8 !== 0) json += ' ';
    const out = new Uint8Array(8 + json.length + offset);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(new TextEncoder().encode(json), 8);
    let at = 8 + json.length;
    for (const [, , , bytes] of parts) {
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }
  const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

  it('a layer on its own (no buffers, no Sequential) saves and loads its parameters by their own names', () => {
    const layer = new nn.Linear(2, 2, { seed: 4 });
    const bytes = nn.save(layer);
    const other = new nn.Linear(2, 2, { seed: 5 });
    nn.loadInto(other, bytes);
    expect(other.parameters().map((p) => [p.name, Array.from(p.value.data)])).toEqual(
      layer.parameters().map((p) => [p.name, Array.from(p.value.data)]),
    );
  });

  it("skips PyTorch's I64 num_batches_tracked of a batch norm saved on its own (no layer index before the name)", () => {
    const bn = new nn.BatchNorm1d(2);
    nn.loadInto(
      bn,
      file([
        ['bias', 'F32', [2], f32([0.5, -0.5])],
        ['num_batches_tracked', 'I64', [], new Uint8Array(new BigInt64Array([7n]).buffer)],
        ['running_mean', 'F32', [2], f32([1, 2])],
        ['running_var', 'F32', [2], f32([3, 4])],
        ['weight', 'F32', [2], f32([2, 3])],
      ]),
    );
    expect([bn.weight, bn.bias].map((p) => Array.from(p?.value.data ?? []))).toEqual([
      [2, 3],
      [0.5, -0.5],
    ]);
    expect([Array.from(bn.runningMean.data), Array.from(bn.runningVar.data)]).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('a file that lacks a tensor the model has names it and what the file holds (or that it holds none), and changes nothing', () => {
    const model = new nn.Sequential([new nn.Linear(2, 1, { seed: 1 })]);
    const before = model.parameters().map((p) => Array.from(p.value.data));
    const cases: [Uint8Array, string][] = [
      [file([]), 'load: the file has no tensor "0.weight" (it has none): a file for another architecture?'],
      [
        file([
          ['0.bias', 'F32', [1], f32([1])],
          ['1.weight', 'F32', [1, 2], f32([1, 2])],
        ]),
        'load: the file has no tensor "0.weight" (it has 0.bias, 1.weight): a file for another architecture?',
      ],
    ];
    for (const [bytes, message] of cases) {
      const inUse = memoryStats().bytesInUse;
      expectRefusal(() => model.load(bytes), ShapeError, message);
      expect(memoryStats().bytesInUse).toBe(inUse);
    }
    expect(model.parameters().map((p) => Array.from(p.value.data))).toEqual(before);
    const inUse = memoryStats().bytesInUse;
    model.load(
      file([
        ['0.bias', 'F32', [1], f32([0.25])],
        ['0.weight', 'F32', [1, 2], f32([1, 2])],
      ]),
    );
    expect(memoryStats().bytesInUse).toBe(inUse);
    expect(model.parameters().map((p) => Array.from(p.value.data))).toEqual([[1, 2], [0.25]]);
  });
});

describe('nn.load of a file whose tensors mix float32 and float64', () => {
  it('rebuilds the model in float64, so that no value of the file is rounded', () => {
    const model = new nn.Sequential([new nn.Linear(2, 1, { dtype: 'float64', seed: 1 })]);
    model.parameters()[0]?.value.data.set([0.1, 1 / 3]);
    const { tensors, metadata } = decodeSafetensors(nn.save(model));
    // The bias as float32, the weight left in float64.
    tensors.set('0.bias', Tensor.from([0.5]));
    const loaded = nn.load(encodeSafetensors(tensors, metadata));
    for (const t of tensors.values()) t.dispose();
    expect(loaded.parameters().map((p) => [p.name, p.value.dtype, Array.from(p.value.data)])).toEqual([
      ['0.weight', 'float64', [0.1, 1 / 3]],
      ['0.bias', 'float64', [0.5]],
    ]);
  });
});

describe('nn.save writes a layer list only when every layer is one load can rebuild', () => {
  const metadataOf = (bytes: Uint8Array) => {
    const { tensors, metadata } = decodeSafetensors(bytes);
    for (const t of tensors.values()) t.dispose();
    return metadata;
  };

  it('none for a Sequential holding a module of no class (made without a prototype: its constructor is undefined)', () => {
    const bare: nn.Module = Object.assign(Object.create(null) as object, {
      forward: (x: Tensor) => x,
      backward: (dout: Tensor) => dout,
      parameters: () => [],
    });
    const model = new nn.Sequential([new nn.Linear(2, 2, { seed: 1 }), bare]);
    expect(metadataOf(model.save())).toEqual({});
    expect(metadataOf(new nn.Sequential([new nn.Linear(2, 2, { seed: 1 }), new nn.ReLU()]).save())).toEqual({
      'wasmgrad.layers': '[{"type":"Linear","in":2,"out":2,"bias":true},{"type":"ReLU"}]',
    });
  });
});

describe('nn.Flatten', () => {
  it('[N, …] → [N, the product of the rest], a batch of none too (as PyTorch: [0, 3, 2, 2] → [0, 12]), and dout back in the input’s shape', () => {
    const model = new nn.Sequential([new nn.Flatten(), new nn.Linear(12, 2, { seed: 1 })]);
    for (const batch of [2, 0]) {
      const x = Tensor.from(
        Float32Array.from({ length: batch * 12 }, (_, i) => i / 10),
        [batch, 3, 2, 2],
      );
      expect(model.layers[0]?.forward(x).shape).toEqual([batch, 12]);
      expect(model.predict(x).shape).toEqual([batch, 2]);
      const y = model.forward(x);
      expect(model.backward(Tensor.zeros([batch, 2]), { inputGrad: true }).shape).toEqual([batch, 3, 2, 2]);
      expect(y.shape).toEqual([batch, 2]);
    }
  });

  it('refuses a dout of another shape or dtype than its output, naming both; the forward it kept still differentiates', () => {
    const flatten = new nn.Flatten();
    flatten.forward(Tensor.zeros([2, 3, 4]));
    expectRefusal(
      () => flatten.backward(Tensor.zeros([2, 3, 4])),
      ShapeError,
      'Flatten.backward: dout is float32 [2,3,4], the output was float32 [2,12]',
    );
    expectRefusal(
      () => flatten.backward(Tensor.zeros([3, 8])),
      ShapeError,
      'Flatten.backward: dout is float32 [3,8], the output was float32 [2,12]',
    );
    expectRefusal(
      () => flatten.backward(Tensor.zeros([2, 12], { dtype: 'float64' })),
      ShapeError,
      'Flatten.backward: dout is float64 [2,12], the output was float32 [2,12]',
    );
    expectRefusal(() => flatten.forward(Tensor.from(1)), ShapeError, 'Flatten.forward: x must have a batch dimension, got []');
    expect(flatten.backward(Tensor.ones([2, 12])).shape).toEqual([2, 3, 4]);
    expect(flatten.backward(Tensor.ones([2, 12]), { inputGrad: false })).toBeNull();
  });
});

describe('the optimizers’ bounds are inclusive where they say ≥ 0', () => {
  it('lr, momentum and weight decay of exactly 0 are accepted: a step of lr 0 moves nothing', () => {
    for (const make of [
      (params: nn.Parameter[]) => new nn.SGD(params, { lr: 0, momentum: 0, weightDecay: 0 }),
      (params: nn.Parameter[]) => new nn.Adam(params, { lr: 0, beta1: 0, beta2: 0, eps: 0, weightDecay: 0 }),
    ]) {
      const layer = new nn.Linear(3, 2, { seed: 1 });
      const before = layer.parameters().map((p) => Array.from(p.value.data));
      const optimizer = make(layer.parameters());
      for (const p of layer.parameters()) p.grad.data.fill(0.5);
      optimizer.step();
      expect(layer.parameters().map((p) => Array.from(p.value.data))).toEqual(before);
      optimizer.lr = 0;
      expect(optimizer.lr).toBe(0);
    }
  });

  it('Adam names itself when its parameter list is not one', () => {
    expectRefusal(
      () => new nn.Adam([{ value: null }] as never),
      ValueError,
      'Adam: params must be an array of { value, grad } tensors, as model.parameters() returns',
    );
  });
});
