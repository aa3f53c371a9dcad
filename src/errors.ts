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
