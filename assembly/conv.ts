// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// 2-D convolution (cross-correlation, as PyTorch's Conv2d) of NCHW images, as GEMM over
// im2col: each image's windows are unfolded into the columns of col [K, P] (K = C·KH·KW
// values per window, P = OH·OW windows), and then
//   forward        Y_n   = W·col_n            [O, K]·[K, P]
//   weights        dW   += Σ_n dY_n·col_nᵀ    [O, P]·[P, K]
//   input          dcol  = Wᵀ·dY_n            [K, O]·[O, P], added back where each value came from (col2im)
// are the packed GEMM of gemm.ts in three of its transpose cases, its micro-kernels and
// packing unchanged. The layout stays NCHW, the API's: per image, col_n is what the GEMM
// reads as B and Y_n is row-major [O, P], which is NCHW already, so nothing is converted
// on the way in or out, and the weight [O, C, KH, KW] is the GEMM's A [O, K] as it is.
// Each image's columns are unfolded into one image's scratch, which stays in the cache,
// and the backward unfolds them again from x: keeping the batch's columns (5 MB for the
// benchmark's second conv) meant reading them back from memory, which cost the weight
// gradient more than unfolding again does. Gradients are added into dW, db and dx, never
// written over: the tensor tape accumulates, and a gate zeroes them first.
//
// Each call does a range of the work, so that threads can share a batch
// (src/wasm/split.ts): the forward and the input gradient a range of images, the weight
// gradient a range of image groups, each group's sum in a buffer of its own, added up
// afterwards in group order (conv2dWeightSum). Every value is still summed by one thread
// in one order, so the results are the same bits however the work is split; the whole
// call is the ranges [0, weightGroups(batch)) and [0, batch).
import { gemmF32, gemmF64, gemmPacks } from './gemm';
import { WEIGHT_GROUPS, Window } from './ops.generated';

/** Y = W ⋆ X (+ b per output channel; `b` = 0: no bias) for images [first, end); `col` holds one image's K·P values, the caller's own. */
export function conv2dForward<T extends number>(geometry: usize, x: usize, w: usize, b: usize, y: usize, col: usize, first: i32, end: i32): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const k = g.channels * g.kernelH * g.kernelW;
  const p = g.outH * g.outW;
  const o = g.outChannels;
  const xBytes = <usize>(g.channels * g.height * g.width) * size;
  const yBytes = <usize>(o * p) * size;
  for (let n = first; n < end; n++) {
    const yn = y + <usize>n * yBytes;
    unfold<T>(g, x + <usize>n * xBytes, col, false);
    // The bias is where the product starts: the GEMM adds onto it.
    if (b) for (let c = 0; c < o; c++) fill<T>(yn + <usize>(c * p) * size, load<T>(b + <usize>c * size), p);
    gemm<T>(0, 0, o, p, k, w, k, col, p, yn, p, b != 0);
  }
}

/**
 * The backward of conv2dForward, for the same x. For image groups [groupStart, groupEnd)
 * (weightGroups), each group's own dW_g = Σ_n dY_n·col_nᵀ (and db_g = Σ dY when `bias`
 * ≠ 0) over its images, written to its slot of `partials` (conv2dWeightSum adds them into
 * dW and db); and, for images [first, end), dX += col2im(Wᵀ·dY_n) (when dx ≠ 0).
 * `scratch` holds one image's K·P values, the caller's own: each image's columns, unfolded
 * again, then its column gradient.
 */
export function conv2dBackward<T extends number>(
  geometry: usize, x: usize, w: usize, dy: usize, partials: usize, bias: i32, dx: usize, scratch: usize,
  groupStart: i32, groupEnd: i32, first: i32, end: i32,
): void {
  const g = changetype<Window>(geometry);
  const size = sizeof<T>();
  const k = g.channels * g.kernelH * g.kernelW;
  const p = g.outH * g.outW;
  const o = g.outChannels;
  const xBytes = <usize>(g.channels * g.height * g.width) * size;
  const yBytes = <usize>(o * p) * size;
  const groups = weightGroups(g.batch);
  const transposed = transposedWeightGradient(o, k, p);
  for (let group = groupStart; group < groupEnd; group++) {
    const dwGroup = partials + <usize>(group * (o * k + o)) * size;
    const dbGroup = dwGroup + <usize>(o * k) * size;
    const last = groupFirst(group + 1, g.batch, groups);
    for (let n = groupFirst(group, g.batch, groups); n < last; n++) {
      const dyn = dy + <usize>n * yBytes;
      const accumulate = n > groupFirst(group, g.batch, groups);
      if (bias) {
        for (let c = 0; c < o; c++) {
          const at = dbGroup + <usize>c * size;
          const total = sum<T>(dyn + <usize>(c * p) * size, p);
          store<T>(at, accumulate ? load<T>(at) + total : total);
        }
      }
      unfold<T>(g, x + <usize>n * xBytes, scratch, false);
      if (transposed) gemm<T>(0, 1, k, o, p, scratch, p, dyn, p, dwGroup, o, accumulate);
      else gemm<T>(0, 1, o, k, p, dyn, p, scratch, p, dwGroup, k, accumulate);
    }
  }
  if (dx) {
    for (let n = first; n < end; n++) {
      gemm<T>(1, 0, k, p, o, w, k, dy + <usize>n * yBytes, p, scratch, p, 0);
      unfold<T>(g, dx + <usize>n * xBytes, scratch, true);
    }
  }
}

