// wasmgrad/onnx: models to and from ONNX files (its own entry, so that protobufjs stays
// out of the main bundle).
export { OPSETS, type ToOnnxOptions, toOnnx } from './export';
export { fromOnnx } from './import';
