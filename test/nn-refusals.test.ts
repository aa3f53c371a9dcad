// Each nn layer's, optimizer's and loader's refusals of bad input — the error's class and its
// whole message, which names the op and what is at fault — and the object still working
// after; the layer-list checks nn.load makes of a file, one field at a time; and the modes,
// names and buffers the layers report. Written for the survivors of mutation testing
// (StrykerJS on src/nn, README: Mutation testing): each case is something no test held.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, FormatError, init, nn, ShapeError, StateError, Tensor, ValueError } from '../src/index';
import { expectRefusal } from './helpers';

beforeAll(() => init());

describe('constructors refuse bad options, naming the layer and the value', () => {
  it.each([
    [
      'BatchNorm1d affine',
      () => new nn.BatchNorm1d(2, { affine: 'yes' as never }),
      ValueError,
      'BatchNorm1d: affine must be true or false, got "yes"',
    ],
    [
      'BatchNorm1d 0 features',
      () => new nn.BatchNorm1d(0),
      ValueError,
      'BatchNorm1d: the number of features must be a positive integer, got 0',
    ],
    [
      'BatchNorm2d 1.5 channels',
      () => new nn.BatchNorm2d(1.5),
      ValueError,
      'BatchNorm2d: the number of channels must be a positive integer, got 1.5',
    ],
    ['Conv2d bias', () => new nn.Conv2d(1, 1, 1, { bias: 'yes' as never }), ValueError, 'Conv2d: bias must be true or false, got "yes"'],
    [
      'Conv2d dtype',
      () => new nn.Conv2d(1, 1, 1, { dtype: 'int8' as never }),
      ValueError,
      `Conv2d: dtype must be 'float32' or 'float64', got "int8"`,
    ],
    ['Conv2d seed', () => new nn.Conv2d(1, 1, 1, { seed: 1.5 }), ValueError, 'Conv2d: seed must be an integer, got 1.5'],
    [
      'Linear init',
      () => new nn.Linear(1, 1, { init: 'glorot' as never }),
      ValueError,
      `Linear: init must be 'he', 'xavier', 'zeros' or left out, got "glorot"`,
    ],
    [
      'Adam options 5',
      () => new nn.Adam(new nn.Linear(1, 1).parameters(), 5 as never),
      ValueError,
      'Adam: options must be an object such as { lr: 1e-3 }, got 5',
    ],
    [
      'DataLoader dropLast',
      () => new nn.DataLoader({ x: Tensor.zeros([3, 2]), y: new Int32Array(3) }, { batchSize: 4, dropLast: true }),
      ValueError,
      'DataLoader: with dropLast, 3 samples make no batch of 4',
    ],
    [
      'DataLoader data a function',
      () => new nn.DataLoader(Object.assign(() => 0, { x: Tensor.zeros([3, 2]), y: new Int32Array(3) }) as never),
      ValueError,
      'DataLoader: data must be { x: Tensor, y: Int32Array | Tensor }',
    ],
  ] as const)('%s', (_name, call, kind, message) => {
    expectRefusal(call, kind, message);
  });

  it('the smallest sizes are accepted: one feature, one channel', () => {
    expect(new nn.BatchNorm1d(1).forward(Tensor.from([[1], [3]])).toArray()).toEqual([[expect.closeTo(-1, 4)], [expect.closeTo(1, 4)]]);
    expect(new nn.BatchNorm2d(1).numFeatures).toBe(1);
  });

  it('Linear.reset refuses an initializer it does not know, and leaves the weights as they were', () => {
    const layer = new nn.Linear(3, 2, { seed: 1 });
    const before = Array.from(layer.weight.value.data);
    expectRefusal(() => layer.reset('' as never), ValueError, `Linear.reset: init must be 'he', 'xavier', 'zeros', got ""`);
    expect(Array.from(layer.weight.value.data)).toEqual(before);
  });
});

