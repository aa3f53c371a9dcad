// The layer list a model file carries in its metadata, under "wasmgrad.layers": what
// each known layer is (its type and sizes) as JSON, so that nn.load can rebuild a
// Sequential without being told its architecture, and the checks that a list read back
// from a file describes the tensors beside it.
import { FormatError, ValueError } from '../errors';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { ACTIVATIONS, Activation } from './activations';
import { BatchNorm1d, BatchNorm2d } from './batch-norm';
import { Conv2d } from './conv2d';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { Maxout } from './maxout';
import type { Module } from './module';
import { AvgPool2d, Flatten, MaxPool2d } from './pool';

/** The metadata key of the layer list. */
export const ARCHITECTURE = 'wasmgrad.layers';

type HW = [number, number];

export type LayerSpec =
  | { type: 'Linear'; in: number; out: number; bias: boolean }
  | { type: 'Maxout'; in: number; out: number; k: number }
  | { type: 'Dropout'; p: number; seed: number }
  | { type: 'BatchNorm1d' | 'BatchNorm2d'; features: number; eps: number; momentum: number; affine: boolean }
  /** Sizes as [height, width], each written out so a file says exactly what it holds. */
  | { type: 'Conv2d'; in: number; out: number; kernel: HW; stride: HW; padding: HW; dilation: HW; bias: boolean }
  | { type: 'MaxPool2d'; kernel: HW; stride: HW; padding: HW; dilation: HW }
  | { type: 'AvgPool2d'; kernel: HW; stride: HW; padding: HW }
  | { type: 'Flatten' }
  /** An activation (ACTIVATIONS), with its α when it takes one. */
  | { type: 'activation'; name: string; alpha?: number };

function specOf(layer: Module): LayerSpec | null {
  if (layer instanceof Linear) return { type: 'Linear', in: layer.inFeatures, out: layer.outFeatures, bias: layer.bias !== null };
  if (layer instanceof Maxout) return { type: 'Maxout', in: layer.inFeatures, out: layer.outFeatures, k: layer.k };
  if (layer instanceof Dropout) return { type: 'Dropout', p: layer.p, seed: layer.seed };
  if (layer instanceof BatchNorm1d || layer instanceof BatchNorm2d) {
    return { type: layer.name, features: layer.numFeatures, eps: layer.eps, momentum: layer.momentum, affine: layer.affine };
  }
  // The exact classes: a subclass may compute something else, which a file cannot rebuild.
  if (layer.constructor === Conv2d) {
    const c = layer as Conv2d;
    const { kernel, stride, padding, dilation } = c.spec;
    return {
      type: 'Conv2d',
      in: c.inChannels,
      out: c.outChannels,
      kernel: [...kernel],
      stride: [...stride],
      padding: [...padding],
      dilation: [...dilation],
      bias: c.bias !== null,
    };
  }
  if (layer.constructor === MaxPool2d) {
    const { kernel, stride, padding, dilation } = (layer as MaxPool2d).spec;
    return { type: 'MaxPool2d', kernel: [...kernel], stride: [...stride], padding: [...padding], dilation: [...dilation] };
  }
  if (layer.constructor === AvgPool2d) {
    const { kernel, stride, padding } = (layer as AvgPool2d).spec;
    return { type: 'AvgPool2d', kernel: [...kernel], stride: [...stride], padding: [...padding] };
  }
  if (layer.constructor === Flatten) return { type: 'Flatten' };
  // The exact class its name stands for: a subclass of one may compute something else.
  const name = layer instanceof Activation ? layer.name : '';
  if (layer instanceof Activation && Object.hasOwn(ACTIVATIONS, name) && layer.constructor === ACTIVATIONS[name]?.type) {
    return layer.alpha === undefined ? { type: 'activation', name } : { type: 'activation', name, alpha: layer.alpha };
  }
  return null;
}

/** The layer `spec` describes, its parameters zero (or freshly drawn) until a file's are copied in. */
export function buildLayer(spec: LayerSpec, dtype: 'float32' | 'float64'): Module {
  try {
    return makeLayer(spec, dtype);
  } catch (error) {
    // A window the layer refuses (a pooling's padding over half its kernel) is the file's fault.
    if (error instanceof ValueError && !(error instanceof FormatError)) {
      throw new FormatError(`load: the file's "${ARCHITECTURE}" describes a layer that cannot be made: ${error.message}`);
    }
    throw error;
  }
}

