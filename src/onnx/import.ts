// fromOnnx: an ONNX model whose graph is a chain of supported ops, as an nn.Sequential.
//
// Reading checks everything before it allocates anything in linear memory: the protobuf
// is decoded (decode.ts, which bounds what that costs), the graph is walked from its input
// to its output as a chain, each node is matched to a layer with its weights checked for
// type, shape and size, and only then are the layers made and the weights copied in. Each
// initializer belongs to one layer at most, so the weights made are never more than the
// file holds (each layer also has a gradient of the same size). Whatever is wrong is a
// FormatError that names the node, its op type and what is supported.

import { FormatError, ValueError } from '../errors';
import { ACTIVATIONS } from '../nn/activations';
import { BatchNorm1d, BatchNorm2d } from '../nn/batch-norm';
import { Conv2d } from '../nn/conv2d';
import { Dropout } from '../nn/dropout';
import { Linear } from '../nn/linear';
import { Maxout } from '../nn/maxout';
import type { Module } from '../nn/module';
import { AvgPool2d, Flatten, MaxPool2d } from '../nn/pool';
import { Sequential } from '../nn/sequential';
import type { Tensor } from '../tensor';
import {
  Attributes,
  DATA_TYPES,
  type DModel,
  type DTensor,
  type DValueInfo,
  decodeModel,
  defaultOpset,
  dimsOf,
  FLOAT,
  INT64,
  type Int64,
  int64,
  type Node,
  OP,
  readInputShape,
  readScalarFloat,
  shortestFloat32,
} from './decode';
import { onnx } from './proto.generated.js';

/** What fromOnnx reads, for messages. */
export const SUPPORTED_OPS =
  'Gemm, MatMul (+ Add), Conv, MaxPool, AveragePool, Flatten, Reshape (to [batch, features], or Maxout’s [batch, units, pieces] before ReduceMax), ' +
  'BatchNormalization, Relu, LeakyRelu, Sigmoid, Tanh, Elu, Softplus, Dropout, Identity, Constant, Transpose of a weight and a final Softmax';

/** A weight read from the file: its shape and where its float32 elements are. */
interface Weight {
  name: string;
  shape: number[];
  /** Little-endian float32 bytes (raw_data), or the numbers of float_data. */
  raw: Uint8Array | null;
  floats: number[] | null;
  /** Whether the operand is the transpose of what is stored (an initializer through a Transpose node). */
  flipped: boolean;
}

/** A layer to make once the whole file has been checked, and the weights to copy into it. */
interface Planned {
  make: () => Module;
  /** [parameter or buffer name of the layer, weight, transposed 2-D?] */
  weights: Array<[string, Weight, boolean]>;
}

/**
 * An nn.Sequential from an ONNX model whose graph is a chain from its one input to its
 * one output of the ops torch.onnx.export writes for the layers wasmgrad has: Gemm (with
 * or without transB), MatMul + Add, Conv (pads, strides, dilations; group 1), MaxPool,
 * AveragePool, Flatten, Reshape to [batch, features], BatchNormalization (its running
 * statistics; evaluation form), Relu, LeakyRelu, Sigmoid, Tanh, Elu, Softplus, Dropout and
 * Identity (Identity makes no layer), Constant nodes and Transposes of a weight as
 * operands, and toOnnx's Maxout (Gemm → Reshape → ReduceMax). A final Softmax is left
 * out: the model returns logits, which wasmgrad's losses and argmax take. Weights must
 * be float32. The model is in training mode, as a new one is: `predict` evaluates.
 */
export function fromOnnx(bytes: Uint8Array | ArrayBuffer): Sequential {
  const plan = readGraph(decodeModel(bytes));
  const layers: Module[] = [];
  const made: Module[] = [];
  for (const step of plan) {
    const layer = step.make();
    made.push(layer);
    const state = new Map<string, Tensor>();
    for (const p of layer.parameters()) state.set(p.name, p.value);
    for (const b of layer.buffers?.() ?? []) state.set(b.name, b.value);
    for (const [name, weight, transposed] of step.weights) copyWeight(state.get(name) as Tensor, weight, transposed);
    layers.push(layer);
  }
  return new Sequential(layers);
}

function copyWeight(into: Tensor, weight: Weight, transposed: boolean): void {
  const data = into.data as Float32Array;
  const source =
    weight.raw !== null
      ? new Float32Array(weight.raw.buffer.slice(weight.raw.byteOffset, weight.raw.byteOffset + weight.raw.byteLength))
      : Float32Array.from(weight.floats as number[]);
  if (!transposed) {
    // Byte for byte, so that every bit (a NaN's payload too) is the file's.
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
    return;
  }
  // The file holds [in, out]; the layer [out, in].
  const [rows, cols] = weight.shape as [number, number];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = source[r * cols + c] as number;
}

