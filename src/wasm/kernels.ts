// The tensor kernels of one float type, picked once by dtype so that a call site reads
// `kernels(dtype).softmaxForward(...)` whatever the precision. The table is built from
// the one list of kernels (kernel-list.ts), which also writes the wasm exports.
import { DTYPES, type DType } from '../dtype';
import { AXIS_ALL, BROADCAST } from '../ops';
import { threadPool, wasm } from './instance';
import { KERNELS, type KernelFunction, type KernelName } from './kernel-list';

export type Kernels = { readonly [K in KernelName]: KernelFunction<K> } & {
  /** Bytes per element. */
  readonly bytes: number;
};

/** elementwise kernels' b modes (src/ops.ts, BROADCAST) */
export const B_SAME = BROADCAST.same;
export const B_ROW = BROADCAST.row;
export const B_CONST = BROADCAST.const;
export const B_SCALAR = BROADCAST.scalar;

export { AXIS_ALL };

const tables = new WeakMap<object, Record<DType, Kernels>>();

export function kernels(dtype: DType): Kernels {
  const exports = wasm();
  let table = tables.get(exports);
  if (!table) {
    const raw = exports as unknown as Record<string, (...args: number[]) => number>;
    const pick = (dtype: DType): Kernels => {
      const { bytes, suffix } = DTYPES[dtype];
      const entries = Object.entries(KERNELS).map(([name, k]) => {
        const fn = raw[`${k.wasm}_${suffix}`];
        if (typeof fn !== 'function') throw new Error(`kernels: the wasm core has no ${k.wasm}_${suffix}`);
        return [name, fn];
      });
      return { ...Object.fromEntries(entries), bytes } as Kernels;
    };
    table = { float32: pick('float32'), float64: pick('float64') };
    const threads = threadPool();
    if (threads) table.float32 = { ...table.float32, gemm: threads.gemm };
    tables.set(exports, table);
  }
  return table[dtype];
}
