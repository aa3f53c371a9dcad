// The layer list a model file carries in its metadata, under "wasmgrad.layers": what
// each known layer is (its type and sizes) as JSON, so that nn.load can rebuild a
// Sequential without being told its architecture, and the checks that a list read back
// from a file describes the tensors beside it.
import { FormatError } from '../errors';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { ACTIVATIONS, Activation } from './activations';
import { Linear } from './linear';
import { Maxout } from './maxout';
import type { Module } from './module';

/** The metadata key of the layer list. */
export const ARCHITECTURE = 'wasmgrad.layers';

export type LayerSpec =
  | { type: 'Linear'; in: number; out: number; bias: boolean }
  | { type: 'Maxout'; in: number; out: number; k: number }
  /** An activation (ACTIVATIONS), with its α when it takes one. */
  | { type: 'activation'; name: string; alpha?: number };

function specOf(layer: Module): LayerSpec | null {
  if (layer instanceof Linear) return { type: 'Linear', in: layer.inFeatures, out: layer.outFeatures, bias: layer.bias !== null };
  if (layer instanceof Maxout) return { type: 'Maxout', in: layer.inFeatures, out: layer.outFeatures, k: layer.k };
  // The exact class its name stands for: a subclass of one may compute something else.
  const name = layer instanceof Activation ? layer.name : '';
  if (layer instanceof Activation && Object.hasOwn(ACTIVATIONS, name) && layer.constructor === ACTIVATIONS[name]?.type) {
    return layer.alpha === undefined ? { type: 'activation', name } : { type: 'activation', name, alpha: layer.alpha };
  }
  return null;
}

/** The layer `spec` describes, its parameters zero until a file's are copied in. */
export function buildLayer(spec: LayerSpec, dtype: 'float32' | 'float64'): Module {
  switch (spec.type) {
    case 'Linear':
      return new Linear(spec.in, spec.out, { bias: spec.bias, init: 'zeros', dtype });
    case 'Maxout':
      return new Maxout(spec.in, spec.out, spec.k, { init: 'zeros', dtype });
    case 'activation':
      return (ACTIVATIONS[spec.name] as (typeof ACTIVATIONS)[string]).make(spec.alpha);
    default:
      throw new FormatError(`load: unknown layer ${JSON.stringify(spec)} in the file's ${ARCHITECTURE}`);
  }
}

/** The metadata that records `layers`: the list when every layer is a known one, else nothing. */
export function layerListMetadata(layers: readonly Module[]): Record<string, string> {
  const specs = layers.map(specOf);
  if (!specs.every((s) => s !== null)) return {};
  // In the file an activation is its name: { "type": "ReLU" }, { "type": "ELU", "alpha": 1 }.
  const written = specs.map((s) => (s.type === 'activation' ? { type: s.name, ...(s.alpha === undefined ? {} : { alpha: s.alpha }) } : s));
  return { [ARCHITECTURE]: JSON.stringify(written) };
}

/** The metadata's layer list, each layer checked to be one that `save` writes. */
export function readLayerList(text: string): LayerSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FormatError(`load: the file's "${ARCHITECTURE}" metadata is not JSON`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new FormatError(`load: the file's "${ARCHITECTURE}" metadata is not a list of layers`);
  return parsed.map(readSpec);
}

function readSpec(spec: unknown, index: number): LayerSpec {
  const at = `load: layer ${index} of the file's "${ARCHITECTURE}"`;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new FormatError(`${at} is ${shown(spec)}, not a layer object`);
  }
  const fields = spec as Record<string, unknown>;
  const type = fields.type;
  const count = (field: string): number => {
    const n = fields[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new FormatError(`${at} (${String(type)}) has ${field} ${shown(n)}, not a positive integer`);
    }
    return n;
  };
  switch (type) {
    case 'Linear': {
      if (typeof fields.bias !== 'boolean') throw new FormatError(`${at} (Linear) has bias ${shown(fields.bias)}, not true or false`);
      return { type, in: count('in'), out: count('out'), bias: fields.bias };
    }
    case 'Maxout':
      return { type, in: count('in'), out: count('out'), k: count('k') };
    default: {
      const activation = typeof type === 'string' && Object.hasOwn(ACTIVATIONS, type) ? ACTIVATIONS[type] : undefined;
      if (activation === undefined) break;
      if (!activation.alpha) return { type: 'activation', name: type as string };
      const alpha = fields.alpha;
      if (typeof alpha !== 'number' || !Number.isFinite(alpha)) {
        throw new FormatError(`${at} (${type}) has alpha ${shown(alpha)}, not a finite number`);
      }
      return { type: 'activation', name: type as string, alpha };
    }
  }
  throw new FormatError(`${at}: unknown layer ${shown(spec)}`);
}

/** Each layer's parameters must be in the file with the shapes the layer gives them, and nothing else. */
export function checkAgainstTensors(specs: readonly LayerSpec[], tensors: ReadonlyMap<string, Tensor>): void {
  const expected = new Map<string, number[]>();
  specs.forEach((spec, i) => {
    if (spec.type === 'Linear' || spec.type === 'Maxout') {
      const units = spec.type === 'Maxout' ? spec.out * spec.k : spec.out;
      expected.set(`${i}.weight`, [units, spec.in]);
      if (spec.type === 'Maxout' || spec.bias) expected.set(`${i}.bias`, [units]);
    }
  });
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    const layer = `layer ${name.slice(0, name.indexOf('.'))}`;
    if (!t) {
      throw new FormatError(
        `load: the file's "${ARCHITECTURE}" gives ${layer} a tensor "${name}" ${formatShape(shape)}, which the file does not hold`,
      );
    }
    if (!sameShape(t.shape, shape)) {
      throw new FormatError(
        `load: the file's "${ARCHITECTURE}" gives ${layer} a tensor "${name}" ${formatShape(shape)}, but the file holds it as ${formatShape(t.shape)}`,
      );
    }
  }
  const extra = [...tensors.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw new FormatError(`load: the file holds tensors its "${ARCHITECTURE}" does not account for: ${extra.join(', ')}`);
  }
}

/** A JSON value for a message, cut short if long. */
function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
