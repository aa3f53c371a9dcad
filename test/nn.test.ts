// Layers and losses gradchecked in float64; the lecture's networks; training for real.
import { beforeAll, describe, expect, it } from 'vitest';
import { datasets, type GradInput, gradcheck, init, memoryStats, nn, StateError, Tensor, ValueError } from '../src/index';
import { decodeSafetensors } from '../src/io/safetensors';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(2024);
const randn = (shape: number[], scale = 1) =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * scale),
    shape,
    { dtype: 'float64' },
  );
const weightedSum = (y: Tensor, w: Tensor) => {
  let total = 0;
  for (let i = 0; i < y.size; i++) total += (y.data[i] as number) * (w.data[i] as number);
  return total;
};

/** Gradchecks a module w.r.t. its input and every parameter, with L = Σ w ⊙ module(x). */
function checkModule(module: nn.Module, x: Tensor): void {
  const params = module.parameters();
  const probe = module.forward(x);
  const w = randn(probe.shape as number[]);
  const result = gradcheck(
    (inputs: GradInput[]) => {
      for (const p of params) p.grad.data.fill(0);
      const y = module.forward(inputs[0] as Tensor);
      const value = weightedSum(y, w);
      const dx = module.backward(w, { inputGrad: true }) as Tensor;
      return { value, grads: [Float64Array.from(dx.data), ...params.map((p) => Float64Array.from(p.grad.data))] };
    },
    [x, ...params.map((p) => p.value)],
  );
  expect(result.ok, JSON.stringify(result.worst)).toBe(true);
}

