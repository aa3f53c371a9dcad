// safetensors fuzzed with fast-check (fixed seed): truncations at every length, huge header
// lengths, wrong, overlapping and out-of-range offsets, non-JSON and non-object headers,
// wrong dtypes, shapes whose size disagrees with their byte range, random byte flips and
// splices, random layer lists for nn.load. Whatever the bytes, a decode either succeeds
// with tensors that are exactly the file's bytes, or throws a ValueError-class
// WasmgradError (FormatError, or ValueError for a dtype wasmgrad does not hold) — never a
// TypeError, RangeError or wasm trap (a hang times the test out; no clock is read), never allocating more than the file's size,
// and a refused file leaves linear memory exactly as it was.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  init,
  memoryStats,
  nn,
  ShapeError,
  Tensor,
  ValueError,
  type WasmgradError,
} from '../src/index';

// Top-level: the describe blocks make their sample files while the specs are collected.
await init();

const SEED = 7_2026;

const utf8 = new TextEncoder();

/** A file from a header (an object, or raw JSON text) and data bytes, padded as the reference pads it. */
function file(header: unknown, data: ArrayLike<number> = [], headerLength?: bigint): Uint8Array {
  const json = utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(Array.from(data), 8 + padded);
  return out;
}

/** A small valid file: F32 [2,3] and [3], F64 [4], and metadata. */
function sampleFile(): Uint8Array {
  const a = Tensor.randn([2, 3], { seed: 1 });
  const b = Tensor.from([1, 2, 3]);
  const c = Tensor.randn([4], { seed: 2, dtype: 'float64' });
  const bytes = encodeSafetensors({ a, b, c }, { format: 'pt' });
  for (const t of [a, b, c]) t.dispose();
  return bytes;
}

const headerLength = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

/**
 * Decodes `bytes` and checks every promise of the decoder; returns whether it decoded.
 * Throws (with `what` and the bytes' length in the message) on any broken promise.
 */
function decodeChecked(bytes: Uint8Array, what: string): boolean {
  const before = memoryStats();
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes);
  } catch (error) {
    if (!(error instanceof ValueError) || (error.constructor !== FormatError && error.constructor !== ValueError)) {
      throw new Error(`${what} (${bytes.length} bytes): ${String(error)} escaped instead of a FormatError or ValueError`);
    }
    if (!error.message.startsWith('decodeSafetensors: ')) throw new Error(`${what}: the message does not name the op: ${error.message}`);
    const after = memoryStats();
    if (after.bytesInUse !== before.bytesInUse || after.blocks !== before.blocks) {
      throw new Error(`${what}: a refused file left ${after.bytesInUse - before.bytesInUse} bytes allocated (${error.message})`);
    }
    return false;
  }
  const grew = memoryStats().bytesInUse - before.bytesInUse;
  try {
    if (grew > bytes.length) throw new Error(`${what}: decoding a ${bytes.length}-byte file allocated ${grew} bytes`);
    // The ranges tile the data buffer: the tensors hold every byte of it, no more.
    const dataStart = 8 + headerLength(bytes);
    let total = 0;
    for (const tensor of decoded.tensors.values()) total += tensor.size * tensor.itemBytes;
    if (total !== bytes.length - dataStart)
      throw new Error(`${what}: tensors hold ${total} bytes of a ${bytes.length - dataStart}-byte buffer`);
  } finally {
    for (const tensor of decoded.tensors.values()) tensor.dispose();
  }
  const after = memoryStats();
  if (after.bytesInUse !== before.bytesInUse || after.blocks !== before.blocks) {
    throw new Error(`${what}: disposing the decoded tensors left ${after.bytesInUse - before.bytesInUse} bytes allocated`);
  }
  return true;
}

/** fast-check's run parameters for every property here. */
const RUNS = (numRuns: number) => ({ seed: SEED, numRuns });

