// A model's parameters to and from safetensors: each under its PyTorch-style name
// ("0.weight"), whatever the model is made of.
import { ShapeError } from '../errors';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { formatShape, sameShape, type Tensor } from '../tensor';
import type { Module } from './module';

/** The model's parameters as a safetensors file, with `metadata`. */
export function saveWeights(model: Module, metadata: Readonly<Record<string, string>>): Uint8Array {
  return encodeSafetensors(
    model.parameters().map((p) => [p.name, p.value] as const),
    metadata,
  );
}

/** Copies a file's tensors into `model`'s parameters; the names and shapes must match exactly. */
export function loadInto(model: Module, bytes: Uint8Array | ArrayBuffer): void {
  const { tensors } = decodeSafetensors(bytes);
  try {
    copyInto(model, tensors);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Copies decoded tensors into `model`'s parameters, after checking them all: a file for another architecture changes nothing. */
export function copyInto(model: Module, tensors: ReadonlyMap<string, Tensor>): void {
  const params = model.parameters();
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
}
