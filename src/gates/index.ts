// The elementwise gates, one per row of the op table (src/ops.ts).
export * from './elementwise.generated';
export { BinaryGate, ElementwiseGate, Gate, type GateCache, type GateValue, UnaryGate } from './gate';
export { SvmLossGate } from './loss';
export { MatMulGate } from './matmul';
export { MaxoutGate } from './maxout';
export { type Axis, L2Gate, MeanGate, type Reduced, SumGate } from './reduce';
export { SoftmaxCrossEntropyGate, SoftmaxGate } from './softmax';
