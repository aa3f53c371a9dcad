// The elementwise gates, one per row of the op table (src/ops.ts).

export { BatchNormGate, type BatchNormOptions } from './batch-norm';
export { Conv2dGate, type Conv2dOptions } from './conv2d';
export { DropoutGate, type DropoutOptions } from './dropout';
export * from './elementwise.generated';
export { BinaryGate, ElementwiseGate, Gate, type GateCache, type GateValue, UnaryGate } from './gate';
export { SvmLossGate } from './loss';
export { MatMulGate } from './matmul';
export { MaxoutGate } from './maxout';
export { AvgPool2dGate, MaxPool2dGate, type MaxPool2dOptions, type Pool2dOptions } from './pool';
export { type Axis, L2Gate, MeanGate, type Reduced, SumGate } from './reduce';
export { ReshapeGate } from './reshape';
export { SoftmaxCrossEntropyGate, SoftmaxGate } from './softmax';
