// Every op, described once. This table is the only place an op's code, category and
// metadata are written: scripts/generate.ts writes the AssemblyScript side from it (the
// codes, the category tests, the elementwise dispatch, the tensor tape's instruction
// layout and broadcast modes) and the gate class of every elementwise op; the Graph's
// builders, the drawing symbols and the test tables read it here. Adding an elementwise
// op is its rule (assembly/rules.ts), its vector form (assembly/rules-f32x4.ts), its row
// here, and its layer (src/nn/activations.ts): see DEVELOPERS.md, "Adding an op".

/** What a backward rule reads: the inputs `a`, `b` and the output `out`. Forward caches exactly these. */
export type Cached = 'a' | 'b' | 'out';

/**
 * - binary: f(a, b), both operands tensors or numbers, both differentiated (b may broadcast);
 * - unary: f(a);
 * - const: f(a; c) with c a fixed number that gets no gradient (scale's factor, α);
 * - tensor: an op on whole tensors with a kernel of its own (matmul, reductions, losses).
 */
export type Category = 'binary' | 'unary' | 'const' | 'tensor';

interface Descriptor {
  readonly code: number;
  readonly category: Category;
  /** How a drawing labels its gate. */
  readonly symbol: string;
  /** The lecture's words for the rule, a line: the gate class's doc comment. */
  readonly doc: string;
}

export interface ElementwiseDescriptor extends Descriptor {
  readonly category: 'binary' | 'unary' | 'const';
  readonly reads: readonly Cached[];
  /** Whether f can leave its domain (NaN or ±Infinity from finite inputs). */
  readonly partial?: boolean;
  /** Which rules assembly/rules-f32x4.ts has four lanes at a time: both, backward only, or none. */
  readonly vector: 'both' | 'backward' | 'none';
  /** The gate class of the modular API, and for a const op its parameter (name, default). */
  readonly gate: { readonly name: string; readonly parameter?: { readonly name: string; readonly default?: number } } | null;
  /** The Graph's builder method, or null when the Graph makes the op only through another (pow with a number exponent). */
  readonly builder: string | null;
}

export interface TensorDescriptor extends Descriptor {
  readonly category: 'tensor';
}

const elementwise = <const D extends ElementwiseDescriptor>(d: D) => d;
const tensor = <const D extends TensorDescriptor>(d: D) => d;

