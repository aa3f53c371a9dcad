declare module 'wasmgrad:inline-binary' {
  /** The wasm binary, decoded from the base64 string embedded in the bundle. */
  const bytes: () => Uint8Array;
  export default bytes;
}
