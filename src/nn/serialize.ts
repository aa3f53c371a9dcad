// Models to and from safetensors files: each parameter under its PyTorch-style name
// ("0.weight"), and the layer list in the file's metadata so that nn.load can rebuild
// the model without being told its architecture.
import { FormatError, ShapeError, ValueError } from '../errors';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { ELU, LeakyReLU, ReLU, Sigmoid, Tanh } from './activations';
import { Linear } from './linear';
import { Maxout } from './maxout';
import type { Module } from './module';
import { decodeSafetensors, encodeSafetensors } from './safetensors';
import { Sequential } from './sequential';

const ARCHITECTURE = 'wasmgrad.layers';

type LayerSpec =
  | { type: 'Linear'; in: number; out: number; bias: boolean }
  | { type: 'Maxout'; in: number; out: number; k: number }
  | { type: 'ReLU' | 'Sigmoid' | 'Tanh' }
  | { type: 'LeakyReLU' | 'ELU'; alpha: number };

function specOf(layer: Module): LayerSpec | null {
  if (layer instanceof Linear) return { type: 'Linear', in: layer.inFeatures, out: layer.outFeatures, bias: layer.bias !== null };
  if (layer instanceof Maxout) return { type: 'Maxout', in: layer.inFeatures, out: layer.outFeatures, k: layer.k };
  if (layer instanceof LeakyReLU) return { type: 'LeakyReLU', alpha: layer.alpha };
  if (layer instanceof ELU) return { type: 'ELU', alpha: layer.alpha };
  if (layer instanceof ReLU) return { type: 'ReLU' };
  if (layer instanceof Sigmoid) return { type: 'Sigmoid' };
  if (layer instanceof Tanh) return { type: 'Tanh' };
  return null;
}

function build(spec: LayerSpec, dtype: 'float32' | 'float64'): Module {
  switch (spec.type) {
    case 'Linear':
      return new Linear(spec.in, spec.out, { bias: spec.bias, init: 'zeros', dtype });
    case 'Maxout':
      return new Maxout(spec.in, spec.out, spec.k, { init: 'zeros', dtype });
    case 'ReLU':
      return new ReLU();
    case 'Sigmoid':
      return new Sigmoid();
    case 'Tanh':
      return new Tanh();
    case 'LeakyReLU':
      return new LeakyReLU(spec.alpha);
    case 'ELU':
      return new ELU(spec.alpha);
    default:
      throw new FormatError(`load: unknown layer ${JSON.stringify(spec)} in the file's ${ARCHITECTURE}`);
  }
}

/** The model's parameters as a safetensors file, with its layers in the metadata when it is a Sequential of known layers. */
export function save(model: Module): Uint8Array {
  const metadata: Record<string, string> = {};
  if (model instanceof Sequential) {
    const specs = model.layers.map(specOf);
    if (specs.every((s) => s !== null)) metadata[ARCHITECTURE] = JSON.stringify(specs);
  }
  return encodeSafetensors(
    model.parameters().map((p) => [p.name, p.value] as const),
    metadata,
  );
}

/** Copies a file's tensors into `model`'s parameters; the names and shapes must match exactly. */
export function loadInto(model: Module, bytes: Uint8Array | ArrayBuffer): void {
  const { tensors } = decodeSafetensors(bytes);
  try {
    const params = model.parameters();
    // Check everything first: a file for another architecture changes nothing.
    for (const p of params) {
      const t = tensors.get(p.name);
      if (!t)
        throw new ShapeError(
          `load: the file has no tensor "${p.name}" (it has ${[...tensors.keys()].join(', ') || 'none'}): a file for another architecture?`,
        );
      if (!sameShape(t.shape, p.value.shape)) {
        throw new ShapeError(`load: "${p.name}" is ${formatShape(t.shape)} in the file but ${formatShape(p.value.shape)} in the model`);
      }
    }
    const extra = [...tensors.keys()].filter((name) => !params.some((p) => p.name === name));
    if (extra.length > 0) throw new ShapeError(`load: the file has tensors the model does not: ${extra.join(', ')}`);
    for (const p of params) p.value.data.set((tensors.get(p.name) as Tensor).data);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** A Sequential rebuilt from a file that `save` wrote, with its weights. */
export function load(bytes: Uint8Array | ArrayBuffer): Sequential {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const dtype = [...tensors.values()].some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
  for (const t of tensors.values()) t.dispose();
  const layers = metadata[ARCHITECTURE];
  if (layers === undefined)
    throw new ValueError(`load: the file has no "${ARCHITECTURE}" metadata; build the model yourself and call model.load(bytes)`);
  let specs: LayerSpec[];
  try {
    specs = JSON.parse(layers) as LayerSpec[];
  } catch {
    throw new FormatError(`load: the file's "${ARCHITECTURE}" metadata is not JSON`);
  }
  if (!Array.isArray(specs) || specs.length === 0)
    throw new FormatError(`load: the file's "${ARCHITECTURE}" metadata is not a list of layers`);
  const model = new Sequential(specs.map((spec) => build(spec, dtype)));
  loadInto(model, bytes);
  return model;
}