describe('safetensors fuzz: any bytes decode or are refused cleanly', () => {
  const valid = sampleFile();
  const validHeader = headerLength(valid);

  it('the sample decodes (the mutations below start from a valid file)', () => {
    expect(decodeChecked(valid, 'the sample')).toBe(true);
  });

  it('truncation at every length is refused', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(decodeChecked(valid.slice(0, length), `truncated to ${length}`), `truncated to ${length}`).toBe(false);
    }
  });

  it('any 64-bit header length: only the true one decodes', () => {
    const lengths = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: BigInt(valid.length + 16) }),
      fc.constantFrom(
        2n ** 53n,
        2n ** 53n + 1n,
        2n ** 63n,
        2n ** 64n - 1n,
        100_000_001n,
        BigInt(valid.length - 8),
        BigInt(valid.length - 7),
      ),
    );
    fc.assert(
      fc.property(lengths, (length) => {
        const bytes = valid.slice();
        new DataView(bytes.buffer).setBigUint64(0, length, true);
        const decoded = decodeChecked(bytes, `header length ${length}`);
        // Within the header's trailing spaces a shorter length still holds the whole JSON object.
        if (decoded && length !== BigInt(validHeader)) {
          const text = new TextDecoder().decode(valid.subarray(8, 8 + validHeader));
          if (text.slice(0, Number(length)).trimEnd() !== text.trimEnd()) throw new Error(`header length ${length} decoded`);
        }
      }),
      RUNS(300),
    );
  });

  it('random byte flips anywhere', () => {
    const flips = fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(flips, (changes) => {
        const bytes = valid.slice();
        for (const { at, value } of changes) bytes[at] = value;
        decodeChecked(bytes, `bytes ${JSON.stringify(changes)}`);
      }),
      RUNS(400),
    );
  });

  it('header bytes replaced by the characters JSON cares about, runs of the file cut out or repeated', () => {
    const significant = [...utf8.encode('{}[]":,0123456789-+.eE\\ ntfu_')];
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('char' as const), at: fc.nat({ max: validHeader - 1 }), char: fc.constantFrom(...significant) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: valid.length - 1 }), length: fc.integer({ min: 1, max: 16 }) }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat({ max: valid.length - 1 }), length: fc.integer({ min: 1, max: 16 }) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let bytes = valid.slice();
        for (const e of edits) {
          if (e.kind === 'char') bytes[8 + Math.min(e.at, headerLength(valid) - 1)] = e.char;
          else {
            const at = Math.min(e.at, bytes.length);
            const run = bytes.slice(at, at + e.length);
            bytes = new Uint8Array([
              ...bytes.subarray(0, at),
              ...(e.kind === 'repeat' ? [...run, ...run] : []),
              ...bytes.subarray(at + e.length),
            ]);
          }
        }
        decodeChecked(bytes, `edits ${JSON.stringify(edits)}`);
      }),
      RUNS(400),
    );
  });

  it('headers that are not JSON, not UTF-8, or JSON that is not an object', () => {
    const headers = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((s) => `{${s}`),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 24 }), (header, data) => {
        decodeChecked(file(header, data), `header ${JSON.stringify(header)}`);
      }),
      RUNS(300),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (header) => {
        const bytes = new Uint8Array(8 + header.length);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
        bytes.set(header, 8);
        decodeChecked(bytes, `header bytes [${header}]`);
      }),
      RUNS(200),
    );
  });

  it('entries with wrong dtypes, bad shapes, and wrong, overlapping or out-of-range offsets', () => {
    const dim = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
      fc.integer({ min: -3, max: -1 }),
      fc.constantFrom(2 ** 53, 2 ** 32, 2.5, -0.5),
      fc.constantFrom('2', null, true, [2]),
    );
    const offset = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
      fc.integer({ min: -4, max: -1 }),
      fc.constantFrom(2 ** 53, 1.5, '8', null),
    );
    const entry = fc.record(
      {
        dtype: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('F32', 'F64') },
          fc.constantFrom('F16', 'BF16', 'I32', 'U8', 'I64', 'BOOL', 'f32', '', 'Q4', 32),
        ),
        shape: fc.oneof({ weight: 6, arbitrary: fc.array(dim, { maxLength: 3 }) }, fc.constantFrom('2', 2, null, {})),
        data_offsets: fc.oneof(
          { weight: 6, arbitrary: fc.tuple(offset, offset) },
          fc.array(offset, { maxLength: 3 }),
          fc.constantFrom('0,8', null),
        ),
        extra: fc.integer(),
      },
      { requiredKeys: ['dtype', 'shape', 'data_offsets'] },
    );
    const headers = fc.record({
      names: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'w.0', '__metadata__', 'ü'), { maxLength: 4 }),
      entries: fc.array(entry, { minLength: 4, maxLength: 4 }),
      data: fc.uint8Array({ maxLength: 40 }),
    });
    let decoded = 0;
    fc.assert(
      fc.property(headers, ({ names, entries, data }) => {
        const header = Object.fromEntries(names.map((name, i) => [name, entries[i]]));
        if (decodeChecked(file(header, data), `header ${JSON.stringify(header)}, ${data.length} data bytes`)) decoded++;
      }),
      RUNS(600),
    );
    expect(decoded).toBeGreaterThan(0); // some entries are valid by chance: the decoder's success path is in the fuzz too
  });

  it('valid tensors laid out with random offsets: only a tiling of the data buffer decodes, and exactly', () => {
    const tensor = fc.record({
      dtype: fc.constantFrom('F32', 'F64'),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      shift: fc.integer({ min: -8, max: 8 }),
    });
    fc.assert(
      fc.property(fc.array(tensor, { minLength: 1, maxLength: 4 }), fc.integer({ min: -8, max: 8 }), fc.nat(), (tensors, slack, seed) => {
        // Ranges laid end to end, each then moved by its shift (0 most of the time, by the bias of small integers).
        let at = 0;
        const header: Record<string, unknown> = {};
        tensors.forEach(({ dtype, shape, shift }, i) => {
          const bytes = shape.reduce((n, d) => n * d, dtype === 'F32' ? 4 : 8);
          const begin = Math.max(0, at + shift);
          header[`t${i}`] = { dtype, shape, data_offsets: [begin, begin + bytes] };
          at += bytes;
        });
        const length = Math.max(0, at + slack);
        const data = Uint8Array.from({ length }, (_, i) => (seed + i * 31) & 255);
        const bytes = file(header, data);
        if (decodeChecked(bytes, `header ${JSON.stringify(header)}, ${length} data bytes`)) {
          // Decoded: each tensor holds exactly its range of the file.
          const { tensors: out } = decodeSafetensors(bytes);
          const dataStart = 8 + headerLength(bytes);
          for (const [name, t] of out) {
            const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
            const got = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
            expect(got).toEqual(bytes.subarray(dataStart + begin, dataStart + end));
            t.dispose();
          }
        }
      }),
      RUNS(400),
    );
  });

  it('a file inside a larger buffer (a view with a byte offset) decodes the same as on its own', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 13 }), (before, after) => {
        const buffer = new Uint8Array(before + valid.length + after).fill(0x7b);
        buffer.set(valid, before);
        const view = buffer.subarray(before, before + valid.length);
        expect(decodeChecked(view, `at offset ${before}`)).toBe(true);
        const { tensors } = decodeSafetensors(view);
        const { tensors: reference } = decodeSafetensors(valid);
        for (const [name, t] of tensors) {
          expect(Array.from(t.data)).toEqual(Array.from((reference.get(name) as Tensor).data));
          t.dispose();
          (reference.get(name) as Tensor).dispose();
        }
        // And with a truncation inside the view, it is refused: nothing past the view is read.
        expect(decodeChecked(buffer.subarray(before, before + valid.length - 1), `at offset ${before}, one byte short`)).toBe(false);
      }),
      RUNS(60),
    );
  });
});

