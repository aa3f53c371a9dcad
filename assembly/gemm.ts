// Matrix multiply: C[m×n] = op(A)·op(B) (+ C), op ∈ {identity, transpose}, row-major,
// leading dimensions in elements, pointers as byte offsets into linear memory.
//
// f32 is built the way the fastest wasm GEMMs are (see shared NOTES-toolchain.md):
// - B is packed into NR-wide, k-major panels (NR·4 bytes per k step), or read in place
//   where its rows allow (readsBInPlace);
// - A is packed with every value pre-broadcast to 16 bytes, so that the micro-kernel
//   reads it with a plain v128.load;
// - the micro-kernel keeps an MR×NR tile of C in f32x4 registers;
// - cache blocks of KC×NC of B and MC×KC of A, of even sizes (k = 784: 4 × 196);
// - up to GEMV_ROWS rows or GEMV_COLUMNS columns of C are matrix–vector products with
//   no packing (for A·Bᵀ, dots of rows, four rows of A against two of B at a time).
// The transposes are absorbed by the packing routines: all four cases run the same
// kernel. Edge tiles are packed with zero padding and only their valid part is written.
//
// The tile is the largest that V8 keeps in registers. TurboFan schedules every load of a
// loop body ahead of the arithmetic that uses it, so a k step needs its accumulators and
// ALL its loads live at once: MR·NR/4 + MR + NR/4 (+1 for the product with mul+add) must
// fit the 15 xmm registers V8 allocates on x64, or accumulators spill to the stack and
// every k step waits on a store-to-load round trip.
// - plain SIMD128 (mul+add): 4×8, 8 accumulators + 6 loads + 1 product = 15;
// - relaxed SIMD (FMA): 3×12, 9 accumulators + 6 loads = 15.
// For the same reason the k loop is not unrolled by hand (an unrolled body holds the
// loads of every step at once) and ends on a pointer compare; the micro-kernel is inlined
// into the macro-kernel, where TurboFan unrolls the loop itself, each copy its own block.
// What was measured to choose all this: bench/README.md, "GEMM".
//
// The packing buffers are allocated once and grow only when a larger block is needed,
// so a training loop allocates nothing after its first step.
import { alloc, free } from './memory';

// @ts-ignore: compile-time constant
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;
// @ts-ignore: compile-time constant
const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8;
const KC: i32 = 256;
const MC: i32 = 60; // a multiple of MR
const NC: i32 = NR * 64; // a multiple of NR: 512 or 768 columns

/**
 * Up to this many rows (columns) of C, each is computed as a matrix–vector product with
 * no packing: packing B (A) would cost about as much as the product, whose packed values
 * would each be used m (n) times. Measured: m = 2…4 ran 2× faster this way, m = 8 the
 * same; n ≤ 12 faster (n = 10, the classes of a classifier: 14 → 9 µs at 64×10×128).
 */
const GEMV_ROWS: i32 = 4;
const GEMV_COLUMNS: i32 = 12;

/**
 * Whether B (not transposed) is read in place, not packed: a panel's k steps are then rows
 * of B, each a line or two of the cache, which serves as well as the packed panel when
 * those lines spread over the cache's sets: rows under 4 KiB apart, and not a multiple of
 * 128 bytes apart (a row of 128 or 256 values put 16 rows of a panel in each set, and
 * 128³ ran 19% slower). Packing B cost conv2's forward 10% of its GEMM (16 × 196 × 200:
 * 30.0 → 27.0 µs) and conv1's 20% (8 × 784 × 25: 8.4 → 6.7 µs).
 */
// @ts-ignore: decorator
@inline function readsBInPlace(transB: i32, ldb: i32): bool {
  return !transB && ldb < 1024 && (ldb & 31) != 0;
}

let packA: usize = 0;
let packACapacity: usize = 0;
let packB: usize = 0;
let packBCapacity: usize = 0;

/** An MR×NR tile of C for edge tiles: stored here, then its valid part copied out. */
let edge: usize = memory.data(MR * NR * 4, 16);

