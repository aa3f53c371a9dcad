import { ShapeError } from '../errors';
import { type Pair, pool2dGeometry, poolSpec, type WindowGeometry, type WindowSpec, windowOutput } from '../shapes';
import { formatShape, sameShape, type Tensor } from '../tensor';
import { kernels } from '../wasm/kernels';
import { checkGradientSource, Owned, OwnedInts, requireFinite, useTensor } from './buffers';
import { Gate } from './gate';
import { WindowBlock } from './window';

export interface Pool2dOptions {
  /** Step between windows (default: the kernel size, windows side by side). */
  stride?: Pair;
  /** Padding on each side, at most half the window (default 0): −∞ for max, zeros for the average. */
  padding?: Pair;
}

export interface MaxPool2dOptions extends Pool2dOptions {
  /** Step between a window's taps (default 1). */
  dilation?: Pair;
}

/** What both pooling gates share: the window checked at construction and again on each input. */
abstract class Pool2dGate extends Gate {
  protected readonly output = new Owned(this);
  protected readonly dx = new Owned(this, 'gradient');
  protected readonly block = new WindowBlock(this);
  /** x as forward saw it: backward needs only its shape (and whose gradient dx is), not its values. */
  protected input: Tensor | null = null;
  /** The window, checked: kernel, stride, padding and dilation as [height, width]. */
  readonly spec: WindowSpec;
  protected geometry: WindowGeometry | null = null;
  protected produced: Tensor | null = null;

  protected constructor(gate: string, kernelSize: Pair, options: MaxPool2dOptions, dilation: boolean) {
    super();
    this.spec = poolSpec(gate, kernelSize, options, dilation);
  }

  protected start(op: string, x: unknown): [Tensor, WindowGeometry] {
    const t = useTensor(op, 'x', x);
    return [t, this.block.geometry([t.shape], () => pool2dGeometry(op, t.shape, this.spec))];
  }

  protected finish(x: Tensor, y: Tensor, g: WindowGeometry): Tensor {
    this.input = x;
    this.geometry = g;
    this.produced = y;
    this.cache = { x, out: y };
    return y;
  }

  /** dy checked against the output forward made; dx for the kernel to add into, zeroed unless the kernel zeroes it (`fresh`). */
  protected gradients(op: string, dy: unknown, fresh = false): { dy: Tensor; dx: Tensor; x: Tensor; g: WindowGeometry } {
    this.requireForward();
    const g = this.geometry as WindowGeometry;
    const x = this.input as Tensor;
    const t = useTensor(op, 'dy', dy);
    checkGradientSource(op, t, this.produced);
    const shape = windowOutput(g);
    if (!sameShape(t.shape, shape) || t.dtype !== x.dtype) {
      throw new ShapeError(`${op}: dy is ${t.dtype} ${formatShape(t.shape)}, the output was ${x.dtype} ${formatShape(shape)}`);
    }
    return { dy: t, dx: fresh ? this.dx.get(x.shape, x.dtype) : this.dx.zeroed(x.shape, x.dtype), x, g };
  }
}

/**
 * The max of each window of x [N, C, H, W]. Like max it routes: all of dy goes to the
 * window's winner and none to the rest, so forward caches where each winner is (a tie
 * goes to the first in the window, row by row; padding never wins).
 */
export class MaxPool2dGate extends Pool2dGate {
  private readonly winners = new OwnedInts(this);

  constructor(kernelSize: Pair, options: MaxPool2dOptions = {}) {
    super('MaxPool2dGate', kernelSize, options, true);
  }

  forward(x: Tensor): Tensor {
    const op = `${this.name}.forward`;
    const [t, g] = this.start(op, x);
    const y = this.output.get(windowOutput(g), t.dtype);
    this.cache = null;
    kernels(t.dtype).maxPool2dForward(this.block.write(g), t.ptr, y.ptr, this.winners.reserve(y.size));
    // A window of padding alone (dilation can make one) has no winner and a max of −∞.
    requireFinite(op, y, () => 'the max of a window', { op: 'maxPool2d', kind: 'value' });
    return this.finish(t, y, g);
  }

  /** Where each window's max is, as an index into its [H, W] plane (a view of the gate's buffer). */
  get winnerIndices(): Int32Array {
    const out = this.requireForward().out as Tensor;
    return this.winners.view(out.size);
  }

  backward(dy: Tensor): [dx: Tensor] {
    const { dy: t, dx, x, g } = this.gradients(`${this.name}.backward`, dy, true);
    kernels(x.dtype).maxPool2dBackward(this.block.write(g), t.ptr, this.winners.reserve(t.size), dx.ptr, 1);
    return [dx.gradientFor(x)];
  }
}

/**
 * The mean of each window of x [N, C, H, W], padding counted as zeros in the divisor
 * (PyTorch's default, count_include_pad). Like add it distributes: every element of a
 * window gets dy/(KH·KW). Caches nothing but the shapes.
 */
export class AvgPool2dGate extends Pool2dGate {
  constructor(kernelSize: Pair, options: Pool2dOptions = {}) {
    super('AvgPool2dGate', kernelSize, options, false);
  }

  forward(x: Tensor): Tensor {
    const [t, g] = this.start(`${this.name}.forward`, x);
    const y = this.output.get(windowOutput(g), t.dtype);
    this.cache = null;
    kernels(t.dtype).avgPool2d(this.block.write(g), t.ptr, y.ptr, 0);
    return this.finish(t, y, g);
  }

  backward(dy: Tensor): [dx: Tensor] {
    const { dy: t, dx, x, g } = this.gradients(`${this.name}.backward`, dy);
    kernels(x.dtype).avgPool2d(this.block.write(g), t.ptr, dx.ptr, 1);
    return [dx.gradientFor(x)];
  }
}