// ---- the graph -------------------------------------------------------------------------

function readGraph(model: DModel): Planned[] {
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new FormatError(`${OP}: the model has no graph`);
  const opset = defaultOpset(model);

  const initializers = new Map<string, DTensor>();
  for (const t of graph.initializer) {
    if (t.name === '') throw new FormatError(`${OP}: an initializer has no name`);
    if (initializers.has(t.name)) throw new FormatError(`${OP}: two initializers are named ${JSON.stringify(t.name)}`);
    initializers.set(t.name, t);
  }
  const nodes: Node[] = graph.node.map((proto, i) => ({
    proto,
    label: `node ${proto.name === '' ? String(i) : JSON.stringify(proto.name)} (${proto.op_type || 'no op type'})`,
  }));
  // Constant nodes are operands like initializers.
  const constants = new Map<string, DTensor>();
  const produced = new Set<string>();
  for (const node of nodes) {
    const { proto, label } = node;
    if (proto.domain !== '' && proto.domain !== 'ai.onnx') {
      throw new FormatError(
        `${OP}: ${label} is of domain ${JSON.stringify(proto.domain)}; wasmgrad reads ONNX's default domain: ${SUPPORTED_OPS}`,
      );
    }
    for (const output of proto.output) {
      if (output === '') continue;
      if (produced.has(output) || initializers.has(output)) {
        throw new FormatError(`${OP}: ${label} writes ${JSON.stringify(output)}, which another node or an initializer already defines`);
      }
      produced.add(output);
    }
    if (proto.op_type === 'Constant') {
      const value = proto.attribute.find((a) => a.name === 'value');
      if (
        proto.input.length !== 0 ||
        proto.output.length !== 1 ||
        value?.t === null ||
        value?.t === undefined ||
        proto.attribute.length !== 1
      ) {
        throw new FormatError(`${OP}: ${label}: a Constant is read when it has one output and a tensor "value" attribute alone`);
      }
      constants.set(proto.output[0] as string, value.t);
    }
  }
  // A Transpose of an initializer or constant ([1, 0]: a 2-D weight) is an operand too.
  const transposed = new Map<string, string>();
  for (const { proto, label } of nodes) {
    const [source] = proto.input;
    if (proto.op_type !== 'Transpose' || source === undefined || !(initializers.has(source) || constants.has(source))) continue;
    const perm = proto.attribute.find((a) => a.name === 'perm');
    const order = perm?.ints.map((v) => int64(v));
    if (
      proto.input.length !== 1 ||
      proto.output.length !== 1 ||
      proto.attribute.length !== 1 ||
      order?.length !== 2 ||
      order[0] !== 1 ||
      order[1] !== 0
    ) {
      throw new FormatError(`${OP}: ${label}: wasmgrad reads a Transpose of an initializer as a 2-D weight's (perm [1, 0])`);
    }
    transposed.set(proto.output[0] as string, source);
  }
  const chainNodes = nodes.filter(
    (n) => n.proto.op_type !== 'Constant' && !(n.proto.op_type === 'Transpose' && transposed.has(n.proto.output[0] as string)),
  );

  const inputs = graph.input.filter((v) => !initializers.has(v.name));
  if (inputs.length !== 1 || graph.output.length !== 1) {
    throw new FormatError(
      `${OP}: the graph has ${inputs.length} inputs and ${graph.output.length} outputs (besides initializers); wasmgrad reads a chain from one input to one output`,
    );
  }
  const input = inputs[0] as DValueInfo;
  const output = (graph.output[0] as DValueInfo).name;
  const inputShape = readInputShape(input);

  const chain = new Chain(chainNodes, initializers, constants, transposed, opset, input.name, inputShape);
  return chain.read(output);
}

/** The default domain's opset version the model imports. */
const WINDOW_ATTRIBUTES = ['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad'];

class Chain {
  private readonly plan: Planned[] = [];
  /** Initializers and constants a layer has taken: each belongs to one layer at most. */
  private readonly used = new Set<string>();
  private readonly visited = new Set<Node>();
  /** Rank of the current value, when known. */
  private rank: number | null;
  /** Features of the current value when it is [batch, features] and known. */
  private features: number | null;
  private droppedSoftmax = false;

  constructor(
    private readonly nodes: readonly Node[],
    private readonly initializers: ReadonlyMap<string, DTensor>,
    private readonly constants: ReadonlyMap<string, DTensor>,
    /** Outputs of Transpose nodes of an initializer or constant: the name of what they transpose. */
    private readonly transposed: ReadonlyMap<string, string>,
    private readonly opset: number,
    private readonly input: string,
    inputShape: (number | null)[] | null,
  ) {
    this.rank = inputShape === null ? null : inputShape.length;
    this.features = inputShape?.length === 2 ? (inputShape[1] ?? null) : null;
  }

