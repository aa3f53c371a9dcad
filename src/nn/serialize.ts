// Models to and from safetensors files: each parameter under its PyTorch-style name
// ("0.weight"), and the layer list in the file's metadata so that nn.load can rebuild
// the model without being told its architecture.
import { ValueError } from '../errors';
import { decodeSafetensors } from '../io/safetensors';
import { ARCHITECTURE, buildLayer, checkAgainstTensors, layerListMetadata, readLayerList } from './layer-list';
import type { Module } from './module';
import { Sequential } from './sequential';
import { copyInto, saveWeights } from './weights';

export { loadInto } from './weights';

/** The model's parameters as a safetensors file, with its layers in the metadata when it is a Sequential of known layers. */
export function save(model: Module): Uint8Array {
  return saveWeights(model, model instanceof Sequential ? layerListMetadata(model.layers) : {});
}

/**
 * A Sequential rebuilt from a file that `save` wrote, with its weights. The layer list is
 * checked against the file's own tensors before any layer is made, so a damaged or forged
 * list (a layer of 10⁹ units in a file of a few bytes) is a FormatError that allocates
 * nothing: the model made is never larger than the tensors the file holds.
 */
export function load(bytes: Uint8Array | ArrayBuffer): Sequential {
  const { tensors, metadata } = decodeSafetensors(bytes);
  try {
    const layers = metadata[ARCHITECTURE];
    if (layers === undefined)
      throw new ValueError(`load: the file has no "${ARCHITECTURE}" metadata; build the model yourself and call model.load(bytes)`);
    const specs = readLayerList(layers);
    checkAgainstTensors(specs, tensors);
    const dtype = [...tensors.values()].some((t) => t.dtype === 'float64') ? 'float64' : 'float32';
    const model = new Sequential(specs.map((spec) => buildLayer(spec, dtype)));
    copyInto(model, tensors);
    return model;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