// ---- nn.load: the layer list in the metadata --------------------------------------------

/** The "wasmgrad.layers" of a model's file. */
function decodeLayers(bytes: Uint8Array): string | undefined {
  const { tensors, metadata } = decodeSafetensors(bytes);
  for (const t of tensors.values()) t.dispose();
  return metadata['wasmgrad.layers'];
}

/** A model's file with its "wasmgrad.layers" replaced. */
function withLayers(bytes: Uint8Array, layers: string): Uint8Array {
  const { tensors } = decodeSafetensors(bytes);
  const out = encodeSafetensors(tensors, { 'wasmgrad.layers': layers });
  for (const t of tensors.values()) t.dispose();
  return out;
}

/** nn.load refuses with a ValueError-class error and leaves memory as it was, or loads a model no larger than twice the file. */
function loadChecked(bytes: Uint8Array, what: string): boolean {
  const before = memoryStats();
  try {
    nn.load(bytes);
  } catch (error) {
    if (!(error instanceof ValueError)) throw new Error(`${what}: ${String(error)} escaped instead of a FormatError or ValueError`);
    const after = memoryStats();
    if (after.bytesInUse !== before.bytesInUse || after.blocks !== before.blocks) {
      throw new Error(`${what}: a refused file left ${after.bytesInUse - before.bytesInUse} bytes allocated (${error.message})`);
    }
    return false;
  }
  // A loaded model holds each weight and its gradient (the layers' buffers come with the first forward).
  const grew = memoryStats().bytesInUse - before.bytesInUse;
  if (grew > 2 * bytes.length) throw new Error(`${what}: loading a ${bytes.length}-byte file allocated ${grew} bytes`);
  return true;
}

