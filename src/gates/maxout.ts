import { ShapeError } from '../errors';
import { checkPieces, maxoutShape } from '../shapes';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, OwnedInts, Saved, useTensor } from './buffers';
import { Gate } from './gate';

/**
 * Maxout over k pieces: z is [rows, units·k], each unit's k pieces side by side (say,
 * wᵢᵀx + bᵢ for i < k); out[r, u] = max of its pieces. Like max it routes: dout goes to
 * the winning piece only, so forward caches the winner's index and nothing else.
 */
export class MaxoutGate extends Gate {
  private readonly output = new Owned(this);
  private readonly dz = new Owned(this, 'gradient');
  private readonly input = new Saved();
  private readonly winners = new OwnedInts(this);
  private inputShape: readonly number[] = [];

  constructor(readonly k: number) {
    super();
    checkPieces('MaxoutGate', k);
  }

  forward(z: Tensor): Tensor {
    const op = `${this.name}.forward`;
    const t = useTensor(op, 'z', z);
    const [rows, units] = maxoutShape(op, t.shape, this.k);
    const out = this.output.get([rows, units], t.dtype);
    kernels(t.dtype).maxoutForward(t.ptr, out.ptr, this.winners.reserve(rows * units), rows, units, this.k);
    this.inputShape = t.shape;
    this.cache = { out };
    this.input.keep(t);
    return out;
  }

  /** Which piece won, per output element (a view of the gate's buffer). */
  get winnerIndices(): Int32Array {
    const out = this.requireForward().out as Tensor;
    return this.winners.view(out.size);
  }

  backward(dout: Tensor): [Tensor] {
    const op = `${this.name}.backward`;
    const out = useTensor(op, 'the output (cached by forward)', this.requireForward().out);
    const g = useTensor(op, 'dout', dout);
    checkGradientSource(op, g, out);
    if (!sameShape(g.shape, out.shape) || g.dtype !== out.dtype)
      throw new ShapeError(`${op}: dout is ${formatShape(g.shape)} ${g.dtype}, the output was ${formatShape(out.shape)} ${out.dtype}`);
    const z = this.input.use(op, 'z');
    const [rows, units] = out.shape as [number, number];
    const dz = this.dz.zeroed(this.inputShape, out.dtype);
    kernels(out.dtype).maxoutBackward(g.ptr, this.winners.reserve(rows * units), dz.ptr, rows, units, this.k);
    return [dz.gradientFor(z)];
  }
}