// The largest packing blocks gemmF32 asks for (evenBlock never exceeds KC, MC, NC).
export const PACK_A_BYTES: usize = <usize>MC * <usize>KC * 16;
export const PACK_B_BYTES: usize = <usize>NC * <usize>KC * 4;
export const EDGE_BYTES: usize = <usize>(MR * NR * 4);
/** The tile, for a caller that splits C into bands: whole tiles waste nothing. */
export const TILE_ROWS: i32 = MR;
export const TILE_COLUMNS: i32 = NR;

/**
 * A thread of the threaded build shares linear memory with the others but has its own
 * globals: it gets its own packing buffers and edge tile here, allocated by the main
 * thread (the allocator is not thread-safe) and large enough that it never allocates.
 */
export function useThreadBuffers(a: usize, b: usize, edgeTile: usize): void {
  packA = a;
  packACapacity = PACK_A_BYTES;
  packB = b;
  packBCapacity = PACK_B_BYTES;
  edge = edgeTile;
}

function ensurePackA(bytes: usize): void {
  if (bytes <= packACapacity) return;
  free(packA);
  packA = 0;
  packACapacity = 0;
  packA = alloc(bytes);
  packACapacity = bytes;
}

function ensurePackB(bytes: usize): void {
  if (bytes <= packBCapacity) return;
  free(packB);
  packB = 0;
  packBCapacity = 0;
  packB = alloc(bytes);
  packBCapacity = bytes;
}

