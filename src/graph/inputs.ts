// What forward and set take, checked before anything is written: a bad call names the
// input and what is wrong with it, and changes nothing.
import { describe, GraphError, ShapeError, StateError, ValueError } from '../errors';
import { checkClassIndices } from '../shapes';
import { formatShape, type NestedNumbers, type Shape, sameShape, sizeOf, Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { Kind, type NodeTable, SCALAR } from './nodes';

/** An input's data as the program copies it in: a number, a Tensor, or values. */
export type InputData = number | Tensor | ArrayLike<number>;

/** What a Graph declared: its nodes, the inputs forward must be given, and how it names a node. */
export interface Declared {
  readonly table: NodeTable;
  readonly inputIds: ReadonlyMap<string, number>;
  label(id: number): string;
}

/** Every input, checked before anything is written: a bad call changes nothing. */
export function readInputs(graph: Declared, inputs: unknown): Array<[number, InputData]> {
  if (typeof inputs !== 'object' || inputs === null) {
    throw new ValueError(`forward: inputs must be an object of name → value, got ${describe(inputs)}`);
  }
  const given: Array<[number, InputData]> = [];
  for (const [name, value] of Object.entries(inputs)) {
    const id = graph.inputIds.get(name);
    if (id === undefined) {
      const known = [...graph.inputIds.keys()].map((n) => JSON.stringify(n)).join(', ') || 'none';
      throw new GraphError(`forward: unknown input ${JSON.stringify(name)} (inputs: ${known})`);
    }
    given.push([id, graph.table.kinds[id] === Kind.Labels ? readLabels(graph, id, value) : readInput(graph, id, value)]);
  }
  if (given.length !== graph.inputIds.size) {
    const missing = [...graph.inputIds.keys()].filter((name) => !Object.hasOwn(inputs, name));
    throw new GraphError(`forward: missing input ${missing.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return given;
}

function readInput(graph: Declared, id: number, value: unknown): InputData {
  const what = `input ${JSON.stringify(graph.label(id))}`;
  if (graph.table.shape(id).length === 0) return finite('forward', what, value);
  if (value instanceof Tensor) {
    if (value.disposed) throw new StateError(`forward: ${what} has been disposed`);
    if (!sameShape(value.shape, graph.table.shape(id))) {
      throw new ShapeError(`forward: ${what} has shape ${formatShape(value.shape)}, declared ${formatShape(graph.table.shape(id))}`);
    }
    const bad = kernels(value.dtype).firstNonFinite(value.ptr, value.size);
    if (bad >= 0) throw new ValueError(`forward: ${what} element ${bad} is ${value.data[bad]}`);
    return value;
  }
  return readValue(graph, 'forward', id, value);
}

function readLabels(graph: Declared, id: number, value: unknown): ArrayLike<number> {
  const count = graph.table.shape(id)[0] as number;
  const what = `labels ${JSON.stringify(graph.label(id))}`;
  if (!(value instanceof Int32Array || Array.isArray(value)))
    throw new ValueError(`forward: ${what} must be an Int32Array or array of class indices`);
  if (value.length !== count) throw new ShapeError(`forward: ${what} has ${value.length} entries, declared ${count}`);
  checkClassIndices('forward', value, graph.table.extra[id] as number, (i) => `${what} entry ${i}`);
  return value;
}

/** A value for a leaf of `id`'s shape as f64s: a number for a scalar, else a Tensor or (nested) array. */
export function readValue(graph: Declared, op: string, id: number, value: unknown): Float64Array {
  const shape = graph.table.shape(id);
  const what = `${graph.table.kinds[id] === Kind.Input ? 'input' : 'value of'} ${JSON.stringify(graph.label(id))}`;
  if (shape.length === 0) return Float64Array.of(finite(op, what, value));
  let values: Float64Array;
  let given: Shape;
  if (value instanceof Tensor) {
    values = Float64Array.from(value.data);
    given = value.shape;
  } else if (ArrayBuffer.isView(value) || (Array.isArray(value) && !value.some(Array.isArray))) {
    values = Float64Array.from(value as ArrayLike<number>);
    given = values.length === sizeOf(shape) ? shape : [values.length];
  } else if (Array.isArray(value)) {
    const t = Tensor.from(value as NestedNumbers, undefined, { dtype: 'float64' });
    values = Float64Array.from(t.data);
    given = t.shape;
    t.dispose();
  } else {
    throw new ValueError(`${op}: ${what} must be a Tensor or an array of numbers, got ${describe(value)}`);
  }
  // A flat array of the right size is read in the declared shape; a Tensor or nested array must have it.
  if (!sameShape(given, shape)) {
    throw new ShapeError(`${op}: ${what} has shape ${formatShape(given)}, declared ${formatShape(shape)}`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ValueError(`${op}: ${what} element ${bad} is ${values[bad]}`);
  return values;
}

/** A number an op or leaf is given, checked finite. */
export function finite(op: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${op}: ${what} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

export function checkShape(op: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isInteger(dim) && dim >= 1)) {
    throw new ShapeError(
      `${op}: a shape is an array of positive integers, got ${Array.isArray(shape) ? formatShape(shape) : describe(shape)}`,
    );
  }
  return shape.length === 0 ? SCALAR : Object.freeze([...shape]);
}