  read(output: string): Planned[] {
    // Who reads each value: a chain has exactly one reader per value but the output.
    const readers = new Map<string, Node[]>();
    for (const node of this.nodes) {
      for (const name of new Set(node.proto.input)) {
        if (name !== '') readers.set(name, [...(readers.get(name) ?? []), node]);
      }
    }
    let value = this.input;
    for (;;) {
      const next = readers.get(value) ?? [];
      if (value === output) {
        if (next.length > 0)
          throw new FormatError(
            `${OP}: the graph's output ${JSON.stringify(output)} is also read by ${next[0]?.label}; wasmgrad reads a chain`,
          );
        break;
      }
      if (next.length !== 1) {
        throw new FormatError(
          next.length === 0
            ? `${OP}: nothing reads ${JSON.stringify(value)}, and it is not the graph's output ${JSON.stringify(output)}: the graph is not a chain from input to output`
            : `${OP}: ${JSON.stringify(value)} is read by ${next.length} nodes (${next.map((n) => n.label).join(', ')}): wasmgrad reads a chain, one node after another`,
        );
      }
      const node = next[0] as Node;
      if (this.visited.has(node)) throw new FormatError(`${OP}: ${node.label} is reached twice: the graph has a cycle`);
      this.visited.add(node);
      if (this.droppedSoftmax)
        throw new FormatError(`${OP}: ${node.label} follows a Softmax; wasmgrad reads a Softmax only as the last node`);
      value = this.step(node, value, readers);
    }
    const stray = this.nodes.find((n) => !this.visited.has(n));
    if (stray !== undefined) throw new FormatError(`${OP}: ${stray.label} is not on the chain from the input to the output`);
    if (this.plan.length === 0) throw new FormatError(`${OP}: the graph has no layer wasmgrad can make (only identities)`);
    return this.plan;
  }

  /** The node's data input must be `value`; its other inputs operands. Returns its data output. */
  private step(node: Node, value: string, readers: ReadonlyMap<string, Node[]>): string {
    const { proto, label } = node;
    const out = this.singleOutput(node, readers);
    const unsupported = () =>
      new FormatError(`${OP}: ${label}: op type ${JSON.stringify(proto.op_type)} is not supported; wasmgrad reads ${SUPPORTED_OPS}`);
    const dataFirst = () => {
      if (proto.input[0] !== value)
        throw new FormatError(`${OP}: ${label} reads ${JSON.stringify(value)} as an operand, not as its first input`);
    };
    switch (proto.op_type) {
      case 'Gemm':
      case 'MatMul': {
        dataFirst();
        this.linear(node);
        return out;
      }
      case 'Add': {
        this.addBias(node, value);
        return out;
      }
      case 'Conv':
        dataFirst();
        this.conv(node);
        return out;
      case 'MaxPool':
      case 'AveragePool':
        dataFirst();
        this.pool(node);
        return out;
      case 'Flatten': {
        dataFirst();
        this.operands(node, 1, 1);
        const axis = new Attributes(node, ['axis']).int('axis', 1);
        if (axis !== 1 && !(this.rank !== null && axis === 1 - this.rank)) {
          throw new FormatError(`${OP}: ${label} has axis ${axis}; wasmgrad's Flatten keeps the batch (axis 1)`);
        }
        this.plan.push({ make: () => new Flatten(), weights: [] });
        this.rank = 2;
        this.features = null;
        return out;
      }
      case 'Reshape':
        dataFirst();
        return this.reshape(node, readers, out);
      case 'BatchNormalization':
        dataFirst();
        this.batchNorm(node);
        return out;
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'Softplus':
      case 'LeakyRelu':
      case 'Elu': {
        dataFirst();
        this.operands(node, 1, 1);
        const name = { Relu: 'ReLU', Sigmoid: 'Sigmoid', Tanh: 'Tanh', Softplus: 'Softplus', LeakyRelu: 'LeakyReLU', Elu: 'ELU' }[
          proto.op_type
        ];
        const activation = ACTIVATIONS[name] as (typeof ACTIVATIONS)[string];
        const attributes = new Attributes(node, activation.alpha ? ['alpha'] : []);
        const alpha = activation.alpha ? attributes.float('alpha', proto.op_type === 'LeakyRelu' ? 0.01 : 1) : undefined;
        this.plan.push({ make: () => activation.make(alpha), weights: [] });
        return out;
      }
      case 'Dropout': {
        dataFirst();
        this.dropout(node);
        return out;
      }
      case 'Identity':
        dataFirst();
        this.operands(node, 1, 1);
        this.noAttributes(node);
        return out;
      case 'Softmax': {
        dataFirst();
        this.operands(node, 1, 1);
        const axis = new Attributes(node, ['axis']).int('axis', this.opset >= 13 ? -1 : 1);
        if (!(axis === -1 || (this.rank !== null && axis === this.rank - 1) || (this.rank === 2 && axis === 1))) {
          throw new FormatError(
            `${OP}: ${label} has axis ${axis}; wasmgrad reads a Softmax over the last axis of the output, as the last node`,
          );
        }
        this.droppedSoftmax = true;
        return out;
      }
      default:
        throw unsupported();
    }
  }

