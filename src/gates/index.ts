export { EluGate, LeakyReluGate, MaxGate, ReluGate, SigmoidGate, TanhGate } from './activations';
export { AddGate, DivGate, MultiplyGate, NegGate, OffsetGate, ReciprocalGate, ScaleGate, SubGate } from './arithmetic';
export { ExpGate, LogGate, PowGate } from './exponential';
export { BinaryGate, Gate, type GateCache, UnaryGate } from './gate';
