// What a Graph refuses, one row per bad call: each throws the error class its kind of
// mistake calls for, with a message that starts with the op the caller wrote and names
// the value at fault; and the graph it was made on computes afterwards exactly what a
// twin that never saw the bad call computes.
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, GraphError, init, type Node, ShapeError, StateError, Tensor, ValueError } from '../src/index';

beforeAll(() => init());

// Loose on purpose: the rows call the API the way a JavaScript caller can, types aside.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Loose = any;

const f64 = (v: number[] | number[][]) => Tensor.from(v, undefined, { dtype: 'float64' });

/** loss = softmaxCrossEntropy(x·W, y) + s²: an input of each kind, a tensor param, labels. */
function fixture() {
  const g = new Graph({ dtype: 'float64' }) as Loose;
  const x = g.input('x', [2, 3]);
  const W = g.param(
    'W',
    f64([
      [0.5, -1],
      [2, 0.25],
      [-0.5, 1],
    ]),
  );
  const y = g.labels('y', 2);
  const s = g.input('s');
  const z = g.matmul(x, W);
  const loss = g.output(g.add(g.softmaxCrossEntropy(z, y), g.mul(s, s)));
  const feed: Record<string, unknown> = {
    x: [
      [1, 2, 3],
      [-1, 0, 1],
    ],
    y: [1, 0],
    s: 0.5,
  };
  return { g, x, W, y, s, z, loss, feed };
}
type Fixture = ReturnType<typeof fixture>;

/** A [2,3] float64 tensor with Infinity at element 2, written into its data (Tensor.from refuses one). */
function withInfinityAt2(): Tensor {
  const t = f64([
    [1, 2, 0],
    [4, 5, 6],
  ]);
  t.data[2] = Number.POSITIVE_INFINITY;
  return t;
}

/** The loss and W's gradient of `fx` now, against those of a fresh fixture: the same numbers. */
function expectLikeATwin(fx: Fixture): void {
  const twin = fixture();
  expect(fx.g.forward(fx.feed)).toBe(twin.g.forward(twin.feed));
  fx.g.backward(fx.loss);
  twin.g.backward(twin.loss);
  expect(Array.from(fx.g.grad(fx.W).data)).toEqual(Array.from(twin.g.grad(twin.W).data));
  expect(fx.g.grad(fx.s)).toBe(twin.g.grad(twin.s));
}

type ErrorClass = typeof GraphError | typeof ShapeError | typeof StateError | typeof ValueError;

/** A row: what it is, a setup on a fresh fixture that returns the bad call, the error it must throw. */
type Row = [string, (fx: Fixture) => () => unknown, ErrorClass, RegExp];

