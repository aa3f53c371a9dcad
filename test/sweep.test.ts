// Bad input, swept: every public constructor and function given wrong types, wrong arity,
// NaN and ±Infinity, empty and zero-size tensors, negative or fractional dimensions,
// mismatched shapes, disposed tensors and nodes of another graph. Each must throw a
// WasmgradError subclass whose message names the op (never a TypeError, RangeError or a
// wasm RuntimeError), allocate nothing it keeps, and leave the object it was called on
// working. Runs in Node and in Chromium.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AddGate,
  datasets,
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  Graph,
  GraphError,
  gradcheck,
  init,
  jacobian,
  L2Gate,
  LogGate,
  MatMulGate,
  MaxoutGate,
  MeanGate,
  memoryStats,
  NonFiniteError,
  nn,
  OutOfMemoryError,
  Random,
  ReluGate,
  ScaleGate,
  ShapeError,
  SoftmaxCrossEntropyGate,
  StateError,
  SumGate,
  SvmLossGate,
  Tensor,
  ValueError,
  WasmgradError,
} from '../src/index';

beforeAll(() => init());

// Loose on purpose: the sweep calls the API the way a JavaScript caller can, types aside.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Loose = any;
const T = Tensor as Loose;
const N = nn as Loose;

const matrix = () =>
  Tensor.from([
    [1, 2],
    [3, 4],
  ]);
const disposed = () => {
  const t = matrix();
  t.dispose();
  return t;
};
const scalarGraph = () => {
  const g = new Graph();
  const x = g.input('x');
  return { g, x, f: g.mul(x, x) };
};
const foreign = new Graph();
const foreignNode = foreign.input('x');
const model = () => new nn.Sequential([new nn.Linear(2, 3, { seed: 1 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 2 })]);
const data = (samples: number) => ({ x: Tensor.zeros([samples, 2]), y: new Int32Array(samples) });

