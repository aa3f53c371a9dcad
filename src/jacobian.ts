// The full Jacobian, for teaching and tests only: wasmgrad never builds one on a hot
// path, because each op's backward is already its vector–Jacobian product dyᵀ·J.
import { describe, ValueError } from './errors';
import { useTensor } from './gates/buffers';
import { fillTensor, Tensor } from './tensor';

/** Anything with a tensor forward and a backward that returns dx first: a unary gate or layer. */
export interface Differentiable {
  forward(x: Tensor): Tensor;
  backward(dy: Tensor): Tensor | readonly Tensor[];
}

/**
 * J[i, j] = ∂yᵢ/∂xⱼ at x, as a [y.size, x.size] float64 tensor (the caller's), made with
 * one backward pass per output element: row i is the backward of the one-hot dy = eᵢ.
 */
export function jacobian(fn: Differentiable, x: Tensor): Tensor {
  const f = fn as Partial<Differentiable> | null;
  if (typeof f?.forward !== 'function' || typeof f.backward !== 'function') {
    throw new ValueError(`jacobian: fn must have forward(x) and backward(dy), as a gate or layer has; got ${describe(fn)}`);
  }
  useTensor('jacobian', 'x', x);
  const y = fn.forward(x);
  const rows = y.size;
  const cols = x.size;
  const seed = Tensor.zeros(y.shape, { dtype: y.dtype });
  const rowsOut: Float64Array[] = [];
  try {
    for (let i = 0; i < rows; i++) {
      fillTensor(seed, 0);
      seed.data[i] = 1;
      const result = fn.backward(seed);
      const dx = result instanceof Tensor ? result : result[0];
      if (!(dx instanceof Tensor) || dx.size !== cols) throw new ValueError(`jacobian: backward must return dx with ${cols} elements`);
      rowsOut.push(Float64Array.from(dx.data));
    }
  } finally {
    seed.dispose();
  }
  const out = Tensor.zeros([rows, cols], { dtype: 'float64' });
  const data = out.data;
  for (const [i, row] of rowsOut.entries()) data.set(row, i * cols);
  return out;
}