/** dW += Σ_g dW_g and db += Σ_g db_g (db ≠ 0) over conv2dBackward's groups, in group order. */
export function conv2dWeightSum<T extends number>(geometry: usize, partials: usize, dw: usize, db: usize): void {
  const g = changetype<Window>(geometry);
  const o = g.outChannels;
  const k = g.channels * g.kernelH * g.kernelW;
  const groupBytes = <usize>(o * k + o) * sizeof<T>();
  const groups = weightGroups(g.batch);
  if (transposedWeightGradient(o, k, g.outH * g.outW)) addGroupsTransposed<T>(dw, partials, o, k, groups, groupBytes);
  else addGroups<T>(dw, partials, o * k, groups, groupBytes);
  if (db) addGroups<T>(db, partials + <usize>(o * k) * sizeof<T>(), o, groups, groupBytes);
}

/**
 * Whether the weight gradient is computed transposed, dWᵀ = col_n·dY_nᵀ [K, O]: when dW
 * [O, K] would be a packed product and dWᵀ is not. A few output channels (the first conv
 * of a net: 8) are then O matrix–vector products of contiguous rows, where packing dY_n
 * and col_n cost as much as the products (conv1 of the benchmark: 423 → 309 µs).
 */
// @ts-ignore: decorator
@inline function transposedWeightGradient(o: i32, k: i32, p: i32): bool {
  return gemmPacks(o, k, p) && !gemmPacks(k, o, p);
}

/** dst[r·cols + c] += Σ_g src[g][c·rows + r] (groups terms, in order): groups of the transposed [cols, rows] layout. */
// @ts-ignore: decorator
@inline function addGroupsTransposed<T extends number>(dst: usize, src: usize, rows: i32, cols: i32, groups: i32, step: usize): void {
  const size = sizeof<T>();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const from = <usize>(c * rows + r) * size;
      let total = load<T>(src + from);
      for (let group = 1; group < groups; group++) total += load<T>(src + <usize>group * step + from);
      const at = dst + <usize>(r * cols + c) * size;
      store<T>(at, load<T>(at) + total);
    }
  }
}

/** dst[e] += src[e] + src[e + step] + … (groups terms, in order) for e < count; step in bytes. A vector at a time, each lane summed in the same order. */
// @ts-ignore: decorator
@inline function addGroups<T extends number>(dst: usize, src: usize, count: i32, groups: i32, step: usize): void {
  const size = sizeof<T>();
  const bytes = <usize>count * size;
  let at: usize = 0;
  for (; at + 16 <= bytes; at += 16) {
    let total = v128.load(src + at);
    for (let group = 1; group < groups; group++) {
      const term = v128.load(src + <usize>group * step + at);
      total = size == 4 ? f32x4.add(total, term) : f64x2.add(total, term);
    }
    const sum = size == 4 ? f32x4.add(v128.load(dst + at), total) : f64x2.add(v128.load(dst + at), total);
    v128.store(dst + at, sum);
  }
  for (; at < bytes; at += size) {
    let total = load<T>(src + at);
    for (let group = 1; group < groups; group++) total += load<T>(src + <usize>group * step + at);
    store<T>(dst + at, load<T>(dst + at) + total);
  }
}

/**
 * The weight gradient's image groups: WEIGHT_GROUPS of them (fewer in a smaller batch),
 * whatever the number of threads, so that each thread sums whole groups and the result is
 * the same bits with any number of threads. Group i holds images [groupFirst(i), groupFirst(i + 1)).
 */
// @ts-ignore: decorator
@inline export function weightGroups(batch: i32): i32 {
  return min(batch, WEIGHT_GROUPS);
}

// @ts-ignore: decorator
@inline function groupFirst(group: i32, batch: i32, groups: i32): i32 {
  return (group * batch) / groups;
}