/** C = op(A)·op(B) (+ C when accumulate ≠ 0), float32. */
export function gemmF32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (accumulate == 0) zeroF32(m, n, c, ldc);
    return;
  }
  // A few rows or columns of C: matrix–vector products, no packing.
  if (!transA && transB && (m <= GEMV_ROWS || n <= GEMV_COLUMNS)) {
    dotTiles(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  if (m <= GEMV_ROWS) {
    for (let i = 0; i < m; i++) gemvRow(transA, transB, i, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  if (n <= GEMV_COLUMNS) {
    for (let j = 0; j < n; j++) gemvColumn(transA, transB, m, j, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  gemmF32Packed(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

/**
 * Whether gemmF32 packs for this shape. Only then is a band of C (whole tiles of rows or
 * columns), computed by gemmF32Packed, the same bits as that part of the whole product:
 * the matrix–vector forms sum in another order, and a band might fall to them.
 */
export function gemmPacks(m: i32, n: i32, k: i32): bool {
  return m > GEMV_ROWS && n > GEMV_COLUMNS && k > 0;
}

/** gemmF32 without its matrix–vector forms (m, n, k > 0): what a thread runs for its band of C. */
export function gemmF32Packed(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  // Blocks of even size (k = 784: 4 × 196, not 3 × 256 + 16): no block is left with a few
  // k steps, rows or columns whose tiles would run mostly overhead.
  const kcMax = evenBlock(k, KC, 1);
  const mcMax = evenBlock(m, MC, MR);
  const ncMax = evenBlock(n, NC, NR);
  ensurePackA(<usize>((mcMax + MR - 1) / MR) * <usize>kcMax * <usize>(MR * 16));
  ensurePackB(<usize>((ncMax + NR - 1) / NR) * <usize>kcMax * <usize>(NR * 4));
  const ap = packA;
  const bp = packB;
  const direct = readsBInPlace(transB, ldb);
  for (let jc = 0; jc < n; jc += ncMax) {
    const nc = min(ncMax, n - jc);
    const full = nc - nc % NR;
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      const beta = pc > 0 ? 1 : accumulate;
      // Read in place, B's whole panels need no packing: only a ragged last one does.
      const rows = direct ? b + ((<usize>pc * <usize>ldb + <usize>jc) << 2) : 0;
      if (direct) packBN(b, ldb, pc, jc + full, kc, nc - full, bp);
      else if (transB) packBT(b, ldb, pc, jc, kc, nc, bp);
      else packBN(b, ldb, pc, jc, kc, nc, bp);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        if (transA) packAT(a, lda, ic, pc, mc, kc, ap);
        else packAN(a, lda, ic, pc, mc, kc, ap);
        macroKernel(ap, bp, rows, ldb, mc, nc, kc, c + ((<usize>ic * <usize>ldc + <usize>jc) << 2), ldc, beta);
      }
    }
  }
}

/** The size of ⌈size / most⌉ blocks of nearly equal size, rounded up to a multiple of `unit`. */
function evenBlock(size: i32, most: i32, unit: i32): i32 {
  const count = (size + most - 1) / most;
  const each = (size + count - 1) / count;
  return ((each + unit - 1) / unit) * unit;
}

function zeroF32(m: i32, n: i32, c: usize, ldc: i32): void {
  for (let i = 0; i < m; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>n << 2);
}

/**
 * The tiles of one mc×nc block of C, from packed A (mc×kc) and B's kc×nc block: packed
 * (bp), or, when `rows` ≠ 0, whole panels read in place from B's rows at `rows` (ldb
 * apart) and only the ragged last panel packed at bp.
 */
function macroKernel(ap: usize, bp: usize, rows: usize, ldb: i32, mc: i32, nc: i32, kc: i32, c: usize, ldc: i32, beta: i32): void {
  const aPanel = <usize>kc * <usize>(MR * 16);
  const bPanel = <usize>kc * <usize>(NR * 4);
  const rowBytes = <usize>ldc << 2;
  let bj = bp;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    // Where panel jr's k steps are, and how far apart.
    let b = bj;
    let step: usize = NR * 4;
    if (rows) {
      if (nr == NR) {
        b = rows + (<usize>jr << 2);
        step = <usize>ldb << 2;
      } else {
        b = bp;
      }
    }
    const bEnd = b + <usize>kc * step;
    let ai = ap;
    let ci = c + (<usize>jr << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      if (ASC_FEATURE_RELAXED_SIMD) kernel3x12(ai, b, bEnd, step, ci, ldc, mr, nr, beta);
      else kernel4x8(ai, b, bEnd, step, ci, ldc, mr, nr, beta);
      ai += aPanel;
      ci += rowBytes * MR;
    }
    bj += bPanel;
  }
}

// ---- micro-kernels ----------------------------------------------------------------------

/** A 4×8 tile with mul+add: a from pre-broadcast A (64 bytes per k), b from B (8 values per k, `step` bytes apart). */
// @ts-ignore: decorator
@inline function kernel4x8(a: usize, b: usize, bEnd: usize, step: usize, c: usize, ldc: i32, mr: i32, nr: i32, beta: i32): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  do {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x: v128;
    x = v128.load(a);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load(a, 16);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load(a, 32);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load(a, 48);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    a += 64;
    b += step;
  } while (b != bEnd);
  const row = <usize>ldc << 2;
  if (mr == 4 && nr == 8) {
    let p = c;
    if (beta) {
      c00 = f32x4.add(c00, v128.load(p)); c01 = f32x4.add(c01, v128.load(p, 16)); p += row;
      c10 = f32x4.add(c10, v128.load(p)); c11 = f32x4.add(c11, v128.load(p, 16)); p += row;
      c20 = f32x4.add(c20, v128.load(p)); c21 = f32x4.add(c21, v128.load(p, 16)); p += row;
      c30 = f32x4.add(c30, v128.load(p)); c31 = f32x4.add(c31, v128.load(p, 16));
      p = c;
    }
    v128.store(p, c00); v128.store(p, c01, 16); p += row;
    v128.store(p, c10); v128.store(p, c11, 16); p += row;
    v128.store(p, c20); v128.store(p, c21, 16); p += row;
    v128.store(p, c30); v128.store(p, c31, 16);
    return;
  }
  const e = edge;
  v128.store(e, c00, 0); v128.store(e, c01, 16);
  v128.store(e, c10, 32); v128.store(e, c11, 48);
  v128.store(e, c20, 64); v128.store(e, c21, 80);
  v128.store(e, c30, 96); v128.store(e, c31, 112);
  writeEdge(c, row, mr, nr, beta);
}

/** A 3×12 tile with fused multiply-add: a from pre-broadcast A (48 bytes per k), b from B (12 values per k, `step` bytes apart). */
// @ts-ignore: decorator
@inline function kernel3x12(a: usize, b: usize, bEnd: usize, step: usize, c: usize, ldc: i32, mr: i32, nr: i32, beta: i32): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0); let c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0); let c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0); let c22 = f32x4.splat(0);
  do {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const b2 = v128.load(b, 32);
    let x: v128;
    x = v128.load(a);
    c00 = f32x4.relaxed_madd(x, b0, c00);
    c01 = f32x4.relaxed_madd(x, b1, c01);
    c02 = f32x4.relaxed_madd(x, b2, c02);
    x = v128.load(a, 16);
    c10 = f32x4.relaxed_madd(x, b0, c10);
    c11 = f32x4.relaxed_madd(x, b1, c11);
    c12 = f32x4.relaxed_madd(x, b2, c12);
    x = v128.load(a, 32);
    c20 = f32x4.relaxed_madd(x, b0, c20);
    c21 = f32x4.relaxed_madd(x, b1, c21);
    c22 = f32x4.relaxed_madd(x, b2, c22);
    a += 48;
    b += step;
  } while (b != bEnd);
  const row = <usize>ldc << 2;
  if (mr == 3 && nr == 12) {
    let p = c;
    if (beta) {
      c00 = f32x4.add(c00, v128.load(p)); c01 = f32x4.add(c01, v128.load(p, 16)); c02 = f32x4.add(c02, v128.load(p, 32)); p += row;
      c10 = f32x4.add(c10, v128.load(p)); c11 = f32x4.add(c11, v128.load(p, 16)); c12 = f32x4.add(c12, v128.load(p, 32)); p += row;
      c20 = f32x4.add(c20, v128.load(p)); c21 = f32x4.add(c21, v128.load(p, 16)); c22 = f32x4.add(c22, v128.load(p, 32));
      p = c;
    }
    v128.store(p, c00); v128.store(p, c01, 16); v128.store(p, c02, 32); p += row;
    v128.store(p, c10); v128.store(p, c11, 16); v128.store(p, c12, 32); p += row;
    v128.store(p, c20); v128.store(p, c21, 16); v128.store(p, c22, 32);
    return;
  }
  const e = edge;
  v128.store(e, c00, 0); v128.store(e, c01, 16); v128.store(e, c02, 32);
  v128.store(e, c10, 48); v128.store(e, c11, 64); v128.store(e, c12, 80);
  v128.store(e, c20, 96); v128.store(e, c21, 112); v128.store(e, c22, 128);
  writeEdge(c, row, mr, nr, beta);
}