type ErrorClass = new (...args: never[]) => WasmgradError;
const CASES: [call: string, run: () => unknown, error: ErrorClass, message: RegExp][] = [
  // Tensors
  [
    'Tensor.from(null)',
    () => T.from(null),
    ValueError,
    /^Tensor\.from: data must be numbers \(nested arrays, an array or a typed array\), got null/,
  ],
  ['Tensor.from("abc")', () => T.from('abc'), ValueError, /^Tensor\.from:/],
  ['Tensor.from(ragged)', () => T.from([[1, 2], [3]]), ShapeError, /^Tensor\.from: ragged nesting at data\[1\]/],
  ['Tensor.from([1, NaN])', () => T.from([1, Number.NaN]), ValueError, /element 1 must be a finite number, got NaN/],
  ['Tensor.from([1, Infinity])', () => T.from([1, Number.POSITIVE_INFINITY]), ValueError, /element 1 must be a finite number/],
  ['Tensor.from([1e39]) (beyond float32)', () => T.from([1e39]), ValueError, /element 0 \(1e\+39\) is outside the range of float32/],
  ['Tensor.from(3 values, [2, 2])', () => T.from([1, 2, 3], [2, 2]), ShapeError, /3 values do not fill shape \[2, 2\]/],
  ['Tensor.zeros([-1])', () => T.zeros([-1]), ShapeError, /^Tensor\.zeros: a shape is an array of non-negative integers, got \[-1\]/],
  ['Tensor.zeros([1.5])', () => T.zeros([1.5]), ShapeError, /got \[1\.5\]/],
  ['Tensor.zeros("2")', () => T.zeros('2'), ShapeError, /^Tensor\.zeros:/],
  [
    'Tensor.zeros([2], { dtype: "int8" })',
    () => T.zeros([2], { dtype: 'int8' }),
    ValueError,
    /dtype must be 'float32' or 'float64', got "int8"/,
  ],
  ['Tensor.zeros(too large)', () => T.zeros([1e6, 1e6]), OutOfMemoryError, /^Tensor\.zeros: a \[1000000, 1000000\] float32 tensor/],
  ['Tensor.full([2], NaN)', () => T.full([2], Number.NaN), ValueError, /^Tensor\.full: value must be a finite number/],
  ['Tensor.rand low > high', () => T.rand([2], { low: 2, high: 1 }), ValueError, /^Tensor\.rand: low must be below high/],
  ['Tensor.randn std < 0', () => T.randn([2], { std: -1 }), ValueError, /^Tensor\.randn: std must be ≥ 0/],
  ['Tensor.randn seed "x"', () => T.randn([2], { seed: 'x' }), ValueError, /^Tensor\.randn: seed must be an integer/],
  ['disposed.toArray()', () => disposed().toArray(), StateError, /^toArray: Tensor \[2, 2\] has been disposed/],
  ['disposed.data', () => disposed().data, StateError, /^data: Tensor \[2, 2\] has been disposed/],
  ['disposed.clone()', () => disposed().clone(), StateError, /^clone:/],
  ['disposed.to("float64")', () => disposed().to('float64'), StateError, /^to:/],
  ['tensor.to("int")', () => matrix().to('int' as Loose), ValueError, /^to: dtype must be/],
  ['tensor.item() of 4 elements', () => matrix().item(), ShapeError, /^item: the tensor has shape \[2, 2\]/],
  // Gates
  ['AddGate.forward()', () => (new AddGate() as Loose).forward(), ValueError, /^AddGate\.forward: takes 2 input\(s\) \(x, y\), got 0/],
  ['AddGate.forward(1, "2")', () => (new AddGate() as Loose).forward(1, '2'), ValueError, /input y must be a finite number, got "2"/],
  [
    'AddGate.forward(1, -Infinity)',
    () => new AddGate().forward(1, Number.NEGATIVE_INFINITY),
    ValueError,
    /input y must be a finite number/,
  ],
  [
    'AddGate.forward(tensor, 1)',
    () => (new AddGate() as Loose).forward(matrix(), 1),
    ValueError,
    /^AddGate\.forward: y must be a Tensor, got 1/,
  ],
  [
    'AddGate.forward(tensor, disposed)',
    () => new AddGate().forward(matrix(), disposed()),
    StateError,
    /^AddGate\.forward: y .* has been disposed/,
  ],
  [
    'AddGate.forward([2,2], [3,2])',
    () => new AddGate().forward(matrix(), Tensor.zeros([3, 2])),
    ShapeError,
    /^AddGate\.forward: \[2,2\] and \[3,2\]/,
  ],
  ['AddGate.backward before forward', () => new AddGate().backward(1), StateError, /^AddGate\.backward: called before forward/],
  [
    'AddGate.backward(tensor) after numbers',
    () => {
      const gate = new AddGate() as Loose;
      gate.forward(1, 2);
      return gate.backward(matrix());
    },
    ValueError,
    /^AddGate\.backward: dout must be a finite number/,
  ],
  ['ScaleGate("a")', () => new (ScaleGate as Loose)('a'), ValueError, /^ScaleGate: a must be a finite number/],
  ['LogGate.forward(-1)', () => new LogGate().forward(-1), NonFiniteError, /^LogGate\.forward: log\(-1\) is NaN/],
  ['ReluGate.forward(1, 2)', () => (new ReluGate() as Loose).forward(1, 2), ValueError, /^ReluGate\.forward: takes 1 input/],
  ['MatMulGate.forward inner dims', () => new MatMulGate().forward(matrix(), Tensor.zeros([3, 2])), ShapeError, /inner dims 2 ≠ 3/],
  [
    'MatMulGate.forward(1-D, 1-D)',
    () => new MatMulGate().forward(Tensor.zeros([2]), Tensor.zeros([2])),
    ShapeError,
    /^MatMulGate\.forward: A must be 2-D/,
  ],
  ['SumGate(5)', () => new (SumGate as Loose)(5), ValueError, /^SumGate: options must be an object/],
  ['SumGate({ axis: 2 })', () => new (SumGate as Loose)({ axis: 2 }), ValueError, /^SumGate: axis must be 0, 1 or left out/],
  ['MeanGate of 0 values', () => new MeanGate().forward(Tensor.zeros([0])), ValueError, /^MeanGate\.forward: the mean of 0 values/],
  ['L2Gate.forward(1)', () => (new L2Gate() as Loose).forward(1), ValueError, /^L2Gate\.forward: x must be a Tensor/],
  ['MaxoutGate(0)', () => new MaxoutGate(0), ValueError, /^MaxoutGate: k must be a positive integer/],
  ['MaxoutGate(3) of [2, 2]', () => new MaxoutGate(3).forward(matrix()), ShapeError, /^MaxoutGate\.forward: z must be \[rows, units·3\]/],
  [
    'SoftmaxCrossEntropyGate label 5 of 2',
    () => new SoftmaxCrossEntropyGate().forward(matrix(), Int32Array.from([0, 5])),
    ValueError,
    /label 1 is 5, not a class index in \[0, 2\)/,
  ],
  [
    'SoftmaxCrossEntropyGate labels "x"',
    () => (new SoftmaxCrossEntropyGate() as Loose).forward(matrix(), 'x'),
    ValueError,
    /^SoftmaxCrossEntropyGate\.forward: labels must be/,
  ],
  [
    'SoftmaxCrossEntropyGate of 0 rows',
    () => new SoftmaxCrossEntropyGate().forward(Tensor.zeros([0, 3]), new Int32Array(0)),
    ValueError,
    /a batch of 0 rows has no mean loss/,
  ],
  [
    'SvmLossGate of 0 rows',
    () => new SvmLossGate().forward(Tensor.zeros([0, 3]), new Int32Array(0)),
    ValueError,
    /^SvmLossGate\.forward: a batch of 0 rows/,
  ],
  // Graph
  ['Graph({ dtype: "x" })', () => new Graph({ dtype: 'x' as Loose }), ValueError, /^Graph: dtype must be/],
  ['graph.input(5)', () => new Graph().input(5 as Loose), ValueError, /^input: the name must be a non-empty string/],
  ['graph.input("x", [0])', () => new Graph().input('x', [0]), ShapeError, /^input: a shape is an array of positive integers/],
  [
    'graph.input twice',
    () => {
      const { g } = scalarGraph();
      return g.input('x');
    },
    GraphError,
    /^input: the name "x" is taken/,
  ],
  [
    'graph.add(node of another graph)',
    () => {
      const { g, x } = scalarGraph();
      return g.add(x, foreignNode);
    },
    GraphError,
    /^add: node x belongs to another Graph/,
  ],
  [
    'graph.add(x, null)',
    () => {
      const { g, x } = scalarGraph();
      return g.add(x, null as Loose);
    },
    ValueError,
    /^add: the second operand must be a Node or a number/,
  ],
  [
    'graph.scale(x, NaN)',
    () => {
      const { g, x } = scalarGraph();
      return g.scale(x, Number.NaN);
    },
    ValueError,
    /^scale: its constant must be a finite number/,
  ],
  ['graph.forward({})', () => scalarGraph().g.forward({}), GraphError, /^forward: missing input "x"/],
  ['graph.forward(null)', () => scalarGraph().g.forward(null as Loose), ValueError, /^forward: inputs must be an object/],
  [
    'graph.forward({ x: NaN })',
    () => scalarGraph().g.forward({ x: Number.NaN }),
    ValueError,
    /^forward: input "x" must be a finite number/,
  ],
  ['graph.forward unknown input', () => scalarGraph().g.forward({ x: 1, y: 2 }), GraphError, /^forward: unknown input "y"/],
  [
    'graph.backward before forward',
    () => {
      const { g, f } = scalarGraph();
      return g.backward(f);
    },
    StateError,
    /^backward: run forward first/,
  ],
  [
    'graph.backward(node of another graph)',
    () => {
      const { g } = scalarGraph();
      g.forward({ x: 1 });
      return g.backward(foreignNode);
    },
    GraphError,
    /^backward: node x belongs to another Graph/,
  ],
  [
    'graph.grad before backward',
    () => {
      const { g, x } = scalarGraph();
      g.forward({ x: 1 });
      return g.grad(x);
    },
    StateError,
    /^grad: x has no gradient until backward has run/,
  ],
  [
    'graph.forward wrong shape',
    () => {
      const g = new Graph();
      g.sum(g.input('x', [2]));
      return g.forward({ x: [1, 2, 3] });
    },
    ShapeError,
    /^forward: input "x" has shape \[3\], declared \[2\]/,
  ],
  // gradcheck, jacobian
  ['gradcheck(null, [1])', () => gradcheck(null as Loose, [1]), ValueError, /^gradcheck: fn must be a function/],
  ['gradcheck(fn, "x")', () => gradcheck(() => ({ value: 0, grads: [] }), 'x' as Loose), ValueError, /^gradcheck: inputs must be an array/],
  [
    'gradcheck(fn returning null)',
    () => gradcheck(() => null as Loose, [1]),
    ValueError,
    /^gradcheck: fn must return \{ value: number, grads/,
  ],
  ['jacobian(null, x)', () => jacobian(null as Loose, matrix()), ValueError, /^jacobian: fn must have forward\(x\) and backward/],
  ['jacobian(gate, disposed)', () => jacobian(new ReluGate(), disposed()), StateError, /^jacobian: x .* has been disposed/],
  // nn
  ['nn.Linear(0, 2)', () => new nn.Linear(0, 2), ValueError, /^Linear: in must be a positive integer/],
  [
    'nn.Linear(2, 2, { init: "x" })',
    () => new nn.Linear(2, 2, { init: 'x' as Loose }),
    ValueError,
    /^Linear: init must be 'he', 'xavier', 'zeros'/,
  ],
  ['nn.Linear(2, 2, { seed: 0.5 })', () => new nn.Linear(2, 2, { seed: 0.5 }), ValueError, /^Linear: seed must be an integer/],
  ['nn.Linear(2, 2, { dtype: "x" })', () => new nn.Linear(2, 2, { dtype: 'x' as Loose }), ValueError, /^Linear: dtype must be/],
  [
    'linear.forward([3, 3])',
    () => new nn.Linear(2, 2).forward(Tensor.zeros([3, 3])),
    ShapeError,
    /^Linear\.forward: x must be \[batch, 2\], got \[3,3\]/,
  ],
  [
    'linear.backward before forward',
    () => new nn.Linear(2, 2).backward(Tensor.zeros([1, 2])),
    StateError,
    /^Linear\.backward: called before forward/,
  ],
  ['nn.Sequential(null)', () => new N.Sequential(null), ValueError, /^Sequential: give it a non-empty array of layers/],
  ['nn.Sequential([1])', () => new N.Sequential([1]), ValueError, /^Sequential: layer 0 has no forward\/backward/],
  ['nn.LeakyReLU("a")', () => new N.LeakyReLU('a'), ValueError, /alpha must be a finite number/],
  ['nn.softmaxCrossEntropy(logits, null)', () => N.softmaxCrossEntropy(matrix(), null), ValueError, /labels must be an Int32Array/],
  [
    'nn.softmaxCrossEntropy 1 label for 2 rows',
    () => nn.softmaxCrossEntropy(matrix(), Int32Array.from([0])),
    ShapeError,
    /1 labels for 2 rows/,
  ],
  ['nn.SGD(params) without options', () => new N.SGD(model().parameters()), ValueError, /^SGD: options must be an object with at least lr/],
  ['nn.SGD(null, …)', () => new N.SGD(null, { lr: 1 }), ValueError, /^SGD: params must be an array/],
  ['nn.SGD lr -1', () => new nn.SGD(model().parameters(), { lr: -1 }), ValueError, /^SGD: lr must be a finite number ≥ 0, got -1/],
  [
    'nn.SGD nesterov without momentum',
    () => new nn.SGD(model().parameters(), { lr: 0.1, nesterov: true }),
    ValueError,
    /^SGD: nesterov needs a momentum > 0/,
  ],
  ['nn.Adam(params, null)', () => new N.Adam(model().parameters(), null), ValueError, /^Adam: options must be an object/],
  ['nn.Adam beta1 2', () => new nn.Adam(model().parameters(), { beta1: 2 }), ValueError, /^Adam: beta1 must be in \[0, 1\)/],
  ['nn.fit(model, null)', () => N.fit(model(), null, { epochs: 1 }), ValueError, /^fit: data must be/],
  ['nn.fit 0 samples', () => nn.fit(model(), data(0), { epochs: 1 }), ValueError, /^fit: the data set is empty/],
  ['nn.fit x disposed', () => nn.fit(model(), { x: disposed(), y: new Int32Array(2) }), StateError, /^fit: data\.x .* has been disposed/],
  [
    'nn.fit 3 samples, 2 labels',
    () => nn.fit(model(), { x: Tensor.zeros([3, 2]), y: new Int32Array(2) }),
    ShapeError,
    /^fit: 3 samples in x but 2 in y/,
  ],
  ['nn.fit epochs -1', () => nn.fit(model(), data(4), { epochs: -1 }), ValueError, /^fit: epochs must be a positive integer/],
  ['nn.evaluate(model, {})', () => N.evaluate(model(), {}), ValueError, /^evaluate: data must be/],
  ['nn.load(null)', () => N.load(null), ValueError, /^decodeSafetensors: expected a Uint8Array or an ArrayBuffer/],
  ['nn.load(3 bytes)', () => nn.load(new Uint8Array(3)), FormatError, /^decodeSafetensors: the file is 3 bytes/],
  [
    'model.load(weights of another architecture)',
    () => new nn.Sequential([new nn.Linear(3, 2)]).load(model().save()),
    ShapeError,
    /^load: /,
  ],
  ['decodeSafetensors("x")', () => decodeSafetensors('x' as Loose), ValueError, /^decodeSafetensors:/],
  ['encodeSafetensors(null)', () => encodeSafetensors(null as Loose), ValueError, /^encodeSafetensors: tensors must be/],
  [
    'datasets.spiral({ classes: 0 })',
    () => datasets.spiral({ classes: 0 }),
    ValueError,
    /^datasets\.spiral: classes must be a positive integer/,
  ],
  ['datasets.spiral({ noise: -1 })', () => datasets.spiral({ noise: -1 }), ValueError, /^datasets\.spiral: noise must be/],
  ['new Random("x")', () => new (Random as Loose)('x'), ValueError, /^Random: a seed must be an integer/],
];

describe('bad input is a WasmgradError that names the op, and allocates nothing', () => {
  it.each(CASES)('%s', (_, run, errorClass, message) => {
    const before = memoryStats().bytesInUse;
    let thrown: unknown = null;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown, 'no error was thrown').toBeInstanceOf(WasmgradError);
    expect(thrown).toBeInstanceOf(errorClass);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).name).toBe(errorClass.name);
    // Tensors the case made for itself are the case's; what failed must not keep more.
    expect(memoryStats().bytesInUse - before).toBeLessThanOrEqual(4096);
  });
});

