// How the kernels that threads can share are split into parts, one per thread
// (threads.ts runs them): a GEMM into bands of C's rows or columns, a convolution into
// ranges of images (forward, input gradient) and of image groups (weight gradient), a
// pooling into ranges of planes, an optimizer's update, an elementwise op, a fill and a
// finite check into ranges of elements. Every value is computed by one thread, in the
// order one thread would: results are the same bits with any number of threads.
//
// The convolution and pooling kernels take their ranges as trailing arguments
// (kernel-list.ts, `ranges`); with one thread, or for float64, which has no threads, the
// wrappers here pass the whole.
import { BROADCAST, WEIGHT_GROUPS, WINDOW_WORD } from '../ops';
import type { ThreadPool } from './threads';

type Raw = (...args: number[]) => number | void;

/** The exports a pool's worker may run; a part names its kernel by its index here. */
export const THREAD_KERNELS = [
  'gemm_f32_packed',
  'conv2d_forward_f32',
  'conv2d_backward_f32',
  'max_pool2d_forward_f32',
  'max_pool2d_backward_f32',
  'avg_pool2d_f32',
  'sgd_update_f32',
  'adam_update_f32',
  'elementwise_forward_f32',
  'elementwise_backward_f32',
  'first_non_finite_f32',
  'fill_f32',
] as const;

const job = (name: (typeof THREAD_KERNELS)[number]) => THREAD_KERNELS.indexOf(name);

/**
 * Where each thread's scratch of `bytes` starts after the previous thread's: past it by
 * 64 KiB more, on a page. Two threads unfolding into scratches side by side ran a split
 * convolution 1.6× slower than scratches this far apart (the first conv's forward, two
 * threads: 299 → 193 µs; measured gaps of 16 KiB were slow, 64 KiB not).
 */
export function threadScratchStride(bytes: number): number {
  return Math.ceil((bytes + 65536) / 4096) * 4096;
}

/** Bytes for `threads` scratches of `bytes` each, at threadScratchStride apart. */
export function threadScratchBytes(bytes: number, threads: number): number {
  return threads > 1 ? threadScratchStride(bytes) * (threads - 1) + bytes : bytes;
}

const B_SAME_MODE = BROADCAST.same;
const B_CONST_MODE = BROADCAST.const;

/**
 * Below this many multiply-adds (GEMM, convolution) a call runs on one thread: waking
 * another costs more than it saves.
 */
const MIN_PARALLEL_WORK = 2 ** 18;

/**
 * What a pooling kernel's window read costs, in the GEMM's multiply-adds: a 2×2 max pool
 * over 32×8×28×28 values took 300 µs (1.5 ns a read), a GEMM does a multiply-add in
 * 0.04 ns. Counted as plain reads, pooling never reached MIN_PARALLEL_WORK.
 */
const WORK_PER_WINDOW_READ = 32;

/**
 * Below this many elements an optimizer's update runs on one thread. It comes right after
 * the backward pass, whose split GEMMs leave the other thread awake for it; a parameter
 * this large takes ~15 µs a thread, against ~1 µs to hand an awake thread its part (and
 * ~45 µs to wake a sleeping one, which only a model without split products pays).
 */
const MIN_PARALLEL_ELEMENTS = 2 ** 16;

/** The wrappers of the kernels that take ranges, and gemm's when there are threads. */
export interface SharedKernels {
  conv2dForward: Raw;
  conv2dBackward: Raw;
  maxPool2dForward: Raw;
  maxPool2dBackward: Raw;
  avgPool2d: Raw;
  gemm?: Raw;
  sgdUpdate?: Raw;
  adamUpdate?: Raw;
  elementwiseForward?: Raw;
  elementwiseBackward?: Raw;
  firstNonFinite?: (x: number, n: number) => number;
  fill?: Raw;
  /** Threads a call may use: a kernel that needs scratch per part needs this many. */
  threads: number;
}

/** [first, end) ranges of `count` units dealt as evenly as they go to at most `parts` parts, none empty. */
export function ranges(count: number, parts: number, unit = 1): Array<[number, number]> {
  const units = Math.ceil(count / unit);
  const n = Math.max(1, Math.min(parts, units));
  const out: Array<[number, number]> = [];
  let at = 0;
  for (let p = 0; p < n; p++) {
    const share = Math.floor(units / n) + (p < units % n ? 1 : 0);
    const end = Math.min(count, at + share * unit);
    out.push([at, end]);
    at = end;
  }
  return out;
}

/**
 * The table entries for one dtype's suffix (`f32`, `f64`) of `exports`; `pool` null runs
 * every call whole, on the calling thread.
 */
