// wasmgrad/onnx without an engine (ONNX Runtime is test/onnx-runtime.test.ts): fromOnnx reads
// the forms torch.onnx.export writes for wasmgrad's layers into the same layers with the
// same numbers, a model read back fine-tunes, toOnnx writes what the ONNX spec says (names,
// opset, symbolic batch), and both refuse what they cannot do with a message that names
// the node, its op type and what is supported.
import { beforeAll, describe, expect, it } from 'vitest';
import { FormatError, init, nn, Tensor, ValueError } from '../src/index';
import { fromOnnx, toOnnx } from '../src/onnx/index';
import { attr, floats, fromTensor, int64s, modelBytes, onnx } from './onnx-helpers';

beforeAll(() => init());

const bits = (t: Tensor) => Array.from(new Uint8Array(Float32Array.from(t.data).buffer));
const names = (m: nn.Sequential) => m.layers.map((l) => l.constructor.name);

/** fromOnnx's model gives `reference`'s outputs bit for bit on x. */
function expectSameOutputs(bytes: Uint8Array, reference: nn.Sequential, x: Tensor): nn.Sequential {
  const model = fromOnnx(bytes);
  expect(bits(model.predict(x))).toEqual(bits(reference.predict(x)));
  return model;
}

describe('fromOnnx reads the forms torch.onnx.export writes', () => {
  it('Gemm with transB = 1 (PyTorch’s Linear) and with transB = 0 (weight [in, out], transposed on reading)', () => {
    const ref = new nn.Sequential([new nn.Linear(5, 4, { seed: 1 }), new nn.Tanh(), new nn.Linear(4, 3, { seed: 2 })]);
    const [w0, b0, w1, b1] = ref.parameters().map((p) => p.value);
    const bytes = modelBytes({
      nodes: [
        {
          op: 'Gemm',
          inputs: ['$', 'fc1.weight', 'fc1.bias'],
          attributes: [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', 1)],
        },
        { op: 'Tanh', inputs: ['$'] },
        { op: 'Gemm', inputs: ['$', 'fc2.weight_t', 'fc2.bias'] },
      ],
      initializers: [
        fromTensor('fc1.weight', w0 as Tensor),
        fromTensor('fc1.bias', b0 as Tensor),
        fromTensor('fc2.weight_t', w1 as Tensor, true),
        fromTensor('fc2.bias', b1 as Tensor),
      ],
      inputShape: ['batch', 5],
    });
    const model = expectSameOutputs(bytes, ref, Tensor.randn([3, 5], { seed: 3 }));
    expect(names(model)).toEqual(['Linear', 'Tanh', 'Linear']);
    expect(model.parameters().map((p) => p.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('MatMul + Add (either operand order), and MatMul alone (no bias)', () => {
    const ref = new nn.Sequential([
      new nn.Linear(6, 5, { seed: 4 }),
      new nn.ReLU(),
      new nn.Linear(5, 4, { seed: 5 }),
      new nn.Sigmoid(),
      new nn.Linear(4, 2, { seed: 6, bias: false }),
    ]);
    const [w0, b0, w1, b1, w2] = ref.parameters().map((p) => p.value as Tensor);
    const bytes = modelBytes({
      nodes: [
        { op: 'MatMul', inputs: ['$', 'w0'] },
        { op: 'Add', inputs: ['$', 'b0'] },
        { op: 'Relu', inputs: ['$'] },
        { op: 'MatMul', inputs: ['$', 'w1'] },
        { op: 'Add', inputs: ['b1', '$'] },
        { op: 'Sigmoid', inputs: ['$'] },
        { op: 'MatMul', inputs: ['$', 'w2'] },
      ],
      initializers: [
        fromTensor('w0', w0 as Tensor, true),
        fromTensor('b0', b0 as Tensor),
        fromTensor('w1', w1 as Tensor, true),
        fromTensor('b1', b1 as Tensor),
        fromTensor('w2', w2 as Tensor, true),
      ],
    });
    expect(names(expectSameOutputs(bytes, ref, Tensor.randn([4, 6], { seed: 7 })))).toEqual([
      'Linear',
      'ReLU',
      'Linear',
      'Sigmoid',
      'Linear',
    ]);
  });

  it('a CNN: Conv with pads and strides, BatchNormalization, Relu, MaxPool, AveragePool, Reshape to [-1, n] from a Constant, Gemm, and a final Softmax left out', () => {
    const ref = new nn.Sequential([
      new nn.Conv2d(1, 3, 3, { padding: 1, stride: 2, seed: 8 }),
      new nn.BatchNorm2d(3),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.AvgPool2d(2, { stride: 1, padding: 1 }),
      new nn.Flatten(),
      new nn.Linear(3 * 3 * 3, 4, { seed: 9 }),
    ]);
    const x = Tensor.randn([2, 1, 8, 8], { seed: 10 });
    ref.train();
    ref.forward(x);
    ref.eval();
    const conv = ref.layers[0] as nn.Conv2d;
    const bn = ref.layers[1] as nn.BatchNorm2d;
    const fc = ref.layers[6] as nn.Linear;
    const bytes = modelBytes({
      nodes: [
        {
          op: 'Conv',
          inputs: ['$', 'conv.weight', 'conv.bias'],
          attributes: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2])],
        },
        {
          op: 'BatchNormalization',
          inputs: ['$', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var'],
          attributes: [attr.float('epsilon', 1e-5), attr.float('momentum', 0.9)],
        },
        { op: 'Relu', inputs: ['$'] },
        { op: 'MaxPool', inputs: ['$'], attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] },
        {
          op: 'AveragePool',
          inputs: ['$'],
          attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('pads', [1, 1, 1, 1]), attr.int('count_include_pad', 1)],
        },
        { op: 'Constant', inputs: [], outputs: ['shape'], attributes: [attr.tensor('value', int64s('', [-1, 27]))] },
        { op: 'Reshape', inputs: ['$', 'shape'] },
        { op: 'Gemm', inputs: ['$', 'fc.weight', 'fc.bias'], attributes: [attr.int('transB', 1)] },
        { op: 'Softmax', inputs: ['$'], attributes: [attr.int('axis', 1)] },
      ],
      initializers: [
        fromTensor('conv.weight', conv.weight.value),
        fromTensor('conv.bias', conv.bias?.value as Tensor),
        fromTensor('bn.weight', bn.weight?.value as Tensor),
        fromTensor('bn.bias', bn.bias?.value as Tensor),
        fromTensor('bn.running_mean', bn.runningMean),
        fromTensor('bn.running_var', bn.runningVar),
        fromTensor('fc.weight', fc.weight.value),
        fromTensor('fc.bias', fc.bias?.value as Tensor),
      ],
      inputShape: ['batch', 1, 8, 8],
    });
    const model = expectSameOutputs(bytes, ref, x);
    expect(names(model)).toEqual(['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d', 'AvgPool2d', 'Flatten', 'Linear']);
    const read = model.layers[1] as nn.BatchNorm2d;
    expect([read.eps, read.momentum]).toEqual([1e-5, 0.1]);
  });

  it('Flatten, Dropout (ratio as an input, or as an attribute before opset 12), Identity, LeakyRelu and Elu with their default α', () => {
    const w = Tensor.randn([3, 12], { seed: 11 });
    const bytes = modelBytes({
      nodes: [
        { op: 'Flatten', inputs: ['$'], attributes: [attr.int('axis', 1)] },
        { op: 'Dropout', inputs: ['$', 'ratio'], outputs: ['d', 'mask'] },
        { op: 'Identity', inputs: ['$'] },
        { op: 'LeakyRelu', inputs: ['$'] },
        { op: 'Gemm', inputs: ['$', 'w'], attributes: [attr.int('transB', 1)] },
        { op: 'Elu', inputs: ['$'] },
      ],
      initializers: [floats('ratio', [], [0.25]), fromTensor('w', w)],
      inputShape: ['N', 3, 2, 2],
    });
    const model = fromOnnx(bytes);
    expect(names(model)).toEqual(['Flatten', 'Dropout', 'LeakyReLU', 'Linear', 'ELU']);
    expect((model.layers[1] as nn.Dropout).p).toBe(0.25);
    expect((model.layers[2] as nn.LeakyReLU).alpha).toBe(0.01);
    expect((model.layers[4] as nn.ELU).alpha).toBe(1);
    const old = fromOnnx(
      modelBytes({
        nodes: [
          { op: 'Dropout', inputs: ['$'], attributes: [attr.float('ratio', 0.1)] },
          { op: 'Relu', inputs: ['$'] },
        ],
        opset: 11,
      }),
    );
    expect((old.layers[0] as nn.Dropout).p).toBe(0.1);
  });

  it('a model read back fine-tunes: its loss falls under SGD, and its parameters are PyTorch’s names', () => {
    const ref = new nn.Sequential([new nn.Linear(4, 8, { seed: 12 }), new nn.ReLU(), new nn.Linear(8, 3, { seed: 13 })]);
    const model = fromOnnx(toOnnx(ref, { inputShape: [4] }));
    expect(model.parameters().map((p) => p.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const x = Tensor.randn([16, 4], { seed: 14 });
    const y = Int32Array.from({ length: 16 }, (_, i) => i % 3);
    const optimizer = new nn.SGD(model.parameters(), { lr: 0.1 });
    const loss = () => nn.softmaxCrossEntropy(model.forward(x), y);
    const first = loss().loss;
    for (let step = 0; step < 20; step++) {
      optimizer.zeroGrad();
      model.backward(loss().dlogits);
      optimizer.step();
    }
    expect(loss().loss).toBeLessThan(first * 0.8);
  });
});

describe('toOnnx writes what ONNX says', () => {
  it('the opset, IR version, a symbolic batch, PyTorch’s initializer names, Gemm with transB = 1', () => {
    const model = new nn.Sequential([new nn.Linear(3, 2, { seed: 1 }), new nn.ReLU(), new nn.Maxout(2, 2, 2, { seed: 2 })]);
    const bytes = toOnnx(model, { inputShape: [3], opset: 18 });
    // A Uint8Array of its own (not a Node Buffer in a shared pool): bytes.buffer is the file.
    expect([bytes.constructor, bytes.byteOffset, bytes.buffer.byteLength]).toEqual([Uint8Array, 0, bytes.length]);
    const decoded = onnx.ModelProto.decode(bytes);
    expect(decoded.opset_import.map((o) => [o.domain, Number(o.version)])).toEqual([['', 18]]);
    expect(Number(decoded.ir_version)).toBe(8);
    const graph = decoded.graph as onnx.GraphProto;
    expect(graph.node.map((n) => n.op_type)).toEqual(['Gemm', 'Relu', 'Gemm', 'Reshape', 'ReduceMax']);
    expect(Number(graph.node[0]?.attribute?.find((a) => a.name === 'transB')?.i)).toBe(1);
    expect(graph.initializer.map((t) => t.name)).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      '/2/Reshape_shape',
      '/2/ReduceMax_axes',
    ]);
    const dims = (v: onnx.ValueInfoProto.$Properties | undefined) =>
      (v?.type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_param || Number(d.dim_value));
    expect(dims(graph.input[0])).toEqual(['batch', 3]);
    expect(dims(graph.output[0])).toEqual(['batch', 2]);
    expect(graph.node.at(-1)?.output).toEqual(['output']);
  });

  it('names the graph’s input and output as asked, and fromOnnx takes the file as an ArrayBuffer too', () => {
    const model = new nn.Sequential([new nn.Linear(3, 2, { seed: 1 }), new nn.Sigmoid()]);
    const bytes = toOnnx(model, { inputShape: [3], inputName: 'pixels', outputName: 'scores' });
    const graph = onnx.ModelProto.decode(bytes).graph as onnx.GraphProto;
    expect([graph.input[0]?.name, graph.output[0]?.name, graph.node[0]?.input?.[0], graph.node.at(-1)?.output?.[0]]).toEqual([
      'pixels',
      'scores',
      'pixels',
      'scores',
    ]);
    const x = Tensor.randn([2, 3], { seed: 2 });
    expect(bits(fromOnnx(bytes.buffer as ArrayBuffer).predict(x))).toEqual(bits(model.predict(x)));
    expect(() => toOnnx(model, { inputShape: [3], inputName: '0.weight' })).toThrow(/"0.weight" names a weight/);
  });

  it('refuses what it cannot write: not a Sequential, a layer of its own, a bad input shape or opset, float64 weights', () => {
    const model = new nn.Sequential([new nn.Linear(3, 2, { seed: 1 })]);
    const custom = { forward: (x: Tensor) => x, backward: (d: Tensor) => d, parameters: () => [] };
    expect(() => toOnnx(custom as never, { inputShape: [3] })).toThrow(/toOnnx: model must be an nn.Sequential/);
    expect(() => toOnnx(new nn.Sequential([custom]), { inputShape: [3] })).toThrow(
      /toOnnx: layer 0 \(a Object\) has no ONNX form here: toOnnx writes Linear, Maxout/,
    );
    expect(() => toOnnx(model, { inputShape: [] })).toThrow(ValueError);
    expect(() => toOnnx(model, { inputShape: [4] })).toThrow(/Linear/);
    expect(() => toOnnx(model, { inputShape: [3], opset: 16 })).toThrow(/toOnnx: opset must be one of 17, 18, 19, 20, 21, 22, got 16/);
    expect(() => toOnnx(new nn.Sequential([new nn.Linear(3, 2, { dtype: 'float64' })]), { inputShape: [3] })).toThrow(/float64/);
  });
});

describe('fromOnnx refuses what it cannot read, naming the node, its op type and what is supported', () => {
  const w = floats('w', [2, 2], [1, 2, 3, 4]);
  const refused = (bytes: Uint8Array, message: RegExp) => {
    expect(() => fromOnnx(bytes)).toThrow(FormatError);
    expect(() => fromOnnx(bytes)).toThrow(message);
  };

  it('an op it does not have', () => {
    refused(
      modelBytes({
        nodes: [
          { op: 'Relu', inputs: ['$'] },
          { op: 'LSTM', inputs: ['$'], name: 'rnn' },
        ],
      }),
      /fromOnnx: node "rnn" \(LSTM\): op type "LSTM" is not supported; wasmgrad reads Gemm, MatMul \(\+ Add\), Conv/,
    );
  });

  it('a graph that is not a chain: a branch, a node off the chain, a cycle', () => {
    refused(
      modelBytes({
        nodes: [
          { op: 'Relu', inputs: ['$'], outputs: ['a'] },
          { op: 'Sigmoid', inputs: ['a'], outputs: ['b'] },
          { op: 'Tanh', inputs: ['a'], outputs: ['c'] },
        ],
      }),
      /"a" is read by 2 nodes/,
    );
    refused(
      modelBytes({
        nodes: [
          { op: 'Relu', inputs: ['$'], outputs: ['a'] },
          { op: 'Add', inputs: ['a', 'c'], outputs: ['b'] },
          { op: 'Relu', inputs: ['b'], outputs: ['c'] },
        ],
      }),
      /Add.*(neither an initializer nor a Constant|bias)/,
    );
    refused(
      modelBytes({
        nodes: [
          { op: 'Relu', inputs: ['$'], outputs: ['a'] },
          { op: 'Relu', inputs: ['zz'], outputs: ['q'] },
        ],
      }),
      /nothing reads "a"|not on the chain/,
    );
  });

  it('a missing initializer, one shared by two nodes, a wrong size, external data, another data type', () => {
    refused(
      modelBytes({ nodes: [{ op: 'Gemm', inputs: ['$', 'nowhere'] }] }),
      /node "\/0\/Gemm" \(Gemm\): its weight "nowhere" is neither an initializer nor a Constant/,
    );
    refused(
      modelBytes({
        nodes: [
          { op: 'MatMul', inputs: ['$', 'w'] },
          { op: 'MatMul', inputs: ['$', 'w'] },
        ],
        initializers: [w],
      }),
      /weight "w" is used by another node too/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'MatMul', inputs: ['$', 'w'] }], initializers: [{ ...w, dims: [2, 3] }] }),
      /shape \[2,3\] \(24 bytes of float32\) but holds 16 raw bytes/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'MatMul', inputs: ['$', 'w'] }], initializers: [{ ...w, dims: [2 ** 40, 2 ** 20] }] }),
      /more than 2³¹ elements/,
    );
    refused(
      modelBytes({
        nodes: [{ op: 'MatMul', inputs: ['$', 'w'] }],
        initializers: [{ ...w, raw_data: new Uint8Array(0), data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] }],
      }),
      /external data/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'MatMul', inputs: ['$', 'w'] }], initializers: [{ ...w, data_type: 11 }] }),
      /weight "w" is DOUBLE; wasmgrad reads float32 weights/,
    );
  });

  it('attributes and forms it does not compute', () => {
    refused(
      modelBytes({ nodes: [{ op: 'Gemm', inputs: ['$', 'w'], attributes: [attr.float('alpha', 2)] }], initializers: [w] }),
      /Gemm with alpha = beta = 1/,
    );
    refused(
      modelBytes({
        nodes: [
          { op: 'Relu', inputs: ['$'] },
          { op: 'Softmax', inputs: ['$'] },
          { op: 'Relu', inputs: ['$'] },
        ],
      }),
      /follows a Softmax/,
    );
    const k = floats('k', [2, 1, 1, 1], [1, 2]);
    refused(
      modelBytes({ nodes: [{ op: 'Conv', inputs: ['$', 'k'], attributes: [attr.int('group', 2)] }], initializers: [k] }),
      /node "\/0\/Conv" \(Conv\) has group 2; wasmgrad's Conv2d has group 1/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'Conv', inputs: ['$', 'k'], attributes: [attr.ints('pads', [0, 0, 1, 1])] }], initializers: [k] }),
      /same padding at both ends/,
    );
    refused(
      modelBytes({
        nodes: [{ op: 'AveragePool', inputs: ['$'], attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('pads', [1, 1, 1, 1])] }],
      }),
      /count_include_pad/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'MaxPool', inputs: ['$'], attributes: [attr.ints('kernel_shape', [2, 2]), attr.int('ceil_mode', 1)] }] }),
      /ceil_mode/,
    );
    refused(
      modelBytes({
        nodes: [{ op: 'MaxPool', inputs: ['$'], attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('pads', [5, 5, 5, 5])] }],
      }),
      /MaxPool.*padding 5 is more than half/,
    );
    refused(
      modelBytes({ nodes: [{ op: 'Relu', inputs: ['$'], attributes: [attr.float('alpha', 1)] }] }),
      /node "\/0\/Relu" \(Relu\) has attribute "alpha", which wasmgrad does not read/,
    );
    refused(modelBytes({ nodes: [{ op: 'Identity', inputs: ['$'] }] }), /no layer/);
  });

  it('bytes that are not an ONNX model, and a model with no graph or opset', () => {
    refused(new TextEncoder().encode('not a model at all'), /fromOnnx: the bytes are not an ONNX model/);
    refused(onnx.ModelProto.encode({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] }).finish(), /the model has no graph/);
    refused(onnx.ModelProto.encode({ ir_version: 8, graph: { name: 'g' } }).finish(), /imports no opset/);
    expect(() => fromOnnx('model.onnx' as never)).toThrow(/fromOnnx: expected a Uint8Array or an ArrayBuffer/);
  });
});
