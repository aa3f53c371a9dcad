// Dropout and batch normalization: each checked against the definition written out here
// in float64 (the mask drawn again from the same seed; the batch's mean and variance
// summed by hand), gradchecked, and followed through a model's train/eval modes.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormGate,
  DropoutGate,
  type GradInput,
  gradcheck,
  init,
  memoryStats,
  nn,
  ShapeError,
  StateError,
  Tensor,
  ValueError,
} from '../src/index';
import { Random } from '../src/random';
import { rng } from './helpers';

beforeAll(() => init());

const random = rng(77);
const values = (count: number, scale = 1) => Float64Array.from({ length: count }, () => (random() * 2 - 1) * scale);
const tensor = (shape: number[], dtype: 'float32' | 'float64' = 'float64', scale = 1) =>
  Tensor.from(
    values(
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
    shape,
    { dtype },
  );
const weightedSum = (y: Tensor, w: Tensor) => {
  let total = 0;
  for (let i = 0; i < y.size; i++) total += (y.data[i] as number) * (w.data[i] as number);
  return total;
};

/** The mask DropoutGate(p, { seed }) draws first, drawn again with the generator the test imports. */
function maskOf(p: number, seed: number, count: number): Float64Array {
  const generator = new Random(seed);
  const keep = 1 - p;
  return Float64Array.from({ length: count }, () => (generator.uniform() < keep ? 1 / keep : 0));
}

describe('DropoutGate: inverted dropout', () => {
  it.each(['float32', 'float64'] as const)('%s: forward is x times the mask its seed draws, backward dout times the same mask', (dtype) => {
    // 67 values: the SIMD body and a scalar tail of the multiply.
    const x = tensor([1, 67], dtype);
    const gate = new DropoutGate(0.3, { seed: 11 });
    const y = gate.forward(x);
    const mask = maskOf(0.3, 11, 67);
    const round = dtype === 'float32' ? Math.fround : (v: number) => v;
    for (let i = 0; i < 67; i++) expect(y.data[i]).toBe(round((x.data[i] as number) * round(mask[i] as number)));
    expect(Array.from(gate.lastMask.data)).toEqual(Array.from(mask, round));
    const dout = tensor([1, 67], dtype);
    const [dx] = gate.backward(dout);
    for (let i = 0; i < 67; i++) expect(dx.data[i]).toBe(round((dout.data[i] as number) * round(mask[i] as number)));
  });

  it('drops about p of the values, a new mask each call, and the same masks for the same seed', () => {
    const x = Tensor.ones([100, 100]);
    const a = new DropoutGate(0.25, { seed: 5 });
    const b = new DropoutGate(0.25, { seed: 5 });
    const first = Array.from(a.forward(x).data);
    const dropped = first.filter((v) => v === 0).length;
    // Binomial(10⁴, 0.25): σ ≈ 43; 5σ either side.
    expect(Math.abs(dropped - 2500)).toBeLessThan(220);
    expect(first.filter((v) => v !== 0).every((v) => v === Math.fround(1 / 0.75))).toBe(true);
    const second = Array.from(a.forward(x).data);
    expect(second).not.toEqual(first);
    expect(Array.from(b.forward(x).data)).toEqual(first);
    expect(Array.from(b.forward(x).data)).toEqual(second);
    expect(Array.from(new DropoutGate(0.25, { seed: 6 }).forward(x).data)).not.toEqual(first);
  });

  it('the gradient of Σ w ⊙ dropout(x) passes gradcheck (float64, the mask fixed by its seed)', () => {
    const x = tensor([3, 7]);
    const w = tensor([3, 7]);
    const result = gradcheck(
      (inputs: GradInput[]) => {
        const gate = new DropoutGate(0.4, { seed: 3 });
        const value = weightedSum(gate.forward(inputs[0] as Tensor), w);
        return { value, grads: [Float64Array.from(gate.backward(w)[0].data)] };
      },
      [x],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('is the identity when not training, and when p = 0', () => {
    const x = tensor([2, 5]);
    const dout = tensor([2, 5]);
    for (const gate of [Object.assign(new DropoutGate(0.5), { training: false }), new DropoutGate(0)]) {
      expect(Array.from(gate.forward(x).data)).toEqual(Array.from(x.data));
      expect(Array.from(gate.backward(dout)[0].data)).toEqual(Array.from(dout.data));
      expect(() => gate.lastMask).toThrow(/dropped nothing/);
    }
  });

  it('refuses p outside [0, 1), a seed that is not an integer, and a dout of another shape', () => {
    expect(() => new DropoutGate(1)).toThrow(/DropoutGate: p, the probability of dropping a value, must be in \[0, 1\), got 1/);
    expect(() => new DropoutGate(-0.1)).toThrow(ValueError);
    expect(() => new DropoutGate(Number.NaN)).toThrow(ValueError);
    expect(() => new DropoutGate(0.5, { seed: 1.5 })).toThrow(/seed must be an integer/);
    const gate = new DropoutGate(0.5, { seed: 1 });
    expect(() => gate.backward(Tensor.ones([2, 2]))).toThrow(/before forward/);
    gate.forward(Tensor.ones([2, 3]));
    expect(() => gate.backward(Tensor.ones([3, 2]))).toThrow(ShapeError);
  });
});

/** Batch norm by its definition, in float64: per channel over the batch and positions. */
function batchNormReference(x: Tensor, gamma: Float64Array, beta: Float64Array, eps: number) {
  const [n, c] = x.shape as [number, number];
  const spatial = x.size / (n * c);
  const y = new Float64Array(x.size);
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  const at = (i: number, ch: number, j: number) => (i * c + ch) * spatial + j;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < spatial; j++) sum += x.data[at(i, ch, j)] as number;
    mean[ch] = sum / (n * spatial);
    let squares = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < spatial; j++) squares += ((x.data[at(i, ch, j)] as number) - (mean[ch] as number)) ** 2;
    variance[ch] = squares / (n * spatial);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < spatial; j++) {
        const xhat = ((x.data[at(i, ch, j)] as number) - (mean[ch] as number)) / Math.sqrt((variance[ch] as number) + eps);
        y[at(i, ch, j)] = (gamma[ch] as number) * xhat + (beta[ch] as number);
      }
    }
  }
  return { y, mean, variance, count: n * spatial };
}

