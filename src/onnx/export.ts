// toOnnx: an nn.Sequential of built-in layers as an ONNX model, in the forms
// torch.onnx.export writes for the same PyTorch layers, so that ONNX Runtime (or any ONNX
// engine) runs it and fromOnnx reads it back.
import { describe, StateError, ValueError } from '../errors';
import { ACTIVATIONS, Activation } from '../nn/activations';
import { BatchNorm1d, BatchNorm2d } from '../nn/batch-norm';
import { Conv2d } from '../nn/conv2d';
import { Dropout } from '../nn/dropout';
import { Linear } from '../nn/linear';
import { Maxout } from '../nn/maxout';
import type { Module } from '../nn/module';
import { AvgPool2d, Flatten, MaxPool2d } from '../nn/pool';
import { Sequential } from '../nn/sequential';
import { Tensor } from '../tensor';
import { version } from '../wasm/shared';
import { onnx } from './proto.generated.js';

export interface ToOnnxOptions {
  /**
   * The shape of one example, without the batch dimension: [784] for an MLP on MNIST,
   * [1, 28, 28] for a CNN. The batch dimension is symbolic ("batch") in the file.
   */
  inputShape: readonly number[];
  /** The ONNX opset the file states, 17 (the default) to 22. */
  opset?: number;
  /** Ends the graph with a Softmax over the last axis (probabilities rather than logits). */
  softmax?: boolean;
  /** The names of the graph's input and output ("input" and "output" by default). */
  inputName?: string;
  outputName?: string;
}

const OP = 'toOnnx';
/** Opsets written (and their IR versions, as the ONNX release of each opset states them). */
export const OPSETS: Readonly<Record<number, number>> = { 17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10 };
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

/** The layers toOnnx writes, for messages. */
export const EXPORTED_LAYERS =
  'Linear, Maxout, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, BatchNorm1d, BatchNorm2d and the activations (ReLU, LeakyReLU, Sigmoid, Tanh, ELU, Softplus)';

type Attribute = onnx.AttributeProto.$Properties;

const int = (name: string, i: number): Attribute => ({ name, type: A.INT, i });
const ints = (name: string, values: readonly number[]): Attribute => ({ name, type: A.INTS, ints: [...values] });
const float = (name: string, f: number): Attribute => ({ name, type: A.FLOAT, f });

/** A float32 tensor's bytes (copied: linear memory may grow later), as an initializer. */
function floatInitializer(name: string, tensor: Tensor): onnx.TensorProto.$Properties {
  const data = tensor.data;
  return {
    name,
    data_type: FLOAT,
    dims: [...tensor.shape],
    raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  };
}

function constantInitializer(name: string, dims: number[], values: Float32Array): onnx.TensorProto.$Properties {
  return { name, data_type: FLOAT, dims, raw_data: new Uint8Array(values.buffer.slice(0)) };
}

function int64Initializer(name: string, values: readonly number[]): onnx.TensorProto.$Properties {
  const bytes = new Uint8Array(8 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setBigInt64(8 * i, BigInt(v), true);
  });
  return { name, data_type: INT64, dims: [values.length], raw_data: bytes };
}

/**
 * The ONNX model (ModelProto bytes) of `model`, a Sequential of built-in layers: Linear as
 * Gemm (transB = 1, PyTorch's), Maxout as Gemm → Reshape [N, out, k] → ReduceMax over the
 * pieces, Conv2d as Conv, pooling as MaxPool / AveragePool (count_include_pad = 1),
 * Flatten, Dropout as Dropout (the identity in inference), batch norm as
 * BatchNormalization with its running statistics (evaluation), the activations as their
 * ONNX ops, and a final Softmax when asked. Weights are initializers named as PyTorch names
 * them ("0.weight"), stored raw (float32, little-endian); the batch dimension is symbolic.
 * The model runs once on a batch of zeros to check `inputShape` and find the output's.
 */