/** The valid mr×nr part of the tile in `edge` to C. */
function writeEdge(c: usize, row: usize, mr: i32, nr: i32, beta: i32): void {
  for (let r = 0; r < mr; r++) {
    const src = edge + <usize>(r * NR * 4);
    const dst = c + <usize>r * row;
    if (beta) {
      for (let j = 0; j < nr; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
      }
    } else {
      memory.copy(dst, src, <usize>nr << 2);
    }
  }
}

// ---- packing ------------------------------------------------------------------------------

/** B not transposed, B(p, j) = b[p·ldb + j]: kc rows × nc columns from (pc, jc) into NR-wide panels. */
function packBN(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const stride = <usize>ldb << 2;
  const first = b + ((<usize>pc * <usize>ldb + <usize>jc) << 2);
  const full = nc - nc % NR;
  let d = dst;
  for (let j = 0; j < full; j += NR) {
    let s = first + (<usize>j << 2);
    const end = d + <usize>kc * <usize>(NR * 4);
    do {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      if (NR == 12) v128.store(d, v128.load(s, 32), 32);
      s += stride;
      d += NR * 4;
    } while (d != end);
  }
  const rest = nc - full;
  if (rest > 0) {
    let s = first + (<usize>full << 2);
    const end = d + <usize>kc * <usize>(NR * 4);
    do {
      v128.store(d, f32x4.splat(0));
      v128.store(d, f32x4.splat(0), 16);
      if (NR == 12) v128.store(d, f32x4.splat(0), 32);
      for (let j = 0; j < rest; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)));
      s += stride;
      d += NR * 4;
    } while (d != end);
  }
}

