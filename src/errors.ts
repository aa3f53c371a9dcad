import type { Node } from './graph/node';

/**
 * Every error wasmgrad throws on purpose. The message names the op and the values or
 * shapes at fault; the object the call was made on is left as it was.
 */
export class WasmgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes or arities that do not fit the op. */
export class ShapeError extends WasmgradError {}

/** A value that is not a finite number, out of the op's domain, or of the wrong type. */
export class ValueError extends WasmgradError {}

/** A call in the wrong order: before `init()`, `backward` before `forward`, a disposed object. */
export class StateError extends WasmgradError {}

/** A graph used wrongly: a node of another graph, an unknown or missing input name. */
export class GraphError extends WasmgradError {}

/** What a NonFiniteError knows of the value that is not finite. */
export interface NonFiniteDetails {
  /** The op that made it, as the op table names it: 'exp', 'recip', 'relu', 'mse', … */
  op: string;
  /**
   * The op's result (`value`), the gradient it passed back (`gradient`), or an input the
   * op refuses to go on from (`input`: a loss given a logit that is not finite).
   */
  kind: 'value' | 'gradient' | 'input';
  /** NaN, Infinity or -Infinity: for a tensor, its first such element. */
  value: number;
  /** That element's row-major index, for a tensor. */
  index?: number;
  /** What the op was given, when its inputs are numbers (a gate or a Graph of numbers). */
  inputs?: readonly number[];
  /** The Graph node whose op made it (a Graph's forward or backward only). */
  node?: Node;
}

/**
 * An op's result or gradient came out NaN or ±Infinity: an input outside the op's domain
 * or range (e^800, 1/0, log of a negative), or, in training, a model that diverged. The
 * fields say which op and what it was given, for a program to explain it in its own words.
 */
export class NonFiniteError extends ValueError {
  readonly op: string;
  readonly kind: 'value' | 'gradient' | 'input';
  readonly value: number;
  readonly index: number | undefined;
  readonly inputs: readonly number[] | undefined;
  readonly node: Node | undefined;

  constructor(message: string, details: NonFiniteDetails) {
    super(message);
    this.op = details.op;
    this.kind = details.kind;
    this.value = details.value;
    this.index = details.index;
    this.inputs = details.inputs === undefined ? undefined : Object.freeze([...details.inputs]);
    this.node = details.node;
  }
}

/** A file that does not follow its format (a malformed safetensors file). */
export class FormatError extends ValueError {}

/** Linear memory cannot hold what was asked for; nothing was allocated. */
export class OutOfMemoryError extends WasmgradError {}

/** `value` described for a message: numbers as JS prints them, other things by type. */
export function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return typeof value;
}