describe('the layers name themselves in the errors of their calls, and still work after', () => {
  const x = () => Tensor.zeros([4, 2]);
  it('Linear: x and dout that are not tensors; a dout of rank 3; an input disposed since forward', () => {
    const layer = new nn.Linear(2, 3, { seed: 1 });
    expectRefusal(() => layer.forward(null as never), ValueError, 'Linear.forward: x must be a Tensor, got null');
    layer.forward(x());
    expectRefusal(() => layer.backward(null as never), ValueError, 'Linear.backward: dout must be a Tensor, got null');
    expectRefusal(() => layer.backward(Tensor.zeros([4, 3, 1])), ShapeError, 'Linear.backward: dout is [4,3,1], the output was [4,3]');
    expect(layer.backward(Tensor.zeros([4, 3])).shape).toEqual([4, 2]);
    const gone = x();
    layer.forward(gone);
    gone.dispose();
    expectRefusal(
      () => layer.backward(Tensor.zeros([4, 3])),
      StateError,
      'Linear.backward: its input x (Tensor(float32 [4, 2])), kept by forward, has been disposed since',
    );
  });

  it('Conv2d, MaxPool2d, AvgPool2d, Maxout, Dropout, BatchNorm1d and Flatten', () => {
    const conv = new nn.Conv2d(1, 2, 2, { seed: 1 });
    conv.forward(Tensor.zeros([1, 1, 3, 3]));
    expectRefusal(
      () => conv.backward(Tensor.zeros([1, 2, 3, 3])),
      ShapeError,
      'Conv2d.backward: dy is float32 [1,2,3,3], the output was float32 [1,2,2,2]',
    );
    expect(conv.backward(Tensor.zeros([1, 2, 2, 2])).shape).toEqual([1, 1, 3, 3]);
    for (const [Pool, name] of [
      [nn.MaxPool2d, 'MaxPool2d'],
      [nn.AvgPool2d, 'AvgPool2d'],
    ] as const) {
      const pool = new Pool(2);
      pool.forward(Tensor.zeros([1, 1, 4, 4]));
      expectRefusal(
        () => pool.backward(Tensor.zeros([1, 1, 4, 4])),
        ShapeError,
        `${name}.backward: dy is float32 [1,1,4,4], the output was float32 [1,1,2,2]`,
      );
      expect(pool.backward(Tensor.zeros([1, 1, 2, 2])).shape).toEqual([1, 1, 4, 4]);
    }
    const maxout = new nn.Maxout(2, 2, 2, { seed: 1 });
    expectRefusal(() => maxout.backward(Tensor.zeros([1, 2])), StateError, 'Maxout.backward: called before forward');
    maxout.forward(Tensor.zeros([1, 2]));
    expectRefusal(
      () => maxout.backward(Tensor.zeros([1, 3])),
      ShapeError,
      'Maxout.backward: dout is [1,3] float32, the output was [1,2] float32',
    );
    expect(maxout.backward(Tensor.zeros([1, 2])).shape).toEqual([1, 2]);
    const dropout = new nn.Dropout(0.5, { seed: 1 });
    expectRefusal(() => dropout.backward(Tensor.zeros([1, 2])), StateError, 'Dropout.backward: called before forward');
    expectRefusal(() => dropout.predict(null as never), ValueError, 'Dropout.predict: x must be a Tensor, got null');
    const bn = new nn.BatchNorm1d(2);
    expectRefusal(
      () => bn.predict(Tensor.zeros([2])),
      ShapeError,
      'BatchNorm1d.predict: x must be [N, C] or [N, C, L] with C = 2, got [2]',
    );
    const flatten = new nn.Flatten();
    expectRefusal(() => flatten.predict(Tensor.from(1)), ShapeError, 'Flatten.predict: x must have a batch dimension, got []');
    flatten.forward(Tensor.zeros([2, 2]));
    expectRefusal(() => flatten.backward(null as never), ValueError, 'Flatten.backward: dout must be a Tensor, got null');
    // Rank 1 has a batch dimension: [3] → [3, 1].
    expect(flatten.forward(Tensor.zeros([3])).shape).toEqual([3, 1]);
  });

  it('predict buffers and gradients say which call overwrote them', () => {
    const stale = (t: Tensor) => {
      try {
        t.data;
      } catch (error) {
        return (error as Error).message;
      }
      return 'not stale';
    };
    const linear = new nn.Linear(2, 3, { seed: 1 });
    const predicted = linear.predict(Tensor.zeros([1, 2]));
    linear.predict(Tensor.zeros([1, 2]));
    expect(stale(predicted)).toBe(
      "data: this tensor (Linear.predict's output from an earlier call) has been overwritten since by a later Linear.predict; clone() a result you want to keep",
    );
    linear.forward(Tensor.zeros([1, 2]));
    const dx = linear.backward(Tensor.zeros([1, 3]));
    linear.forward(Tensor.zeros([1, 2]));
    linear.backward(Tensor.zeros([1, 3]));
    expect(stale(dx)).toBe(
      "data: this tensor (Linear's gradient from an earlier call) has been overwritten since by a later Linear.backward; clone() a result you want to keep",
    );
    const maxout = new nn.Maxout(2, 2, 2, { seed: 1 });
    const out = maxout.predict(Tensor.zeros([1, 2]));
    maxout.predict(Tensor.zeros([1, 2]));
    expect(stale(out)).toBe(
      "data: this tensor (Maxout.predict's output from an earlier call) has been overwritten since by a later Maxout.predict; clone() a result you want to keep",
    );
    const y = Tensor.from([[1], [2], [3], [4]]);
    const iterator = new nn.DataLoader({ x: Tensor.zeros([4, 2]), y }, { batchSize: 2 })[Symbol.iterator]();
    const first = (iterator.next().value as nn.Batch<Tensor>).y;
    iterator.next();
    expect(stale(first)).toBe(
      "data: this tensor (DataLoader's batch from an earlier call) has been overwritten since by the next batch of the DataLoader; clone() a result you want to keep",
    );
  });

  it("a pooling or activation layer's predict names itself Layer.predict, in what it refuses and in its stale outputs", () => {
    expectRefusal(() => new nn.MaxPool2d(2).predict('x' as never), ValueError, 'MaxPool2d.predict.forward: x must be a Tensor, got "x"');
    const relu = new nn.ReLU();
    const out = relu.predict(Tensor.zeros([1, 2]));
    relu.predict(Tensor.zeros([1, 2]));
    expectRefusal(
      () => out.data,
      StateError,
      "data: this tensor (ReLU.predict's output from an earlier call) has been overwritten since by a later ReLU.predict; clone() a result you want to keep",
    );
  });

  it('Flatten names x when it is not a tensor, in forward and predict', () => {
    const flatten = new nn.Flatten();
    expectRefusal(() => flatten.forward('x' as never), ValueError, 'Flatten.forward: x must be a Tensor, got "x"');
    expectRefusal(() => flatten.predict(null as never), ValueError, 'Flatten.predict: x must be a Tensor, got null');
    expect(flatten.forward(Tensor.zeros([2, 3, 2])).shape).toEqual([2, 6]);
  });

  it("a parameter, velocity or moment is its owner's buffer, named so in what it refuses", () => {
    const linear = new nn.Linear(2, 3, { seed: 1 });
    expectRefusal(
      () => linear.weight.value.dispose(),
      StateError,
      'dispose: this tensor belongs to Linear (its buffer), which reuses its buffer; clone() it to keep a copy',
    );
    const sgd = new nn.SGD(linear.parameters(), { lr: 0.1, momentum: 0.9 }) as unknown as { velocity: Tensor[] };
    expectRefusal(
      () => sgd.velocity[0]?.dispose(),
      StateError,
      'dispose: this tensor belongs to SGD (its buffer), which reuses its buffer; clone() it to keep a copy',
    );
    const adam = new nn.Adam(linear.parameters()) as unknown as { m: Tensor[]; v: Tensor[] };
    for (const t of [adam.m[0], adam.v[0]]) {
      expectRefusal(
        () => t?.dispose(),
        StateError,
        'dispose: this tensor belongs to Adam (its buffer), which reuses its buffer; clone() it to keep a copy',
      );
    }
  });

  it('a DataLoader whose target tensor was disposed after it was made says so when it gathers a batch', () => {
    const y = Tensor.zeros([3, 1]);
    const loader = new nn.DataLoader({ x: Tensor.zeros([3, 2]), y });
    y.dispose();
    expectRefusal(() => [...loader], StateError, 'DataLoader: data.y (Tensor(float32 [3, 1])) has been disposed');
  });
});

