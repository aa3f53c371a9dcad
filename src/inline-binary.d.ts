declare module 'wasmgrad:inline-binary' {
  /** The plain SIMD128 binary, decoded from base64 embedded in the bundle. */
  export function plain(): Uint8Array;
  /** The relaxed-SIMD binary, likewise. */
  export function relaxed(): Uint8Array;
}
