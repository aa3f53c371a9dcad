// The geometry block a convolution or pooling kernel reads (src/ops.ts, WINDOW): i32
// words in linear memory, written from a WindowGeometry before each call. A gate owns
// one block and rewrites it before every kernel call, since forward, evaluation and
// backward may see batches of different sizes.
import { WINDOW } from '../ops';
import { type WindowGeometry, windowWords } from '../shapes';
import { OwnedInts } from './buffers';

/** A gate's window block: `write(g)` puts g's words there and returns the pointer. */
export class WindowBlock {
  private readonly words: OwnedInts;

  constructor(owner: object | string) {
    this.words = new OwnedInts(owner);
  }

  write(g: WindowGeometry): number {
    const ptr = this.words.reserve(WINDOW.words.length);
    this.words.view(WINDOW.words.length).set(windowWords(g));
    return ptr;
  }
}

/** K = C·KH·KW values per window, P = OH·OW windows per image: the im2col columns of one image are K·P values. */
export function columnsPerImage(g: WindowGeometry): number {
  return g.channels * g.kernel[0] * g.kernel[1] * g.outH * g.outW;
}
