// Feature probes: tiny modules that the engine validates without running them.

// (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))
const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const relaxedBody = [0x00, ...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_SIMD_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b],
  ...[0x03, 0x02, 0x01, 0x00],
  ...[0x0a, relaxedBody.length + 2, 0x01, relaxedBody.length, ...relaxedBody],
]);

/** Whether this engine runs relaxed SIMD (Chromium does; Node 20 only with a flag). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}
