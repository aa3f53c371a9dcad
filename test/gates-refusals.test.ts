// Every tensor gate refuses bad input with an error of the right class whose message names
// the gate and the values or shapes at fault — the whole message, as a user reads it — and
// the gate is left as it was: the forward it kept can still be differentiated, a fresh call
// still runs. Written for what mutation testing (StrykerJS on src/gates) showed no test
// pinned; the gates' numbers are checked elsewhere (gates.test.ts, tensor-gates.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AddGate,
  BatchNormGate,
  Conv2dGate,
  DropoutGate,
  ExpGate,
  init,
  L2Gate,
  LeakyReluGate,
  LogGate,
  MatMulGate,
  MaxoutGate,
  MaxPool2dGate,
  MeanGate,
  MultiplyGate,
  ReluGate,
  ReshapeGate,
  ShapeError,
  SoftmaxCrossEntropyGate,
  SoftmaxGate,
  StateError,
  SumGate,
  SvmLossGate,
  Tensor,
  ValueError,
  type WasmgradError,
} from '../src/index';

beforeAll(() => init());

type ErrorClass = new (...args: never[]) => WasmgradError;

/** A tensor of `shape` whose values run −3 … 3. */
const T = (shape: number[], dtype: 'float32' | 'float64' = 'float32') =>
  Tensor.from(
    Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 7) - 3),
    shape,
    { dtype },
  );

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

interface Case {
  /** A gate, and a forward on it whose cache `after` may differentiate (or nothing). */
  make: () => { gate: unknown; kept?: () => unknown };
  bad: (gate: never) => unknown;
  kind: ErrorClass;
  message: string;
  /** What the gate must still do after refusing. */
  after: (gate: never) => unknown;
}