const BUILD: Row[] = [
  // leaves
  [
    'labels with a number for a name',
    ({ g }) =>
      () =>
        g.labels(5, 2),
    ValueError,
    /^labels: the name must be a non-empty string, got 5$/,
  ],
  [
    'labels under a name taken',
    ({ g }) =>
      () =>
        g.labels('x', 2),
    GraphError,
    /^labels: the name "x" is taken$/,
  ],
  [
    'labels for 0 rows',
    ({ g }) =>
      () =>
        g.labels('n', 0),
    ValueError,
    /^labels: count must be a positive integer, got 0$/,
  ],
  [
    'labels for 1.5 rows',
    ({ g }) =>
      () =>
        g.labels('n', 1.5),
    ValueError,
    /^labels: count must be a positive integer, got 1\.5$/,
  ],
  [
    'param with an empty name',
    ({ g }) =>
      () =>
        g.param('', 1),
    ValueError,
    /^param: the name must be a non-empty string, got ""$/,
  ],
  [
    'param under a name taken',
    ({ g }) =>
      () =>
        g.param('W', 1),
    GraphError,
    /^param: the name "W" is taken$/,
  ],
  [
    'param of NaN',
    ({ g }) =>
      () =>
        g.param('p', Number.NaN),
    ValueError,
    /^param: value must be a finite number, got NaN$/,
  ],
  [
    'unnamed param of Infinity',
    ({ g }) =>
      () =>
        g.param(Number.POSITIVE_INFINITY),
    ValueError,
    /^param: value must be a finite number/,
  ],
  [
    'param of a disposed tensor',
    ({ g }) => {
      const t = f64([1, 2]);
      t.dispose();
      return () => g.param('p', t);
    },
    StateError,
    /^param: the tensor has been disposed$/,
  ],
  [
    'const of NaN',
    ({ g }) =>
      () =>
        g.const(Number.NaN),
    ValueError,
    /^const: value must be a finite number, got NaN$/,
  ],
  [
    'const of a disposed tensor',
    ({ g }) => {
      const t = f64([1, 2]);
      t.dispose();
      return () => g.const(t);
    },
    StateError,
    /^const: the tensor has been disposed$/,
  ],
  [
    'input with a string for a shape',
    ({ g }) =>
      () =>
        g.input('q', 'ab'),
    ShapeError,
    /^input: a shape is an array of positive integers, got "ab"$/,
  ],
  [
    'input with a fractional dimension',
    ({ g }) =>
      () =>
        g.input('q', [2, 1.5]),
    ShapeError,
    /^input: a shape is an array of positive integers, got \[2,1\.5\]$/,
  ],
  [
    'node of a name never given',
    ({ g }) =>
      () =>
        g.node('nope'),
    GraphError,
    /^node: no input or param is named "nope"$/,
  ],
  // operands
  [
    'add of NaN and a node',
    ({ g, s }) =>
      () =>
        g.add(Number.NaN, s),
    ValueError,
    /^add: the first operand must be a finite number, got NaN$/,
  ],
  [
    'sub of a node and -Infinity',
    ({ g, s }) =>
      () =>
        g.sub(s, Number.NEGATIVE_INFINITY),
    ValueError,
    /^sub: the second operand must be a finite number/,
  ],
  [
    'add of a string and a node',
    ({ g, s }) =>
      () =>
        g.add('a', s),
    ValueError,
    /^add: the first operand must be a Node or a number, got "a"$/,
  ],
  [
    'exp of null',
    ({ g }) =>
      () =>
        g.exp(null),
    ValueError,
    /^exp: the first operand must be a Node or a number, got null$/,
  ],
  [
    'scale of a string',
    ({ g }) =>
      () =>
        g.scale('a', 2),
    ValueError,
    /^scale: the first operand must be a Node or a number, got "a"$/,
  ],
  [
    'add of labels',
    ({ g, y, s }) =>
      () =>
        g.add(y, s),
    GraphError,
    /^add: y holds labels, which only a loss reads$/,
  ],
  [
    'exp of labels',
    ({ g, y }) =>
      () =>
        g.exp(y),
    GraphError,
    /^exp: y holds labels, which only a loss reads$/,
  ],
  [
    'pow with a NaN exponent',
    ({ g, s }) =>
      () =>
        g.pow(s, Number.NaN),
    ValueError,
    /^pow: its constant must be a finite number, got NaN$/,
  ],
  [
    'pow of a string to a number',
    ({ g }) =>
      () =>
        g.pow('a', 2),
    ValueError,
    /^pow: the first operand must be a Node or a number, got "a"$/,
  ],
  // ops given something that is not a node of theirs
  [
    'matmul of a number',
    ({ g, x }) =>
      () =>
        g.matmul(x, 3),
    ValueError,
    /^matmul: expected a Node, got 3$/,
  ],
  [
    'matmul of a 3-D tensor',
    ({ g, W }) => {
      const cube = g.const(Tensor.zeros([2, 2, 3]));
      return () => g.matmul(cube, W);
    },
    ShapeError,
    /^matmul: A must be 2-D, got shape \[2,2,3\]$/,
  ],
  // The second operand broadcasts into the first: a scalar or row written first works
  // only where the op commutes (add, mul, max swap them).
  [
    'sub of a scalar and a tensor',
    ({ g, s, x }) =>
      () =>
        g.sub(s, x),
    ShapeError,
    /^sub: \[\] and \[2,3\]: the second must match the first, be a row of 1, or be a scalar$/,
  ],
  [
    'add of a row of 3 and a [2,2] tensor',
    ({ g }) => {
      const row = g.const(Tensor.zeros([3]));
      const square = g.const(Tensor.zeros([2, 2]));
      return () => g.add(row, square);
    },
    ShapeError,
    /^add: \[3\] and \[2,2\]: the second must match the first, be a row of 3, or be a scalar$/,
  ],
  [
    'matmul of a node of another graph',
    ({ g, x }) =>
      () =>
        g.matmul(new Graph().input('o', [3, 1]), x),
    GraphError,
    /^matmul: node o belongs to another Graph$/,
  ],
  [
    'sum of a number',
    ({ g }) =>
      () =>
        g.sum(5),
    ValueError,
    /^sum: expected a Node, got 5$/,
  ],
  [
    'mean of a number',
    ({ g }) =>
      () =>
        g.mean(5),
    ValueError,
    /^mean: expected a Node, got 5$/,
  ],
  [
    'sum along axis 2',
    ({ g, x }) =>
      () =>
        g.sum(x, 2),
    ValueError,
    /^sum: axis must be 0, 1 or left out, got 2$/,
  ],
  [
    'mean along axis 2',
    ({ g, x }) =>
      () =>
        g.mean(x, 2),
    ValueError,
    /^mean: axis must be 0, 1 or left out, got 2$/,
  ],
  [
    'l2 of a number',
    ({ g }) =>
      () =>
        g.l2(5),
    ValueError,
    /^l2: expected a Node, got 5$/,
  ],
  [
    'softmax of a number',
    ({ g }) =>
      () =>
        g.softmax(5),
    ValueError,
    /^softmax: expected a Node, got 5$/,
  ],
  [
    'softmaxCrossEntropy of a number',
    ({ g, y }) =>
      () =>
        g.softmaxCrossEntropy(5, y),
    ValueError,
    /^softmaxCrossEntropy: expected a Node, got 5$/,
  ],
  [
    'svmLoss against a number',
    ({ g, z }) =>
      () =>
        g.svmLoss(z, 5),
    ValueError,
    /^svmLoss: expected a Node, got 5$/,
  ],
  [
    'softmaxCrossEntropy against an input, not labels',
    ({ g, z, x }) =>
      () =>
        g.softmaxCrossEntropy(z, x),
    GraphError,
    /^softmaxCrossEntropy: x is not a labels node \(g\.labels\(name, count\)\)$/,
  ],
  [
    'softmaxCrossEntropy of scalar scores',
    ({ g, s, y }) =>
      () =>
        g.softmaxCrossEntropy(s, y),
    ShapeError,
    /^softmaxCrossEntropy: scores must be 2-D \[rows, classes\], got \[\]$/,
  ],
  [
    'svmLoss with 3 labels for 2 rows',
    ({ g, z, feed }) => {
      // Labels for 3 rows, used by a loss of their own (a labels node takes its classes from one).
      const y3 = g.labels('y3', 3);
      g.svmLoss(g.const(Tensor.zeros([3, 2])), y3);
      feed.y3 = [0, 1, 0];
      return () => g.svmLoss(z, y3);
    },
    ShapeError,
    /^svmLoss: 3 labels for 2 rows$/,
  ],
  [
    'svmLoss of 3 classes against labels of 2',
    ({ g, y }) => {
      const scores = g.const(Tensor.zeros([2, 3]));
      return () => g.svmLoss(scores, y);
    },
    ShapeError,
    /^svmLoss: y already labels 2 classes, not 3$/,
  ],
  [
    'svmLoss with a NaN margin',
    ({ g, z, y }) =>
      () =>
        g.svmLoss(z, y, Number.NaN),
    ValueError,
    /^svmLoss: margin must be a finite number, got NaN$/,
  ],
  [
    'maxout of a number',
    ({ g }) =>
      () =>
        g.maxout(5, 2),
    ValueError,
    /^maxout: expected a Node, got 5$/,
  ],
  [
    'maxout of 0 pieces',
    ({ g, x }) =>
      () =>
        g.maxout(x, 0),
    ValueError,
    /^maxout: k must be a positive integer, got 0$/,
  ],
  [
    'maxout of 3 columns in pieces of 2',
    ({ g, x }) =>
      () =>
        g.maxout(x, 2),
    ShapeError,
    /^maxout: z must be \[rows, units·2\], got \[2,3\]$/,
  ],
  [
    'conv2d of a number',
    ({ g, W }) =>
      () =>
        g.conv2d(5, W),
    ValueError,
    /^conv2d: expected a Node, got 5$/,
  ],
  [
    'conv2d with a number for w',
    ({ g, x }) =>
      () =>
        g.conv2d(x, 5),
    ValueError,
    /^conv2d: expected a Node, got 5$/,
  ],
  [
    'conv2d with a number for b',
    ({ g }) => {
      const image = g.const(Tensor.zeros([1, 1, 3, 3]));
      const kernel = g.param('kernel', Tensor.zeros([1, 1, 2, 2]));
      return () => g.conv2d(image, kernel, 5);
    },
    ValueError,
    /^conv2d: expected a Node, got 5$/,
  ],
  [
    'conv2d of a 2-D x',
    ({ g, x }) =>
      (
        (kernel) => () =>
          g.conv2d(x, kernel)
      )(g.const(Tensor.zeros([1, 1, 2, 2]))),
    ShapeError,
    /^conv2d: x must be 4-D/,
  ],
  [
    'maxPool2d of a number',
    ({ g }) =>
      () =>
        g.maxPool2d(5, 2),
    ValueError,
    /^maxPool2d: expected a Node, got 5$/,
  ],
  [
    'maxPool2d with a kernel of 0',
    ({ g }) =>
      (
        (image) => () =>
          g.maxPool2d(image, 0)
      )(g.const(Tensor.zeros([1, 1, 3, 3]))),
    ValueError,
    /^maxPool2d: kernelSize must be an integer ≥ 1/,
  ],
  [
    'avgPool2d of a 2-D x',
    ({ g, x }) =>
      () =>
        g.avgPool2d(x, 2),
    ShapeError,
    /^avgPool2d: x must be 4-D \[batch, channels, height, width\], got \[2,3\]$/,
  ],
  [
    'avgPool2d of a number',
    ({ g }) =>
      () =>
        g.avgPool2d(5, 2),
    ValueError,
    /^avgPool2d: expected a Node, got 5$/,
  ],
  [
    'avgPool2d with a kernel of 0',
    ({ g }) =>
      (
        (image) => () =>
          g.avgPool2d(image, 0)
      )(g.const(Tensor.zeros([1, 1, 3, 3]))),
    ValueError,
    /^avgPool2d: kernelSize must be an integer ≥ 1/,
  ],
  [
    'reshape of a number',
    ({ g }) =>
      () =>
        g.reshape(5, [1]),
    ValueError,
    /^reshape: expected a Node, got 5$/,
  ],
  [
    'reshape of 6 values to 4',
    ({ g, x }) =>
      () =>
        g.reshape(x, [4]),
    ShapeError,
    /^reshape: x \[2,3\] has 6 values, which do not fit \[4\]$/,
  ],
  [
    'transpose of a number',
    ({ g }) =>
      () =>
        g.transpose(5),
    ValueError,
    /^transpose: expected a Node, got 5$/,
  ],
  [
    'concat of a number',
    ({ g }) =>
      () =>
        g.concat(5),
    ValueError,
    /^concat: give it a non-empty array of nodes$/,
  ],
  [
    'concat of no nodes',
    ({ g }) =>
      () =>
        g.concat([]),
    ValueError,
    /^concat: give it a non-empty array of nodes$/,
  ],
  [
    'concat of a node and a number',
    ({ g, x }) =>
      () =>
        g.concat([x, 5]),
    ValueError,
    /^concat: expected a Node, got 5$/,
  ],
  [
    'concat along axis 0.5',
    ({ g, x }) =>
      () =>
        g.concat([x, x], 0.5),
    ValueError,
    /^concat: axis must be an integer in \[-2, 1\] for 2-D tensors, got 0\.5$/,
  ],
  [
    'concat along axis -3',
    ({ g, x }) =>
      () =>
        g.concat([x, x], -3),
    ValueError,
    /^concat: axis must be an integer in \[-2, 1\] for 2-D tensors, got -3$/,
  ],
  [
    'concat of scalars',
    ({ g, s }) =>
      () =>
        g.concat([s, s]),
    ValueError,
    /^concat: axis must be an integer in \[0, -1\] for 0-D tensors, got 0$/,
  ],
  [
    'concat of a 3-D and a 2-D tensor that agree where the 2-D one has dimensions',
    ({ g }) => {
      const a = g.const(Tensor.zeros([2, 3, 4]));
      const b = g.const(Tensor.zeros([5, 3]));
      return () => g.concat([a, b], 0);
    },
    ShapeError,
    /^concat: along axis 0, every other dimension must agree, got \[2,3,4\], \[5,3\] \(input 1 differs\)$/,
  ],
  [
    'dropout of a number',
    ({ g }) =>
      () =>
        g.dropout(5),
    ValueError,
    /^dropout: expected a Node, got 5$/,
  ],
  [
    'dropout with p a string',
    ({ g, x }) =>
      () =>
        g.dropout(x, '0.5'),
    ValueError,
    /^dropout: p, the probability of dropping a value, must be in \[0, 1\), got "0\.5"$/,
  ],
  [
    'dropout with p = -0.1',
    ({ g, x }) =>
      () =>
        g.dropout(x, -0.1),
    ValueError,
    /^dropout: p, .* got -0\.1$/,
  ],
  [
    'dropout with p = NaN',
    ({ g, x }) =>
      () =>
        g.dropout(x, Number.NaN),
    ValueError,
    /^dropout: p, .* got NaN$/,
  ],
  [
    'output of a number',
    ({ g }) =>
      () =>
        g.output(5),
    ValueError,
    /^output: expected a Node, got 5$/,
  ],
  [
    'output of a node of another graph',
    ({ g }) =>
      () =>
        g.output(new Graph().input('o')),
    GraphError,
    /^output: node o belongs to another Graph$/,
  ],
  // reading
  [
    'backward from a number',
    ({ g, feed }) => {
      g.forward(feed);
      return () => g.backward(5);
    },
    ValueError,
    /^backward: expected a Node, got 5$/,
  ],
  [
    'value of a number',
    ({ g }) =>
      () =>
        g.value(5),
    ValueError,
    /^value: expected a Node, got 5$/,
  ],
  [
    'grad of a number',
    ({ g, feed }) => {
      g.forward(feed);
      g.backward();
      return () => g.grad(5);
    },
    ValueError,
    /^grad: expected a Node, got 5$/,
  ],
];

