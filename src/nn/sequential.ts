import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { Sigmoid, Tanh } from './activations';
import { layerListMetadata } from './layer-list';
import { Linear } from './linear';
import { type BackwardOptions, checkMode, type Module, type ModuleBuffer, type Parameter } from './module';
import { loadInto, saveWeights } from './weights';

/** Layers run in order; backward runs them in reverse, each applying the chain rule locally. */
export class Sequential implements Module {
  /** The layer's type, as model files write it: a bundler that shortens class names leaves it. */
  readonly name = 'Sequential';
  readonly layers: readonly Module[];
  /** Whether the model is in training mode (the default) or evaluation: see train(). */
  training = true;

  constructor(layers: readonly Module[]) {
    if (!Array.isArray(layers) || layers.length === 0) throw new ValueError('Sequential: give it a non-empty array of layers');
    layers.forEach((layer, i) => {
      if (typeof layer?.forward !== 'function' || typeof layer.backward !== 'function') {
        throw new ValueError(`Sequential: layer ${i} has no forward/backward`);
      }
    });
    this.layers = [...layers];
    // A Linear followed by sigmoid or tanh starts from Xavier/Glorot unless told otherwise.
    this.layers.forEach((layer, i) => {
      const next = this.layers[i + 1];
      if (layer instanceof Linear && !layer.initChosen && (next instanceof Sigmoid || next instanceof Tanh)) layer.reset('xavier');
    });
  }

  /**
   * Puts every layer in training mode (true) or evaluation (false), as PyTorch's
   * `model.train()`/`model.eval()`: dropout drops and batch norm uses the batch's statistics
   * only while training. `predict` always evaluates; `nn.fit` trains in training mode and
   * puts the model back as it found it.
   */
  train(mode = true): this {
    this.training = checkMode('Sequential', mode);
    for (const layer of this.layers) layer.train?.(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) out = layer.forward(out);
    return out;
  }

  /**
   * The model's output for x, computed into buffers of its own: the caches forward keeps
   * for backward are untouched, so a validation batch can be scored between a training
   * forward and its backward. The result is valid until the next predict.
   */
  predict(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) out = layer.predict ? layer.predict(out) : layer.forward(out);
    return out;
  }

  /**
   * Backpropagates dout (d loss / d output) through every layer, adding into each
   * parameter's gradient. The gradient w.r.t. the model's input is computed only when
   * asked with `{ inputGrad: true }`; otherwise backward returns null.
   */
  backward(dout: Tensor, options: BackwardOptions & { inputGrad: true }): Tensor;
  backward(dout: Tensor, options?: BackwardOptions): Tensor | null;
  backward(dout: Tensor, { inputGrad = false }: BackwardOptions = {}): Tensor | null {
    let grad = dout;
    for (let i = this.layers.length - 1; i > 0; i--) grad = (this.layers[i] as Module).backward(grad, { inputGrad: true }) as Tensor;
    return (this.layers[0] as Module).backward(grad, { inputGrad });
  }

  /** The weights as a safetensors file (with the layer list, for nn.load). */
  save(): Uint8Array {
    return saveWeights(this, layerListMetadata(this.layers));
  }

  /** Loads weights that `save` (or PyTorch, with the same names and shapes) wrote. */
  load(bytes: Uint8Array | ArrayBuffer): void {
    loadInto(this, bytes);
  }

  /** Every layer's parameters, named by index as PyTorch names them: "0.weight", "2.bias". */
  parameters(): Parameter[] {
    return this.layers.flatMap((layer, i) => layer.parameters().map((p) => ({ ...p, name: `${i}.${p.name}` })));
  }

  /** Every layer's buffers (batch norm's running statistics), named as parameters are: "1.running_mean". */
  buffers(): ModuleBuffer[] {
    return this.layers.flatMap((layer, i) => (layer.buffers?.() ?? []).map((b) => ({ ...b, name: `${i}.${b.name}` })));
  }
}