export function toOnnx(model: Sequential, options: ToOnnxOptions): Uint8Array {
  if (!(model instanceof Sequential)) throw new ValueError(`${OP}: model must be an nn.Sequential, got ${describe(model)}`);
  if (typeof options !== 'object' || options === null)
    throw new ValueError(`${OP}: options must be an object with inputShape, got ${describe(options)}`);
  const { inputShape, opset = 17, softmax = false, inputName = 'input', outputName = 'output' } = options;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new ValueError(
      `${OP}: inputShape must be the shape of one example, a non-empty array of positive integers (no batch), got ${describe(inputShape)}`,
    );
  }
  const irVersion = OPSETS[opset];
  if (!Number.isInteger(opset) || irVersion === undefined) {
    throw new ValueError(`${OP}: opset must be one of ${Object.keys(OPSETS).join(', ')}, got ${describe(opset)}`);
  }
  if (typeof softmax !== 'boolean') throw new ValueError(`${OP}: softmax must be true or false, got ${describe(softmax)}`);
  for (const [what, name] of [
    ['inputName', inputName],
    ['outputName', outputName],
  ] as const) {
    if (typeof name !== 'string' || name === '') throw new ValueError(`${OP}: ${what} must be a non-empty string, got ${describe(name)}`);
  }
  if (inputName === outputName) throw new ValueError(`${OP}: the input and the output cannot both be named ${JSON.stringify(inputName)}`);
  for (const p of model.parameters()) {
    if (p.value.disposed) throw new StateError(`${OP}: parameter "${p.name}" has been disposed`);
    if (p.value.dtype !== 'float32')
      throw new ValueError(`${OP}: parameter "${p.name}" is ${p.value.dtype}; ONNX files are written from float32 models`);
  }

  // The output's shape, and a check that the input's fits every layer (their own messages).
  const probe = Tensor.zeros([1, ...inputShape]);
  let outputShape: readonly number[];
  try {
    outputShape = model.predict(probe).shape.slice(1);
  } finally {
    probe.dispose();
  }

  const nodes: onnx.NodeProto.$Properties[] = [];
  const initializers: onnx.TensorProto.$Properties[] = [];
  let current = inputName;
  model.layers.forEach((layer, i) => {
    const emit = (opType: string, inputs: string[], attribute: Attribute[] = [], suffix = opType): string => {
      const output = `/${i}/${suffix}_output_0`;
      nodes.push({ name: `/${i}/${suffix}`, op_type: opType, input: inputs, output: [output], attribute });
      return output;
    };
    current = exportLayer(layer, i, current, emit, initializers, opset);
  });
  if (softmax) nodes.push({ name: '/Softmax', op_type: 'Softmax', input: [current], output: [current], attribute: [int('axis', -1)] });
  // The last node's output is the graph's.
  const lastNode = nodes[nodes.length - 1] as onnx.NodeProto.$Properties;
  (lastNode.output as string[])[0] = outputName;

  for (const t of initializers) {
    if (t.name === inputName || t.name === outputName)
      throw new ValueError(`${OP}: ${JSON.stringify(t.name)} names a weight; name the graph's input and output otherwise`);
  }
  const tensorType = (shape: readonly number[]): onnx.TypeProto.$Properties => ({
    tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_param: 'batch' }, ...shape.map((d) => ({ dim_value: d }))] } },
  });
  const message: onnx.ModelProto.$Properties = {
    ir_version: irVersion,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'wasmgrad',
    producer_version: version,
    graph: {
      name: 'wasmgrad',
      node: nodes,
      initializer: initializers,
      input: [{ name: inputName, type: tensorType(inputShape) }],
      output: [{ name: outputName, type: tensorType(outputShape) }],
    },
  };
  // A Uint8Array of its own: in Node protobufjs writes into a Buffer that may be a view of a
  // shared pool, whose .buffer holds other bytes and whose slice() is not a copy.
  return new Uint8Array(onnx.ModelProto.encode(message).finish());
}

type Emit = (opType: string, inputs: string[], attribute?: Attribute[], suffix?: string) => string;

