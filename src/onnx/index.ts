// wasmgrad/onnx: models to and from ONNX files, an entry of its own so that protobufjs
// stays out of the main bundle.

// What fromOnnx returns and toOnnx takes, the very nn.Sequential of 'wasmgrad', exported
// here too so that declarations a user's compiler writes can name the type.
export { Sequential } from '../nn/sequential';
export { OPSETS, type ToOnnxOptions, toOnnx } from './export';
export { fromOnnx } from './import';