  /** The node's one output that others may read (Dropout's mask and MaxPool's indices must be unread). */
  private singleOutput(node: Node, readers: ReadonlyMap<string, Node[]>): string {
    const [first, ...rest] = node.proto.output;
    if (first === undefined || first === '') throw new FormatError(`${OP}: ${node.label} has no output`);
    for (const extra of rest) {
      if (extra !== '' && (readers.get(extra)?.length ?? 0) > 0) {
        throw new FormatError(`${OP}: ${node.label}'s second output ${JSON.stringify(extra)} is read; wasmgrad makes the first only`);
      }
    }
    return first;
  }

  /** Checks the node has between `least` and `most` inputs; the operands (inputs after the first) by name. */
  private operands(node: Node, least: number, most: number): string[] {
    const n = node.proto.input.length;
    if (n < least || n > most) {
      throw new FormatError(
        `${OP}: ${node.label} has ${n} inputs; wasmgrad reads it with ${least === most ? least : `${least} to ${most}`}`,
      );
    }
    return node.proto.input.slice(1);
  }

  /** An initializer or constant, taken by this node (no other may take it). */
  private operand(node: Node, name: string, what: string): DTensor {
    const t = this.initializers.get(name) ?? this.constants.get(name);
    if (t === undefined) {
      throw new FormatError(
        `${OP}: ${node.label}: its ${what} ${JSON.stringify(name)} is neither an initializer nor a Constant (missing, or computed by the graph)`,
      );
    }
    if (this.used.has(name))
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} is used by another node too; each layer owns its weights`,
      );
    this.used.add(name);
    return t;
  }

  /** A float32 weight, its size checked against the bytes that hold it. */
  private weight(node: Node, name: string, what: string, rank: number | null): Weight {
    // An initializer transposed by a Transpose node (older exporters write a Linear without
    // bias as Transpose(weight) → MatMul): the stored tensor, flipped.
    const source = this.transposed.get(name);
    const flipped = source !== undefined;
    if (flipped && rank !== 2)
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} is a Transpose, which wasmgrad reads only as a Linear's weight`,
      );
    const t = this.operand(node, source ?? name, what);
    const shape = dimsOf(node, t, what);
    if (t.data_type !== FLOAT) {
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} is ${DATA_TYPES[t.data_type] ?? `data type ${t.data_type}`}; wasmgrad reads float32 weights`,
      );
    }
    if (rank !== null && shape.length !== rank) {
      throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(name)} has shape [${shape.join(',')}], not of rank ${rank}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (t.data_location === onnx.TensorProto.DataLocation.EXTERNAL || t.external_data.length > 0) {
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} is stored outside the file (external data), which wasmgrad does not read`,
      );
    }
    if (t.raw_data.length > 0 || t.float_data.length === 0) {
      if (t.float_data.length > 0 || t.raw_data.length !== 4 * size) {
        throw new FormatError(
          `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} has shape [${shape.join(',')}] (${4 * size} bytes of float32) but holds ${t.raw_data.length} raw bytes${t.float_data.length > 0 ? ' and float_data' : ''}`,
        );
      }
      return { name, shape, raw: t.raw_data, floats: null, flipped };
    }
    if (t.float_data.length !== size) {
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} has shape [${shape.join(',')}] but ${t.float_data.length} float_data`,
      );
    }
    return { name, shape, raw: null, floats: t.float_data, flipped };
  }

  private linear(node: Node): void {
    const { proto, label } = node;
    const gemm = proto.op_type === 'Gemm';
    const [weightName, biasName] = this.operands(node, 2, gemm ? 3 : 2) as [string, string | undefined];
    let transB = 0;
    if (gemm) {
      // broadcast: opsets before 7 ask for C's broadcast so; from 7 on it always is.
      const a = new Attributes(node, ['alpha', 'beta', 'transA', 'transB', 'broadcast']);
      const alpha = a.float('alpha', 1);
      const beta = a.float('beta', 1);
      transB = a.int('transB', 0);
      if (alpha !== 1 || beta !== 1 || a.int('transA', 0) !== 0 || (transB !== 0 && transB !== 1)) {
        throw new FormatError(`${OP}: ${label}: wasmgrad reads Gemm with alpha = beta = 1 and transA = 0 (a Linear layer: x·Wᵀ + b)`);
      }
    } else {
      this.noAttributes(node);
    }
    if (this.rank !== null && this.rank !== 2)
      throw new FormatError(`${OP}: ${label} takes a value of rank ${this.rank}; wasmgrad's Linear takes [batch, features]`);
    const w = this.weight(node, weightName, 'weight', 2);
    // The stored tensor is [out, in] (PyTorch's, and the layer's) when the operand is B of
    // x·Bᵀ (transB 1) as stored, or B of x·B (transB 0, MatMul) through a Transpose.
    const stored = (transB === 1) !== w.flipped ? 'out-in' : 'in-out';
    const [out, inFeatures] = (stored === 'out-in' ? w.shape : [w.shape[1], w.shape[0]]) as [number, number];
    if (out < 1 || inFeatures < 1)
      throw new FormatError(`${OP}: ${label}: weight ${JSON.stringify(w.name)} has shape [${w.shape.join(',')}], an empty layer`);
    if (this.features !== null && this.features !== inFeatures) {
      throw new FormatError(
        `${OP}: ${label}: weight ${JSON.stringify(w.name)} takes ${inFeatures} features, but the value before has ${this.features}`,
      );
    }
    const weights: Planned['weights'] = [['weight', w, stored === 'in-out']];
    if (biasName !== undefined && biasName !== '') {
      weights.push(['bias', this.bias(node, biasName, out), false]);
    }
    this.plan.push(this.linearPlan(inFeatures, out, weights));
    this.rank = 2;
    this.features = out;
  }

  private linearPlan(inFeatures: number, out: number, weights: Planned['weights']): Planned {
    const bias = weights.some(([name]) => name === 'bias');
    const plan: Planned = { make: () => new Linear(inFeatures, out, { bias, init: 'zeros' }), weights };
    this.linearPlans.add(plan);
    return plan;
  }

  /** A bias [out] or [1, out]. */
  private bias(node: Node, name: string, out: number): Weight {
    const b = this.weight(node, name, 'bias', null);
    const ok = (b.shape.length === 1 && b.shape[0] === out) || (b.shape.length === 2 && b.shape[0] === 1 && b.shape[1] === out);
    if (!ok)
      throw new FormatError(
        `${OP}: ${node.label}: bias ${JSON.stringify(name)} has shape [${b.shape.join(',')}]; a layer of ${out} outputs takes [${out}]`,
      );
    return { ...b, shape: [out] };
  }

  /** Add after a Linear without a bias (MatMul + Add, as torch.onnx.export writes a Linear): its bias. */
  private addBias(node: Node, value: string): void {
    const { proto, label } = node;
    this.operands(node, 2, 2);
    const legacy = new Attributes(node, ['broadcast', 'axis']);
    if (legacy.int('axis', 1) !== 1 && legacy.int('axis', -1) !== -1)
      throw new FormatError(`${OP}: ${label} broadcasts along axis ${legacy.int('axis', 1)}; a bias is along the features`);
    const last = this.plan[this.plan.length - 1];
    if (last === undefined || !this.isLinear(last) || last.weights.some(([n]) => n === 'bias')) {
      throw new FormatError(`${OP}: ${label}: wasmgrad reads Add only as the bias of the MatMul or Gemm just before it (a Linear layer)`);
    }
    const other = proto.input[0] === value ? proto.input[1] : proto.input[0];
    if (other === value || other === undefined) throw new FormatError(`${OP}: ${label} adds ${JSON.stringify(value)} to itself`);
    const out = this.features as number;
    const bias = this.bias(node, other, out);
    const weights = [...last.weights, ['bias', bias, false] as [string, Weight, boolean]];
    const w = weights[0]?.[1] as Weight;
    const transposed = weights[0]?.[2] as boolean;
    const inFeatures = (transposed ? w.shape[0] : w.shape[1]) as number;
    this.plan[this.plan.length - 1] = this.linearPlan(inFeatures, out, weights);
  }

  private readonly linearPlans = new WeakSet<Planned>();

  private noAttributes(node: Node): void {
    void new Attributes(node, []);
  }
  private isLinear(plan: Planned): boolean {
    return this.linearPlans.has(plan);
  }

  private conv(node: Node): void {
    const { label } = node;
    const [weightName, biasName] = this.operands(node, 2, 3) as [string, string | undefined];
    const a = new Attributes(node, [...WINDOW_ATTRIBUTES, 'group']);
    if (a.int('group', 1) !== 1) throw new FormatError(`${OP}: ${label} has group ${a.int('group', 1)}; wasmgrad's Conv2d has group 1`);
    if (this.rank !== null && this.rank !== 4)
      throw new FormatError(`${OP}: ${label} takes a value of rank ${this.rank}; wasmgrad's Conv2d takes [N, C, H, W]`);
    const w = this.weight(node, weightName, 'weight', 4);
    const [out, inChannels, kh, kw] = w.shape as [number, number, number, number];
    if (out < 1 || inChannels < 1 || kh < 1 || kw < 1)
      throw new FormatError(`${OP}: ${label}: weight ${JSON.stringify(w.name)} has shape [${w.shape.join(',')}], an empty layer`);
    const { stride, padding, dilation } = this.window(node, a, [kh, kw]);
    const weights: Planned['weights'] = [['weight', w, false]];
    const bias = biasName !== undefined && biasName !== '';
    if (bias) weights.push(['bias', this.bias(node, biasName, out), false]);
    this.plan.push({
      make: () => new Conv2d(inChannels, out, [kh, kw], { stride, padding, dilation, bias }),
      weights,
    });
    this.rank = 4;
    this.features = null;
  }

  /** strides, pads (symmetric), dilations, auto_pad NOTSET or VALID; kernel_shape must agree with `kernel` when given. */
  private window(
    node: Node,
    a: Attributes,
    kernel: [number, number] | null,
  ): { kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number] } {
    const { label } = node;
    const pair = (name: string, values: number[] | null, fallback: [number, number], least: number): [number, number] => {
      if (values === null) return fallback;
      if (values.length !== 2 || !values.every((v) => v >= least && v <= 2 ** 31 - 1)) {
        throw new FormatError(
          `${OP}: ${label}: attribute ${name} [${values.join(',')}] is not two integers ≥ ${least} (wasmgrad reads 2-D windows)`,
        );
      }
      return values as [number, number];
    };
    const shape = a.ints('kernel_shape');
    const k = pair('kernel_shape', shape, kernel ?? [0, 0], 1);
    if (kernel === null && shape === null) throw new FormatError(`${OP}: ${label} has no kernel_shape`);
    if (kernel !== null && (k[0] !== kernel[0] || k[1] !== kernel[1])) {
      throw new FormatError(`${OP}: ${label}: kernel_shape [${k.join(',')}] disagrees with the weight's [${kernel.join(',')}]`);
    }
    const autoPad = a.string('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') {
      throw new FormatError(
        `${OP}: ${label} has auto_pad ${JSON.stringify(autoPad)}; wasmgrad reads explicit pads (auto_pad NOTSET or VALID)`,
      );
    }
    const pads = a.ints('pads');
    let padding: [number, number] = [0, 0];
    if (pads !== null) {
      if (pads.length !== 4 || !pads.every((p) => p >= 0 && p <= 2 ** 31 - 1) || pads[0] !== pads[2] || pads[1] !== pads[3]) {
        throw new FormatError(`${OP}: ${label}: pads [${pads.join(',')}]: wasmgrad reads the same padding at both ends of each axis`);
      }
      if (autoPad === 'VALID' && pads.some((p) => p !== 0)) throw new FormatError(`${OP}: ${label} has auto_pad VALID and pads`);
      padding = [pads[0] as number, pads[1] as number];
    }
    return {
      kernel: k,
      stride: pair('strides', a.ints('strides'), [1, 1], 1),
      padding,
      dilation: pair('dilations', a.ints('dilations'), [1, 1], 1),
    };
  }

  private pool(node: Node): void {
    const { proto, label } = node;
    this.operands(node, 1, 1);
    const max = proto.op_type === 'MaxPool';
    const a = new Attributes(node, [...WINDOW_ATTRIBUTES, 'ceil_mode', ...(max ? ['storage_order'] : ['count_include_pad'])]);
    if (a.int('ceil_mode', 0) !== 0) throw new FormatError(`${OP}: ${label} has ceil_mode 1; wasmgrad pools in floor mode (ceil_mode 0)`);
    if (this.rank !== null && this.rank !== 4)
      throw new FormatError(`${OP}: ${label} takes a value of rank ${this.rank}; wasmgrad pools [N, C, H, W]`);
    const { kernel, stride, padding, dilation } = this.window(node, a, null);
    if (max) {
      if (a.int('storage_order', 0) !== 0) throw new FormatError(`${OP}: ${label} has storage_order 1; wasmgrad reads row-major (0)`);
      // Made now (pooling layers hold no memory until their first forward): a window the layer
      // refuses is refused before any layer with weights has been made.
      const layer = this.layer(node, () => new MaxPool2d(kernel, { stride, padding, dilation }));
      this.plan.push({ make: () => layer, weights: [] });
    } else {
      if (dilation[0] !== 1 || dilation[1] !== 1) throw new FormatError(`${OP}: ${label} has dilations; wasmgrad's AvgPool2d has none`);
      if ((padding[0] > 0 || padding[1] > 0) && a.int('count_include_pad', 0) !== 1) {
        throw new FormatError(
          `${OP}: ${label} pads without count_include_pad; wasmgrad's AvgPool2d counts the padding (count_include_pad 1, PyTorch's default)`,
        );
      }
      const layer = this.layer(node, () => new AvgPool2d(kernel, { stride, padding }));
      this.plan.push({ make: () => layer, weights: [] });
    }
    this.features = null;
  }

  /** A layer whose constructor refuses what the file says: the file's fault, a FormatError. */
  private layer(node: Node, make: () => Module): Module {
    try {
      return make();
    } catch (error) {
      if (error instanceof ValueError && !(error instanceof FormatError)) throw new FormatError(`${OP}: ${node.label}: ${error.message}`);
      throw error;
    }
  }

  /** An INT64 constant, as numbers. */
  private int64s(node: Node, name: string, what: string): number[] {
    const t = this.operand(node, name, what);
    const shape = dimsOf(node, t, what);
    if (t.data_type !== INT64 || shape.length > 1) {
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} must be a list of INT64, got ${DATA_TYPES[t.data_type] ?? t.data_type} [${shape.join(',')}]`,
      );
    }
    const size = shape.length === 0 ? 1 : (shape[0] as number);
    if (t.raw_data.length > 0) {
      if (t.raw_data.length !== 8 * size || t.int64_data.length > 0)
        throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(name)} holds ${t.raw_data.length} bytes for ${size} INT64`);
      const view = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
      return Array.from({ length: size }, (_, i) => {
        const v = view.getBigInt64(8 * i, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(name)} holds ${v}, too large`);
        return Number(v);
      });
    }
    const values = t.int64_data.map((v) => int64(v as Int64));
    if (values.length !== size || !values.every((v): v is number => v !== null)) {
      throw new FormatError(
        `${OP}: ${node.label}: ${what} ${JSON.stringify(name)} holds ${values.length} INT64 for shape [${shape.join(',')}]`,
      );
    }
    return values;
  }

  private reshape(node: Node, readers: ReadonlyMap<string, Node[]>, out: string): string {
    const { label } = node;
    const [shapeName] = this.operands(node, 2, 2) as [string];
    const allowZero = new Attributes(node, ['allowzero']).int('allowzero', 0);
    const shape = this.int64s(node, shapeName, 'shape');
    if (allowZero !== 0 && shape.includes(0)) throw new FormatError(`${OP}: ${label} has allowzero 1 and a 0 in its shape`);
    const last = this.plan[this.plan.length - 1];
    // toOnnx's Maxout: Gemm [N, units·k] → Reshape [N, units, k] → ReduceMax over the pieces.
    if (shape.length === 3 && last !== undefined && this.isLinear(last) && (shape[0] === 0 || shape[0] === -1)) {
      const [, units, k] = shape as [number, number, number];
      const pieces = this.features as number;
      if (units < 1 || k < 1 || units * k !== pieces) {
        throw new FormatError(
          `${OP}: ${label}: shape [${shape.join(',')}] does not group the ${pieces} outputs before it into units × pieces`,
        );
      }
      const [reduce] = readers.get(out) ?? [];
      if (reduce === undefined || reduce.proto.op_type !== 'ReduceMax' || reduce.proto.input[0] !== out) {
        throw new FormatError(
          `${OP}: ${label}: a Reshape to [batch, units, pieces] is read as a Maxout only when a ReduceMax over the pieces follows`,
        );
      }
      this.visited.add(reduce);
      this.maxoutReduce(reduce);
      this.plan[this.plan.length - 1] = this.maxoutPlan(last, units, k);
      this.features = units;
      return this.singleOutput(reduce, readers);
    }
    // Flatten: [batch, features], the batch kept (0), inferred (-1) or stated.
    const [batch, features] = shape as [number, number];
    const flattens =
      shape.length === 2 &&
      (batch === 0 || batch === -1 || batch > 0) &&
      (features === -1 || features > 0) &&
      !(batch === -1 && features === -1);
    if (!flattens) {
      throw new FormatError(
        `${OP}: ${label}: shape [${shape.join(',')}]: wasmgrad reads a Reshape to [batch, features] (a Flatten), or Maxout's [batch, units, pieces]`,
      );
    }
    this.plan.push({ make: () => new Flatten(), weights: [] });
    this.rank = 2;
    this.features = features > 0 ? features : null;
    return out;
  }

  private maxoutReduce(node: Node): void {
    const { label } = node;
    const opsetAxes = this.opset >= 18;
    const [axesName] = this.operands(node, 1, opsetAxes ? 2 : 1);
    const a = new Attributes(node, opsetAxes ? ['keepdims', 'noop_with_empty_axes'] : ['keepdims', 'axes']);
    const axes = opsetAxes ? (axesName === undefined ? null : this.int64s(node, axesName, 'axes')) : a.ints('axes');
    if (axes === null || axes.length !== 1 || (axes[0] !== 2 && axes[0] !== -1) || a.int('keepdims', 1) !== 0) {
      throw new FormatError(
        `${OP}: ${label}: wasmgrad reads ReduceMax after a Reshape as a Maxout: over axis 2 (the pieces) with keepdims 0`,
      );
    }
  }

  private maxoutPlan(linear: Planned, units: number, k: number): Planned {
    const [, w, transposed] = linear.weights[0] as [string, Weight, boolean];
    const inFeatures = (transposed ? w.shape[0] : w.shape[1]) as number;
    const bias = linear.weights.length > 1;
    // Maxout's parameters are its Linear's: "weight" and "bias".
    return { make: () => new Maxout(inFeatures, units, k, { bias, init: 'zeros' }), weights: linear.weights };
  }

  private batchNorm(node: Node): void {
    const { label } = node;
    const [scale, bias, mean, variance] = this.operands(node, 5, 5) as [string, string, string, string];
    const a = new Attributes(node, ['epsilon', 'momentum', 'training_mode', 'spatial']);
    if (a.int('training_mode', 0) !== 0)
      throw new FormatError(`${OP}: ${label} has training_mode 1; wasmgrad reads batch norm's evaluation form`);
    if (a.int('spatial', 1) !== 1) throw new FormatError(`${OP}: ${label} has spatial 0, which wasmgrad's batch norm does not compute`);
    const eps = a.float('epsilon', 1e-5);
    const momentum = shortestFloat32(1 - a.float('momentum', 0.9));
    const weights = [
      ['weight', this.weight(node, scale, 'scale', 1), false],
      ['bias', this.weight(node, bias, 'bias', 1), false],
      ['running_mean', this.weight(node, mean, 'mean', 1), false],
      ['running_var', this.weight(node, variance, 'variance', 1), false],
    ] as Array<[string, Weight, boolean]>;
    const features = weights[0]?.[1].shape[0] as number;
    if (features < 1 || !weights.every(([, w]) => w.shape[0] === features)) {
      throw new FormatError(
        `${OP}: ${label}: scale, bias, mean and variance must be [C] alike, got ${weights.map(([, w]) => `[${w.shape.join(',')}]`).join(', ')}`,
      );
    }
    if (this.rank === null)
      throw new FormatError(
        `${OP}: ${label}: the rank of its input is unknown (give the graph's input a shape), so neither BatchNorm1d nor BatchNorm2d can be chosen`,
      );
    const rank = this.rank;
    if (rank < 2 || rank > 4)
      throw new FormatError(`${OP}: ${label} takes a value of rank ${rank}; wasmgrad's batch norm takes [N, C], [N, C, L] or [N, C, H, W]`);
    if (!(momentum >= 0 && momentum <= 1)) throw new FormatError(`${OP}: ${label} has momentum ${1 - momentum}, not in [0, 1]`);
    if (!(eps > 0)) throw new FormatError(`${OP}: ${label} has epsilon ${eps}, not positive`);
    const BatchNorm = rank === 4 ? BatchNorm2d : BatchNorm1d;
    // toOnnx writes a batch norm without γ and β (affine false) with a scale of ones and a
    // shift of zeros that are not named as parameters; read back, it has none again.
    const [[, gamma], [, beta]] = weights as [[string, Weight, boolean], [string, Weight, boolean]];
    const affine = !(
      isConstant(gamma, 1) &&
      isConstant(beta, 0) &&
      !/\.(weight|bias)$/.test(gamma.name) &&
      !/\.(weight|bias)$/.test(beta.name)
    );
    this.plan.push({
      make: () => new BatchNorm(features, { eps, momentum, affine }),
      weights: affine ? weights : weights.slice(2),
    });
  }

  private dropout(node: Node): void {
    const { label } = node;
    const [ratioName, trainingName] = this.operands(node, 1, 3);
    const a = new Attributes(node, ['seed', 'ratio']);
    let p = a.float('ratio', 0.5);
    if (ratioName !== undefined && ratioName !== '') {
      const t = this.operand(node, ratioName, 'ratio');
      const shape = dimsOf(node, t, 'ratio');
      const value = t.data_type === FLOAT && shape.length === 0 ? readScalarFloat(t) : null;
      if (value === null) throw new FormatError(`${OP}: ${label}: its ratio ${JSON.stringify(ratioName)} must be a float32 scalar`);
      p = shortestFloat32(value);
    }
    if (trainingName !== undefined && trainingName !== '') {
      throw new FormatError(`${OP}: ${label} has a training_mode input; wasmgrad reads Dropout in inference form (the identity)`);
    }
    if (!(p >= 0 && p < 1)) throw new FormatError(`${OP}: ${label} has ratio ${p}, not in [0, 1)`);
    this.plan.push({ make: () => new Dropout(p), weights: [] });
  }
}

/** Whether every element of the weight is `value`. */
function isConstant(w: Weight, value: number): boolean {
  if (w.floats !== null) return w.floats.every((v) => v === value);
  const raw = w.raw as Uint8Array;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let at = 0; at < raw.byteLength; at += 4) if (view.getFloat32(at, true) !== value) return false;
  return true;
}