export const OPS = {
  // ---- binary: codes 1–9 --------------------------------------------------------------
  add: elementwise({
    code: 1,
    category: 'binary',
    reads: [],
    vector: 'both',
    symbol: '+',
    doc: 'x + y. Add distributes: both inputs get dout unchanged. Caches nothing.',
    gate: { name: 'AddGate' },
    builder: 'add',
  }),
  sub: elementwise({
    code: 2,
    category: 'binary',
    reads: [],
    vector: 'both',
    symbol: '−',
    doc: 'x − y: x gets dout, y gets −dout. Caches nothing.',
    gate: { name: 'SubGate' },
    builder: 'sub',
  }),
  mul: elementwise({
    code: 3,
    category: 'binary',
    reads: ['a', 'b'],
    vector: 'both',
    symbol: '*',
    doc: 'x · y. Mul switches: x gets y·dout and y gets x·dout, so it caches x and y.',
    gate: { name: 'MultiplyGate' },
    builder: 'mul',
  }),
  div: elementwise({
    code: 4,
    category: 'binary',
    reads: ['a', 'b'],
    partial: true,
    vector: 'both',
    symbol: '÷',
    doc: 'x / y: x gets dout/y, y gets −x·dout/y². Caches x and y.',
    gate: { name: 'DivGate' },
    builder: 'div',
  }),
  max: elementwise({
    code: 5,
    category: 'binary',
    reads: ['a', 'b'],
    vector: 'both',
    symbol: 'max',
    doc: 'max(x, y). Max routes: all of dout goes to the larger input and none to the other; a tie goes to x, the first input.',
    gate: { name: 'MaxGate' },
    builder: 'max',
  }),
  pow: elementwise({
    code: 6,
    category: 'binary',
    reads: ['a', 'b', 'out'],
    partial: true,
    vector: 'none',
    symbol: 'pow',
    doc: 'xʸ: x gets y·xʸ⁻¹·dout, y gets xʸ·ln x·dout (defined for x > 0). Caches x, y and the output.',
    gate: { name: 'PowGate' },
    builder: 'pow',
  }),
  // max with its operands swapped by the Graph so that the first broadcasts (max(0, X) runs
  // as max(X, 0)): the tie goes to b, the operand written first, as max's goes to a.
  maxSwapped: elementwise({
    code: 7,
    category: 'binary',
    reads: ['a', 'b'],
    vector: 'both',
    symbol: 'max',
    doc: 'max(b, a) written as max(a, b): a tie goes to b.',
    gate: null,
    builder: null,
  }),
  // ---- unary: codes 10–19 -------------------------------------------------------------
  exp: elementwise({
    code: 10,
    category: 'unary',
    reads: ['out'],
    partial: true,
    vector: 'both',
    symbol: 'exp',
    doc: 'eˣ, with df/dx = eˣ: the output is its own derivative, so it caches the output.',
    gate: { name: 'ExpGate' },
    builder: 'exp',
  }),
  log: elementwise({
    code: 11,
    category: 'unary',
    reads: ['a'],
    partial: true,
    vector: 'backward',
    symbol: 'log',
    doc: 'ln x, with df/dx = 1/x. Caches x.',
    gate: { name: 'LogGate' },
    builder: 'log',
  }),
  recip: elementwise({
    code: 12,
    category: 'unary',
    reads: ['a'],
    partial: true,
    vector: 'both',
    symbol: '1/x',
    doc: "1/x, the lecture's f(x) = 1/x with df/dx = −1/x². Caches x.",
    gate: { name: 'ReciprocalGate' },
    builder: 'recip',
  }),
  neg: elementwise({
    code: 13,
    category: 'unary',
    reads: [],
    vector: 'both',
    symbol: '−x',
    doc: '−x: x gets −dout. Caches nothing.',
    gate: { name: 'NegGate' },
    builder: 'neg',
  }),
  sigmoid: elementwise({
    code: 14,
    category: 'unary',
    reads: ['out'],
    vector: 'both',
    symbol: 'σ',
    doc: 'σ(x) = 1/(1 + e⁻ˣ) as one gate: dσ/dx = σ(1 − σ), so it caches only σ.',
    gate: { name: 'SigmoidGate' },
    builder: 'sigmoid',
  }),
  tanh: elementwise({
    code: 15,
    category: 'unary',
    reads: ['out'],
    vector: 'backward',
    symbol: 'tanh',
    doc: 'tanh x, with d/dx = 1 − tanh² x. Caches the output.',
    gate: { name: 'TanhGate' },
    builder: 'tanh',
  }),
  relu: elementwise({
    code: 16,
    category: 'unary',
    reads: ['a'],
    vector: 'both',
    symbol: 'ReLU',
    doc: 'max(0, x): routes dout to x where x > 0, else 0 (at x = 0 the tie goes to the 0). Caches x.',
    gate: { name: 'ReluGate' },
    builder: 'relu',
  }),
  softplus: elementwise({
    code: 17,
    category: 'unary',
    reads: ['a'],
    vector: 'backward',
    symbol: 'softplus',
    doc: 'log(1 + eˣ), a smooth ReLU: its derivative is σ(x), so dout·σ(x) goes to x. Caches x.',
    gate: { name: 'SoftplusGate' },
    builder: 'softplus',
  }),
  // ---- const: f(a; c), codes 20–29 ----------------------------------------------------
  scale: elementwise({
    code: 20,
    category: 'const',
    reads: ['b'],
    vector: 'both',
    symbol: '*',
    doc: "a·x for a fixed a, the lecture's f_a(x) = ax with df/dx = a. Caches nothing but a.",
    gate: { name: 'ScaleGate', parameter: { name: 'a' } },
    builder: 'scale',
  }),
  offset: elementwise({
    code: 21,
    category: 'const',
    reads: [],
    vector: 'both',
    symbol: '+',
    doc: "c + x for a fixed c, the lecture's f_c(x) = c + x with df/dx = 1. Caches nothing.",
    gate: { name: 'OffsetGate', parameter: { name: 'c' } },
    builder: 'offset',
  }),
  powc: elementwise({
    code: 22,
    category: 'const',
    reads: ['a', 'b'],
    partial: true,
    vector: 'none',
    symbol: '^',
    doc: 'xᶜ for a fixed c: x gets c·xᶜ⁻¹·dout.',
    gate: null,
    builder: null,
  }),
  leakyRelu: elementwise({
    code: 23,
    category: 'const',
    reads: ['a', 'b'],
    vector: 'both',
    symbol: 'leaky',
    doc: "max(αx, x), the lecture's max(0.1x, x) by default: dout where x > 0, else α·dout. Caches x.",
    gate: { name: 'LeakyReluGate', parameter: { name: 'alpha', default: 0.1 } },
    builder: 'leakyRelu',
  }),
  elu: elementwise({
    code: 24,
    category: 'const',
    reads: ['a', 'b', 'out'],
    vector: 'both',
    symbol: 'ELU',
    doc: 'x for x ≥ 0, α(eˣ − 1) below: dout for x ≥ 0, else (out + α)·dout. Caches x and the output.',
    gate: { name: 'EluGate', parameter: { name: 'alpha', default: 1 } },
    builder: 'elu',
  }),
  // ---- tensor ops: codes 40– ----------------------------------------------------------
  matmul: tensor({ code: 40, category: 'tensor', symbol: '×', doc: 'A·B: dA = dC·Bᵀ, dB = Aᵀ·dC.' }),
  sum: tensor({ code: 41, category: 'tensor', symbol: 'Σ', doc: 'Σ x, all or along an axis (a mean scales it).' }),
  l2: tensor({ code: 42, category: 'tensor', symbol: 'L2', doc: 'Σ x², dx = 2x·dout.' }),
  softmax: tensor({ code: 43, category: 'tensor', symbol: 'softmax', doc: 'softmax along the last axis.' }),
  softmaxCrossEntropy: tensor({ code: 44, category: 'tensor', symbol: 'softmax CE', doc: 'the mean softmax cross-entropy, fused.' }),
  svmLoss: tensor({ code: 45, category: 'tensor', symbol: 'SVM', doc: 'the mean multiclass hinge loss.' }),
  maxout: tensor({ code: 46, category: 'tensor', symbol: 'maxout', doc: 'the max of each unit’s k pieces.' }),
  conv2d: tensor({
    code: 47,
    category: 'tensor',
    symbol: 'conv',
    doc: 'W ⋆ x + b over [N, C, H, W]: dW = dY·colᵀ, dcol = Wᵀ·dY folded back into dx, db = Σ dY.',
  }),
  maxPool2d: tensor({ code: 48, category: 'tensor', symbol: 'max pool', doc: 'the max of each window: routes dout to the winner.' }),
  avgPool2d: tensor({ code: 49, category: 'tensor', symbol: 'avg pool', doc: 'the mean of each window: distributes dout over it.' }),
  reshape: tensor({ code: 50, category: 'tensor', symbol: 'reshape', doc: 'the same values in another shape: dx is dout in x’s shape.' }),
  transpose: tensor({ code: 51, category: 'tensor', symbol: 'ᵀ', doc: 'x [r, c] → [c, r]: dx is doutᵀ.' }),
  concat: tensor({
    code: 52,
    category: 'tensor',
    symbol: 'concat',
    doc: 'a and b side by side along an axis: each gets its part of dout.',
  }),
  dropout: tensor({
    code: 53,
    category: 'tensor',
    symbol: 'dropout',
    doc: 'x ⊙ mask while training (kept with probability 1 − p, scaled by 1/(1 − p)), x in evaluation: dx = dout ⊙ mask.',
  }),
} as const satisfies Record<string, ElementwiseDescriptor | TensorDescriptor>;