/** B transposed, B(p, j) = b[j·ldb + p]: NR rows of the stored B at a time, transposed 4×4 in registers. */
function packBT(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const stride = <usize>ldb << 2;
  const full = nc - nc % NR;
  const kc4 = kc & ~3;
  let d = dst;
  for (let j = 0; j < full; j += NR) {
    const s0 = b + ((<usize>(jc + j) * <usize>ldb + <usize>pc) << 2);
    const s4 = s0 + stride * 4;
    const s8 = s4 + stride * 4;
    for (let p = 0; p < kc4; p += 4) {
      const o = <usize>p << 2;
      transpose4(d, s0 + o, stride);
      transpose4(d + 16, s4 + o, stride);
      if (NR == 12) transpose4(d + 32, s8 + o, stride);
      d += NR * 16;
    }
    for (let p = kc4; p < kc; p++) {
      const o = <usize>p << 2;
      for (let t = 0; t < NR; t++) store<f32>(d + (<usize>t << 2), load<f32>(s0 + <usize>t * stride + o));
      d += NR * 4;
    }
  }
  const rest = nc - full;
  if (rest > 0) {
    const s0 = b + ((<usize>(jc + full) * <usize>ldb + <usize>pc) << 2);
    for (let p = 0; p < kc; p++) {
      const o = <usize>p << 2;
      v128.store(d, f32x4.splat(0));
      v128.store(d, f32x4.splat(0), 16);
      if (NR == 12) v128.store(d, f32x4.splat(0), 32);
      for (let t = 0; t < rest; t++) store<f32>(d + (<usize>t << 2), load<f32>(s0 + <usize>t * stride + o));
      d += NR * 4;
    }
  }
}

/** 4 rows of 4 at s, s + stride, … as 4 columns, stored NR·4 bytes apart from d. */
// @ts-ignore: decorator
@inline function transpose4(d: usize, s: usize, stride: usize): void {
  const x0 = v128.load(s);
  const x1 = v128.load(s + stride);
  const x2 = v128.load(s + stride * 2);
  const x3 = v128.load(s + stride * 3);
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(d, i64x2.shuffle(t0, t1, 1, 3), NR * 4);
  v128.store(d, i64x2.shuffle(t2, t3, 0, 2), NR * 8);
  v128.store(d, i64x2.shuffle(t2, t3, 1, 3), NR * 12);
}

/** A not transposed, A(i, p) = a[i·lda + p]: mc × kc from (ic, pc), MR rows a panel, each value broadcast. */
function packAN(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const step = <usize>(MR * 16);
  let d = dst;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    for (let r = 0; r < rows; r++) {
      let s = a + ((<usize>(ic + i + r) * <usize>lda + <usize>pc) << 2);
      let o = d + (<usize>r << 4);
      const end = o + <usize>kc * step;
      do {
        v128.store(o, v128.load32_splat(s));
        s += 4;
        o += step;
      } while (o != end);
    }
    for (let r = rows; r < MR; r++) {
      let o = d + (<usize>r << 4);
      const end = o + <usize>kc * step;
      do {
        v128.store(o, f32x4.splat(0));
        o += step;
      } while (o != end);
    }
    d += <usize>kc * step;
  }
}

/** A transposed, A(i, p) = a[p·lda + i]: MR consecutive values of a row of the stored A per k step. */
function packAT(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const stride = <usize>lda << 2;
  let d = dst;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    let s = a + ((<usize>pc * <usize>lda + <usize>(ic + i)) << 2);
    const end = d + <usize>kc * <usize>(MR * 16);
    if (rows == MR) {
      do {
        v128.store(d, v128.load32_splat(s));
        v128.store(d, v128.load32_splat(s, 4), 16);
        v128.store(d, v128.load32_splat(s, 8), 32);
        if (MR == 4) v128.store(d, v128.load32_splat(s, 12), 48);
        s += stride;
        d += MR * 16;
      } while (d != end);
    } else {
      do {
        for (let r = 0; r < MR; r++) {
          v128.store(d + (<usize>r << 4), r < rows ? v128.load32_splat(s + (<usize>r << 2)) : f32x4.splat(0));
        }
        s += stride;
        d += MR * 16;
      } while (d != end);
    }
  }
}

