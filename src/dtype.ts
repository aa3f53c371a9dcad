// The float types a tensor can hold, and what each is in linear memory and in the wasm
// exports' names: the one table of them.

export type DType = 'float32' | 'float64';

export const DTYPES = {
  float32: { bytes: 4, suffix: 'f32', safetensors: 'F32' },
  float64: { bytes: 8, suffix: 'f64', safetensors: 'F64' },
} as const satisfies Record<DType, { bytes: number; suffix: string; safetensors: string }>;
