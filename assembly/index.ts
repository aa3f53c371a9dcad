// The module's exports, nothing else. Names are snake_case: this is the raw-pointer ABI
// that src/wasm/ wraps. The tensor kernels' float32/float64 exports and the op codes are
// generated from src/wasm/kernel-list.ts and src/ops.ts (kernels.generated.ts).
import { backward, forward } from './rules';

export * from './kernels.generated';
export { alloc, free, allocatedBytes as allocated_bytes, allocatedBlocks as allocated_blocks } from './memory';
export {
  tapeForward as tape_forward,
  tapeBackward as tape_backward,
} from './tape';
export {
  EDGE_BYTES as GEMM_EDGE_BYTES, PACK_A_BYTES as GEMM_PACK_A_BYTES, PACK_B_BYTES as GEMM_PACK_B_BYTES,
  TILE_COLUMNS as GEMM_TILE_COLUMNS, TILE_ROWS as GEMM_TILE_ROWS, useThreadBuffers as gemm_thread_buffers,
  gemmF32Packed as gemm_f32_packed, gemmPacks as gemm_packs,
} from './gemm';

/** Whether this binary was built with relaxed SIMD (FMA), for the host to report. */
export const RELAXED_SIMD: bool = ASC_FEATURE_RELAXED_SIMD;

/** One op's forward, for the gate classes. */
export function scalar_forward(op: i32, a: f64, b: f64): f64 {
  return forward<f64>(op, a, b);
}

/** One op's backward: writes ∂/∂a·dout and ∂/∂b·dout to the two f64 at `grads`. */
export function scalar_backward(op: i32, a: f64, b: f64, out: f64, dout: f64, grads: usize): void {
  store<f64>(grads, 0);
  store<f64>(grads, 0, 8);
  backward<f64>(op, a, b, out, dout, grads, grads + 8);
}
