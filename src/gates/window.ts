// The geometry block a convolution or pooling kernel reads (src/ops.ts, WINDOW): i32
// words in linear memory, written from a WindowGeometry before each call. A gate owns
// one block and rewrites it before every kernel call, since forward, evaluation and
// backward may see batches of different sizes.
import { WINDOW } from '../ops';
import { type WindowGeometry, windowWords } from '../shapes';
import { type Shape, sameShape } from '../tensor';
import { OwnedInts } from './buffers';

/**
 * A gate's window block: `write(g)` puts g's words there and returns the pointer. It also
 * remembers the geometry of the last shapes it was given: a training loop calls a gate
 * with the same shapes every step, and checking them and writing the words again cost
 * more than the small kernels they describe.
 */
export class WindowBlock {
  private readonly words: OwnedInts;
  private shapes: readonly (Shape | null)[] = [];
  private last: WindowGeometry | null = null;
  private written: WindowGeometry | null = null;
  private ptr = 0;

  constructor(owner: object | string) {
    this.words = new OwnedInts(owner);
  }

  /** The geometry of these operand shapes: the last call's when they are the same, else `check`'s (which throws on bad shapes). */
  geometry(shapes: readonly (Shape | null)[], check: () => WindowGeometry): WindowGeometry {
    if (this.last !== null && sameShapes(shapes, this.shapes)) return this.last;
    const g = check();
    this.shapes = shapes.map((shape) => (shape === null ? null : [...shape]));
    this.last = g;
    return g;
  }

  write(g: WindowGeometry): number {
    if (g === this.written) return this.ptr;
    this.ptr = this.words.reserve(WINDOW.words.length);
    this.words.view(WINDOW.words.length).set(windowWords(g));
    this.written = g;
    return this.ptr;
  }
}

function sameShapes(a: readonly (Shape | null)[], b: readonly (Shape | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Shape | null;
    const y = b[i] as Shape | null;
    if (x === null || y === null ? x !== y : !sameShape(x, y)) return false;
  }
  return true;
}