describe('BatchNormGate: batch normalization', () => {
  const shapes = [
    [5, 3],
    [4, 2, 3],
    [3, 2, 5, 3],
    [2, 3, 1, 1],
  ];

  it.each(shapes)('training forward of [%i, %i, …] matches the definition, and the running statistics move by momentum', (...shape) => {
    const c = shape[1] as number;
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tensor(shape, dtype, 2);
      const gamma = tensor([c], dtype);
      const beta = tensor([c], dtype);
      const gate = new BatchNormGate(c, { dtype, eps: 1e-3, momentum: 0.3 });
      const y = gate.forward(x, gamma, beta);
      const expected = batchNormReference(x, Float64Array.from(gamma.data), Float64Array.from(beta.data), 1e-3);
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      for (let i = 0; i < y.size; i++) expect(Math.abs((y.data[i] as number) - (expected.y[i] as number))).toBeLessThan(tol);
      for (let ch = 0; ch < c; ch++) {
        expect(gate.runningMean.data[ch]).toBeCloseTo(0.3 * (expected.mean[ch] as number), dtype === 'float64' ? 12 : 6);
        const unbiased = ((expected.variance[ch] as number) * expected.count) / (expected.count - 1);
        expect(gate.runningVar.data[ch]).toBeCloseTo(0.7 + 0.3 * unbiased, dtype === 'float64' ? 12 : 5);
      }
    }
  });

  it('evaluation normalizes by the running statistics and leaves them as they are', () => {
    const gate = new BatchNormGate(2, { dtype: 'float64' });
    gate.runningMean.data.set([0.5, -1]);
    gate.runningVar.data.set([4, 0.25]);
    gate.training = false;
    const x = tensor([3, 2]);
    const gamma = Tensor.from([2, 3], [2], { dtype: 'float64' });
    const beta = Tensor.from([0.1, -0.2], [2], { dtype: 'float64' });
    const y = gate.forward(x, gamma, beta);
    for (let i = 0; i < 3; i++) {
      for (const [ch, mean, variance, g, b] of [
        [0, 0.5, 4, 2, 0.1],
        [1, -1, 0.25, 3, -0.2],
      ] as const) {
        const expected = (g * ((x.data[i * 2 + ch] as number) - mean)) / Math.sqrt(variance + 1e-5) + b;
        expect(y.data[i * 2 + ch]).toBeCloseTo(expected, 12);
      }
    }
    expect(Array.from(gate.runningMean.data)).toEqual([0.5, -1]);
    expect(Array.from(gate.runningVar.data)).toEqual([4, 0.25]);
  });

  it.each(shapes)('x, γ and β of [%i, %i, …] pass gradcheck, training and in evaluation (float64)', (...shape) => {
    const c = shape[1] as number;
    for (const training of [true, false]) {
      const gate = new BatchNormGate(c, { dtype: 'float64', momentum: 0.5 });
      // Running statistics away from 0 and 1, so that evaluation is not the identity.
      gate.forward(tensor(shape, 'float64', 3), null, null);
      gate.training = training;
      const w = tensor(shape);
      const result = gradcheck(
        (inputs: GradInput[]) => {
          const [x, gamma, beta] = inputs as Tensor[];
          const value = weightedSum(gate.forward(x as Tensor, gamma as Tensor, beta as Tensor), w);
          return { value, grads: gate.backward(w).map((g) => Float64Array.from(g.data)) };
        },
        [tensor(shape, 'float64', 2), tensor([c]), tensor([c])],
      );
      expect(result.ok, `training ${training}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });

  it('without γ and β, x alone passes gradcheck and backward returns its gradient only', () => {
    const gate = new BatchNormGate(3, { dtype: 'float64' });
    const w = tensor([4, 3, 2]);
    const result = gradcheck(
      (inputs: GradInput[]) => {
        const value = weightedSum(gate.forward(inputs[0] as Tensor), w);
        const grads = gate.backward(w);
        expect(grads).toHaveLength(1);
        return { value, grads: [Float64Array.from((grads[0] as Tensor).data)] };
      },
      [tensor([4, 3, 2])],
    );
    expect(result.ok, JSON.stringify(result.worst)).toBe(true);
  });

  it('predict between forward and backward evaluates, touching neither the cache nor the running statistics', () => {
    const [x, w] = [tensor([4, 2]), tensor([4, 2])];
    const twin = new BatchNormGate(2, { dtype: 'float64' });
    twin.forward(x);
    const expected = Array.from((twin.backward(w)[0] as Tensor).data);
    const gate = new BatchNormGate(2, { dtype: 'float64' });
    gate.forward(x);
    const running = [Array.from(gate.runningMean.data), Array.from(gate.runningVar.data)];
    const other = tensor([3, 2]);
    const p = gate.predict(other);
    for (let i = 0; i < 6; i++) {
      const ch = i % 2;
      const normalized = ((other.data[i] as number) - (running[0]?.[ch] as number)) / Math.sqrt((running[1]?.[ch] as number) + 1e-5);
      expect(p.data[i]).toBeCloseTo(normalized, 12);
    }
    expect([Array.from(gate.runningMean.data), Array.from(gate.runningVar.data)]).toEqual(running);
    expect(Array.from((gate.backward(w)[0] as Tensor).data)).toEqual(expected);
  });

  it('refuses a channel count that differs, one value per channel while training, and β without γ, changing nothing', () => {
    const gate = new BatchNormGate(3);
    expect(() => gate.forward(Tensor.ones([2, 4]))).toThrow(/BatchNormGate.forward: x must be \[batch, 3, …\], got \[2,4\]/);
    expect(() => gate.forward(Tensor.ones([1, 3]))).toThrow(/more than one value per channel, got x \[1,3\]/);
    expect(() => gate.forward(Tensor.ones([2, 3]), Tensor.ones([2]))).toThrow(/gamma must be a \[3\] float32 tensor, got \[2\]/);
    expect(() => gate.forward(Tensor.ones([2, 3]), null, Tensor.ones([3]))).toThrow(/beta without gamma/);
    expect(Array.from(gate.runningMean.data)).toEqual([0, 0, 0]);
    expect(Array.from(gate.runningVar.data)).toEqual([1, 1, 1]);
    expect(() => new BatchNormGate(0)).toThrow(/channels must be a positive integer/);
    expect(() => new BatchNormGate(2, { momentum: 2 })).toThrow(/momentum must be in \[0, 1\]/);
    expect(() => new BatchNormGate(2, { eps: 0 })).toThrow(/eps must be a positive number/);
  });
});

describe('nn.Dropout, nn.BatchNorm1d, nn.BatchNorm2d and the model modes', () => {
  it('BatchNorm layers pass gradcheck for input, weight and bias (float64)', () => {
    for (const [layer, shape] of [
      [new nn.BatchNorm1d(3, { dtype: 'float64' }), [5, 3]],
      [new nn.BatchNorm2d(2, { dtype: 'float64' }), [3, 2, 3, 2]],
    ] as const) {
      const x = tensor([...shape]);
      const params = layer.parameters();
      params[0]?.value.data.set(values(params[0].value.size));
      const w = tensor([...shape]);
      const result = gradcheck(
        (inputs: GradInput[]) => {
          for (const p of params) p.grad.data.fill(0);
          const value = weightedSum(layer.forward(inputs[0] as Tensor), w);
          const dx = layer.backward(w) as Tensor;
          return { value, grads: [Float64Array.from(dx.data), ...params.map((p) => Float64Array.from(p.grad.data))] };
        },
        [x, ...params.map((p) => p.value)],
      );
      expect(result.ok, `${layer.name}: ${JSON.stringify(result.worst)}`).toBe(true);
    }
  });

  it('a layer starts as PyTorch: γ = 1, β = 0, running mean 0 and variance 1; named weight, bias, running_mean, running_var', () => {
    const model = new nn.Sequential([new nn.Linear(4, 3, { seed: 1 }), new nn.BatchNorm1d(3), new nn.ReLU()]);
    expect(model.parameters().map((p) => p.name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(model.buffers().map((b) => b.name)).toEqual(['1.running_mean', '1.running_var']);
    const [bn] = [model.layers[1] as nn.BatchNorm1d];
    expect(Array.from(bn.weight?.value.data ?? [])).toEqual([1, 1, 1]);
    expect(Array.from(bn.bias?.value.data ?? [])).toEqual([0, 0, 0]);
    expect(new nn.BatchNorm2d(2, { affine: false }).parameters()).toEqual([]);
  });

  it('model.train()/eval() reach every layer; forward follows the mode, predict always evaluates', () => {
    const dropout = new nn.Dropout(0.5, { seed: 9 });
    const bn = new nn.BatchNorm1d(4);
    const model = new nn.Sequential([bn, dropout]);
    expect([model.training, bn.training, dropout.training]).toEqual([true, true, true]);
    const x = tensor([6, 4], 'float32', 3);
    const trained = Array.from(model.forward(x).data);
    expect(trained.filter((v) => v === 0).length).toBeGreaterThan(0);
    // predict: running statistics (moved once from 0 and 1) and no dropout, in either mode.
    const expected = Array.from(x.data, (v, i) => {
      const ch = i % 4;
      return (v - (bn.runningMean.data[ch] as number)) / Math.sqrt((bn.runningVar.data[ch] as number) + 1e-5);
    });
    const predicted = Array.from(model.predict(x).data);
    for (let i = 0; i < x.size; i++) expect(predicted[i]).toBeCloseTo(expected[i] as number, 5);
    expect(model.eval()).toBe(model);
    expect([model.training, bn.training, dropout.training]).toEqual([false, false, false]);
    const running = Array.from(bn.runningMean.data);
    const evaluated = Array.from(model.forward(x).data);
    for (let i = 0; i < x.size; i++) expect(evaluated[i]).toBeCloseTo(expected[i] as number, 5);
    expect(Array.from(bn.runningMean.data)).toEqual(running);
    model.train();
    expect([model.training, bn.training, dropout.training]).toEqual([true, true, true]);
    expect(() => model.train('yes' as never)).toThrow(/Sequential.train: mode must be true or false, got "yes"/);
  });

  it('fit trains in training mode and gives the model back in the mode it found it', () => {
    const x = tensor([40, 3], 'float32');
    const y = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const bn = new nn.BatchNorm1d(8);
    const model = new nn.Sequential([
      new nn.Linear(3, 8, { seed: 2 }),
      bn,
      new nn.ReLU(),
      new nn.Dropout(0.2, { seed: 1 }),
      new nn.Linear(8, 2, { seed: 3 }),
    ]);
    model.eval();
    nn.fit(model, { x, y }, { epochs: 1, batchSize: 10 });
    expect(model.training).toBe(false);
    // It trained in training mode: the running statistics moved (evaluation would not move them).
    expect(Array.from(bn.runningMean.data).some((v) => v !== 0)).toBe(true);
    model.train();
    nn.fit(model, { x, y }, { epochs: 1, batchSize: 10 });
    expect(model.training).toBe(true);
  });

  it('save and nn.load carry dropout, batch norm and its running statistics: the loaded model predicts the same bits', () => {
    const model = new nn.Sequential([
      new nn.Linear(5, 6, { seed: 4 }),
      new nn.BatchNorm1d(6, { momentum: 0.2, eps: 1e-4 }),
      new nn.ReLU(),
      new nn.Dropout(0.3, { seed: 12 }),
      new nn.Linear(6, 2, { seed: 5 }),
    ]);
    const x = tensor([10, 5], 'float32');
    nn.fit(model, { x, y: Int32Array.from({ length: 10 }, (_, i) => i % 2) }, { epochs: 2, batchSize: 5, seed: 1 });
    const loaded = nn.load(model.save());
    expect(loaded.buffers().map((b) => b.name)).toEqual(['1.running_mean', '1.running_var']);
    expect(Array.from(loaded.buffers()[1]?.value.data ?? [])).toEqual(Array.from(model.buffers()[1]?.value.data ?? []));
    const bn = loaded.layers[1] as nn.BatchNorm1d;
    expect([bn.momentum, bn.eps, bn.affine]).toEqual([0.2, 1e-4, true]);
    expect([(loaded.layers[3] as nn.Dropout).p, (loaded.layers[3] as nn.Dropout).seed]).toEqual([0.3, 12]);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it('a file whose batch norm lacks its running variance is refused before anything is built', () => {
    const model = new nn.Sequential([new nn.BatchNorm2d(2)]);
    const forged = model.save();
    // Rename the tensor in the header, byte for byte (same length): "0.running_var" → "0.running_vaR".
    const name = new TextEncoder().encode('"0.running_var"');
    const at = forged.findIndex((_, i) => name.every((byte, j) => forged[i + j] === byte));
    forged[at + name.length - 2] = 'R'.charCodeAt(0);
    expect(() => nn.load(forged)).toThrow(/gives layer 0 a tensor "0.running_var" \[2\], which the file does not hold/);
  });

  it("loads PyTorch's batch norm files, which also hold an I64 num_batches_tracked; another I64 tensor is still refused", () => {
    /** A safetensors file as PyTorch's save_file writes a BatchNorm1d(2)'s state_dict, written out here byte by byte. */
    const pytorchFile = (counter: string) => {
      const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
      const parts: [string, string, number[], Uint8Array][] = [
        ['0.bias', 'F32', [2], f32([0.5, -0.5])],
        [counter, 'I64', [], new Uint8Array(new BigInt64Array([7n]).buffer)],
        ['0.running_mean', 'F32', [2], f32([1, 2])],
        ['0.running_var', 'F32', [2], f32([3, 4])],
        ['0.weight', 'F32', [2], f32([2, 3])],
      ];
      let offset = 0;
      const header: Record<string, unknown> = {};
      for (const [name, dtype, shape, bytes] of parts) {
        header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
        offset += bytes.length;
      }
      let json = JSON.stringify(header);
      while ((8 + json.length) % 8 !== 0) json += ' ';
      const file = new Uint8Array(8 + json.length + offset);
      new DataView(file.buffer).setBigUint64(0, BigInt(json.length), true);
      file.set(new TextEncoder().encode(json), 8);
      let at = 8 + json.length;
      for (const [, , , bytes] of parts) {
        file.set(bytes, at);
        at += bytes.length;
      }
      return file;
    };
    const model = new nn.Sequential([new nn.BatchNorm1d(2)]);
    model.load(pytorchFile('0.num_batches_tracked'));
    expect(model.buffers().map((b) => Array.from(b.value.data))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(model.parameters().map((p) => Array.from(p.value.data))).toEqual([
      [2, 3],
      [0.5, -0.5],
    ]);
    expect(() => model.load(pytorchFile('0.steps'))).toThrow(/tensor "0.steps" has dtype I64, which wasmgrad does not hold/);
  });

  it('refuses input of the wrong rank, naming the shapes it takes', () => {
    expect(() => new nn.BatchNorm2d(3).forward(Tensor.ones([2, 3]))).toThrow(
      /BatchNorm2d.forward: x must be \[N, C, H, W\] with C = 3, got \[2,3\]/,
    );
    expect(() => new nn.BatchNorm1d(3).forward(Tensor.ones([2, 3, 1, 1]))).toThrow(/x must be \[N, C\] or \[N, C, L\]/);
    expect(() => new nn.Dropout(0.5).train(1 as never)).toThrow(/Dropout.train: mode must be true or false/);
  });

  it('backward after an eval-mode forward differentiates the evaluation output (batch norm) or passes dout through (dropout)', () => {
    const model = new nn.Sequential([new nn.Dropout(0.5), new nn.BatchNorm1d(2, { dtype: 'float64' })]);
    model.eval();
    const x = tensor([3, 2]);
    model.forward(x);
    const dout = tensor([3, 2]);
    const dx = model.backward(dout, { inputGrad: true });
    const bn = model.layers[1] as nn.BatchNorm1d;
    for (let i = 0; i < 6; i++) {
      expect(dx.data[i]).toBeCloseTo((dout.data[i] as number) / Math.sqrt((bn.runningVar.data[i % 2] as number) + 1e-5), 12);
    }
  });

  it('a training loop with batch norm and dropout allocates nothing after its first step', () => {
    const model = new nn.Sequential([
      new nn.Linear(6, 16, { seed: 1 }),
      new nn.BatchNorm1d(16),
      new nn.ReLU(),
      new nn.Dropout(0.3),
      new nn.Linear(16, 3, { seed: 2 }),
    ]);
    const optimizer = new nn.Adam(model.parameters(), { lr: 0.01 });
    const x = tensor([32, 6], 'float32');
    const y = Int32Array.from({ length: 32 }, (_, i) => i % 3);
    const step = () => {
      optimizer.zeroGrad();
      const { loss, grad } = nn.softmaxCrossEntropy(model.forward(x), y);
      model.backward(grad);
      optimizer.step();
      return loss;
    };
    const first = step();
    const after = memoryStats().bytesInUse;
    let last = first;
    for (let i = 0; i < 50; i++) last = step();
    expect(memoryStats().bytesInUse).toBe(after);
    expect(last).toBeLessThan(first);
  });

  it('stale state is an error: a dropout backward after a second forward', () => {
    const d = new nn.Dropout(0.5);
    const y = d.forward(Tensor.ones([2, 2]));
    d.forward(Tensor.ones([2, 2]));
    expect(() => y.data).toThrow(StateError);
  });
});
