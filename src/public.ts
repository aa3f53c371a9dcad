// Everything the package exports except init(), which each entry defines with its own
// way of finding the wasm binary.

export * as datasets from './data/index';
export { FormatError, GraphError, NonFiniteError, OutOfMemoryError, ShapeError, StateError, ValueError, WasmgradError } from './errors';
export * from './gates/index';
export {
  type Given,
  type GradcheckOptions,
  type GradcheckResult,
  type GradcheckWorst,
  type GradInput,
  gradcheck,
  type ValueAndGrads,
} from './gradcheck';
export { Graph, type GraphOptions, type InputValue, Node, type NodeValue, type Operand } from './graph/graph';
export { type DecodedSafetensors, decodeSafetensors, encodeSafetensors, type SafetensorsInput } from './io/safetensors';
export { type Differentiable, jacobian } from './jacobian';
export * as nn from './nn/index';
export { Random } from './random';
export { type DType, type FloatArray, type NestedNumbers, type Shape, Tensor, type TensorOptions } from './tensor';
export type { SimdChoice } from './wasm/binaries';
export { type BackendInfo, backend, type MemoryStats, memoryStats } from './wasm/instance';
export type { WasmSource } from './wasm/load';