describe('every layer passes gradcheck, input and parameters (float64)', () => {
  it('Linear, with and without bias', () => {
    checkModule(new nn.Linear(5, 3, { dtype: 'float64', seed: 1 }), randn([4, 5]));
    checkModule(new nn.Linear(3, 2, { dtype: 'float64', seed: 2, bias: false }), randn([1, 3]));
  });

  it.each(Object.keys(nn.ACTIVATIONS))('the activation %s (α = 0.7 where it takes one), on both sides of 0', (name) => {
    const x = Tensor.from(
      Float64Array.from({ length: 12 }, (_, i) => (i - 5.5) * 0.37),
      [3, 4],
      { dtype: 'float64' },
    );
    const activation = nn.ACTIVATIONS[name] as (typeof nn.ACTIVATIONS)[string];
    checkModule(activation.make(activation.alpha ? 0.7 : undefined), x);
  });

  it('a bundler that minifies class names changes no saved name (the names are written out)', () => {
    const renamed = Object.values(nn.ACTIVATIONS).map((a) => a.type);
    const names = renamed.map((type) => Object.getOwnPropertyDescriptor(type, 'name'));
    try {
      for (const type of renamed) Object.defineProperty(type, 'name', { value: 'b' });
      const model = new nn.Sequential([new nn.Linear(2, 3, { seed: 1 }), new nn.Tanh(), new nn.Linear(3, 2, { seed: 2 }), new nn.ELU(0.5)]);
      expect(nn.load(model.save()).layers.map((l) => l.name)).toEqual(['Linear', 'Tanh', 'Linear', 'ELU']);
    } finally {
      for (const [i, type] of renamed.entries()) Object.defineProperty(type, 'name', names[i] as PropertyDescriptor);
    }
  });

  it.each(Object.keys(nn.ACTIVATIONS))('the activation %s is saved and loaded by name, with its α', (name) => {
    const activation = nn.ACTIVATIONS[name] as (typeof nn.ACTIVATIONS)[string];
    const model = new nn.Sequential([new nn.Linear(3, 4, { seed: 1 }), activation.make(activation.alpha ? 0.7 : undefined)]);
    const rebuilt = nn.load(model.save());
    expect(rebuilt.layers.map((l) => [l.constructor.name, (l as nn.Activation).alpha])).toEqual([
      ['Linear', undefined],
      [name, activation.alpha ? 0.7 : undefined],
    ]);
    const x = Tensor.from([[0.5, -1, 2]]);
    expect(Array.from(rebuilt.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it('Maxout', () => {
    checkModule(new nn.Maxout(4, 3, 2, { dtype: 'float64', seed: 3 }), randn([5, 4]));
  });

  it('a 2-layer net end to end: f = W2·max(0, W1·x), through softmax cross-entropy', () => {
    const model = new nn.Sequential([
      new nn.Linear(4, 6, { dtype: 'float64', seed: 4 }),
      new nn.ReLU(),
      new nn.Linear(6, 3, { dtype: 'float64', seed: 5 }),
    ]);
    const x = randn([5, 4]);
    const labels = Int32Array.from([0, 2, 1, 1, 0]);
    const params = model.parameters();
    const result = gradcheck(
      () => {
        for (const p of params) p.grad.data.fill(0);
        const { loss, dlogits } = nn.softmaxCrossEntropy(model.forward(x), labels);
        model.backward(dlogits);
        return { value: loss, grads: params.map((p) => Float64Array.from(p.grad.data)) };
      },
      params.map((p) => p.value),
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });
});

describe('gradients add at forks in nn: a parameter read by every row and by every backward until zeroGrad', () => {
  // A Sequential is a chain, so no layer's output feeds two layers; the forks nn has are
  // its parameters: W and b are read by every row of a batch, and by every batch whose
  // backward runs before zeroGrad(). Their gradient must be the sum over both.
  it('two batches, two backward calls, no zeroGrad between: the gradient of the sum of both losses', () => {
    const model = new nn.Sequential([
      new nn.Linear(3, 4, { dtype: 'float64', seed: 6 }),
      new nn.ELU(0.5),
      new nn.Linear(4, 2, { dtype: 'float64', seed: 7 }),
    ]);
    const batches = [randn([5, 3]), randn([2, 3])];
    const labels = [Int32Array.from([0, 1, 1, 0, 1]), Int32Array.from([1, 0])];
    const params = model.parameters();
    const result = gradcheck(
      () => {
        for (const p of params) p.grad.data.fill(0);
        let value = 0;
        batches.forEach((x, i) => {
          const { loss, dlogits } = nn.softmaxCrossEntropy(model.forward(x), labels[i] as Int32Array);
          value += loss;
          model.backward(dlogits);
        });
        return { value, grads: params.map((p) => Float64Array.from(p.grad.data)) };
      },
      params.map((p) => p.value),
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('a bias is read by every row: after two backward calls, db is the column sums of both douts', () => {
    const linear = new nn.Linear(3, 2, { dtype: 'float64', seed: 8 });
    const bias = linear.parameters()[1] as nn.Parameter;
    bias.grad.data.fill(0);
    const douts = [randn([4, 2]), randn([3, 2])];
    for (const dout of douts) {
      linear.forward(randn([dout.shape[0] as number, 3]));
      linear.backward(dout);
    }
    const columnSum = (c: number) =>
      douts.reduce((s, d) => s + (d.toArray() as number[][]).reduce((t, row) => t + (row[c] as number), 0), 0);
    expect(Array.from(bias.grad.data)).toEqual([0, 1].map((c) => expect.closeTo(columnSum(c), 12)));
  });
});

describe('losses pass gradcheck', () => {
  it('softmax cross-entropy, SVM and MSE', () => {
    const scores = Tensor.from(
      Float64Array.from({ length: 12 }, (_, i) => ((i * 5) % 12) * 0.33 - 2),
      [4, 3],
      { dtype: 'float64' },
    );
    const labels = Int32Array.from([1, 0, 2, 2]);
    for (const loss of [nn.softmaxCrossEntropy, nn.svmLoss]) {
      const result = gradcheck(
        (xs) => {
          const { loss: value, grad } = loss(xs[0] as Tensor, labels);
          return { value, grads: [Float64Array.from(grad.data)] };
        },
        [scores],
      );
      expect(result.ok, JSON.stringify(result.worst)).toBe(true);
    }
    const target = randn([4, 3]);
    const result = gradcheck(
      (xs) => {
        const { loss: value, grad } = nn.mse(xs[0] as Tensor, target);
        return { value, grads: [Float64Array.from(grad.data)] };
      },
      [randn([4, 3])],
    );
    expect(result.ok).toBe(true);
  });
});

describe('the lecture’s networks', () => {
  it('neuron_tick: a sigmoid neuron is sigmoid(Σ inputs·weights + bias)', () => {
    const inputs = [0.5, -1.2, 3];
    const weights = [0.4, 0.1, -0.2];
    const bias = 0.3;
    const neuron = new nn.Sequential([new nn.Linear(3, 1, { init: 'zeros' }), new nn.Sigmoid()]);
    const [w, b] = neuron.parameters();
    w?.value.data.set(weights);
    b?.value.data.set([bias]);
    const cellBodySum = inputs.reduce((s, x, i) => s + x * (weights[i] as number), 0) + bias;
    const firingRate = 1 / (1 + Math.exp(-cellBodySum));
    expect(neuron.forward(Tensor.from([inputs])).item()).toBeCloseTo(firingRate, 6);
  });

  it('the forward pass of a 3-layer sigmoid network, 3 → 4 → 4 → 1', () => {
    const f = (x: number) => 1 / (1 + Math.exp(-x));
    const model = new nn.Sequential([
      new nn.Linear(3, 4, { seed: 7 }),
      new nn.Sigmoid(),
      new nn.Linear(4, 4, { seed: 8 }),
      new nn.Sigmoid(),
      new nn.Linear(4, 1, { seed: 9 }),
    ]);
    const [W1, b1, W2, b2, W3, b3] = model.parameters().map((p) => Array.from(p.value.data));
    const x = [0.3, -0.7, 1.1];
    const layer = (W: number[], b: number[], input: number[], out: number) =>
      Array.from({ length: out }, (_, i) => input.reduce((s, v, j) => s + (W[i * input.length + j] as number) * v, 0) + (b[i] as number));
    const h1 = layer(W1 as number[], b1 as number[], x, 4).map(f);
    const h2 = layer(W2 as number[], b2 as number[], h1, 4).map(f);
    const out = layer(W3 as number[], b3 as number[], h2, 1);
    expect(model.forward(Tensor.from([x])).item()).toBeCloseTo(out[0] as number, 5);
  });

  it('2- and 3-layer ReLU nets train on the spiral: ≥ 95% training accuracy', () => {
    const data = datasets.spiral({ seed: 1 });
    const twoLayer = new nn.Sequential([new nn.Linear(2, 100, { seed: 1 }), new nn.ReLU(), new nn.Linear(100, 3, { seed: 2 })]);
    const threeLayer = new nn.Sequential([
      new nn.Linear(2, 64, { seed: 3 }),
      new nn.ReLU(),
      new nn.Linear(64, 64, { seed: 4 }),
      new nn.ReLU(),
      new nn.Linear(64, 3, { seed: 5 }),
    ]);
    for (const model of [twoLayer, threeLayer]) {
      const optimizer = new nn.Adam(model.parameters(), { lr: 0.01 });
      nn.fit(model, data, { epochs: 300, batchSize: 100, optimizer, seed: 1 });
      expect(nn.evaluate(model, data).accuracy).toBeGreaterThanOrEqual(0.95);
    }
    const linear = new nn.Sequential([new nn.Linear(2, 3, { seed: 6 })]);
    nn.fit(linear, data, { epochs: 300, batchSize: 100, optimizer: new nn.SGD(linear.parameters(), { lr: 0.5 }), seed: 1 });
    expect(nn.evaluate(linear, data).accuracy).toBeLessThan(0.6);
  });
});

describe('training', () => {
  it('is deterministic: the same seeds give bit-identical weights', () => {
    const run = () => {
      const data = datasets.spiral({ seed: 2 });
      const model = new nn.Sequential([new nn.Linear(2, 16, { seed: 11 }), new nn.Tanh(), new nn.Linear(16, 3, { seed: 12 })]);
      nn.fit(model, data, {
        epochs: 5,
        batchSize: 32,
        optimizer: new nn.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true }),
        seed: 3,
      });
      return model.parameters().flatMap((p) => Array.from(p.value.data));
    };
    expect(run()).toEqual(run());
  });

  it('1,000 training steps grow linear memory by 0 bytes after the first', () => {
    const model = new nn.Sequential([new nn.Linear(20, 32, { seed: 1 }), new nn.ReLU(), new nn.Linear(32, 5, { seed: 2 })]);
    const optimizer = new nn.Adam(model.parameters());
    const x = Tensor.randn([16, 20], { seed: 5 });
    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 5);
    const step = () => {
      optimizer.zeroGrad();
      const { dlogits } = nn.softmaxCrossEntropy(model.forward(x), labels);
      model.backward(dlogits);
      optimizer.step();
    };
    step();
    const before = memoryStats();
    for (let i = 0; i < 1000; i++) step();
    expect(memoryStats()).toEqual(before);
  });

  it('bad input is a clear error', () => {
    const model = new nn.Sequential([new nn.Linear(2, 3)]);
    expect(() => model.forward(Tensor.zeros([4, 5]))).toThrow('Linear.forward: x must be [batch, 2], got [4,5]');
    expect(() => new nn.Linear(2, 3).backward(Tensor.zeros([1, 3]))).toThrow(StateError);
    expect(() => new nn.Linear(0, 3)).toThrow('Linear: in must be a positive integer, got 0');
    expect(() => new nn.SGD(model.parameters(), { lr: -1 })).toThrow('SGD: lr must be a finite number ≥ 0, got -1');
    expect(() => new nn.Adam(model.parameters(), { beta1: 1 })).toThrow(ValueError);
    const data = { x: Tensor.zeros([4, 2]), y: Int32Array.from([0, 1, 2]) };
    expect(() => nn.fit(model, data)).toThrow('fit: 4 samples in x but 3 in y');
    expect(() => nn.fit(model, { x: Tensor.zeros([4, 2]), y: Int32Array.from([0, 1, 2, 0]) }, { epochs: 0 })).toThrow(ValueError);
  });
});

describe('save and load (safetensors)', () => {
  const makeModel = () =>
    new nn.Sequential([
      new nn.Linear(4, 8, { seed: 21 }),
      new nn.LeakyReLU(0.2),
      new nn.Maxout(8, 3, 2, { seed: 22 }),
      new nn.Linear(3, 2, { seed: 23 }),
    ]);

  it('round-trips exactly, through model.load and through nn.load', () => {
    const model = makeModel();
    const bytes = model.save();
    const x = Tensor.randn([5, 4], { seed: 9 });
    const expected = Array.from(model.forward(x).data);
    const rebuilt = nn.load(bytes);
    expect(rebuilt.layers.map((l) => l.constructor.name)).toEqual(['Linear', 'LeakyReLU', 'Maxout', 'Linear']);
    expect(Array.from(rebuilt.forward(x).data)).toEqual(expected);
    const other = new nn.Sequential([new nn.Linear(4, 8), new nn.LeakyReLU(0.2), new nn.Maxout(8, 3, 2), new nn.Linear(3, 2)]);
    other.load(bytes);
    expect(other.parameters().map((p) => Array.from(p.value.data))).toEqual(model.parameters().map((p) => Array.from(p.value.data)));
  });

  it('a file for a different architecture is a clear error and changes nothing', () => {
    const bytes = makeModel().save();
    const different = new nn.Sequential([new nn.Linear(4, 9), new nn.ReLU(), new nn.Linear(9, 2)]);
    const before = different.parameters().map((p) => Array.from(p.value.data));
    expect(() => different.load(bytes)).toThrow('load: "0.weight" is [8,4] in the file but [9,4] in the model');
    expect(different.parameters().map((p) => Array.from(p.value.data))).toEqual(before);
    expect(() => new nn.Sequential([new nn.Linear(4, 8)]).load(bytes)).toThrow(
      'load: the file has tensors the model does not: 2.bias, 2.weight, 3.bias, 3.weight',
    );
    expect(() => nn.load(bytes.subarray(0, 40))).toThrow(ValueError);
  });
});

describe('Linear’s initial weights, by their distribution (100 inputs, 150 outputs: 15,000 draws)', () => {
  // He: N(0, 2/fanIn), std 0.141 here. Xavier/Glorot: U(±√(6/(fanIn + fanOut))), a limit of
  // 0.155 and a std of limit/√3. Biases start at 0. Sample moments of 15,000 draws land
  // within 3% of these; the other rule's would not (std 0.141 vs 0.089).
  const [fanIn, fanOut] = [100, 150];
  const moments = (layer: nn.Linear) => {
    const w = Array.from(layer.weight.value.data);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    return { mean, std, largest: Math.max(...w.map(Math.abs)), bias: Array.from(layer.bias?.value.data ?? []) };
  };
  const he = Math.sqrt(2 / fanIn);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const isHe = (m: ReturnType<typeof moments>) => {
    expect(Math.abs(m.mean)).toBeLessThan(0.03 * he);
    expect(m.std).toBeGreaterThan(0.97 * he);
    expect(m.std).toBeLessThan(1.03 * he);
    expect(m.largest).toBeGreaterThan(3 * he); // a normal's tails, past any uniform's limit here
  };
  const isXavier = (m: ReturnType<typeof moments>) => {
    expect(Math.abs(m.mean)).toBeLessThan(0.03 * limit);
    expect(m.std).toBeGreaterThan((0.97 * limit) / Math.sqrt(3));
    expect(m.std).toBeLessThan((1.03 * limit) / Math.sqrt(3));
    expect(m.largest).toBeLessThanOrEqual(limit);
    expect(m.largest).toBeGreaterThan(0.999 * limit);
  };

  it("'he' by default, 'xavier' and 'zeros' when asked; biases 0", () => {
    const byDefault = moments(new nn.Linear(fanIn, fanOut, { seed: 3 }));
    isHe(byDefault);
    isHe(moments(new nn.Linear(fanIn, fanOut, { seed: 4, init: 'he' })));
    isXavier(moments(new nn.Linear(fanIn, fanOut, { seed: 5, init: 'xavier' })));
    const zeros = moments(new nn.Linear(fanIn, fanOut, { seed: 6, init: 'zeros' }));
    expect([zeros.largest, zeros.std]).toEqual([0, 0]);
    for (const m of [byDefault, zeros]) expect(m.bias).toEqual(new Array(fanOut).fill(0));
  });

  it('a Sequential gives a Linear followed by sigmoid or tanh Xavier, unless the Linear chose', () => {
    const layer = (options: nn.LinearOptions = {}) => new nn.Linear(fanIn, fanOut, { seed: 7, ...options });
    const [beforeSigmoid, beforeTanh, beforeRelu, last, chosen] = [layer(), layer(), layer(), layer(), layer({ init: 'he' })];
    new nn.Sequential([beforeSigmoid, new nn.Sigmoid(), beforeTanh, new nn.Tanh()]);
    new nn.Sequential([beforeRelu, new nn.ReLU(), chosen, new nn.Tanh(), last]);
    isXavier(moments(beforeSigmoid));
    isXavier(moments(beforeTanh));
    isHe(moments(beforeRelu));
    isHe(moments(chosen));
    isHe(moments(last));
  });
});

describe('Linear and an activation layer called by hand', () => {
  it('backward(dout) with no options returns dx = dout·W (and ReLU’s its masked dout)', () => {
    const layer = new nn.Linear(2, 3, { seed: 1, dtype: 'float64' });
    const w = layer.weight.value.toArray() as number[][];
    layer.forward(Tensor.from([[0.5, -1]], undefined, { dtype: 'float64' }));
    const dout = [[1, -2, 0.5]];
    const dx = layer.backward(Tensor.from(dout, undefined, { dtype: 'float64' })).toArray() as number[][];
    const expected = [0, 1].map((j) => dout[0]?.reduce((sum, d, i) => sum + d * (w[i]?.[j] as number), 0) as number);
    expect(dx[0]).toEqual(expected.map((v) => expect.closeTo(v, 12)));
    const relu = new nn.ReLU();
    relu.forward(Tensor.from([[-1, 2, 0]]));
    expect(relu.backward(Tensor.from([[5, 6, 7]])).toArray()).toEqual([[0, 6, 0]]);
  });

  it('refuses an x or a dout of the wrong shape or dtype, naming both shapes', () => {
    const layer = new nn.Linear(2, 3, { seed: 1 });
    expect(() => layer.forward(Tensor.zeros([4, 2, 1]))).toThrow('Linear.forward: x must be [batch, 2], got [4,2,1]');
    expect(() => layer.predict(Tensor.zeros([4, 5]))).toThrow('Linear.predict: x must be [batch, 2], got [4,5]');
    expect(() => layer.forward(Tensor.zeros([4, 2], { dtype: 'float64' }))).toThrow('Linear.forward: x is float64, the weights float32');
    layer.forward(Tensor.zeros([4, 2]));
    for (const [shape, dtype] of [
      [[12], 'float32'],
      [[3, 3], 'float32'],
      [[4, 2], 'float32'],
      [[4, 3], 'float64'],
    ] as const) {
      expect(() => layer.backward(Tensor.zeros([...shape], { dtype })), `${shape} ${dtype}`).toThrow(
        `Linear.backward: dout is [${shape.join(',')}], the output was [4,3]`,
      );
    }
  });
});

describe('the optimizers’ arguments', () => {
  it('refuse what is not a parameter list or an options object, and name each bad option with its bound', () => {
    const params = new nn.Linear(2, 2, { seed: 1 }).parameters();
    const notParams = 'SGD: params must be an array of { value, grad } tensors, as model.parameters() returns';
    expect(() => new nn.SGD([...params, { value: Tensor.zeros([2]) }] as never, { lr: 0.1 })).toThrow(notParams);
    expect(() => new nn.SGD([null] as never, { lr: 0.1 })).toThrow(notParams);
    expect(() => new nn.SGD(params, null as never)).toThrow(/^SGD: options must be an object with at least lr/);
    expect(() => new nn.Adam(params, null as never)).toThrow(/^Adam: options must be an object such as \{ lr: 1e-3 \}/);
    const refusals: [() => unknown, string][] = [
      [() => new nn.SGD(params, { lr: '0.1' as never }), 'SGD: lr must be a finite number ≥ 0, got 0.1'],
      [() => new nn.SGD(params, { lr: 0.1, momentum: -0.5 }), 'SGD: momentum must be a finite number ≥ 0, got -0.5'],
      [() => new nn.SGD(params, { lr: 0.1, weightDecay: -1 }), 'SGD: weightDecay must be a finite number ≥ 0, got -1'],
      [() => new nn.Adam(params, { lr: -1 }), 'Adam: lr must be a finite number ≥ 0, got -1'],
      [() => new nn.Adam(params, { eps: -1 }), 'Adam: eps must be a finite number ≥ 0, got -1'],
      [() => new nn.Adam(params, { weightDecay: Number.NaN }), 'Adam: weightDecay must be a finite number ≥ 0, got NaN'],
      [() => new nn.Adam(params, { beta1: -0.1 }), 'Adam: beta1 must be in [0, 1), got -0.1'],
      [() => new nn.Adam(params, { beta2: 1 }), 'Adam: beta2 must be in [0, 1), got 1'],
    ];
    for (const [make, message] of refusals) expect(make).toThrow(message);
  });
});

describe('nn.Sequential’s layers', () => {
  it('refuses an empty list and a layer without forward or backward, naming its index', () => {
    expect(() => new nn.Sequential([])).toThrow('Sequential: give it a non-empty array of layers');
    const layer = { forward: (x: Tensor) => x, parameters: () => [] };
    expect(() => new nn.Sequential([new nn.ReLU(), layer as never])).toThrow('Sequential: layer 1 has no forward/backward');
    expect(() => new nn.Sequential([{ ...layer, forward: undefined, backward: () => null } as never])).toThrow(
      'Sequential: layer 0 has no forward/backward',
    );
    expect(() => new nn.Sequential([undefined as never])).toThrow('Sequential: layer 0 has no forward/backward');
  });
});

describe('a layer names its type', () => {
  it('every built-in layer has a name, the one model files write, which a minifying bundler leaves as it is', () => {
    const layers: Array<[nn.Module, string]> = [
      [new nn.Linear(2, 3), 'Linear'],
      [new nn.Conv2d(1, 2, 3), 'Conv2d'],
      [new nn.MaxPool2d(2), 'MaxPool2d'],
      [new nn.AvgPool2d(2), 'AvgPool2d'],
      [new nn.Flatten(), 'Flatten'],
      [new nn.Dropout(0.5), 'Dropout'],
      [new nn.Maxout(4, 2, 3), 'Maxout'],
      [new nn.BatchNorm1d(3), 'BatchNorm1d'],
      [new nn.BatchNorm2d(3), 'BatchNorm2d'],
      [new nn.ReLU(), 'ReLU'],
      [new nn.LeakyReLU(0.2), 'LeakyReLU'],
      [new nn.Sigmoid(), 'Sigmoid'],
      [new nn.Tanh(), 'Tanh'],
      [new nn.ELU(), 'ELU'],
      [new nn.Softplus(), 'Softplus'],
      [new nn.Sequential([new nn.ReLU()]), 'Sequential'],
    ];
    for (const [layer, name] of layers) expect(layer.name, name).toBe(name);
    // The names the layer list of a saved file gives these layers' types.
    const model = new nn.Sequential(layers.slice(0, 9).map(([layer]) => layer));
    const { metadata } = decodeSafetensors(nn.save(model));
    const written = JSON.parse(metadata['wasmgrad.layers'] ?? '[]') as Array<{ type: string }>;
    expect(written.map((spec) => spec.type)).toEqual(layers.slice(0, 9).map(([, name]) => name));
  });
});