describe('nn.load fuzz: random layer lists', () => {
  const model = new nn.Sequential([
    new nn.Linear(3, 4, { seed: 1 }),
    new nn.ELU(0.5),
    new nn.Maxout(4, 2, 2, { seed: 2 }),
    new nn.Linear(2, 1, { seed: 3 }),
  ]);
  const saved = model.save();

  it('the saved model loads (the mutations start from its layer list)', () => {
    expect(loadChecked(saved, 'the saved model')).toBe(true);
  });

  it('layer lists of random JSON, and of layer-like objects with random fields', () => {
    const count = fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, -1, 1.5, 5000, 2 ** 40, '3', null));
    const layer = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record(
        {
          type: fc.constantFrom('Linear', 'Maxout', 'ReLU', 'Sigmoid', 'Tanh', 'LeakyReLU', 'ELU', 'Conv', 1),
          in: count,
          out: count,
          k: count,
          bias: fc.oneof(fc.boolean(), fc.constantFrom(1, 'yes', null)),
          alpha: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.constantFrom('x', null)),
        },
        { requiredKeys: ['type'] },
      ),
    );
    // The true list, and lists with one of its layers replaced, load; the rest must be refused cleanly.
    const original = JSON.parse(decodeLayers(saved) as string) as unknown[];
    const lists = fc.oneof(
      fc.array(layer, { maxLength: 5 }),
      fc.jsonValue({ maxDepth: 2 }),
      fc
        .tuple(fc.nat({ max: original.length - 1 }), layer)
        .map(([at, replacement]) => original.map((l, i) => (i === at ? replacement : l))),
      fc.constant(original),
    );
    let loaded = 0;
    fc.assert(
      fc.property(lists, (layers) => {
        const text = JSON.stringify(layers);
        if (loadChecked(withLayers(saved, text), `layers ${text}`)) loaded++;
      }),
      RUNS(400),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        loadChecked(withLayers(saved, text), `layers ${JSON.stringify(text)}`);
      }),
      RUNS(100),
    );
    expect(loaded).toBeGreaterThan(0);
  });
});

// ---- regressions found by the fuzz ------------------------------------------------------