/** gemm.ts's packed f32 GEMM, or its f64 loops. */
// @ts-ignore: decorator
@inline function gemm<T extends number>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  if (sizeof<T>() == 4) gemmF32(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
  else gemmF64(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

/**
 * im2col (adjoint false): col[(c·KH + i)·KW + j, oh·OW + ow] = x[c, oh·SH − PH + i·DH,
 * ow·SW − PW + j·DW], 0 in the padding. Its adjoint, col2im (adjoint true): each value of
 * col added into x where im2col read it, the padding's dropped. One walk for both: for
 * each (c, i, j) the windows that read inside the row are one run of ow, found once; with
 * stride 1 that run is contiguous in the input row.
 */
function unfold<T extends number>(g: Window, x: usize, col: usize, adjoint: bool): void {
  if (keepsSize(g)) {
    unfoldSame<T>(g, x, col, adjoint);
    return;
  }
  const size = sizeof<T>();
  const height = g.height;
  const width = g.width;
  const ow = g.outW;
  const sw = g.strideW;
  const rowBytes = <usize>ow * size;
  let d = col;
  for (let c = 0; c < g.channels; c++) {
    const plane = x + <usize>(c * height * width) * size;
    for (let i = 0; i < g.kernelH; i++) {
      for (let j = 0; j < g.kernelW; j++) {
        const shift = j * g.dilationW - g.padW;
        const lo = runStart(shift, sw, ow);
        const hi = runEnd(shift, sw, ow, width, lo);
        const head = <usize>lo * size;
        const run = <usize>(hi - lo) * size;
        for (let oh = 0; oh < g.outH; oh++) {
          const row = oh * g.strideH - g.padH + i * g.dilationH;
          const inside = <u32>row < <u32>height;
          const s = plane + <usize>(row * width + shift + lo * sw) * size;
          if (adjoint) {
            if (inside) addRunInline<T>(s, d + head, hi - lo, sw);
          } else if (!inside) {
            zero(d, rowBytes);
          } else {
            zero(d, head);
            if (sw == 1) copy(d + head, s, run);
            else for (let t = 0; t < hi - lo; t++) store<T>(d + head + <usize>t * size, load<T>(s + <usize>(t * sw) * size));
            zero(d + head + run, rowBytes - head - run);
          }
          d += rowBytes;
        }
      }
    }
  }
}

/** Stride 1, no dilation, and the output the input's size (2·pad = kernel − 1): a "same" convolution. */
// @ts-ignore: decorator
@inline function keepsSize(g: Window): bool {
  return g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 && g.outH == g.height && g.outW == g.width;
}

/**
 * unfold of a "same" convolution. Each (c, i, j) block of col, OH·OW values, is the input
 * plane shifted by (i − PH) rows and (j − PW) columns, so the rows that fall inside are
 * one contiguous range of the plane, but for the |j − PW| columns at each row's edge,
 * which that range takes from the neighbouring row. im2col copies the range, then zeros
 * those columns and the rows outside; col2im zeros those columns of col (its own scratch:
 * they are padding, whose gradient is dropped) and adds the range back in one run. Several
 * times faster than a run per row; each element of x gets the same terms in the same order
 * (col2im's added zeros change nothing but a −0 to +0).
 */
function unfoldSame<T extends number>(g: Window, x: usize, col: usize, adjoint: bool): void {
  const size = sizeof<T>();
  const height = g.height;
  const width = g.width;
  const planeBytes = <usize>(height * width) * size;
  const rowBytes = <usize>width * size;
  let d = col;
  for (let c = 0; c < g.channels; c++) {
    const plane = x + <usize>c * planeBytes;
    const planeEnd = plane + planeBytes;
    for (let i = 0; i < g.kernelH; i++) {
      // Output rows [r0, r1) read input rows r0 + i − PH, all inside.
      const r0 = max(0, g.padH - i);
      const r1 = min(height, height + g.padH - i);
      for (let j = 0; j < g.kernelW; j++) {
        const shift = j - g.padW;
        if (!adjoint) {
          zero(d, <usize>r0 * rowBytes);
          zero(d + <usize>r1 * rowBytes, <usize>(height - r1) * rowBytes);
        }
        if (r1 > r0) {
          const inside = d + <usize>r0 * rowBytes;
          // shift < 0: columns [0, −shift) of each row read before it; shift > 0: the last `shift` columns past it.
          const edge = <usize>abs(shift) * size;
          if (adjoint && edge > 0) zeroColumns(inside + (shift < 0 ? 0 : rowBytes - edge), edge, rowBytes, r1 - r0, shift < 0);
          // The range [from, to) of the plane, clipped where a shift pushes its ends outside the plane (edge columns).
          const first = <isize>plane + <isize>((r0 + i - g.padH) * width + shift) * <isize>size;
          const from = <usize>max(first, <isize>plane);
          const to = min(<usize>(first + <isize>(r1 - r0) * <isize>rowBytes), planeEnd);
          const at = inside + (from - <usize>first);
          if (to > from) {
            if (adjoint) addRunInline<T>(from, at, <i32>((to - from) / size), 1);
            else memory.copy(at, from, to - from);
          }
          if (!adjoint && edge > 0) zeroColumns(inside + (shift < 0 ? 0 : rowBytes - edge), edge, rowBytes, r1 - r0, shift < 0);
        }
        d += <usize>height * rowBytes;
      }
    }
  }
}

/**
 * `bytes` at p, p + stride, … for `rows` rows, zeroed: the first or last columns of rows
 * of `stride` bytes. Up to four f32 columns of rows at least four wide are one masked
 * vector a row (the row's first or last four values, the others kept), not a loop.
 */
// @ts-ignore: decorator
@inline function zeroColumns(p: usize, bytes: usize, stride: usize, rows: i32, first: bool): void {
  if (bytes <= 16 && stride >= 16) {
    // Lanes of the row's first (last) 16 bytes that stay: those past (before) the zeroed bytes.
    const lane = i32x4(0, 4, 8, 12);
    const keep = first ? i32x4.ge_s(lane, i32x4.splat(<i32>bytes)) : i32x4.lt_s(lane, i32x4.splat(16 - <i32>bytes));
    const at = first ? p : p + bytes - 16;
    for (let r = 0; r < rows; r++) {
      const row = at + <usize>r * stride;
      v128.store(row, v128.and(v128.load(row), keep));
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    zero(p, bytes);
    p += stride;
  }
}

/** The first ow whose input column ow·stride + shift is ≥ 0. */
// @ts-ignore: decorator
@inline function runStart(shift: i32, stride: i32, ow: i32): i32 {
  return shift >= 0 ? 0 : min(ow, (stride - 1 - shift) / stride);
}

/** One past the last ow whose input column is < width (≥ lo: an empty run where none is). */
// @ts-ignore: decorator
@inline function runEnd(shift: i32, stride: i32, ow: i32, width: i32, lo: i32): i32 {
  return max(lo, min(ow, (width - shift + stride - 1) / stride));
}

// @ts-ignore: decorator
@inline function zero(d: usize, bytes: usize): void {
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(d + o, i32x4.splat(0));
  for (; o < bytes; o += 4) store<u32>(d + o, 0);
}

// @ts-ignore: decorator
@inline function copy(d: usize, s: usize, bytes: usize): void {
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(d + o, v128.load(s + o));
  for (; o < bytes; o += 4) store<u32>(d + o, load<u32>(s + o));
}

/** dst[t·stride] += src[t] for t < count: SIMD when the run is contiguous (stride 1). */
export function addRun<T extends number>(dst: usize, src: usize, count: i32, stride: i32): void {
  addRunInline<T>(dst, src, count, stride);
}

/** addRun, inline where runs are short (a row of OW values) and many. */
// @ts-ignore: decorator
@inline function addRunInline<T extends number>(dst: usize, src: usize, count: i32, stride: i32): void {
  const size = sizeof<T>();
  if (stride != 1) {
    for (let t = 0; t < count; t++) {
      const at = dst + <usize>(t * stride) * size;
      store<T>(at, load<T>(at) + load<T>(src + <usize>t * size));
    }
    return;
  }
  const bytes = <usize>count * size;
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) {
    const sum = size == 4 ? f32x4.add(v128.load(dst + o), v128.load(src + o)) : f64x2.add(v128.load(dst + o), v128.load(src + o));
    v128.store(dst + o, sum);
  }
  for (; o < bytes; o += size) store<T>(dst + o, load<T>(dst + o) + load<T>(src + o));
}

/** count copies of v from p. */
// @ts-ignore: decorator
@inline function fill<T extends number>(p: usize, v: T, count: i32): void {
  const size = sizeof<T>();
  const bytes = <usize>count * size;
  const lanes = size == 4 ? f32x4.splat(<f32>v) : f64x2.splat(<f64>v);
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(p + o, lanes);
  for (; o < bytes; o += size) store<T>(p + o, v);
}

/** Σ p[t] for t < count, in lanes then across them. */
// @ts-ignore: decorator
@inline function sum<T extends number>(p: usize, count: i32): T {
  const size = sizeof<T>();
  const bytes = <usize>count * size;
  let lanes = i32x4.splat(0);
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) lanes = size == 4 ? f32x4.add(lanes, v128.load(p + o)) : f64x2.add(lanes, v128.load(p + o));
  let total: T =
    size == 4
      ? <T>(f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1) + (f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3)))
      : <T>(f64x2.extract_lane(lanes, 0) + f64x2.extract_lane(lanes, 1));
  for (; o < bytes; o += size) total += load<T>(p + o);
  return total;
}
