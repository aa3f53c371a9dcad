// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// 2-D pooling of NCHW images, plane by plane (batch·channels planes of H×W). Max pooling
// routes, as max does: forward keeps the winner of each window (its index in the plane)
// and backward adds dout there and nowhere else; a tie goes to the first in window order
// (row by row), and the padding never wins. Average pooling distributes: every element of
// the window gets dout/(KH·KW), the padding counted in the divisor (PyTorch's
// count_include_pad) and its share dropped. Backward adds into dx (the tensor tape
// accumulates gradients; a gate zeroes dx first, or has max pooling's zero each plane).
// Each call does planes [first, end), so that threads can share a batch (src/wasm/split.ts).
import { Window } from './ops.generated';

/** y = the max of each window; argmax (i32) = where it is in its plane, y·W + x; planes [first, end). */
export function maxPool2dForward<T extends number>(geometry: usize, x: usize, y: usize, argmax: usize, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const height = g.height;
  const width = g.width;
  const outH = g.outH;
  const outW = g.outW;
  const reachH = (g.kernelH - 1) * g.dilationH;
  // The outputs whose windows lie inside their rows, [inLo, inHi): four at a time in f32x4.
  const inLo = min(outW, (g.padW + g.strideW - 1) / g.strideW);
  const lastLeft = width - 1 - (g.kernelW - 1) * g.dilationW + g.padW;
  const inHi = lastLeft < 0 ? inLo : max(inLo, min(outW, lastLeft / g.strideW + 1));
  // The commonest pooling (2×2, stride 2) has a kernel of its own.
  const twoByTwo = g.kernelH == 2 && g.kernelW == 2 && g.strideW == 2 && g.dilationH == 1 && g.dilationW == 1;
  for (let q = first; q < end; q++) {
    const plane = x + <usize>(q * height * width) * size;
    for (let oh = 0; oh < outH; oh++) {
      const top = oh * g.strideH - g.padH;
      const o = (q * outH + oh) * outW;
      const out = y + <usize>o * size;
      const index = argmax + <usize>o * 4;
      let ow = 0;
      if (size == 4 && top >= 0 && top + reachH < height && inHi - inLo >= 4) {
        for (; ow < inLo; ow++) maxWindow<T>(g, plane, top, ow, out, index);
        // The last group overlaps the one before it rather than leave up to three windows
        // to maxWindow: they get the same maxima and winners again.
        for (; ow < inHi; ow += 4) {
          const at = min(ow, inHi - 4);
          if (twoByTwo) maxWindows2x2(plane + <usize>(top * width + at * 2 - g.padW) * 4, width, top * width + at * 2 - g.padW, out + <usize>at * 4, index + <usize>at * 4);
          else maxWindows4(g, plane, top, at, out, index);
        }
        ow = inHi;
      }
      for (; ow < outW; ow++) maxWindow<T>(g, plane, top, ow, out, index);
    }
  }
}

/** Output ow of the row at `out`/`index`: the window's max and where it is, taps outside the plane skipped. */
// @ts-ignore: decorator
@inline function maxWindow<T extends number>(g: Window, plane: usize, top: i32, ow: i32, out: usize, index: usize): void {
  const size = sizeof<T>();
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
  store<T>(out + <usize>ow * size, best);
  store<i32>(index + <usize>ow * 4, at);
}

/**
 * Outputs ow … ow + 3 at once (f32), every tap inside the plane: the same comparisons as
 * maxWindow, lane by lane, so the same winners (the first of a tie, the last NaN).
 */
function maxWindows4(g: Window, plane: usize, top: i32, ow: i32, out: usize, index: usize): void {
  const width = g.width;
  const stride = g.strideW;
  const kernelH = g.kernelH;
  const kernelW = g.kernelW;
  const dilationH = g.dilationH;
  const dilationW = g.dilationW;
  const left = ow * stride - g.padW;
  const lanes = i32x4(0, stride, 2 * stride, 3 * stride);
  // −∞ with the first tap's index is what the first tap leaves (it wins unless it is −∞ itself).
  let best = f32x4.splat(-Infinity);
  let at = i32x4.add(i32x4.splat(top * width + left), lanes);
  // Nested loops, not one over t with t / kernelW: an integer division per tap cost more than the max.
  for (let i = 0; i < kernelH; i++) {
    const row = (top + i * dilationH) * width;
    for (let j = 0; j < kernelW; j++) {
      const column = left + j * dilationW;
      const v = gather4(plane + <usize>(row + column) * 4, stride, column + 4 * stride <= width);
      const wins = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, wins);
      at = v128.bitselect(i32x4.add(i32x4.splat(row + column), lanes), at, wins);
    }
  }
  v128.store(out + <usize>ow * 4, best);
  v128.store(index + <usize>ow * 4, at);
}

/**
 * maxWindows4 for 2×2 windows side by side: four windows' eight columns of the window's
 * two rows from `p`, split into the windows' left and right taps, compared in the same
 * order (row by row), so the same winners. `first`: p's index in its plane.
 */
// @ts-ignore: decorator
@inline function maxWindows2x2(p: usize, width: i32, first: i32, out: usize, index: usize): void {
  const below = p + <usize>width * 4;
  const top0 = v128.load(p);
  const top1 = v128.load(p, 16);
  const bottom0 = v128.load(below);
  const bottom1 = v128.load(below, 16);
  const at00 = i32x4.add(i32x4.splat(first), i32x4(0, 2, 4, 6));
  let best = v128.shuffle<f32>(top0, top1, 0, 2, 4, 6);
  let at = at00;
  let v = v128.shuffle<f32>(top0, top1, 1, 3, 5, 7);
  let wins = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, wins);
  at = v128.bitselect(i32x4.add(at00, i32x4.splat(1)), at, wins);
  v = v128.shuffle<f32>(bottom0, bottom1, 0, 2, 4, 6);
  wins = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, wins);
  at = v128.bitselect(i32x4.add(at00, i32x4.splat(width)), at, wins);
  v = v128.shuffle<f32>(bottom0, bottom1, 1, 3, 5, 7);
  wins = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
  best = v128.bitselect(v, best, wins);
  at = v128.bitselect(i32x4.add(at00, i32x4.splat(width + 1)), at, wins);
  v128.store(out, best);
  v128.store(index, at);
}

/** The f32 at p, p + stride, p + 2·stride, p + 3·stride (in elements); `roomy`: 4·stride values from p are in the row. */
// @ts-ignore: decorator
@inline function gather4(p: usize, stride: i32, roomy: bool): v128 {
  if (stride == 1) return v128.load(p);
  if (stride == 2 && roomy) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const step = <usize>stride * 4;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

/**
 * dout of each window added to its winner (a window of padding alone, possible with
 * dilation, has none); planes [first, end). `fresh` ≠ 0: dx holds no gradient yet, and
 * each plane is zeroed just before, while it is about to be in the cache anyway.
 */
export function maxPool2dBackward<T extends number>(geometry: usize, dy: usize, argmax: usize, dx: usize, fresh: i32, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const planeBytes = <usize>(g.height * g.width) * size;
  const outputs = g.outH * g.outW;
  let d = dy + <usize>(first * outputs) * size;
  let index = argmax + <usize>(first * outputs) * 4;
  for (let q = first; q < end; q++) {
    const plane = dx + <usize>q * planeBytes;
    if (fresh) memory.fill(plane, 0, planeBytes);
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