export function sharedKernels(exports: Record<string, unknown>, suffix: string, pool: ThreadPool | null): SharedKernels {
  const raw = (name: string) => exports[`${name}_${suffix}`] as Raw;
  const memory = exports.memory as WebAssembly.Memory;
  const bytes = suffix === 'f32' ? 4 : 8;
  const threads = pool ? pool.size : 1;
  /** How many parts a call of this much work gets. */
  const partsFor = (work: number) => (pool?.usable && work >= MIN_PARALLEL_WORK ? threads : 1);
  const run = (name: (typeof THREAD_KERNELS)[number], whole: Raw, parts: number[][]): number[] => {
    if (parts.length > 1) return (pool as ThreadPool).run(job(name), parts);
    const result = whole(...(parts[0] as number[]));
    return [typeof result === 'number' ? result : 0];
  };
  const packs = exports.gemm_packs as (m: number, n: number, k: number) => number;
  const tileRows = (exports.GEMM_TILE_ROWS as WebAssembly.Global).value as number;
  const tileColumns = (exports.GEMM_TILE_COLUMNS as WebAssembly.Global).value as number;

  const conv2dForward = raw('conv2d_forward');
  const conv2dBackward = raw('conv2d_backward');
  const maxPool2dForward = raw('max_pool2d_forward');
  const maxPool2dBackward = raw('max_pool2d_backward');
  const avgPool2d = raw('avg_pool2d');
  // Re-made only when the memory has grown (its buffer is then another object).
  let words = new Int32Array(memory.buffer);
  /** What a window block at ptr says of the work: K values per window, P windows per image, window taps. */
  const geometry = (ptr: number) => {
    if (words.buffer !== memory.buffer) words = new Int32Array(memory.buffer);
    const word = (name: keyof typeof WINDOW_WORD) => words[(ptr >>> 2) + WINDOW_WORD[name]] as number;
    const taps = word('kernelH') * word('kernelW');
    return {
      batch: word('batch'),
      planes: word('batch') * word('channels'),
      o: word('outChannels'),
      k: word('channels') * taps,
      p: word('outH') * word('outW'),
      taps,
    };
  };
  /** A pooling kernel over planes: its arguments, then each part's range. */
  const planewise =
    (name: (typeof THREAD_KERNELS)[number], whole: Raw): Raw =>
    (...args) => {
      const g = geometry(args[0] as number);
      const parts = ranges(g.planes, partsFor(g.planes * g.p * g.taps * WORK_PER_WINDOW_READ));
      run(
        name,
        whole,
        parts.map(([first, end]) => [...args, first, end]),
      );
    };

  const table: SharedKernels = {
    threads,
    // Images [first, end) per part, each part with its own image's worth of `col` (threadScratchStride apart).
    conv2dForward: (geometryPtr, x, w, b, y, col) => {
      const g = geometry(geometryPtr);
      const parts = ranges(g.batch, partsFor(g.batch * g.o * g.k * g.p));
      const own = threadScratchStride(g.k * g.p * bytes);
      run(
        'conv2d_forward_f32',
        conv2dForward,
        parts.map(([first, end], t) => [geometryPtr, x, w, b, y, col + t * own, first, end]),
      );
    },
    // Ranges of the weight gradient's image groups, and of images for dx; each part its own scratch (threadScratchStride apart).
    conv2dBackward: (geometryPtr, x, w, dy, partials, bias, dx, scratch) => {
      const g = geometry(geometryPtr);
      const count = partsFor(g.batch * g.o * g.k * g.p * (dx ? 2 : 1));
      const groups = ranges(Math.min(g.batch, WEIGHT_GROUPS), count);
      const images = dx ? ranges(g.batch, count) : [[0, 0] as [number, number]];
      const own = threadScratchStride(g.k * g.p * bytes);
      const parts: number[][] = [];
      for (let t = 0; t < Math.max(groups.length, images.length); t++) {
        const [groupStart, groupEnd] = groups[t] ?? [0, 0];
        const [first, end] = images[t] ?? [0, 0];
        parts.push([geometryPtr, x, w, dy, partials, bias, dx, scratch + t * own, groupStart, groupEnd, first, end]);
      }
      run('conv2d_backward_f32', conv2dBackward, parts);
    },
    maxPool2dForward: planewise('max_pool2d_forward_f32', maxPool2dForward),
    maxPool2dBackward: planewise('max_pool2d_backward_f32', maxPool2dBackward),
    avgPool2d: planewise('avg_pool2d_f32', avgPool2d),
  };
  if (pool) {
    const gemm = raw('gemm');
    const packed = exports.gemm_f32_packed as Raw;
    // C = op(A)·op(B) (+ C) in bands of whole tiles, where the whole product packs (a band
    // computed packed is then the same bits as that part of the whole). Every thread packs
    // the whole of the operand it does not split: split rows when packing B (k·n values)
    // costs less than packing A (m·k values, pre-broadcast ×4).
    table.gemm = (transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate): void => {
      const count = partsFor(m * n * k);
      if (count === 1 || !packs(m, n, k)) {
        gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        return;
      }
      const byRows = n < 4 * m;
      const bands = ranges(byRows ? m : n, count, byRows ? tileRows : tileColumns);
      const parts = bands.map(([start, end]) =>
        byRows
          ? [transA, transB, end - start, n, k, a + (transA ? start : start * lda) * 4, lda, b, ldb, c + start * ldc * 4, ldc, accumulate]
          : [transA, transB, m, end - start, k, a, lda, b + (transB ? start * ldb : start) * 4, ldb, c + start * 4, ldc, accumulate],
      );
      run('gemm_f32_packed', packed, parts);
    };
    // Ranges of whole SIMD groups; each element's update reads and writes only its own
    // element of each buffer, so a part is the same bits as that range of the whole.
    const elementwise =
      (name: (typeof THREAD_KERNELS)[number], whole: Raw, buffers: number, count: number): Raw =>
      (...args) => {
        const n = args[count] as number;
        const parts = ranges(n, pool.usable && n >= MIN_PARALLEL_ELEMENTS ? threads : 1, 4);
        run(
          name,
          whole,
          parts.map(([first, end]) =>
            args.map((arg, i) => (i < buffers ? (arg === 0 ? 0 : arg + first * bytes) : i === count ? end - first : arg)),
          ),
        );
      };
    table.sgdUpdate = elementwise('sgd_update_f32', raw('sgd_update'), 3, 3);
    table.adamUpdate = elementwise('adam_update_f32', raw('adam_update'), 4, 4);
    // An op's forward and backward and the finite check after them, in the same ranges:
    // each thread then checks what it wrote itself, and the next split op (a pooling's
    // planes, a convolution's images) finds its half of the batch in its own core's cache.
    // Not where b is a row broadcast down the rows (a bias) or a scalar: their gradient
    // sums over elements. Every part but the last is whole groups of four, so only the
    // last reaches elementwise.ts's static tail buffers; a constant's splat, also static,
    // is written by every part with the same bytes.
    const sameOrConst = (mode: number) => mode === B_SAME_MODE || mode === B_CONST_MODE;
    // Asked first, so that the many small calls (every op's finite check) make no parts.
    const splits = (n: number) => pool.usable && n >= MIN_PARALLEL_ELEMENTS;
    const elementParts = (n: number) => ranges(n, threads, 4);
    const forward = raw('elementwise_forward');
    table.elementwiseForward = (op, a, b, out, rows, cols, mode, constant) => {
      const n = (rows as number) * (cols as number);
      if (!sameOrConst(mode as number) || !splits(n)) return forward(op, a, b, out, rows, cols, mode, constant);
      const parts = elementParts(n);
      const at = (ptr: number, first: number) => ptr + first * 4;
      const suspects = run(
        'elementwise_forward_f32',
        forward,
        parts.map(([first, end]) => [
          op,
          at(a, first),
          mode === B_SAME_MODE ? at(b, first) : b,
          at(out, first),
          1,
          end - first,
          mode,
          constant,
        ]),
      );
      return suspects.some((suspect) => suspect !== 0) ? 1 : 0;
    };
    const backward = raw('elementwise_backward');
    table.elementwiseBackward = (op, a, b, out, dout, da, db, rows, cols, mode, constant, fresh) => {
      const n = (rows as number) * (cols as number);
      if (!sameOrConst(mode as number) || !splits(n)) return backward(op, a, b, out, dout, da, db, rows, cols, mode, constant, fresh);
      const parts = elementParts(n);
      const at = (ptr: number, first: number) => (ptr === 0 ? 0 : ptr + first * 4);
      const suspects = run(
        'elementwise_backward_f32',
        backward,
        parts.map(([first, end]) => [
          op,
          at(a, first),
          mode === B_SAME_MODE ? at(b, first) : b,
          at(out, first),
          at(dout, first),
          at(da, first),
          mode === B_SAME_MODE ? at(db, first) : db,
          1,
          end - first,
          mode,
          constant,
          fresh,
        ]),
      );
      return suspects.some((suspect) => suspect !== 0) ? 1 : 0;
    };
    // A gradient zeroed before a split backward adds into it: zeroed in the same halves.
    const fill = raw('fill');
    table.fill = (x, n, value) => {
      if (!splits(n as number)) return fill(x, n, value);
      const parts = elementParts(n as number);
      run(
        'fill_f32',
        fill,
        parts.map(([first, end]) => [x + first * 4, end - first, value]),
      );
    };
    const scan = raw('first_non_finite') as unknown as (x: number, n: number) => number;
    table.firstNonFinite = (x, n) => {
      if (!splits(n)) return scan(x, n);
      const parts = elementParts(n);
      const found = run(
        'first_non_finite_f32',
        scan as unknown as Raw,
        parts.map(([first, end]) => [x + first * 4, end - first]),
      );
      const part = found.findIndex((at) => at >= 0);
      return part < 0 ? -1 : (parts[part] as [number, number])[0] + (found[part] as number);
    };
  }
  return table;
}