describe('safetensors regressions', () => {
  it('a file held in linear memory (a view over a tensor) decodes, though making its tensors grows memory', () => {
    // One tensor of twice the size of linear memory now: with the file's copy held in
    // memory too, making that tensor must grow memory, which detaches the single-threaded
    // build's buffer (and so the view the file was given as).
    const count = memoryStats().memoryBytes / 2;
    const bytes = file({ big: { dtype: 'F32', shape: [count], data_offsets: [0, 4 * count] } });
    const full = new Uint8Array(bytes.length + 4 * count);
    full.set(bytes);
    const data = new DataView(full.buffer, bytes.length);
    data.setFloat32(0, 0.5, true);
    data.setFloat32(4 * count - 4, -2, true);
    const holder = Tensor.zeros([Math.ceil(full.length / 4)]);
    const view = new Uint8Array(holder.data.buffer, holder.data.byteOffset, full.length);
    view.set(full);
    const before = memoryStats();
    expect(before.memoryBytes - before.bytesInUse).toBeLessThan(4 * count);
    const { tensors } = decodeSafetensors(view);
    const decoded = tensors.get('big') as Tensor;
    expect(memoryStats().memoryBytes).toBeGreaterThan(before.memoryBytes);
    expect([decoded.size, decoded.data[0], decoded.data[1], decoded.data[count - 1]]).toEqual([count, 0.5, 0, -2]);
    decoded.dispose();
    holder.dispose();
  });

  it('a file in a SharedArrayBuffer decodes where TextDecoder refuses shared views, as browsers do', () => {
    if (typeof SharedArrayBuffer === 'undefined') {
      // A page gets SharedArrayBuffer only when cross-origin isolated, which the browser project is not.
      expect(globalThis.crossOriginIsolated).not.toBe(true);
      return;
    }
    const Native = TextDecoder;
    class BrowserTextDecoder extends Native {
      override decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string {
        const buffer = ArrayBuffer.isView(input) ? input.buffer : input;
        if (buffer instanceof SharedArrayBuffer) throw new TypeError('The provided ArrayBufferView value must not be shared.');
        return super.decode(input, options);
      }
    }
    vi.stubGlobal('TextDecoder', BrowserTextDecoder);
    try {
      const valid = sampleFile();
      const shared = new Uint8Array(new SharedArrayBuffer(valid.length));
      shared.set(valid);
      const { tensors, metadata } = decodeSafetensors(shared);
      expect(metadata).toEqual({ format: 'pt' });
      expect([...tensors.keys()].sort()).toEqual(['a', 'b', 'c']);
      for (const t of tensors.values()) t.dispose();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  const linear = () => new nn.Sequential([new nn.Linear(2, 3, { seed: 1 }), new nn.ReLU()]).save();

  it('nn.load: a layer list of [null] is a FormatError naming the layer, not a TypeError', () => {
    expect(() => nn.load(withLayers(linear(), '[null]'))).toThrow(FormatError);
    expect(() => nn.load(withLayers(linear(), '[null]'))).toThrow(
      `load: layer 0 of the file's "wasmgrad.layers" is null, not a layer object`,
    );
  });

  it('nn.load: a layer list that claims a 5000×5000 Linear in a file of a few hundred bytes allocates nothing', () => {
    const bytes = withLayers(linear(), '[{"type":"Linear","in":5000,"out":5000,"bias":true}]');
    const before = memoryStats();
    expect(() => nn.load(bytes)).toThrow(
      `load: the file's "wasmgrad.layers" gives layer 0 a tensor "0.weight" [5000,5000], but the file holds it as [3,2]`,
    );
    expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
  });

  it('nn.load: a layer list whose layers do not match the tensors (or miss a field) is a FormatError, not a ShapeError of another architecture', () => {
    const bytes = linear();
    const cases: [string, string][] = [
      [
        '[{"type":"Linear","in":2,"out":4,"bias":true},{"type":"ReLU"}]',
        'gives layer 0 a tensor "0.weight" [4,2], but the file holds it as [3,2]',
      ],
      [
        '[{"type":"Linear","in":2,"out":3,"bias":false},{"type":"ReLU"}]',
        'holds tensors its "wasmgrad.layers" does not account for: 0.bias',
      ],
      [
        '[{"type":"Linear","in":"2","out":3,"bias":true}]',
        `layer 0 of the file's "wasmgrad.layers" (Linear) has in "2", not a positive integer`,
      ],
      ['[{"type":"Linear","in":2,"out":3}]', '(Linear) has bias nothing, not true or false'],
      ['[{"type":"LeakyReLU"}]', '(LeakyReLU) has alpha nothing, not a finite number'],
      ['[{"type":"Conv"}]', 'unknown layer {"type":"Conv"}'],
    ];
    for (const [layers, message] of cases) {
      const before = memoryStats();
      let caught: unknown;
      try {
        nn.load(withLayers(bytes, layers));
      } catch (error) {
        caught = error;
      }
      expect(caught, layers).toBeInstanceOf(FormatError);
      expect(caught, layers).not.toBeInstanceOf(ShapeError);
      expect((caught as WasmgradError).message, layers).toContain(message);
      expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    }
    // The file as save() wrote it still loads.
    expect(nn.load(bytes).layers.map((l) => l.constructor.name)).toEqual(['Linear', 'ReLU']);
  });

  it('nn.load: every other way a layer list can be wrong is a FormatError that says which, with a long value cut short', () => {
    const bytes = linear();
    const long = `[{"type":"Linear","in":2,"out":3,"bias":true,"note":"${'x'.repeat(100)}"},{"type":{}}]`;
    // Over 80 characters of JSON: a message shows the first 80 and an ellipsis.
    const padded = `{"type":7,"pad":"${'y'.repeat(100)}"}`;
    const cases: [string, string][] = [
      ['{"type":', `load: the file's "wasmgrad.layers" metadata is not JSON`],
      ['{"type":"ReLU"}', `load: the file's "wasmgrad.layers" metadata is not a list of layers`],
      ['[]', `load: the file's "wasmgrad.layers" metadata is not a list of layers`],
      ['[[1]]', `load: layer 0 of the file's "wasmgrad.layers" is [1], not a layer object`],
      ['[{"type":"Linear","in":2.5,"out":3,"bias":true}]', '(Linear) has in 2.5, not a positive integer'],
      ['[{"type":"Maxout","in":2,"out":3,"k":0}]', '(Maxout) has k 0, not a positive integer'],
      ['[{"type":"toString"}]', 'unknown layer {"type":"toString"}'],
      ['[{"type":"Linear","in":2,"out":3,"bias":true},{"type":"ELU","alpha":"1"}]', '(ELU) has alpha "1", not a finite number'],
      [
        '[{"type":"Linear","in":2,"out":3,"bias":true},{"type":"Linear","in":3,"out":1,"bias":false}]',
        'gives layer 1 a tensor "1.weight" [1,3], which the file does not hold',
      ],
      [long, `layer 1 of the file's "wasmgrad.layers": unknown layer {"type":{}}`],
      [`[{"type":"Linear","in":2,"out":3,"bias":true},${padded}]`, `unknown layer ${padded.slice(0, 80)}…`],
    ];
    for (const [layers, message] of cases) {
      let caught: unknown;
      try {
        nn.load(withLayers(bytes, layers));
      } catch (error) {
        caught = error;
      }
      expect(caught, layers).toBeInstanceOf(FormatError);
      expect((caught as WasmgradError).message, layers).toContain(message);
    }
  });

  it('nn.save writes no layer list for a subclass of a built-in layer (it may compute something else): load asks for the model', () => {
    class Shifted extends nn.ReLU {}
    const bytes = new nn.Sequential([new nn.Linear(2, 3, { seed: 1 }), new Shifted()]).save();
    expect(decodeLayers(bytes)).toBeUndefined();
    expect(() => nn.load(bytes)).toThrow(/^load: the file has no "wasmgrad.layers" metadata; build the model yourself/);
    expect(decodeLayers(linear())).toBe('[{"type":"Linear","in":2,"out":3,"bias":true},{"type":"ReLU"}]');
  });
});