export type OpName = keyof typeof OPS;
/** The ops of one category, by name. */
export type OpsOf<C extends Category> = { [K in OpName]: (typeof OPS)[K]['category'] extends C ? K : never }[OpName];
export type ElementwiseOpName = OpsOf<'binary' | 'unary' | 'const'>;
export type TensorOpName = OpsOf<'tensor'>;
/** Elementwise ops the modular API has a gate class for, by op name. */
export type GateOpName = { [K in ElementwiseOpName]: (typeof OPS)[K]['gate'] extends null ? never : K }[ElementwiseOpName];

/** Op code 0: inputs, params and consts, which the tape never runs. */
export const LEAF_CODE = 0;

const NAME_BY_CODE = new Map<number, OpName>(Object.entries(OPS).map(([name, d]) => [d.code, name as OpName]));

/** The op of a code; an error for a code the table does not have (never a silent default). */
export function opOfCode(code: number): OpName {
  const name = NAME_BY_CODE.get(code);
  if (name === undefined) throw new Error(`ops: no op has code ${code}`);
  return name;
}

export function categoryOf(code: number): Category {
  return OPS[opOfCode(code)].category;
}

export function isElementwise(code: number): boolean {
  return categoryOf(code) !== 'tensor';
}

/** Whether the op's second operand gets a gradient: the binary elementwise ops, matmul, conv2d (its weights) and concat. */
export function differentiatesB(code: number): boolean {
  return categoryOf(code) === 'binary' || code === OPS.matmul.code || code === OPS.conv2d.code || code === OPS.concat.code;
}