describe('modes and defaults of the layers with a training mode', () => {
  it('Dropout and BatchNorm: train() trains, train(false) and eval() evaluate, each returning the layer', () => {
    for (const layer of [new nn.Dropout(0.5, { seed: 1 }), new nn.BatchNorm1d(2)]) {
      expect(layer.training).toBe(true);
      expect(layer.eval()).toBe(layer);
      expect(layer.training).toBe(false);
      expect(layer.train()).toBe(layer);
      expect(layer.training).toBe(true);
      expect(layer.train(false).training).toBe(false);
    }
  });

  it('Dropout.backward with no options returns dx: the mask applied to dout', () => {
    const dropout = new nn.Dropout(0.5, { seed: 3 });
    dropout.forward(Tensor.ones([2, 8]));
    const dx = dropout.backward(Tensor.ones([2, 8]));
    expect(dx).not.toBeNull();
    expect(Array.from(dx.data).every((v) => v === 0 || v === 2)).toBe(true);
  });

  it('BatchNorm without affine: no parameters, and forward, predict and backward are the plain normalization', () => {
    const bn = new nn.BatchNorm1d(2, { affine: false, eps: 1e-12 });
    expect([bn.affine, bn.weight, bn.bias, bn.parameters()]).toEqual([false, null, null, []]);
    expect(new nn.BatchNorm1d(2).affine).toBe(true);
    const x = Tensor.from([
      [1, 10],
      [3, 30],
    ]);
    // Each column over the batch: mean m, biased variance v; (x − m)/√v = ∓1.
    expect(bn.forward(x).toArray()).toEqual([
      [expect.closeTo(-1, 6), expect.closeTo(-1, 6)],
      [expect.closeTo(1, 6), expect.closeTo(1, 6)],
    ]);
    expect(bn.backward(Tensor.ones([2, 2])).toArray()).toEqual([
      [expect.closeTo(0, 6), expect.closeTo(0, 6)],
      [expect.closeTo(0, 6), expect.closeTo(0, 6)],
    ]);
    // predict uses the running statistics: mean 0.1·m, variance 0.9 + 0.1·(unbiased variance).
    const running = [
      [0.2, 0.9 + 0.1 * 2],
      [2, 0.9 + 0.1 * 200],
    ];
    expect(bn.predict(x).toArray()).toEqual(
      [
        [1, 10],
        [3, 30],
      ].map((row) => row.map((v, c) => expect.closeTo((v - (running[c]?.[0] as number)) / Math.sqrt(running[c]?.[1] as number), 5))),
    );
  });
});

