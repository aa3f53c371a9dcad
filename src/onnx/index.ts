// wasmgrad/onnx: models to and from ONNX files, an entry of its own so that protobufjs
// stays out of the main bundle.

// The type fromOnnx returns and toOnnx takes (nn.Sequential of 'wasmgrad'), named here so
// that declarations a user's compiler writes can refer to it.
export type { Sequential } from '../nn/sequential';
export { OPSETS, type ToOnnxOptions, toOnnx } from './export';
export { fromOnnx } from './import';
