// fromOnnx fuzzed with fast-check (fixed seed), as the safetensors reader is: truncations at
// every length, random byte flips and splices, huge varint lengths and dims, forged graphs
// (cycles, branches, missing and shared initializers, wrong sizes, unknown data types).
// Whatever the bytes, fromOnnx either gives a model or throws a FormatError whose message
// starts with "fromOnnx: " — never a TypeError, RangeError or wasm trap (a hang times the
// test out) — and a refused file leaves linear memory exactly as it was. A model it gives
// holds at most twice the file's size in linear memory: its weights, each at most the
// bytes that held it (an initializer belongs to one layer), and their gradients.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError, init, memoryStats, nn } from '../src/index';
import { fromOnnx, toOnnx } from '../src/onnx/index';
import { attr, floats, int64s, modelBytes, type NodeSpec, type TensorSpec } from './onnx-helpers';

await init();

const SEED = 16_2026;
const RUNS = (numRuns: number) => ({ seed: SEED, numRuns });
/** What a layer allocates besides its weights and gradients (allocator headers, batch norm's counters). */
const SLACK = 4096;

/** Reads `bytes` and checks every promise of fromOnnx; returns whether it read a model. */
function readChecked(bytes: Uint8Array, what: string): boolean {
  const before = memoryStats();
  let model: nn.Sequential;
  try {
    model = fromOnnx(bytes);
  } catch (error) {
    if (!(error instanceof FormatError))
      throw new Error(`${what} (${bytes.length} bytes): ${String(error)} escaped instead of a FormatError`);
    if (!error.message.startsWith('fromOnnx: ')) throw new Error(`${what}: the message does not name the op: ${error.message}`);
    const after = memoryStats();
    if (after.bytesInUse !== before.bytesInUse || after.blocks !== before.blocks) {
      throw new Error(`${what}: a refused file left ${after.bytesInUse - before.bytesInUse} bytes allocated (${error.message})`);
    }
    return false;
  }
  const grew = memoryStats().bytesInUse - before.bytesInUse;
  if (grew > 2 * bytes.length + SLACK * model.layers.length)
    throw new Error(`${what}: reading a ${bytes.length}-byte file allocated ${grew} bytes`);
  return true;
}

function sampleFiles(): Record<string, Uint8Array> {
  const mlp = new nn.Sequential([
    new nn.Linear(6, 5, { seed: 1 }),
    new nn.ReLU(),
    new nn.Maxout(5, 3, 2, { seed: 2 }),
    new nn.Dropout(0.2),
    new nn.Linear(3, 2, { seed: 3 }),
  ]);
  const cnn = new nn.Sequential([
    new nn.Conv2d(1, 2, 3, { padding: 1, seed: 4 }),
    new nn.BatchNorm2d(2),
    new nn.ELU(),
    new nn.MaxPool2d(2),
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(2, 2, { seed: 5 }),
    new nn.LeakyReLU(),
  ]);
  return {
    'an MLP with Maxout and Dropout (opset 18)': toOnnx(mlp, { inputShape: [6], opset: 18, softmax: true }),
    'a CNN with batch norm and pooling (opset 17)': toOnnx(cnn, { inputShape: [1, 4, 4] }),
  };
}