// ---- matrix–vector products --------------------------------------------------------------

/** Row i of C = row i of op(A) · op(B). */
function gemvRow(
  transA: i32, transB: i32, i: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  // x_p = op(A)(i, p); M(p, j) = op(B)(p, j): rows of the stored B when not transposed.
  const x = transA ? a + (<usize>i << 2) : a + ((<usize>i * <usize>lda) << 2);
  const incx: usize = transA ? <usize>lda << 2 : 4;
  gemv(n, k, x, incx, b, <usize>ldb << 2, !transB, c + ((<usize>i * <usize>ldc) << 2), 4, accumulate);
}

/** Column j of C = op(A) · column j of op(B), as the row Cᵀ = op(B)ᵀ·op(A)ᵀ. */
function gemvColumn(
  transA: i32, transB: i32, m: i32, j: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  // x_p = op(B)(p, j); M(p, i) = op(A)(i, p): rows of the stored A when transposed.
  const x = transB ? b + ((<usize>j * <usize>ldb) << 2) : b + (<usize>j << 2);
  const incx: usize = transB ? 4 : <usize>ldb << 2;
  gemv(m, k, x, incx, a, <usize>lda << 2, transA != 0, c + (<usize>j << 2), <usize>ldc << 2, accumulate);
}

/**
 * y_j = Σ_p x_p·M(p, j) (+ y_j) for j < len, p < k; x_p every incx bytes, y_j every incy.
 * `rows`: M(p, j) = mat[p·ldm + j] (axpy form: each p a contiguous run of j); otherwise
 * M(p, j) = mat[j·ldm + p] (dot form: each j a contiguous run of p). ldm in bytes.
 */
function gemv(len: i32, k: i32, x: usize, incx: usize, mat: usize, ldm: usize, rows: bool, y: usize, incy: usize, beta: i32): void {
  const xEnd = x + <usize>k * incx;
  if (rows) {
    let j = 0;
    for (; j + 16 <= len; j += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let xp = x;
      let mp = mat + (<usize>j << 2);
      do {
        const v = v128.load32_splat(xp);
        s0 = madd(v, v128.load(mp), s0);
        s1 = madd(v, v128.load(mp, 16), s1);
        s2 = madd(v, v128.load(mp, 32), s2);
        s3 = madd(v, v128.load(mp, 48), s3);
        xp += incx;
        mp += ldm;
      } while (xp != xEnd);
      const out = y + <usize>j * incy;
      storeLanes(out, incy, s0, beta);
      storeLanes(out + incy * 4, incy, s1, beta);
      storeLanes(out + incy * 8, incy, s2, beta);
      storeLanes(out + incy * 12, incy, s3, beta);
    }
    for (; j + 4 <= len; j += 4) {
      let s0 = f32x4.splat(0);
      let xp = x;
      let mp = mat + (<usize>j << 2);
      do {
        s0 = madd(v128.load32_splat(xp), v128.load(mp), s0);
        xp += incx;
        mp += ldm;
      } while (xp != xEnd);
      storeLanes(y + <usize>j * incy, incy, s0, beta);
    }
    for (; j < len; j++) {
      let sum: f32 = 0;
      let xp = x;
      let mp = mat + (<usize>j << 2);
      do {
        sum += load<f32>(xp) * load<f32>(mp);
        xp += incx;
        mp += ldm;
      } while (xp != xEnd);
      storeOne(y + <usize>j * incy, sum, beta);
    }
    return;
  }
  // Dot form: x must be contiguous; gather it into the packing buffer when it is not.
  let xs = x;
  if (incx != 4) {
    ensurePackA(<usize>k << 2);
    xs = packA;
    let xp = x;
    let d = xs;
    do {
      store<f32>(d, load<f32>(xp));
      xp += incx;
      d += 4;
    } while (xp != xEnd);
  }
  const body = <usize>(k & ~3) << 2;
  const tail = <usize>k << 2;
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const r0 = mat + <usize>j * ldm;
    const r1 = r0 + ldm;
    const r2 = r1 + ldm;
    const r3 = r2 + ldm;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let o: usize = 0; o != body; o += 16) {
      const v = v128.load(xs + o);
      s0 = madd(v, v128.load(r0 + o), s0);
      s1 = madd(v, v128.load(r1 + o), s1);
      s2 = madd(v, v128.load(r2 + o), s2);
      s3 = madd(v, v128.load(r3 + o), s3);
    }
    let t0 = sumLanes(s0), t1 = sumLanes(s1), t2 = sumLanes(s2), t3 = sumLanes(s3);
    for (let o = body; o != tail; o += 4) {
      const v = load<f32>(xs + o);
      t0 += v * load<f32>(r0 + o);
      t1 += v * load<f32>(r1 + o);
      t2 += v * load<f32>(r2 + o);
      t3 += v * load<f32>(r3 + o);
    }
    const out = y + <usize>j * incy;
    storeOne(out, t0, beta);
    storeOne(out + incy, t1, beta);
    storeOne(out + incy * 2, t2, beta);
    storeOne(out + incy * 3, t3, beta);
  }
  for (; j < len; j++) {
    const r0 = mat + <usize>j * ldm;
    let s0 = f32x4.splat(0);
    for (let o: usize = 0; o != body; o += 16) s0 = madd(v128.load(xs + o), v128.load(r0 + o), s0);
    let t0 = sumLanes(s0);
    for (let o = body; o != tail; o += 4) t0 += load<f32>(xs + o) * load<f32>(r0 + o);
    storeOne(y + <usize>j * incy, t0, beta);
  }
}