describe('what a Graph refuses while it is built or read, and how it names it', () => {
  it.each(BUILD)('%s', (_, setup, errorClass, message) => {
    const fx = fixture();
    const call = setup(fx);
    const size = fx.g.size;
    let thrown: unknown = null;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    expect((thrown as Error).message).toMatch(message);
    // Nothing was added, and the graph computes what its twin does.
    expect(fx.g.size).toBe(size);
    expectLikeATwin(fx);
  });

  it('an empty graph has nothing to run forward or backward from', () => {
    const g = new Graph();
    expect(() => g.forward()).toThrow(GraphError);
    expect(() => g.forward()).toThrow(/^forward: the graph is empty$/);
    expect(() => g.backward()).toThrow(/^backward: the graph is empty$/);
    g.input('x');
    expect(g.forward({ x: 2 })).toBe(2);
  });
});

describe('a disposed Graph refuses every call by the op’s name', () => {
  const CALLS: Array<[string, (fx: Fixture) => unknown]> = [
    ['input', ({ g }) => g.input('q')],
    ['labels', ({ g }) => g.labels('q', 1)],
    ['param', ({ g }) => g.param('q', 1)],
    ['param', ({ g }) => g.param(1)],
    ['const', ({ g }) => g.const(1)],
    ['add', ({ g, s }) => g.add(s, 1)],
    ['exp', ({ g, s }) => g.exp(s)],
    ['scale', ({ g, s }) => g.scale(s, 2)],
    ['pow', ({ g, s }) => g.pow(s, 2)],
    ['matmul', ({ g, x, W }) => g.matmul(x, W)],
    ['sum', ({ g, x }) => g.sum(x)],
    ['mean', ({ g, x }) => g.mean(x)],
    ['l2', ({ g, x }) => g.l2(x)],
    ['softmax', ({ g, x }) => g.softmax(x)],
    ['svmLoss', ({ g, z, y }) => g.svmLoss(z, y)],
    ['maxout', ({ g, z }) => g.maxout(z, 2)],
    ['reshape', ({ g, x }) => g.reshape(x, [6])],
    ['transpose', ({ g, x }) => g.transpose(x)],
    ['concat', ({ g, x }) => g.concat([x, x])],
    ['dropout', ({ g, x }) => g.dropout(x)],
    ['output', ({ g, x }) => g.output(x)],
    ['set', ({ g, W }) => g.set(W, Tensor.zeros([3, 2]))],
    ['forward', ({ g, feed }) => g.forward(feed)],
    ['backward', ({ g }) => g.backward()],
    ['value', ({ g, W }) => g.value(W)],
    ['grad', ({ g, W }) => g.grad(W)],
  ];
  it.each(CALLS)('%s', (op, call) => {
    const fx = fixture();
    fx.g.forward(fx.feed);
    fx.g.backward();
    fx.g.dispose();
    fx.g.dispose(); // twice is once
    expect(() => call(fx)).toThrow(StateError);
    expect(() => call(fx)).toThrow(new RegExp(`^${op}: the graph has been disposed$`));
  });
});