describe('what a failed call was made on keeps working', () => {
  it('a gate: a bad forward leaves it usable, with the same rule', () => {
    const gate = new AddGate();
    expect(gate.forward(1, 2)).toBe(3);
    expect(() => (gate as Loose).forward(1, 'x')).toThrow(ValueError);
    expect(() => gate.forward(matrix(), Tensor.zeros([3]))).toThrow(ShapeError);
    expect(gate.forward(-2, 5)).toBe(3);
    expect(gate.backward(2)).toEqual([2, 2]);
  });

  it('a graph: bad inputs and foreign nodes change nothing it computes', () => {
    const { g, x, f } = scalarGraph();
    expect(g.forward({ x: 3 })).toBe(9);
    expect(() => g.forward({ x: Number.NaN })).toThrow(ValueError);
    expect(() => g.add(x, foreignNode)).toThrow(GraphError);
    expect(g.forward({ x: -2 })).toBe(4);
    g.backward(f);
    expect(g.grad(x)).toBe(-4);
  });

  it('a model: a failed fit, load or forward leaves its weights as they were', () => {
    const m = model();
    const weights = m.save();
    expect(() => nn.fit(m, { x: Tensor.zeros([3, 2]), y: Int32Array.from([0, 1, 7]) }, { epochs: 1 })).toThrow(/label 2 is 7/);
    expect(() => m.load(new nn.Sequential([new nn.Linear(3, 2)]).save())).toThrow(ShapeError);
    expect(() => m.forward(Tensor.zeros([1, 5]))).toThrow(ShapeError);
    expect(Array.from(m.save())).toEqual(Array.from(weights));
    // Still working: it trains exactly as a copy of its weights that never saw a failure.
    const spiral = datasets.spiral({ seed: 1, classes: 2, pointsPerClass: 10 });
    const untouched = nn.load(weights);
    const records = nn.fit(m, spiral, { epochs: 2, seed: 1 });
    expect(records.map((r) => r.loss)).toEqual(nn.fit(untouched, spiral, { epochs: 2, seed: 1 }).map((r) => r.loss));
    expect(Array.from(m.save())).toEqual(Array.from(untouched.save()));
    expect(Array.from(m.save())).not.toEqual(Array.from(weights));
  });

  it('a graph too large for linear memory: an OutOfMemoryError before anything is allocated, and later work runs', () => {
    const x = Tensor.zeros([4096, 4096]); // 64 MB; 22 nodes of values and gradients are 2.9 GB
    const g = new Graph();
    let node = g.input('x', [4096, 4096]);
    for (let i = 0; i < 20; i++) node = g.relu(node);
    g.sum(node);
    const before = memoryStats().bytesInUse;
    expect(() => g.forward({ x })).toThrow(OutOfMemoryError);
    expect(() => g.forward({ x })).toThrow(/^forward: the values and gradients of 22 tensor nodes: \d+ bytes exceed/);
    expect(memoryStats().bytesInUse).toBe(before);
    x.dispose();
    const { g: small, x: input, f } = scalarGraph();
    expect(small.forward({ x: 3 })).toBe(9);
    small.backward(f);
    expect(small.grad(input)).toBe(6);
  });

  it('zero-size tensors are tensors: elementwise ops, products and sums over them are empty or 0', () => {
    expect(new AddGate().forward(Tensor.zeros([0, 3]), Tensor.zeros([3])).shape).toEqual([0, 3]);
    expect(new MatMulGate().forward(Tensor.zeros([0, 3]), Tensor.zeros([3, 2])).shape).toEqual([0, 2]);
    expect(new MatMulGate().forward(Tensor.zeros([2, 0]), Tensor.zeros([0, 2])).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(new SumGate().forward(Tensor.zeros([0]))).toBe(0);
    expect(new nn.Linear(3, 2).forward(Tensor.zeros([0, 3])).shape).toEqual([0, 2]);
  });
});