describe('ONNX fuzz: any bytes read or are refused cleanly', () => {
  for (const [name, valid] of Object.entries(sampleFiles())) {
    describe(name, () => {
      it('the sample reads (the mutations below start from a valid file)', () => {
        expect(readChecked(valid, 'the sample')).toBe(true);
      });

      it('truncation at every length is refused or reads a model that fits the bytes', () => {
        for (let length = 0; length < valid.length; length++) readChecked(valid.slice(0, length), `truncated to ${length}`);
      });

      it('random byte flips anywhere', () => {
        const flips = fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        });
        const outcomes = { read: 0, refused: 0 };
        fc.assert(
          fc.property(flips, (changes) => {
            const bytes = valid.slice();
            for (const { at, value } of changes) bytes[at] = value;
            outcomes[readChecked(bytes, `bytes ${JSON.stringify(changes)}`) ? 'read' : 'refused']++;
          }),
          RUNS(400),
        );
        // Both happen: flips in weights read, flips in structure are refused.
        expect(outcomes.read).toBeGreaterThan(0);
        expect(outcomes.refused).toBeGreaterThan(0);
      });

      it('huge varints spliced in (declared lengths and sizes up to 2⁶⁴)', () => {
        const varint = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => {
          const out: number[] = [];
          let v = n;
          do {
            const byte = Number(v & 0x7fn);
            v >>= 7n;
            out.push(v > 0n ? byte | 0x80 : byte);
          } while (v > 0n);
          return out;
        });
        fc.assert(
          fc.property(fc.nat({ max: valid.length - 1 }), varint, fc.nat({ max: 10 }), (at, bytes, cut) => {
            const spliced = new Uint8Array([...valid.subarray(0, at), ...bytes, ...valid.subarray(Math.min(valid.length, at + cut))]);
            readChecked(spliced, `varint ${JSON.stringify(bytes)} at ${at} over ${cut} bytes`);
          }),
          RUNS(300),
        );
      });

      it('random slices and repeats of the file', () => {
        fc.assert(
          fc.property(fc.nat({ max: valid.length }), fc.nat({ max: valid.length }), fc.integer({ min: 1, max: 3 }), (from, to, times) => {
            const part = valid.subarray(Math.min(from, to), Math.max(from, to));
            const bytes = new Uint8Array(part.length * times);
            for (let i = 0; i < times; i++) bytes.set(part, i * part.length);
            readChecked(bytes, `bytes [${from}, ${to}) × ${times}`);
          }),
          RUNS(200),
        );
      });
    });
  }

  it('a file of 200,000 empty nodes (two bytes each) is refused before it is decoded into objects', () => {
    const nodes = new Uint8Array(2 * 200_000);
    for (let i = 0; i < nodes.length; i += 2) nodes[i] = 0x0a; // GraphProto.node, length 0
    const length: number[] = [];
    for (let n = nodes.length; ; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    const bytes = new Uint8Array([0x3a, ...length, ...nodes]); // ModelProto.graph
    expect(() => fromOnnx(bytes)).toThrow(/^fromOnnx: the file holds more than 100000 messages/);
  });

  it('random graphs of supported and unsupported ops, operands and shapes: a model or a FormatError', () => {
    const ops = [
      'Gemm',
      'MatMul',
      'Add',
      'Conv',
      'MaxPool',
      'AveragePool',
      'Flatten',
      'Reshape',
      'Relu',
      'Softmax',
      'Dropout',
      'Identity',
      'BatchNormalization',
      'ReduceMax',
      'Constant',
      'Transpose',
      'Mul',
    ];
    const operandNames = ['w', 'b', 'shape', 'x', 'v0', 'v1', 'v2', 'nowhere', ''];
    const node = fc.record({
      // Weighted towards the valid (a chain of activations, or a weight layer on "w" and "b"),
      // so that graphs that read are drawn as well as ones that are refused.
      op: fc.oneof({ arbitrary: fc.constantFrom('Relu', 'Gemm'), weight: 2 }, { arbitrary: fc.constantFrom(...ops), weight: 3 }),
      inputs: fc.oneof(
        { arbitrary: fc.constantFrom(['$'], ['$', 'w'], ['$', 'w', 'b']), weight: 2 },
        { arbitrary: fc.array(fc.oneof(fc.constant('$'), fc.constantFrom(...operandNames)), { minLength: 0, maxLength: 5 }), weight: 1 },
      ),
      attributes: fc.array(
        fc.oneof(
          fc
            .constantFrom('kernel_shape', 'pads', 'strides', 'axes')
            .chain((name) => fc.array(fc.integer({ min: -3, max: 2 ** 31 + 5 }), { maxLength: 4 }).map((v) => attr.ints(name, v))),
          fc
            .constantFrom('transB', 'axis', 'keepdims', 'group', 'ceil_mode', 'count_include_pad')
            .chain((name) => fc.integer({ min: -2, max: 3 }).map((v) => attr.int(name, v))),
          fc.constantFrom('alpha', 'beta', 'epsilon', 'ratio').chain((name) => fc.float().map((v) => attr.float(name, v))),
        ),
        { maxLength: 2 },
      ),
    }) as fc.Arbitrary<NodeSpec>;
    const dims = fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(2 ** 31, 2 ** 53, -1)), { maxLength: 4 });
    const tensor = (name: string): fc.Arbitrary<TensorSpec> =>
      fc.record({ dims, type: fc.constantFrom(1, 1, 7, 11, 99), extra: fc.integer({ min: -4, max: 4 }) }).map(({ dims, type, extra }) => {
        const size = dims.reduce((a, b) => a * b, 1);
        const bytesPer = type === 7 || type === 11 ? 8 : 4;
        const length = Math.max(0, Math.min(256, size * bytesPer) + (size * bytesPer <= 256 ? extra : 0));
        return { ...floats(name, [], []), dims, data_type: type, raw_data: new Uint8Array(length).fill(0x3f) };
      });
    const outcomes = { read: 0, refused: 0 };
    const initializers = fc.tuple(tensor('w'), tensor('b'), fc.constant(int64s('shape', [0, -1])));
    fc.assert(
      fc.property(fc.array(node, { minLength: 1, maxLength: 6 }), initializers, fc.constantFrom(11, 17, 18), (nodes, inits, opset) => {
        const bytes = modelBytes({ nodes, initializers: inits, inputShape: ['N', 2, 2], opset });
        outcomes[readChecked(bytes, `graph ${JSON.stringify(nodes)}`) ? 'read' : 'refused']++;
      }),
      RUNS(500),
    );
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