function makeLayer(spec: LayerSpec, dtype: 'float32' | 'float64'): Module {
  switch (spec.type) {
    case 'Linear':
      return new Linear(spec.in, spec.out, { bias: spec.bias, init: 'zeros', dtype });
    case 'Maxout':
      return new Maxout(spec.in, spec.out, spec.k, { init: 'zeros', dtype });
    case 'Dropout':
      return new Dropout(spec.p, { seed: spec.seed });
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const BatchNorm = spec.type === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
      return new BatchNorm(spec.features, { eps: spec.eps, momentum: spec.momentum, affine: spec.affine, dtype });
    }
    case 'Conv2d': {
      const { kernel, stride, padding, dilation, bias } = spec;
      return new Conv2d(spec.in, spec.out, kernel, { stride, padding, dilation, bias, dtype });
    }
    case 'MaxPool2d':
      return new MaxPool2d(spec.kernel, { stride: spec.stride, padding: spec.padding, dilation: spec.dilation });
    case 'AvgPool2d':
      return new AvgPool2d(spec.kernel, { stride: spec.stride, padding: spec.padding });
    case 'Flatten':
      return new Flatten();
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
  /** A [height, width] pair of integers ≥ least. */
  const hw = (field: string, least: number): HW => {
    const v = fields[field];
    if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= least)) {
      throw new FormatError(`${at} (${String(type)}) has ${field} ${shown(v)}, not a pair [height, width] of integers ≥ ${least}`);
    }
    return [v[0], v[1]] as HW;
  };
  switch (type) {
    case 'Linear': {
      if (typeof fields.bias !== 'boolean') throw new FormatError(`${at} (Linear) has bias ${shown(fields.bias)}, not true or false`);
      return { type, in: count('in'), out: count('out'), bias: fields.bias };
    }
    case 'Maxout':
      return { type, in: count('in'), out: count('out'), k: count('k') };
    case 'Dropout': {
      const p = fields.p;
      if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new FormatError(`${at} (Dropout) has p ${shown(p)}, not a number in [0, 1)`);
      if (!Number.isSafeInteger(fields.seed)) throw new FormatError(`${at} (Dropout) has seed ${shown(fields.seed)}, not an integer`);
      return { type, p, seed: fields.seed as number };
    }
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const { eps, momentum, affine } = fields;
      if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
        throw new FormatError(`${at} (${type}) has eps ${shown(eps)}, not a positive number`);
      if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
        throw new FormatError(`${at} (${type}) has momentum ${shown(momentum)}, not a number in [0, 1]`);
      if (typeof affine !== 'boolean') throw new FormatError(`${at} (${type}) has affine ${shown(affine)}, not true or false`);
      return { type, features: count('features'), eps, momentum, affine };
    }
    case 'Conv2d': {
      if (typeof fields.bias !== 'boolean') throw new FormatError(`${at} (Conv2d) has bias ${shown(fields.bias)}, not true or false`);
      const window = { kernel: hw('kernel', 1), stride: hw('stride', 1), padding: hw('padding', 0), dilation: hw('dilation', 1) };
      return { type, in: count('in'), out: count('out'), ...window, bias: fields.bias };
    }
    case 'MaxPool2d':
      return { type, kernel: hw('kernel', 1), stride: hw('stride', 1), padding: hw('padding', 0), dilation: hw('dilation', 1) };
    case 'AvgPool2d':
      return { type, kernel: hw('kernel', 1), stride: hw('stride', 1), padding: hw('padding', 0) };
    case 'Flatten':
      return { type };
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
    if (spec.type === 'Conv2d') {
      expected.set(`${i}.weight`, [spec.out, spec.in, ...spec.kernel]);
      if (spec.bias) expected.set(`${i}.bias`, [spec.out]);
    }
    if (spec.type === 'Linear' || spec.type === 'Maxout') {
      const units = spec.type === 'Maxout' ? spec.out * spec.k : spec.out;
      expected.set(`${i}.weight`, [units, spec.in]);
      if (spec.type === 'Maxout' || spec.bias) expected.set(`${i}.bias`, [units]);
    }
    if (spec.type === 'BatchNorm1d' || spec.type === 'BatchNorm2d') {
      const names = spec.affine ? ['weight', 'bias', 'running_mean', 'running_var'] : ['running_mean', 'running_var'];
      for (const name of names) expected.set(`${i}.${name}`, [spec.features]);
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
