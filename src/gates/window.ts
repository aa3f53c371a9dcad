// The geometry block a convolution or pooling kernel reads (src/ops.ts, WINDOW): i32
// words in linear memory, written from a WindowGeometry before each call. A gate owns
// one block and rewrites it before every kernel call, since forward, evaluation and
// backward may see batches of different sizes.
import { WINDOW, WINDOW_WORD } from '../ops';
import type { WindowGeometry } from '../shapes';
import { OwnedInts } from './buffers';

/** The words of `g` in WINDOW's order; the tape's pointer words are 0 (a gate passes those as arguments). */
export function windowWords(g: WindowGeometry): Int32Array {
  const words = new Int32Array(WINDOW.words.length);
  const set = (field: keyof typeof WINDOW_WORD, value: number) => {
    words[WINDOW_WORD[field]] = value;
  };
  set('batch', g.batch);
  set('channels', g.channels);
  set('height', g.height);
  set('width', g.width);
  set('outChannels', g.outChannels);
  set('kernelH', g.kernel[0]);
  set('kernelW', g.kernel[1]);
  set('strideH', g.stride[0]);
  set('strideW', g.stride[1]);
  set('padH', g.padding[0]);
  set('padW', g.padding[1]);
  set('dilationH', g.dilation[0]);
  set('dilationW', g.dilation[1]);
  set('outH', g.outH);
  set('outW', g.outW);
  return words;
}

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
