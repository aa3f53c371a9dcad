// The scalar ops that assembly/rules.ts implements, as the host sees them: the op code
// (checked against the module's own constants in the tests), how many inputs it takes,
// and which values its backward rule reads — the gates cache exactly those.

/** What a backward rule reads: the inputs `a`, `b` and the output `out`. */
export type Cached = 'a' | 'b' | 'out';

export interface OpInfo {
  readonly code: number;
  /** 1: f(a); 2: f(a, b), both differentiable; 'const': f(a; b) with b a fixed parameter. */
  readonly arity: 1 | 2 | 'const';
  readonly reads: readonly Cached[];
  /** Whether f can leave its domain (gives NaN or ±Infinity for finite inputs). */
  readonly partial?: boolean;
}

export const OPS = {
  add: { code: 1, arity: 2, reads: [] },
  sub: { code: 2, arity: 2, reads: [] },
  mul: { code: 3, arity: 2, reads: ['a', 'b'] },
  div: { code: 4, arity: 2, reads: ['a', 'b'], partial: true },
  max: { code: 5, arity: 2, reads: ['a', 'b'] },
  pow: { code: 6, arity: 2, reads: ['a', 'b', 'out'], partial: true },
  // max with its operands swapped by the Graph so that the first broadcasts (max(0, X) is
  // run as max(X, 0)): the tie goes to b, the operand written first, as max's goes to a.
  maxSwapped: { code: 7, arity: 2, reads: ['a', 'b'] },
  exp: { code: 10, arity: 1, reads: ['out'], partial: true },
  log: { code: 11, arity: 1, reads: ['a'], partial: true },
  recip: { code: 12, arity: 1, reads: ['a'], partial: true },
  neg: { code: 13, arity: 1, reads: [] },
  sigmoid: { code: 14, arity: 1, reads: ['out'] },
  tanh: { code: 15, arity: 1, reads: ['out'] },
  relu: { code: 16, arity: 1, reads: ['a'] },
  scale: { code: 20, arity: 'const', reads: ['b'] },
  offset: { code: 21, arity: 'const', reads: [] },
  powc: { code: 22, arity: 'const', reads: ['a', 'b'], partial: true },
  leakyRelu: { code: 23, arity: 'const', reads: ['a', 'b'] },
  elu: { code: 24, arity: 'const', reads: ['a', 'b', 'out'] },
} as const satisfies Record<string, OpInfo>;

export type OpName = keyof typeof OPS;

/** Op code 0: inputs, params and consts, which the tape never runs. */
export const LEAF_CODE = 0;

/** The exported-global name of an op code in assembly/index.ts (`OP_LEAKY_RELU`). */
export function wasmConstantName(op: OpName): string {
  return `OP_${op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Tensor ops beyond the elementwise ones (assembly/tensor-tape.ts). */
export const TENSOR_OPS = {
  matmul: 40,
  sum: 41,
  l2: 42,
  softmax: 43,
  softmaxCrossEntropy: 44,
  svmLoss: 45,
  maxout: 46,
} as const;

export type TensorOpName = keyof typeof TENSOR_OPS;

/** Whether the op's second operand gets a gradient: binary elementwise ops and matmul. */
export function differentiatesB(code: number): boolean {
  return (code >= OPS.add.code && code < OPS.exp.code) || code === TENSOR_OPS.matmul; // binary ops: codes 1–9
}