/** How an elementwise op's second operand b reaches a's shape (assembly/elementwise.ts). */
export const BROADCAST = {
  /** b has a's shape. */
  same: 0,
  /** b is a row of `cols` values broadcast down a's rows (a bias). */
  row: 1,
  /** b is the op's fixed constant (unary and const ops). */
  const: 2,
  /** b is one value broadcast to every element. */
  scalar: 3,
} as const;

/** The reduction axis meaning "over everything" (assembly/reduce.ts). */
export const AXIS_ALL = -1;

/**
 * One instruction of the tensor tape (assembly/tensor-tape.ts), 80 bytes: i32 words in
 * this order (pointers are byte offsets), then the op's f64 constant at byte 64.
 */
export const INSTRUCTION = {
  words: [
    'op',
    'out',
    'dout',
    'a',
    'da',
    'b',
    'db',
    'rows',
    'cols',
    'k',
    /** b's broadcast, or the reduction axis */
    'mode',
    /** a cache buffer: softmax probabilities, maxout winners */
    'aux',
    'outSize',
    'aSize',
    'bSize',
  ],
  constantAt: 64,
  bytes: 80,
} as const;

export type InstructionField = (typeof INSTRUCTION.words)[number];

/** The i32 word index of each field. */
export const WORD = Object.fromEntries(INSTRUCTION.words.map((name, i) => [name, i])) as Record<InstructionField, number>;

/**
 * The geometry of a windowed op (convolution, pooling) as its kernels read it: i32 words
 * in this order at one pointer (src/gates/window.ts writes them; assembly/ops.generated.ts
 * declares them as the unmanaged class Window, so a kernel reads `g.strideH`). A pooling
 * op has outChannels = channels. The last five words are the tensor tape's, which has
 * only two operands and one cache pointer per instruction: where a Graph's conv finds its
 * bias and the bias's gradient, and the op's buffers (conv: a scratch of one image's
 * columns, and its weight gradient's groups; max pool: the winners in its cache). A gate
 * passes those as arguments.
 */
export const WINDOW = {
  words: [
    'batch',
    'channels',
    'height',
    'width',
    'outChannels',
    'kernelH',
    'kernelW',
    'strideH',
    'strideW',
    'padH',
    'padW',
    'dilationH',
    'dilationW',
    'outH',
    'outW',
    'bias',
    'dbias',
    'cache',
    'scratch',
    'partials',
  ],
} as const;

/**
 * A convolution's weight gradient is summed over this many groups of the batch's images
 * (fewer in a smaller batch), each group in a buffer of its own, then the groups in order
 * (assembly/conv.ts): threads share the groups, and the sum is the same bits whatever
 * their number.
 */
export const WEIGHT_GROUPS = 8;

export type WindowField = (typeof WINDOW.words)[number];

/** The i32 word index of each field of a window block. */
export const WINDOW_WORD = Object.fromEntries(WINDOW.words.map((name, i) => [name, i])) as Record<WindowField, number>;
