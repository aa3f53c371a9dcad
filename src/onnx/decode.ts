// The first half of fromOnnx: the file's bytes decoded into the messages import.ts reads,
// and the checks that bound what decoding them may cost or let through. Messages are
// counted on the wire before anything is decoded (MAX_MESSAGES); protobufjs checks every
// length against the bytes it has, and raw_data are views of the file, not copies. The
// readers here (an attribute, an input's shape, a tensor's dims, a 64-bit integer) turn
// what a file may hold into the numbers and strings a layer takes, or a FormatError that
// names the node.

import protobuf from 'protobufjs/minimal.js';
import { describe, FormatError, ValueError } from '../errors';
import { isReady, wasm } from '../wasm/instance';
import { onnx } from './proto.generated.js';

export const OP = 'fromOnnx';
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
const A = onnx.AttributeProto.AttributeType;

/**
 * At most this many messages and names (nodes, attributes, tensors, value infos, input and
 * output names) in a file. Decoding makes a JavaScript object of each, a hundred bytes or
 * more for two bytes of file, so a file of a megabyte of empty nodes would take a hundred
 * times its size; the files of chains wasmgrad reads have a few thousand at most.
 */
export const MAX_MESSAGES = 100_000;

/** Which fields of each message in onnx.proto's subset are messages (a name) or names to count ('name'). */
const FIELDS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  Model: { 7: 'Graph', 8: 'Leaf', 14: 'Leaf' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 1: 'name', 2: 'name', 5: 'Attribute' },
  Attribute: { 5: 'Tensor', 9: 'name' },
  Tensor: { 13: 'Leaf' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TypeTensor' },
  TypeTensor: { 2: 'Shape' },
  Shape: { 1: 'Leaf' },
  Leaf: {},
};

/** Walks the file's wire format (nothing decoded) and refuses one of more than MAX_MESSAGES messages. */
function countMessages(file: Uint8Array): void {
  const reader = protobuf.Reader.create(file);
  let count = 0;
  const walk = (type: string, end: number): void => {
    const fields = FIELDS[type] as Readonly<Record<number, string>>;
    while (reader.pos < end) {
      const tag = reader.tag();
      const inner = fields[tag >>> 3];
      if ((tag & 7) !== 2 || inner === undefined) {
        reader.skipType(tag & 7);
        continue;
      }
      const stop = reader.uint32() + reader.pos;
      if (stop > end) throw new RangeError(`a length runs past the end of its message at byte ${reader.pos}`);
      if (++count > MAX_MESSAGES) {
        throw new FormatError(
          `${OP}: the file holds more than ${MAX_MESSAGES} messages (nodes, attributes, tensors, names); wasmgrad reads chains of layers`,
        );
      }
      if (inner === 'name') reader.skip(stop - reader.pos);
      else walk(inner, stop);
    }
    if (reader.pos !== end) throw new RangeError(`a field runs past the end of its message at byte ${reader.pos}`);
  };
  walk('Model', file.length);
}

/** The model in `bytes`, decoded once its messages are counted; a FormatError if the bytes are not one. */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): DModel {
  const file = asBytes(bytes);
  try {
    countMessages(file);
    return onnx.ModelProto.decode(file) as unknown as DModel;
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(`${OP}: the bytes are not an ONNX model (protobuf: ${error instanceof Error ? error.message : String(error)})`);
  }
}

export const DATA_TYPES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(onnx.TensorProto.DataType).map(([name, code]) => [code as number, name]),
);

/** A 64-bit integer from protobufjs (a number, or a Long when long.js is loaded), or null when not exact in a double. */
export type Int64 = number | { toNumber(): number; high: number; low: number; unsigned?: boolean };
export function int64(value: Int64 | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : value.toNumber();
  return Number.isSafeInteger(n) ? n : null;
}

/** The shortest decimal that is the same float32: 0.1 for the float32 nearest 0.1. */
export function shortestFloat32(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

// What the generated decoder guarantees of a decoded message (its types say less, as they
// also describe the plain objects encode takes): repeated fields are arrays, scalars have
// their defaults, absent messages are null.
export interface DTensor {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int64_data: Int64[];
  name: string;
  raw_data: Uint8Array;
  external_data: unknown[];
  data_location: number;
}
export interface DAttribute {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t: DTensor | null;
  ints: Int64[];
}
export interface DNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: DAttribute[];
}
export interface DValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: { dim_value: Int64 | null }[] } | null } | null } | null;
}
export interface DGraph {
  node: DNode[];
  initializer: DTensor[];
  input: DValueInfo[];
  output: DValueInfo[];
}
export interface DModel {
  graph: DGraph | null;
  opset_import: { domain: string; version: Int64 }[];
}

export interface Node {
  proto: DNode;
  /** `node "name" (OpType)`, or `node 3 (OpType)` when it has no name. */
  label: string;
}