describe('a forward that fails at an op of two inputs', () => {
  it('names the op and both inputs with their values', () => {
    const g = new Graph();
    const x = g.input('x');
    const y = g.input('y');
    g.div(x, y);
    expect(() => g.forward({ x: 1, y: 0 })).toThrow(/^forward: div#2 \(div of x = 1, y = 0\) is Infinity$/);
    expect(g.forward({ x: 1, y: 4 })).toBe(0.25);
  });
});

describe('a nested array in a float64 graph', () => {
  it('is read in float64: 0.1 stays 0.1', () => {
    const fx = fixture();
    const x = [
      [0.1, 0.2, 0.3],
      [-0.7, 1e-9, 1 / 3],
    ];
    fx.g.forward({ ...fx.feed, x });
    expect(Array.from(fx.g.value(fx.x).data)).toEqual(x.flat());
  });
});

describe('disposing a Graph that never ran', () => {
  it('disposes without an error (it holds no program), then refuses calls as any disposed graph does', () => {
    const g = new Graph();
    const x = g.input('x');
    g.exp(x);
    g.dispose();
    expect(() => g.forward({ x: 1 })).toThrow(/^forward: the graph has been disposed$/);
  });
});

describe('what a Graph’s forward refuses, and set: by the input’s or param’s name', () => {
  const FORWARD: Array<[string, (feed: Fixture['feed']) => unknown, ErrorClass, RegExp]> = [
    ['no inputs', () => ({}), GraphError, /^forward: missing input "x", "y", "s"$/],
    [
      'an array inside a flat array',
      (feed) => ({ ...feed, x: [1, [2], 3, 4, 5, 6] }),
      ShapeError,
      /^Tensor\.from: ragged nesting at data\[1\]/,
    ],
    ['a number for the inputs', () => 5, ValueError, /^forward: inputs must be an object of name → value, got 5$/],
    [
      'a string for a tensor input',
      (feed) => ({ ...feed, x: 'abcdef' }),
      ValueError,
      /^forward: input "x" must be a Tensor or an array of numbers, got "abcdef"$/,
    ],
    [
      'an object for a tensor input',
      (feed) => ({ ...feed, x: { length: 6 } }),
      ValueError,
      /^forward: input "x" must be a Tensor or an array of numbers/,
    ],
    [
      'a Float32Array of 5 for 6 values',
      (feed) => ({ ...feed, x: new Float32Array(5) }),
      ShapeError,
      /^forward: input "x" has shape \[5\], declared \[2,3\]$/,
    ],
    [
      'a nested array of the transposed shape',
      (feed) => ({
        ...feed,
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      }),
      ShapeError,
      /^forward: input "x" has shape \[3,2\], declared \[2,3\]$/,
    ],
    [
      'a flat array with NaN at element 4',
      (feed) => ({ ...feed, x: [1, 2, 3, 4, Number.NaN, 6] }),
      ValueError,
      /^forward: input "x" element 4 is NaN$/,
    ],
    [
      'a float64 tensor with Infinity at element 2',
      (feed) => ({ ...feed, x: withInfinityAt2() }),
      ValueError,
      /^forward: input "x" element 2 is Infinity$/,
    ],
    [
      'labels as a Float64Array',
      (feed) => ({ ...feed, y: Float64Array.of(1, 0) }),
      ValueError,
      /^forward: labels "y" must be an Int32Array or array of class indices$/,
    ],
    [
      'labels with a fraction',
      (feed) => ({ ...feed, y: [1, 0.5] }),
      ValueError,
      /^forward: labels "y" entry 1 is 0\.5, not a class index in \[0, 2\)$/,
    ],
    [
      'labels with a negative class',
      (feed) => ({ ...feed, y: Int32Array.of(-1, 0) }),
      ValueError,
      /^forward: labels "y" entry 0 is -1, not a class index in \[0, 2\)$/,
    ],
    ['a scalar input given an array', (feed) => ({ ...feed, s: [0.5] }), ValueError, /^forward: input "s" must be a finite number, got /],
    [
      'a scalar input given a Tensor of one value',
      (feed) => ({ ...feed, s: f64([0.5]) }),
      ValueError,
      /^forward: input "s" must be a finite number, got /,
    ],
  ];
  it.each(FORWARD)('forward: %s', (_, inputs, errorClass, message) => {
    const fx = fixture();
    const given = inputs(fx.feed);
    expect(() => fx.g.forward(given)).toThrow(errorClass);
    expect(() => fx.g.forward(given)).toThrow(message);
    expectLikeATwin(fx);
  });

  it('a graph with no inputs lists none when it is given one', () => {
    const g = new Graph();
    g.add(g.const(1), 2);
    expect(() => g.forward({ a: 1 })).toThrow(/^forward: unknown input "a" \(inputs: none\)$/);
    expect(g.forward()).toBe(3);
  });

  it('reads a tensor input from a Tensor, a flat array or typed array of its size, or a nested array of its shape, alike', () => {
    const fx = fixture();
    const nested = [
      [1, 2, 3],
      [-1, 0, 1],
    ];
    const flat = nested.flat();
    const expected = fx.g.forward({ ...fx.feed, x: nested });
    for (const x of [flat, Float32Array.from(flat), Float64Array.from(flat), f64(nested), Tensor.from(nested)]) {
      expect(fx.g.forward({ ...fx.feed, x }), String(x)).toBe(expected);
    }
  });

  const SET: Array<[string, (fx: Fixture) => [Node, unknown], ErrorClass, RegExp]> = [
    ['a string for a param', () => ['W' as Loose, 1], ValueError, /^set: expected a Node, got "W"$/],
    ['a param of another graph', () => [new Graph().param('o', 1), 1], GraphError, /^set: node o belongs to another Graph$/],
    ['an input', ({ s }) => [s, 1], GraphError, /^set: s is not a param$/],
    ['3 values for [3,2]', ({ W }) => [W, [1, 2, 3]], ShapeError, /^set: value of "W" has shape \[3\], declared \[3,2\]$/],
    [
      'a Tensor [2,3] for [3,2]',
      ({ W }) => [W, Tensor.zeros([2, 3])],
      ShapeError,
      /^set: value of "W" has shape \[2,3\], declared \[3,2\]$/,
    ],
    [
      'a nested array [2,3] for [3,2]',
      ({ W }) => [
        W,
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      ShapeError,
      /^set: value of "W" has shape \[2,3\], declared \[3,2\]$/,
    ],
    ['a string', ({ W }) => [W, 'abcdef'], ValueError, /^set: value of "W" must be a Tensor or an array of numbers, got "abcdef"$/],
    ['NaN at element 1', ({ W }) => [W, [1, Number.NaN, 3, 4, 5, 6]], ValueError, /^set: value of "W" element 1 is NaN$/],
    [
      'NaN for a scalar param',
      ({ g }) => [g.param('p', 1), Number.NaN],
      ValueError,
      /^set: value of "p" must be a finite number, got NaN$/,
    ],
  ];
  it.each(SET)('set: %s', (_, setup, errorClass, message) => {
    const fx = fixture();
    fx.g.forward(fx.feed);
    const [param, value] = setup(fx);
    expect(() => fx.g.set(param, value)).toThrow(errorClass);
    expect(() => fx.g.set(param, value)).toThrow(message);
    expectLikeATwin(fx);
  });
});

describe('a forward that fails at a loss', () => {
  it('names the op and its scores, not its labels', () => {
    const g = new Graph({ dtype: 'float64' });
    const z = g.input('z', [1, 2]);
    const y = g.labels('y', 1);
    g.output(g.svmLoss(z, y));
    // The hinge of class 0 is 1e308 − (−1e308) + 1: past the largest float64.
    let message = '';
    try {
      g.forward({ z: [[1e308, -1e308]], y: [1] });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^forward: svmLoss#2 \(svmLoss of z = .*\) is Infinity$/);
    expect(message).not.toMatch(/y =/);
    expect(g.forward({ z: [[0, 1]], y: [1] })).toBe(0);
  });
});

describe('an op of tensors in a graph of numbers', () => {
  // A graph of numbers runs on the float64 scalar tape, which has only the elementwise
  // rules: these ops build (the graph may yet get a tensor), and forward refuses them.
  it.each(['sum', 'mean', 'l2', 'softmax'] as const)(
    '%s of a number: forward names the op, then the graph runs once it has a tensor',
    (op) => {
      const g = new Graph() as Loose;
      const x = g.input('x');
      const out = g.output(g[op](g.mul(x, x)));
      expect(() => g.forward({ x: 3 })).toThrow(GraphError);
      expect(() => g.forward({ x: 3 })).toThrow(
        new RegExp(`^forward: ${op}#2 is a ${op} \\(an op of tensors\\), and this graph holds only numbers, .*give the graph a tensor`),
      );
      const t = g.input('t', [2]);
      g.output(g.sum(t));
      g.forward({ x: 3, t: [1, 2] });
      const expected = { sum: 9, mean: 9, l2: 81, softmax: 1 }[op];
      expect(g.value(out)).toBeCloseTo(expected, 5);
    },
  );
});
