import { ShapeError, ValueError } from '../errors';
import { matmulDims } from '../shapes';
import { formatShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, Saved, useTensor } from './buffers';
import { Gate } from './gate';

/**
 * C = A·B for 2-D tensors. Like mul it switches: dA = dC·Bᵀ and dB = Aᵀ·dC, two
 * transposed products that the GEMM kernels pack directly. Caches A and B.
 */
export class MatMulGate extends Gate {
  private readonly output = new Owned(this);
  private readonly da = new Owned(this, 'gradient');
  private readonly db = new Owned(this, 'gradient');
  private readonly a = new Saved();
  private readonly b = new Saved();
  private produced: Tensor | null = null;

  forward(a: Tensor, b: Tensor): Tensor {
    const op = 'MatMulGate.forward';
    const ta = useTensor(op, 'A', a);
    const tb = useTensor(op, 'B', b);
    const [m, k, n] = matmulDims(op, ta.shape, tb.shape);
    if (ta.dtype !== tb.dtype) throw new ValueError(`${op}: dtypes differ: A is ${ta.dtype}, B is ${tb.dtype}`);
    const c = this.output.get([m, n], ta.dtype);
    kernels(ta.dtype).gemm(0, 0, m, n, k, ta.ptr, k, tb.ptr, n, c.ptr, n, 0);
    this.cache = { x: ta, y: tb };
    this.a.keep(ta);
    this.b.keep(tb);
    this.produced = c;
    return c;
  }

  backward(dc: Tensor): [Tensor, Tensor] {
    const op = 'MatMulGate.backward';
    this.requireForward();
    const a = this.a.use(op, 'A');
    const b = this.b.use(op, 'B');
    const g = useTensor(op, 'dC', dc);
    checkGradientSource(op, g, this.produced);
    const [m, k] = a.shape as [number, number];
    const n = b.shape[1] as number;
    if (g.rank !== 2 || g.shape[0] !== m || g.shape[1] !== n || g.dtype !== a.dtype) {
      throw new ShapeError(`${op}: dC is ${g.dtype} ${formatShape(g.shape)}, the output was ${a.dtype} [${m},${n}]`);
    }
    const da = this.da.get([m, k], a.dtype);
    const db = this.db.get([k, n], a.dtype);
    const gemm = kernels(a.dtype).gemm;
    gemm(0, 1, m, k, n, g.ptr, n, b.ptr, n, da.ptr, k, 0); // dA = dC·Bᵀ
    gemm(1, 0, k, n, m, a.ptr, k, g.ptr, n, db.ptr, n, 0); // dB = Aᵀ·dC
    return [da.gradientFor(a), db.gradientFor(b)];
  }
}