describe('a module of your own in fit', () => {
  it('one in evaluation without train() trains and stays as it was', () => {
    const linear = new nn.Linear(2, 2, { seed: 1 });
    const module: nn.Module = {
      training: false,
      forward: (x) => linear.forward(x),
      backward: (dout, options) => linear.backward(dout, options ?? {}),
      parameters: () => linear.parameters(),
    };
    const before = Array.from(linear.weight.value.data);
    nn.fit(module, { x: Tensor.from([[1, 2]]), y: Int32Array.from([1]) }, { optimizer: new nn.SGD(linear.parameters(), { lr: 0.5 }) });
    expect(Array.from(linear.weight.value.data)).not.toEqual(before);
    expect(module.training).toBe(false);
  });
});

describe('fit asks the model for no input gradient', () => {
  it('every backward is told inputGrad: false (a layer computes one unless told so)', () => {
    const linear = new nn.Linear(2, 2, { seed: 1 });
    const told: unknown[] = [];
    const module: nn.Module = {
      forward: (x) => linear.forward(x),
      backward: (dout, options) => {
        told.push(options);
        return linear.backward(dout, options ?? {});
      },
      parameters: () => linear.parameters(),
    };
    const x = Tensor.from([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    nn.fit(module, { x, y: Int32Array.from([1, 0, 1]) }, { batchSize: 2, epochs: 2 });
    expect(told).toEqual([{ inputGrad: false }, { inputGrad: false }, { inputGrad: false }, { inputGrad: false }]);
  });
});

describe('nn.load reads each field of a layer list, refusing what save never writes', () => {
  const model = () =>
    new nn.Sequential([
      new nn.Conv2d(1, 2, 2, { seed: 1 }),
      new nn.BatchNorm2d(2),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Dropout(0.25, { seed: 3 }),
      new nn.Linear(2, 2, { seed: 2 }),
      new nn.BatchNorm1d(2, { affine: false }),
    ]);
  let saved: Uint8Array;
  beforeAll(() => {
    saved = model().save();
  });
  const layers = (): Record<string, unknown>[] => JSON.parse(decodeSafetensors(saved).metadata['wasmgrad.layers'] as string);
  /** The saved file with layer `index`'s field set to `value` (undefined: removed). */
  function edited(index: number, field: string, value: unknown): Uint8Array {
    const list = layers();
    const layer = list[index] as Record<string, unknown>;
    if (value === undefined) delete layer[field];
    else layer[field] = value;
    return withLayers(JSON.stringify(list));
  }
  function withLayers(text: string): Uint8Array {
    const { tensors } = decodeSafetensors(saved);
    const out = encodeSafetensors(tensors, { 'wasmgrad.layers': text });
    for (const t of tensors.values()) t.dispose();
    return out;
  }
  const at = (i: number) => `load: layer ${i} of the file's "wasmgrad.layers"`;

  it('the file as save wrote it loads: every layer of its kind, a non-affine batch norm among them', () => {
    const loaded = nn.load(saved);
    expect(loaded.layers.map((l) => l.constructor.name)).toEqual([
      'Conv2d',
      'BatchNorm2d',
      'MaxPool2d',
      'Flatten',
      'Dropout',
      'Linear',
      'BatchNorm1d',
    ]);
    expect(loaded.buffers().map((b) => b.name)).toEqual(['1.running_mean', '1.running_var', '6.running_mean', '6.running_var']);
    const x = Tensor.from(
      Float32Array.from({ length: 2 * 9 }, (_, i) => Math.sin(i)),
      [2, 1, 3, 3],
    );
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model().predict(x).data));
  });

  it.each([
    ['Dropout p 1', 4, 'p', 1, `${at(4)} (Dropout) has p 1, not a number in [0, 1)`],
    ['Dropout p −0.1', 4, 'p', -0.1, `${at(4)} (Dropout) has p -0.1, not a number in [0, 1)`],
    ['Dropout p a string', 4, 'p', '0.5', `${at(4)} (Dropout) has p "0.5", not a number in [0, 1)`],
    ['Dropout seed 1.5', 4, 'seed', 1.5, `${at(4)} (Dropout) has seed 1.5, not an integer`],
    ['BatchNorm eps 0', 1, 'eps', 0, `${at(1)} (BatchNorm2d) has eps 0, not a positive number`],
    ['BatchNorm eps a string', 1, 'eps', '1', `${at(1)} (BatchNorm2d) has eps "1", not a positive number`],
    ['BatchNorm momentum 1.5', 6, 'momentum', 1.5, `${at(6)} (BatchNorm1d) has momentum 1.5, not a number in [0, 1]`],
    ['BatchNorm momentum −0.1', 6, 'momentum', -0.1, `${at(6)} (BatchNorm1d) has momentum -0.1, not a number in [0, 1]`],
    ['BatchNorm momentum a string', 6, 'momentum', '0.1', `${at(6)} (BatchNorm1d) has momentum "0.1", not a number in [0, 1]`],
    ['BatchNorm affine a string', 6, 'affine', 'false', `${at(6)} (BatchNorm1d) has affine "false", not true or false`],
    ['Conv2d bias missing', 0, 'bias', undefined, `${at(0)} (Conv2d) has bias nothing, not true or false`],
    ['Conv2d kernel not a pair', 0, 'kernel', 2, `${at(0)} (Conv2d) has kernel 2, not a pair [height, width] of integers ≥ 1`],
    ['Conv2d kernel of three', 0, 'kernel', [2, 2, 1], `${at(0)} (Conv2d) has kernel [2,2,1], not a pair [height, width] of integers ≥ 1`],
    ['Conv2d kernel of one', 0, 'kernel', [2], `${at(0)} (Conv2d) has kernel [2], not a pair [height, width] of integers ≥ 1`],
    ['Conv2d kernel 0', 0, 'kernel', [2, 0], `${at(0)} (Conv2d) has kernel [2,0], not a pair [height, width] of integers ≥ 1`],
    ['Conv2d stride 1.5', 0, 'stride', [1.5, 1], `${at(0)} (Conv2d) has stride [1.5,1], not a pair [height, width] of integers ≥ 1`],
    [
      'Conv2d stride strings',
      0,
      'stride',
      ['1', '1'],
      `${at(0)} (Conv2d) has stride ["1","1"], not a pair [height, width] of integers ≥ 1`,
    ],
    ['Conv2d padding −1', 0, 'padding', [0, -1], `${at(0)} (Conv2d) has padding [0,-1], not a pair [height, width] of integers ≥ 0`],
    [
      'MaxPool2d dilation missing',
      2,
      'dilation',
      undefined,
      `${at(2)} (MaxPool2d) has dilation nothing, not a pair [height, width] of integers ≥ 1`,
    ],
  ] as const)('%s', (_name, index, field, value, message) => {
    expectRefusal(() => nn.load(edited(index, field, value)), FormatError, message);
  });

  it.each([
    // The bounds themselves are values save writes.
    ['Dropout p 0', 4, 'p', 0],
    ['BatchNorm momentum 0', 6, 'momentum', 0],
    ['BatchNorm momentum 1', 6, 'momentum', 1],
  ] as const)('accepts %s', (_name, index, field, value) => {
    expect(() => nn.load(edited(index, field, value))).not.toThrow();
  });

  it.each([
    ['a layer that is a string', '["ReLU"]', `${at(0)} is "ReLU", not a layer object`],
    ['a type that is a list holding a name', '[{"type":["ReLU"]}]', `${at(0)}: unknown layer {"type":["ReLU"]}`],
    ['an α past the largest double', '[{"type":"ELU","alpha":1e999}]', `${at(0)} (ELU) has alpha null, not a finite number`],
  ])('refuses %s', (_name, text, message) => {
    const bytes = encodeSafetensors([], { 'wasmgrad.layers': text });
    expectRefusal(() => nn.load(bytes), FormatError, message);
  });

  it('names every tensor the list does not account for, and shows a value of 80 characters whole', () => {
    const { tensors } = decodeSafetensors(saved);
    const extra = encodeSafetensors([...tensors, ['7.a', Tensor.zeros([1])], ['7.b', Tensor.zeros([1])]], {
      'wasmgrad.layers': layers().length ? JSON.stringify(layers()) : '',
    });
    for (const t of tensors.values()) t.dispose();
    expectRefusal(() => nn.load(extra), FormatError, `load: the file holds tensors its "wasmgrad.layers" does not account for: 7.a, 7.b`);
    // {"type":"x","pad":"…"}: 80 characters of JSON exactly, shown without an ellipsis.
    const value = `{"type":"x","pad":"${'y'.repeat(80 - 21)}"}`;
    expect(value).toHaveLength(80);
    const bytes = encodeSafetensors([], { 'wasmgrad.layers': `[${value}]` });
    expectRefusal(() => nn.load(bytes), FormatError, `${at(0)}: unknown layer ${value}`);
  });
});