/**
 * C = A·Bᵀ (+ C) where every C(i, j) is a dot product of two contiguous rows, row i of A
 * and row j of B: what gemvRow and gemvColumn compute in their dot form, one row (column)
 * at a time, here four rows of A against two of B at a time, so that each value loaded is
 * used twice or four times and a row of A is read ⌈n/2⌉ times, not n. Each dot is summed
 * as the dot form sums it (lanes, then across them, then the tail): the same bits.
 * The first conv's weight gradient (8 × 25 dots of 784 an image): 9.6 → 6.9 µs an image, pinned.
 */
function dotTiles(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, beta: i32): void {
  const aRow = <usize>lda << 2;
  const bRow = <usize>ldb << 2;
  const cRow = <usize>ldc << 2;
  const body = <usize>(k & ~3) << 2;
  const tail = <usize>k << 2;
  const m4 = m & ~3;
  const n2 = n & ~1;
  for (let j = 0; j < n2; j += 2) {
    const x0 = b + <usize>j * bRow;
    const x1 = x0 + bRow;
    for (let i = 0; i < m4; i += 4) {
      const r0 = a + <usize>i * aRow;
      const r1 = r0 + aRow;
      const r2 = r1 + aRow;
      const r3 = r2 + aRow;
      let s00 = f32x4.splat(0), s10 = f32x4.splat(0), s20 = f32x4.splat(0), s30 = f32x4.splat(0);
      let s01 = f32x4.splat(0), s11 = f32x4.splat(0), s21 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let o: usize = 0; o != body; o += 16) {
        const v0 = v128.load(x0 + o);
        const v1 = v128.load(x1 + o);
        let w = v128.load(r0 + o);
        s00 = madd(v0, w, s00);
        s01 = madd(v1, w, s01);
        w = v128.load(r1 + o);
        s10 = madd(v0, w, s10);
        s11 = madd(v1, w, s11);
        w = v128.load(r2 + o);
        s20 = madd(v0, w, s20);
        s21 = madd(v1, w, s21);
        w = v128.load(r3 + o);
        s30 = madd(v0, w, s30);
        s31 = madd(v1, w, s31);
      }
      let t00 = sumLanes(s00), t10 = sumLanes(s10), t20 = sumLanes(s20), t30 = sumLanes(s30);
      let t01 = sumLanes(s01), t11 = sumLanes(s11), t21 = sumLanes(s21), t31 = sumLanes(s31);
      for (let o = body; o != tail; o += 4) {
        const v0 = load<f32>(x0 + o);
        const v1 = load<f32>(x1 + o);
        t00 += v0 * load<f32>(r0 + o);
        t10 += v0 * load<f32>(r1 + o);
        t20 += v0 * load<f32>(r2 + o);
        t30 += v0 * load<f32>(r3 + o);
        t01 += v1 * load<f32>(r0 + o);
        t11 += v1 * load<f32>(r1 + o);
        t21 += v1 * load<f32>(r2 + o);
        t31 += v1 * load<f32>(r3 + o);
      }
      const out = c + <usize>i * cRow + (<usize>j << 2);
      storeOne(out, t00, beta);
      storeOne(out + 4, t01, beta);
      storeOne(out + cRow, t10, beta);
      storeOne(out + cRow + 4, t11, beta);
      storeOne(out + cRow * 2, t20, beta);
      storeOne(out + cRow * 2 + 4, t21, beta);
      storeOne(out + cRow * 3, t30, beta);
      storeOne(out + cRow * 3 + 4, t31, beta);
    }
    // The last m mod 4 rows, each column on its own.
    if (m4 < m) {
      const rest = a + <usize>m4 * aRow;
      const out = c + <usize>m4 * cRow + (<usize>j << 2);
      gemv(m - m4, k, x0, 4, rest, aRow, false, out, cRow, beta);
      gemv(m - m4, k, x1, 4, rest, aRow, false, out + 4, cRow, beta);
    }
  }
  // An odd last column.
  if (n2 < n) gemv(m, k, b + <usize>n2 * bRow, 4, a, aRow, false, c + (<usize>n2 << 2), cRow, beta);
}

