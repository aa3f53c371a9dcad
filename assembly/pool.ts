// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// 2-D pooling of NCHW images, plane by plane (batch·channels planes of H×W). Max pooling
// routes, as max does: forward keeps the winner of each window (its index in the plane)
// and backward adds dout there and nowhere else; a tie goes to the first in window order
// (row by row), and the padding never wins. Average pooling distributes: every element of
// the window gets dout/(KH·KW), the padding counted in the divisor (PyTorch's
// count_include_pad) and its share dropped. Backward adds into dx (the tensor tape
// accumulates gradients; a gate zeroes dx first). Each call does planes [first, end), so
// that threads can share a batch (src/wasm/split.ts).
import { Window } from './ops.generated';

/** y = the max of each window; argmax (i32) = where it is in its plane, y·W + x; planes [first, end). */
export function maxPool2dForward<T extends number>(geometry: usize, x: usize, y: usize, argmax: usize, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const planeBytes = <usize>(g.height * g.width) * size;
  const outputs = g.outH * g.outW;
  let out = y + <usize>(first * outputs) * size;
  let index = argmax + <usize>(first * outputs) * 4;
  for (let q = first; q < end; q++) {
    const plane = x + <usize>q * planeBytes;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const top = oh * g.strideH - g.padH;
        const left = ow * g.strideW - g.padW;
        let best = <T>-Infinity;
        let at = -1;
        for (let i = 0; i < g.kernelH; i++) {
          const row = top + i * g.dilationH;
          if (<u32>row >= <u32>g.height) continue;
          for (let j = 0; j < g.kernelW; j++) {
            const column = left + j * g.dilationW;
            if (<u32>column >= <u32>g.width) continue;
            const v = load<T>(plane + <usize>(row * g.width + column) * size);
            // Strictly greater: a tie keeps the first. A NaN wins and stays, as in PyTorch.
            if (at < 0 || v > best || v != v) {
              best = v;
              at = row * g.width + column;
            }
          }
        }
        store<T>(out, best);
        store<i32>(index, at);
        out += size;
        index += 4;
      }
    }
  }
}

/** dout of each window added to its winner (a window of padding alone, possible with dilation, has none); planes [first, end). */
export function maxPool2dBackward<T extends number>(geometry: usize, dy: usize, argmax: usize, dx: usize, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const planeBytes = <usize>(g.height * g.width) * size;
  const outputs = g.outH * g.outW;
  let d = dy + <usize>(first * outputs) * size;
  let index = argmax + <usize>(first * outputs) * 4;
  for (let q = first; q < end; q++) {
    const plane = dx + <usize>q * planeBytes;
    for (let t = 0; t < outputs; t++) {
      const winner = load<i32>(index);
      if (winner >= 0) {
        const at = plane + <usize>winner * size;
        store<T>(at, load<T>(at) + load<T>(d));
      }
      d += size;
      index += 4;
    }
  }
}

/**
 * Average pooling, forward (backward = 0): y = Σ window / (KH·KW); or backward (backward = 1):
 * each window's dout/(KH·KW) added to every element of it in dx. One loop for both, as
 * the window walk is the same.
 */
export function avgPool2d<T extends number>(geometry: usize, from: usize, to: usize, backward: i32, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const planeBytes = <usize>(g.height * g.width) * size;
  const divisor = <T>(g.kernelH * g.kernelW);
  let pooled = (backward ? from : to) + <usize>(first * g.outH * g.outW) * size;
  for (let q = first; q < end; q++) {
    const plane = (backward ? to : from) + <usize>q * planeBytes;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const top = oh * g.strideH - g.padH;
        const left = ow * g.strideW - g.padW;
        const share = backward ? load<T>(pooled) / divisor : <T>0;
        let total = <T>0;
        for (let i = 0; i < g.kernelH; i++) {
          const row = top + i * g.dilationH;
          if (<u32>row >= <u32>g.height) continue;
          for (let j = 0; j < g.kernelW; j++) {
            const column = left + j * g.dilationW;
            if (<u32>column >= <u32>g.width) continue;
            const at = plane + <usize>(row * g.width + column) * size;
            if (backward) store<T>(at, load<T>(at) + share);
            else total += load<T>(at);
          }
        }
        if (!backward) store<T>(pooled, total / divisor);
        pooled += size;
      }
    }
  }
}