function exportLayer(layer: Module, i: number, x: string, emit: Emit, initializers: onnx.TensorProto.$Properties[], opset: number): string {
  const param = (name: string, tensor: Tensor): string => {
    initializers.push(floatInitializer(`${i}.${name}`, tensor));
    return `${i}.${name}`;
  };
  const gemm = (linear: Linear, suffix = 'Gemm'): string => {
    const inputs = [x, param('weight', linear.weight.value)];
    if (linear.bias) inputs.push(param('bias', linear.bias.value));
    return emit('Gemm', inputs, [float('alpha', 1), float('beta', 1), int('transB', 1)], suffix);
  };
  if (layer instanceof Maxout) {
    const pieces = gemm(layer.linear, 'Gemm');
    const shape = `/${i}/Reshape_shape`;
    initializers.push(int64Initializer(shape, [0, layer.outFeatures, layer.k]));
    const grouped = emit('Reshape', [pieces, shape], [], 'Reshape');
    if (opset >= 18) {
      const axes = `/${i}/ReduceMax_axes`;
      initializers.push(int64Initializer(axes, [2]));
      return emit('ReduceMax', [grouped, axes], [int('keepdims', 0)]);
    }
    return emit('ReduceMax', [grouped], [ints('axes', [2]), int('keepdims', 0)]);
  }
  if (layer instanceof Linear) return gemm(layer);
  if (layer.constructor === Conv2d) {
    const conv = layer as Conv2d;
    const { kernel, stride, padding, dilation } = conv.spec;
    const inputs = [x, param('weight', conv.weight.value)];
    if (conv.bias) inputs.push(param('bias', conv.bias.value));
    return emit('Conv', inputs, [
      ints('dilations', dilation),
      int('group', 1),
      ints('kernel_shape', kernel),
      ints('pads', [padding[0], padding[1], padding[0], padding[1]]),
      ints('strides', stride),
    ]);
  }
  if (layer.constructor === MaxPool2d) {
    const { kernel, stride, padding, dilation } = (layer as MaxPool2d).spec;
    return emit(
      'MaxPool',
      [x],
      [
        int('ceil_mode', 0),
        ints('dilations', dilation),
        ints('kernel_shape', kernel),
        ints('pads', [padding[0], padding[1], padding[0], padding[1]]),
        ints('strides', stride),
      ],
    );
  }
  if (layer.constructor === AvgPool2d) {
    const { kernel, stride, padding } = (layer as AvgPool2d).spec;
    return emit(
      'AveragePool',
      [x],
      [
        int('ceil_mode', 0),
        int('count_include_pad', 1),
        ints('kernel_shape', kernel),
        ints('pads', [padding[0], padding[1], padding[0], padding[1]]),
        ints('strides', stride),
      ],
    );
  }
  if (layer.constructor === Flatten) return emit('Flatten', [x], [int('axis', 1)]);
  if (layer instanceof Dropout) {
    const ratio = `/${i}/Dropout_ratio`;
    initializers.push(constantInitializer(ratio, [], Float32Array.of(layer.p)));
    return emit('Dropout', [x, ratio]);
  }
  if (layer instanceof BatchNorm1d || layer instanceof BatchNorm2d) {
    const n = layer.numFeatures;
    const scale = layer.weight ? param('weight', layer.weight.value) : `/${i}/BatchNormalization_scale`;
    const bias = layer.bias ? param('bias', layer.bias.value) : `/${i}/BatchNormalization_bias`;
    if (!layer.weight) initializers.push(constantInitializer(scale, [n], new Float32Array(n).fill(1)));
    if (!layer.bias) initializers.push(constantInitializer(bias, [n], new Float32Array(n)));
    const mean = param('running_mean', layer.runningMean);
    const variance = param('running_var', layer.runningVar);
    // ONNX's momentum weighs the running value (PyTorch's and wasmgrad's the new batch).
    return emit(
      'BatchNormalization',
      [x, scale, bias, mean, variance],
      [float('epsilon', layer.eps), float('momentum', 1 - layer.momentum)],
    );
  }
  const name = layer instanceof Activation ? layer.name : '';
  if (layer instanceof Activation && Object.hasOwn(ACTIVATIONS, name) && layer.constructor === ACTIVATIONS[name]?.type) {
    switch (name) {
      case 'ReLU':
        return emit('Relu', [x]);
      case 'Sigmoid':
        return emit('Sigmoid', [x]);
      case 'Tanh':
        return emit('Tanh', [x]);
      case 'Softplus':
        return emit('Softplus', [x]);
      case 'LeakyReLU':
        return emit('LeakyRelu', [x], [float('alpha', layer.alpha as number)]);
      case 'ELU':
        return emit('Elu', [x], [float('alpha', layer.alpha as number)]);
    }
  }
  throw new ValueError(`${OP}: layer ${i} (${describe(layer)}) has no ONNX form here: toOnnx writes ${EXPORTED_LAYERS}`);
}
