// ONNX files made by hand for the tests, through the same generated coders wasmgrad/onnx
// uses: the forms torch.onnx.export writes, and broken ones.
import { expect } from 'vitest';
import { onnx } from '../src/onnx/proto.generated.js';
import type { Tensor } from '../src/tensor';

export { onnx };

export type NodeSpec = { op: string; inputs: string[]; outputs?: string[]; name?: string; attributes?: onnx.AttributeProto.$Properties[] };
export type TensorSpec = onnx.TensorProto.$Properties;

const A = onnx.AttributeProto.AttributeType;
export const attr = {
  int: (name: string, i: number): onnx.AttributeProto.$Properties => ({ name, type: A.INT, i }),
  ints: (name: string, ints: number[]): onnx.AttributeProto.$Properties => ({ name, type: A.INTS, ints }),
  float: (name: string, f: number): onnx.AttributeProto.$Properties => ({ name, type: A.FLOAT, f }),
  string: (name: string, s: string): onnx.AttributeProto.$Properties => ({ name, type: A.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: TensorSpec): onnx.AttributeProto.$Properties => ({ name, type: A.TENSOR, t }),
};

/** A float32 initializer: raw little-endian bytes. */
export function floats(name: string, dims: number[], values: ArrayLike<number>): TensorSpec {
  const data = Float32Array.from(values);
  return { name, dims, data_type: onnx.TensorProto.DataType.FLOAT, raw_data: new Uint8Array(data.buffer) };
}

/** A float32 initializer from a tensor (its elements, copied), optionally transposed [r, c] → [c, r]. */
export function fromTensor(name: string, t: Tensor, transpose = false): TensorSpec {
  const data = Float32Array.from(t.data);
  if (!transpose) return floats(name, [...t.shape], data);
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return floats(name, [cols, rows], out);
}

export function int64s(name: string, values: number[]): TensorSpec {
  return { name, dims: [values.length], data_type: onnx.TensorProto.DataType.INT64, int64_data: values };
}

/**
 * A model of a chain of nodes: each node's first output feeds the next unless it names its
 * inputs itself ("$" is the previous output). The graph's input is "x", its output the last
 * node's output.
 */
export function modelBytes({
  nodes,
  initializers = [],
  inputShape = null,
  opset = 17,
}: {
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  inputShape?: (number | string)[] | null;
  opset?: number;
}): Uint8Array {
  let previous = 'x';
  const built = nodes.map((n, i) => {
    const output = n.outputs ?? [`v${i}`];
    const node = {
      name: n.name ?? `/${i}/${n.op}`,
      op_type: n.op,
      input: n.inputs.map((name) => (name === '$' ? previous : name)),
      output,
      attribute: n.attributes ?? [],
    };
    if (n.op !== 'Constant') previous = output[0] as string;
    return node;
  });
  const shape =
    inputShape === null ? {} : { shape: { dim: inputShape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } };
  const bytes = onnx.ModelProto.encode({
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'test',
    graph: {
      name: 'test',
      node: built,
      initializer: initializers,
      input: [{ name: 'x', type: { tensor_type: { elem_type: onnx.TensorProto.DataType.FLOAT, ...shape } } }],
      output: [{ name: previous, type: { tensor_type: { elem_type: onnx.TensorProto.DataType.FLOAT } } }],
    },
  }).finish();
  return new Uint8Array(bytes);
}

/** The largest |a[i] − b[i]|, a and b of one length. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
