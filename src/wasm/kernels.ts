// The tensor kernels of one float type, picked once by dtype so that a call site reads
// `kernels(dtype).softmaxForward(...)` whatever the precision. The table is built from
// the one list of kernels (kernel-list.ts), which also writes the wasm exports.
import { DTYPES, type DType } from '../dtype';
import { AXIS_ALL, BROADCAST } from '../ops';
import { threadPool, wasm } from './instance';
import { KERNELS, type KernelFunction, type KernelName } from './kernel-list';
import { sharedKernels } from './split';

export type Kernels = { readonly [K in KernelName]: KernelFunction<K> } & {
  /** Bytes per element. */
  readonly bytes: number;
  /**
   * Threads a kernel call may use. A convolution needs this many images' worth of the
   * scratch it unfolds one image's columns into, a part each, spaced as split.ts's
   * threadScratchBytes says.
   */
  readonly threads: number;
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
      // Threads for float32 only: the float64 kernels are the reference, not the hot path.
      const shared = sharedKernels(raw, suffix, dtype === 'float32' ? threadPool() : null);
      for (const [name, k] of Object.entries(KERNELS)) {
        if ('ranges' in k && !(name in shared)) throw new Error(`kernels: ${name} takes ranges that split.ts does not fill in`);
      }
      return { ...Object.fromEntries(entries), ...shared, bytes } as Kernels;
    };
    table = { float32: pick('float32'), float64: pick('float64') };
    tables.set(exports, table);
  }
  return table[dtype];
}