function asBytes(bytes: unknown): Uint8Array {
  let file: Uint8Array;
  if (bytes instanceof Uint8Array) file = bytes;
  else if (bytes instanceof ArrayBuffer) file = new Uint8Array(bytes);
  else throw new ValueError(`${OP}: expected a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
  // A file in linear memory is copied out: making the layers may grow it, which detaches its views.
  return isReady() && file.buffer === wasm().memory.buffer ? file.slice() : file;
}

export function defaultOpset(model: DModel): number {
  const entry = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const version = int64(entry?.version);
  if (version === null || version < 1) {
    throw new FormatError(`${OP}: the model imports no opset of ONNX's default domain (opset_import), so its ops have no meaning`);
  }
  return version;
}

/** The input's shape: its dims (null where symbolic or unknown), or null when the file gives none. */
export function readInputShape(input: DValueInfo): (number | null)[] | null {
  const tensor = input.type?.tensor_type;
  if (tensor === null || tensor === undefined) return null;
  if (tensor.elem_type !== 0 && tensor.elem_type !== FLOAT) {
    throw new FormatError(
      `${OP}: the input ${JSON.stringify(input.name)} is ${DATA_TYPES[tensor.elem_type] ?? `type ${tensor.elem_type}`}; wasmgrad reads float32 models`,
    );
  }
  if (tensor.shape === null || tensor.shape === undefined) return null;
  return tensor.shape.dim.map((d) => {
    const n = d.dim_value === null || d.dim_value === undefined ? null : int64(d.dim_value as Int64);
    return n !== null && n > 0 ? n : null;
  });
}

/** One attribute of a node, by name, checked for its type. */
export class Attributes {
  private readonly byName = new Map<string, DAttribute>();

  constructor(
    private readonly node: Node,
    known: readonly string[],
  ) {
    for (const a of node.proto.attribute) {
      if (this.byName.has(a.name)) throw new FormatError(`${OP}: ${node.label} has two attributes named ${JSON.stringify(a.name)}`);
      if (!known.includes(a.name)) {
        throw new FormatError(
          `${OP}: ${node.label} has attribute ${JSON.stringify(a.name)}, which wasmgrad does not read (it reads ${known.join(', ') || 'none'})`,
        );
      }
      this.byName.set(a.name, a);
    }
  }

  int(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (a === undefined) return fallback;
    const n = int64(a.i as Int64);
    if ((a.type !== A.INT && a.type !== A.UNDEFINED) || n === null)
      throw new FormatError(`${OP}: ${this.node.label}: attribute ${name} must be an integer`);
    return n;
  }

  float(name: string, fallback: number): number {
    const a = this.byName.get(name);
    if (a === undefined) return fallback;
    if ((a.type !== A.FLOAT && a.type !== A.UNDEFINED) || !Number.isFinite(a.f)) {
      throw new FormatError(`${OP}: ${this.node.label}: attribute ${name} must be a finite float`);
    }
    return shortestFloat32(a.f);
  }

  ints(name: string): number[] | null {
    const a = this.byName.get(name);
    if (a === undefined) return null;
    const values = a.ints.map((v) => int64(v as Int64));
    if ((a.type !== A.INTS && a.type !== A.UNDEFINED) || !values.every((v): v is number => v !== null)) {
      throw new FormatError(`${OP}: ${this.node.label}: attribute ${name} must be a list of integers`);
    }
    return values;
  }

  string(name: string, fallback: string): string {
    const a = this.byName.get(name);
    if (a === undefined) return fallback;
    if (a.type !== A.STRING && a.type !== A.UNDEFINED)
      throw new FormatError(`${OP}: ${this.node.label}: attribute ${name} must be a string`);
    return new TextDecoder().decode(a.s);
  }
}

/** A tensor's dims, each a non-negative integer, their product (the element count) at most 2³¹. */
export function dimsOf(node: Node, t: DTensor, what: string): number[] {
  const dims = t.dims.map((d) => int64(d as Int64));
  let size = 1;
  for (const d of dims) {
    if (d === null || d < 0)
      throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(t.name)} has a dimension that is not a non-negative integer`);
    size *= d;
    if (size > 2 ** 31) throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(t.name)} has more than 2³¹ elements`);
  }
  if (dims.length > 8) throw new FormatError(`${OP}: ${node.label}: ${what} ${JSON.stringify(t.name)} has ${dims.length} dimensions`);
  return dims as number[];
}

export function readScalarFloat(t: DTensor): number | null {
  if (t.raw_data.length === 4 && t.float_data.length === 0)
    return new DataView(t.raw_data.buffer, t.raw_data.byteOffset, 4).getFloat32(0, true);
  if (t.raw_data.length === 0 && t.float_data.length === 1) return t.float_data[0] as number;
  return null;
}