const CASES: Record<string, Case> = {
  'BatchNormGate: eps ≤ 0': {
    make: () => ({ gate: null }),
    bad: () => new BatchNormGate(2, { eps: -1 }),
    kind: ValueError,
    message: 'BatchNormGate: eps must be a positive number, got -1',
    after: () => new BatchNormGate(2, { eps: 1e-3 }).forward(T([3, 2])),
  },
  'BatchNormGate: a dtype it does not hold': {
    make: () => ({ gate: null }),
    bad: () => new BatchNormGate(2, { dtype: 'int8' as never }),
    kind: ValueError,
    message: `BatchNormGate: dtype must be 'float32' or 'float64', got "int8"`,
    after: () => new BatchNormGate(2, { dtype: 'float64' }).forward(T([3, 2], 'float64')),
  },
  'BatchNormGate.forward: x of another dtype than its statistics': {
    make: () => ({ gate: new BatchNormGate(2) }),
    bad: (g: BatchNormGate) => g.forward(T([2, 2], 'float64')),
    kind: ValueError,
    message: 'BatchNormGate.forward: x is float64, the running statistics float32',
    after: (g: BatchNormGate) => g.forward(T([2, 2])),
  },
  'BatchNormGate.backward: dout of another shape': {
    make: () => {
      const gate = new BatchNormGate(2);
      return { gate, kept: () => gate.forward(T([3, 2])) };
    },
    bad: (g: BatchNormGate) => g.backward(T([2, 2])),
    kind: ShapeError,
    message: 'BatchNormGate.backward: dout is [2,2] float32, the output was [3,2] float32',
    after: (g: BatchNormGate) => g.backward(T([3, 2])),
  },
  'Conv2dGate.backward: dy of another shape': {
    make: () => {
      const gate = new Conv2dGate();
      return { gate, kept: () => gate.forward(T([1, 1, 3, 3]), T([1, 1, 2, 2])) };
    },
    bad: (g: Conv2dGate) => g.backward(T([1, 1, 3, 3])),
    kind: ShapeError,
    message: 'Conv2dGate.backward: dy is float32 [1,1,3,3], the output was float32 [1,1,2,2]',
    after: (g: Conv2dGate) => g.backward(T([1, 1, 2, 2])),
  },
  'Conv2dGate.forward: a bias of another dtype': {
    make: () => ({ gate: new Conv2dGate() }),
    bad: (g: Conv2dGate) => g.forward(T([1, 1, 3, 3]), T([1, 1, 2, 2]), T([1], 'float64')),
    kind: ValueError,
    message: 'Conv2dGate.forward: dtypes differ: x is float32, b is float64',
    after: (g: Conv2dGate) => g.forward(T([1, 1, 3, 3]), T([1, 1, 2, 2]), T([1])),
  },
  'DropoutGate.lastMask after a forward that dropped nothing': {
    make: () => {
      const gate = new DropoutGate(0);
      return { gate, kept: () => gate.forward(T([2, 2])) };
    },
    bad: (g: DropoutGate) => g.lastMask,
    kind: StateError,
    message: 'DropoutGate.lastMask: the last forward dropped nothing (not training, or p = 0)',
    after: (g: DropoutGate) => g.backward(T([2, 2])),
  },
  'DropoutGate.backward: dout of another shape': {
    make: () => {
      const gate = new DropoutGate(0.5, { seed: 1 });
      return { gate, kept: () => gate.forward(T([2, 2])) };
    },
    bad: (g: DropoutGate) => g.backward(T([2, 3])),
    kind: ShapeError,
    message: 'DropoutGate.backward: dout is [2,3] float32, the output was [2,2] float32',
    after: (g: DropoutGate) => g.backward(T([2, 2])),
  },
  'an elementwise gate given two inputs for one': {
    make: () => ({ gate: new ReluGate() }),
    bad: (g: ReluGate) => (g.forward as (...args: number[]) => number)(1, 2),
    kind: ValueError,
    message: 'ReluGate.forward: takes 1 input(s) (x), got 2',
    after: (g: ReluGate) => expect(g.forward(2)).toBe(2),
  },
  'an elementwise gate given NaN': {
    make: () => ({ gate: new ReluGate() }),
    bad: (g: ReluGate) => g.forward(Number.NaN),
    kind: ValueError,
    message: 'ReluGate.forward: input x must be a finite number, got NaN',
    after: (g: ReluGate) => expect(g.forward(-2)).toBe(0),
  },
  'a number outside the op’s domain': {
    make: () => ({ gate: new LogGate() }),
    bad: (g: LogGate) => g.forward(-1),
    kind: ValueError,
    message: "LogGate.forward: log(-1) is NaN, outside the op's domain",
    after: (g: LogGate) => expect(g.forward(Math.E)).toBeCloseTo(1, 12),
  },
  'tensors of two dtypes': {
    make: () => ({ gate: new AddGate() }),
    bad: (g: AddGate) => g.forward(T([2, 2]), T([2, 2], 'float64')),
    kind: ValueError,
    message: 'AddGate.forward: dtypes differ: x is float32, y is float64',
    after: (g: AddGate) => g.forward(T([2, 2]), T([2])),
  },
  'a y that is neither x’s shape nor a row of it': {
    make: () => ({ gate: new AddGate() }),
    bad: (g: AddGate) => g.forward(T([2, 2]), T([3])),
    kind: ShapeError,
    message: "AddGate.forward: [2,2] and [3]: y must have x's shape or be a row of 2 values",
    after: (g: AddGate) => g.forward(T([2, 2]), T([1, 2])),
  },
  'a dout that is not a finite number': {
    make: () => {
      const gate = new MultiplyGate();
      return { gate, kept: () => gate.forward(2, 3) };
    },
    bad: (g: MultiplyGate) => g.backward(Number.NaN),
    kind: ValueError,
    message: 'MultiplyGate.backward: dout must be a finite number, got NaN',
    after: (g: MultiplyGate) => expect(g.backward(2)).toEqual([6, 4]),
  },
  'backward before forward': {
    make: () => ({ gate: new MultiplyGate() }),
    bad: (g: MultiplyGate) => g.backward(1),
    kind: StateError,
    message: 'MultiplyGate.backward: called before forward',
    after: (g: MultiplyGate) => expect(g.forward(2, 5)).toBe(10),
  },
  'a gradient that overflows': {
    make: () => {
      const gate = new ExpGate();
      return { gate, kept: () => gate.forward(700) };
    },
    bad: (g: ExpGate) => g.backward(1e300),
    kind: ValueError,
    message: `ExpGate.backward: the gradient for x is Infinity (cached {"out":${Math.exp(700)}})`,
    after: (g: ExpGate) => expect((g.backward(1e-300) as number[])[0]).toBeCloseTo(Math.exp(700) * 1e-300, 6),
  },
  'a gate parameter that is not finite': {
    make: () => ({ gate: null }),
    bad: () => new LeakyReluGate(Number.NaN),
    kind: ValueError,
    message: 'LeakyReluGate: alpha must be a finite number, got NaN',
    after: () => expect(new LeakyReluGate(0.5).forward(-2)).toBe(-1),
  },
  'SvmLossGate.forward: a batch of no rows': {
    make: () => ({ gate: new SvmLossGate() }),
    bad: (g: SvmLossGate) => g.forward(T([0, 3]), []),
    kind: ValueError,
    message: 'SvmLossGate.forward: a batch of 0 rows has no mean loss (scores is [0,3])',
    after: (g: SvmLossGate) => expect(g.forward(Tensor.from([[1, 2, 0]]), [0])).toBeCloseTo(2 + 0, 12),
  },
  'SvmLossGate.backward: dloss not finite': {
    make: () => {
      const gate = new SvmLossGate();
      return { gate, kept: () => gate.forward(Tensor.from([[1, 2, 0]]), [0]) };
    },
    bad: (g: SvmLossGate) => g.backward(Number.NaN),
    kind: ValueError,
    message: 'SvmLossGate.backward: dloss must be a finite number',
    after: (g: SvmLossGate) => expect(Array.from(g.backward(1)[0].data)).toEqual([-1, 1, 0]),
  },
  'MatMulGate.forward: A and B of two dtypes': {
    make: () => ({ gate: new MatMulGate() }),
    bad: (g: MatMulGate) => g.forward(T([2, 2]), T([2, 2], 'float64')),
    kind: ValueError,
    message: 'MatMulGate.forward: dtypes differ: A is float32, B is float64',
    after: (g: MatMulGate) => g.forward(T([2, 2]), T([2, 2])),
  },
  'MatMulGate.backward: dC of another shape': {
    make: () => {
      const gate = new MatMulGate();
      return { gate, kept: () => gate.forward(T([2, 3]), T([3, 2])) };
    },
    bad: (g: MatMulGate) => g.backward(T([2, 3])),
    kind: ShapeError,
    message: 'MatMulGate.backward: dC is float32 [2,3], the output was float32 [2,2]',
    after: (g: MatMulGate) => g.backward(T([2, 2])),
  },
  'MaxoutGate.backward: dout of another shape': {
    make: () => {
      const gate = new MaxoutGate(2);
      return { gate, kept: () => gate.forward(T([2, 4])) };
    },
    bad: (g: MaxoutGate) => g.backward(T([2, 4])),
    kind: ShapeError,
    message: 'MaxoutGate.backward: dout is [2,4] float32, the output was [2,2] float32',
    after: (g: MaxoutGate) => g.backward(T([2, 2])),
  },
  'MaxPool2dGate.backward: dy of another shape': {
    make: () => {
      const gate = new MaxPool2dGate(2);
      return { gate, kept: () => gate.forward(T([1, 1, 4, 4])) };
    },
    bad: (g: MaxPool2dGate) => g.backward(T([1, 1, 4, 4])),
    kind: ShapeError,
    message: 'MaxPool2dGate.backward: dy is float32 [1,1,4,4], the output was float32 [1,1,2,2]',
    after: (g: MaxPool2dGate) => g.backward(T([1, 1, 2, 2])),
  },
  'SumGate: options that are not an object': {
    make: () => ({ gate: null }),
    bad: () => new SumGate(null as never),
    kind: ValueError,
    message: 'SumGate: options must be an object such as { axis: 0 }, got null',
    after: () => new SumGate({ axis: 0 }).forward(T([2, 3])),
  },
  'MeanGate.forward: the mean of nothing': {
    make: () => ({ gate: new MeanGate() }),
    bad: (g: MeanGate) => g.forward(T([0, 2])),
    kind: ValueError,
    message: 'MeanGate.forward: the mean of 0 values (x is [0,2]) is undefined',
    after: (g: MeanGate) => expect(g.forward(Tensor.from([1, 2, 6]))).toBe(3),
  },
  'MeanGate.backward: dout not finite': {
    make: () => {
      const gate = new MeanGate();
      return { gate, kept: () => gate.forward(T([2, 2])) };
    },
    bad: (g: MeanGate) => g.backward(Number.NaN),
    kind: ValueError,
    message: 'MeanGate.backward: dout must be a finite number',
    after: (g: MeanGate) => expect(Array.from(g.backward(2)[0].data)).toEqual([0.5, 0.5, 0.5, 0.5]),
  },
  'SumGate.backward over an axis: dout of another shape': {
    make: () => {
      const gate = new SumGate<0>({ axis: 0 });
      return { gate, kept: () => gate.forward(T([2, 3])) };
    },
    bad: (g: SumGate<0>) => g.backward(T([2])),
    kind: ShapeError,
    message: 'SumGate.backward: dout is [2], the output was [3]',
    after: (g: SumGate<0>) => expect(Array.from(g.backward(Tensor.from([1, 2, 3]))[0].data)).toEqual([1, 2, 3, 1, 2, 3]),
  },
  'L2Gate.backward: dout not finite': {
    make: () => {
      const gate = new L2Gate();
      return { gate, kept: () => gate.forward(Tensor.from([1, -2])) };
    },
    bad: (g: L2Gate) => g.backward(Number.NaN as never),
    kind: ValueError,
    message: 'L2Gate.backward: dout must be a finite number',
    // d(Σ x²)/dx = 2x
    after: (g: L2Gate) => expect(Array.from(g.backward(1)[0].data)).toEqual([2, -4]),
  },
  'ReshapeGate.backward: dy of another shape': {
    make: () => {
      const gate = new ReshapeGate([3, 2]);
      return { gate, kept: () => gate.forward(T([2, 3])) };
    },
    bad: (g: ReshapeGate) => g.backward(T([2, 3])),
    kind: ShapeError,
    message: 'ReshapeGate.backward: dy is float32 [2,3], the output was float32 [3,2]',
    after: (g: ReshapeGate) => expect(g.backward(T([3, 2]))[0].shape).toEqual([2, 3]),
  },
  'SoftmaxGate.backward: dy of another shape': {
    make: () => {
      const gate = new SoftmaxGate();
      return { gate, kept: () => gate.forward(T([2, 3])) };
    },
    bad: (g: SoftmaxGate) => g.backward(T([3, 2])),
    kind: ShapeError,
    message: 'SoftmaxGate.backward: dy is [3,2], y was [2,3]',
    after: (g: SoftmaxGate) => g.backward(T([2, 3])),
  },
  'SoftmaxCrossEntropyGate.forward: a batch of no rows': {
    make: () => ({ gate: new SoftmaxCrossEntropyGate() }),
    bad: (g: SoftmaxCrossEntropyGate) => g.forward(T([0, 3]), []),
    kind: ValueError,
    message: 'SoftmaxCrossEntropyGate.forward: a batch of 0 rows has no mean loss (logits is [0,3])',
    after: (g: SoftmaxCrossEntropyGate) => expect(g.forward(Tensor.from([[0, 0]]), [1])).toBeCloseTo(Math.LN2, 6),
  },
  'SoftmaxCrossEntropyGate.backward: dloss not finite': {
    make: () => {
      const gate = new SoftmaxCrossEntropyGate();
      return { gate, kept: () => gate.forward(Tensor.from([[0, 0]]), [1]) };
    },
    bad: (g: SoftmaxCrossEntropyGate) => g.backward(Number.NaN),
    kind: ValueError,
    message: 'SoftmaxCrossEntropyGate.backward: dloss must be a finite number',
    after: (g: SoftmaxCrossEntropyGate) => expect(Array.from(g.backward(1)[0].data)).toEqual([0.5, -0.5]),
  },
  'labels that are not a list': {
    make: () => ({ gate: new SoftmaxCrossEntropyGate() }),
    bad: (g: SoftmaxCrossEntropyGate) => g.forward(T([1, 3]), 'a' as never),
    kind: ValueError,
    message: 'SoftmaxCrossEntropyGate.forward: labels must be an Int32Array (or an array) of class indices, got "a"',
    after: (g: SoftmaxCrossEntropyGate) => g.forward(T([1, 3]), Uint8Array.from([2]) as never),
  },
  'a label per row, no fewer': {
    make: () => ({ gate: new SoftmaxCrossEntropyGate() }),
    bad: (g: SoftmaxCrossEntropyGate) => g.forward(T([2, 3]), [0]),
    kind: ShapeError,
    message: 'SoftmaxCrossEntropyGate.forward: 1 labels for 2 rows',
    after: (g: SoftmaxCrossEntropyGate) => g.forward(T([2, 3]), [0, 2]),
  },
  'a tensor disposed since forward kept it': {
    make: () => ({ gate: new MatMulGate() }),
    bad: (g: MatMulGate) => {
      const a = T([2, 3]);
      g.forward(a, T([3, 2]));
      a.dispose();
      g.backward(Tensor.ones([2, 2]));
    },
    kind: StateError,
    message: 'MatMulGate.backward: A (Tensor(float32 [2, 3])), kept by forward, has been disposed since',
    after: (g: MatMulGate) => {
      g.forward(T([2, 3]), T([3, 2]));
      g.backward(Tensor.ones([2, 2]));
    },
  },
  'a tensor overwritten since it was made': {
    make: () => ({ gate: new ReluGate() }),
    bad: (g: ReluGate) => {
      const maker = new ReluGate();
      const y = maker.forward(T([2, 2]));
      maker.forward(T([2, 2]));
      g.forward(y);
    },
    kind: StateError,
    message:
      "ReluGate.forward: x is stale: this tensor (ReluGate's output from an earlier call) has been overwritten since by a later ReluGate.forward; clone() a result you want to keep",
    after: (g: ReluGate) => g.forward(T([2, 2])),
  },
  'a disposed tensor': {
    make: () => ({ gate: new ReluGate() }),
    bad: (g: ReluGate) => {
      const t = T([2]);
      t.dispose();
      g.forward(t);
    },
    kind: StateError,
    message: 'ReluGate.forward: x (Tensor(float32 [2])) has been disposed',
    after: (g: ReluGate) => g.forward(T([2])),
  },
};

describe('the gates refuse bad input with the whole message, and still work after', () => {
  it.each(Object.entries(CASES))('%s', (_name, { make, bad, kind, message, after }) => {
    const { gate, kept } = make();
    kept?.();
    const error = thrown(() => bad(gate as never));
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toBe(message);
    expect(() => after(gate as never)).not.toThrow();
  });
});
