/** The raw-pointer ABI of assembly/index.ts. Pointers and sizes are byte offsets. */
export interface WasmExports {
  readonly memory: WebAssembly.Memory;
  /** 1 in the relaxed-SIMD (FMA) build. */
  readonly RELAXED_SIMD: WebAssembly.Global;
  alloc(size: number): number;
  free(ptr: number): void;
  allocated_bytes(): number;
  allocated_blocks(): number;
  scalar_forward(op: number, a: number, b: number): number;
  scalar_backward(op: number, a: number, b: number, out: number, dout: number, grads: number): void;
  tape_forward(tape: number, count: number): number;
  tape_backward(tape: number, count: number, gradOffset: number): number;
}
