export { EluGate, LeakyReluGate, MaxGate, ReluGate, SigmoidGate, TanhGate } from './activations';
export { AddGate, DivGate, MultiplyGate, NegGate, OffsetGate, ReciprocalGate, ScaleGate, SubGate } from './arithmetic';
export { ExpGate, LogGate, PowGate } from './exponential';
export { BinaryGate, ElementwiseGate, Gate, type GateCache, type GateValue, UnaryGate } from './gate';
export { SvmLossGate } from './loss';
export { MatMulGate } from './matmul';
export { MaxoutGate } from './maxout';
export { type Axis, L2Gate, MeanGate, type Reduced, SumGate } from './reduce';
export { SoftmaxCrossEntropyGate, SoftmaxGate } from './softmax';