/** a·b + c, fused in the relaxed build. */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function sumLanes(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function storeOne(p: usize, v: f32, beta: i32): void {
  store<f32>(p, beta ? load<f32>(p) + v : v);
}

/** The 4 lanes of v to p, p + inc, p + 2·inc, p + 3·inc (added to what is there when beta). */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, inc: usize, v: v128, beta: i32): void {
  if (inc == 4) {
    v128.store(p, beta ? f32x4.add(v128.load(p), v) : v);
  } else {
    storeOne(p, f32x4.extract_lane(v, 0), beta);
    storeOne(p + inc, f32x4.extract_lane(v, 1), beta);
    storeOne(p + inc * 2, f32x4.extract_lane(v, 2), beta);
    storeOne(p + inc * 3, f32x4.extract_lane(v, 3), beta);
  }
}

// ---- float64 ------------------------------------------------------------------------------

/** C = op(A)·op(B) (+ C when accumulate ≠ 0), float64: plain loops, for gradcheck. */
export function gemmF64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  // Element strides (in bytes) of op(A) along i and p, and of op(B) along p and j.
  const ai: usize = transA ? 8 : <usize>lda << 3;
  const ap: usize = transA ? <usize>lda << 3 : 8;
  const bp: usize = transB ? 8 : <usize>ldb << 3;
  const bj: usize = transB ? <usize>ldb << 3 : 8;
  for (let i = 0; i < m; i++) {
    const ci = c + ((<usize>i * <usize>ldc) << 3);
    const arow = a + <usize>i * ai;
    if (transB) {
      // Each C(i, j) is a dot product of two contiguous-in-p (for op(B)) runs.
      for (let j = 0; j < n; j++) {
        let sum: f64 = 0;
        let x = arow;
        let y = b + <usize>j * bj;
        for (let p = 0; p < k; p++) {
          sum += load<f64>(x) * load<f64>(y);
          x += ap;
          y += bp;
        }
        const o = ci + (<usize>j << 3);
        store<f64>(o, accumulate ? load<f64>(o) + sum : sum);
      }
    } else {
      // Row i of C is a sum of rows of B scaled by A(i, p).
      if (!accumulate) memory.fill(ci, 0, <usize>n << 3);
      for (let p = 0; p < k; p++) {
        const x = load<f64>(arow + <usize>p * ap);
        const y = b + <usize>p * bp;
        for (let j = 0; j < n; j++) {
          const o = ci + (<usize>j << 3);
          store<f64>(o, load<f64>(o) + x * load<f64>(y + (<usize>j << 3)));
        }
      }
    }
  }
}
