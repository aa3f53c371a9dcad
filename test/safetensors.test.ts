import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  FormatError,
  init,
  memoryStats,
  OutOfMemoryError,
  StateError,
  Tensor,
  ValueError,
  WasmgradError,
} from '../src/index';
import { rng } from './helpers';

beforeAll(() => init());
afterEach(() => {
  vi.restoreAllMocks();
});

// ---- helpers ---------------------------------------------------------------------------

const utf8 = new TextEncoder();

/** The raw bytes of a tensor's elements in linear memory. */
function bytesOf(tensor: Tensor): Uint8Array {
  const data = tensor.data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** A tensor whose elements are exactly these bytes (NaN payloads and all). */
function fromBytes(bytes: Uint8Array, shape: number[], dtype: 'float32' | 'float64'): Tensor {
  const tensor = Tensor.zeros(shape, { dtype });
  const data = tensor.data;
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
  return tensor;
}

function f32Bytes(...values: number[]): number[] {
  return [...new Uint8Array(new Float32Array(values).buffer)];
}

/** A file from a header (an object, or raw JSON text) and data bytes, padded as the reference pads it. */
function file(header: unknown, data: ArrayLike<number> = [], headerLength?: number | bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = utf8.encode(text);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(Array.from(data), 8 + padded);
  return out;
}

const f32 = (shape: number[], offsets: number[]) => ({ dtype: 'F32', shape, data_offsets: offsets });

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

/** Decoding `bytes` throws an error of exactly `type` whose message matches `fragment`. */
function expectDecodeError(bytes: Uint8Array, type: typeof WasmgradError, fragment: RegExp | string): WasmgradError {
  let caught: unknown;
  try {
    const { tensors } = decodeSafetensors(bytes);
    for (const tensor of tensors.values()) tensor.dispose();
  } catch (error) {
    caught = error;
  }
  expect(caught, `decoding should have failed with ${type.name}: ${String(fragment)}`).toBeInstanceOf(type);
  const error = caught as WasmgradError;
  expect(error.constructor).toBe(type);
  expect(error.message).toMatch(fragment);
  expect(error.message).toMatch(/^decodeSafetensors: /);
  return error;
}

function disposeAll(tensors: Map<string, Tensor>): void {
  for (const tensor of tensors.values()) tensor.dispose();
}

/** A small valid file: two F32 tensors, one F64, metadata. */
function sampleFile(): Uint8Array {
  const a = Tensor.randn([2, 3], { seed: 1 });
  const b = Tensor.from([1, 2, 3]);
  const c = Tensor.randn([4], { seed: 2, dtype: 'float64' });
  const bytes = encodeSafetensors({ a, b, c }, { format: 'pt', by: 'wasmgrad' });
  a.dispose();
  b.dispose();
  c.dispose();
  return bytes;
}

// ---- writing and reading back ------------------------------------------------------------

describe('safetensors: round trip', () => {
  it('several float32 and float64 tensors of shapes [], [3], [2,3], [1,1,4], [0] with metadata come back bit-exact', () => {
    const nanPayload = new Uint8Array([0x01, 0x00, 0xc0, 0x7f]); // a quiet NaN with a payload
    const originals: Record<string, Tensor> = {
      scalar: Tensor.from(new Float32Array([3.5]), []),
      vector: Tensor.from(new Float64Array([1 / 3, -2, 1e-310]), [3], { dtype: 'float64' }),
      matrix: Tensor.randn([2, 3], { seed: 5 }),
      'deep/1.weight': Tensor.randn([1, 1, 4], { seed: 6, dtype: 'float64' }),
      empty: Tensor.zeros([0]),
      specials: fromBytes(new Uint8Array([...nanPayload, ...f32Bytes(Infinity, -Infinity, -0)]), [4], 'float32'),
    };
    const metadata = { format: 'pt', note: 'ünïcode ✓ "quoted" \\ \n', '': 'empty key', constructor: 'harmless' };
    const bytes = encodeSafetensors(originals, metadata);
    const decoded = decodeSafetensors(bytes);

    expect([...decoded.tensors.keys()].sort()).toEqual(Object.keys(originals).sort());
    for (const [name, original] of Object.entries(originals)) {
      const copy = decoded.tensors.get(name);
      expect(copy, name).toBeInstanceOf(Tensor);
      if (copy === undefined) continue;
      expect(copy.shape, name).toEqual(original.shape);
      expect(copy.dtype, name).toBe(original.dtype);
      expect(bytesOf(copy), name).toEqual(bytesOf(original));
      expect(copy.ptr, name).not.toBe(original.ptr);
    }
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.getPrototypeOf(decoded.metadata)).toBe(Object.prototype);

    // The caller owns what it got: disposing is allowed and frees.
    disposeAll(decoded.tensors);
    for (const tensor of Object.values(originals)) tensor.dispose();
  });

  it('without metadata there is no __metadata__ key, and decoding gives {}', () => {
    const t = Tensor.from([1, 2]);
    const bytes = encodeSafetensors({ t });
    expect(headerOf(bytes).text).not.toContain('__metadata__');
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.get('t')?.data ?? [])).toEqual([1, 2]);
    disposeAll(tensors);
    t.dispose();
  });

  it('reads from an ArrayBuffer and from a Uint8Array at an unaligned offset', () => {
    const bytes = sampleFile();
    const fromBuffer = decodeSafetensors(bytes.slice().buffer);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const fromOdd = decodeSafetensors(shifted.subarray(3));
    const fromTight = decodeSafetensors(bytes);
    for (const name of ['a', 'b', 'c']) {
      const want = fromTight.tensors.get(name);
      expect(want).toBeDefined();
      if (want === undefined) continue;
      for (const other of [fromBuffer, fromOdd]) {
        const got = other.tensors.get(name);
        expect(got?.shape).toEqual(want.shape);
        if (got !== undefined) expect(bytesOf(got)).toEqual(bytesOf(want));
      }
    }
    for (const decoded of [fromBuffer, fromOdd, fromTight]) disposeAll(decoded.tensors);
  });

  it('an object, a Map and [name, tensor] pairs in any order give the same bytes', () => {
    const x = Tensor.from([1, 2, 3]);
    const y = Tensor.from([4], [1], { dtype: 'float64' });
    const fromObject = encodeSafetensors({ x, y });
    const fromMap = encodeSafetensors(
      new Map([
        ['y', y],
        ['x', x],
      ]),
    );
    const fromPairs = encodeSafetensors([
      ['y', y],
      ['x', x],
    ]);
    expect(fromMap).toEqual(fromObject);
    expect(fromPairs).toEqual(fromObject);
    // What decode returns can be written back as it is.
    const decoded = decodeSafetensors(fromObject);
    expect(encodeSafetensors(decoded.tensors)).toEqual(fromObject);
    disposeAll(decoded.tensors);
    x.dispose();
    y.dispose();
  });
});

// ---- the bytes, against the spec -----------------------------------------------------

describe('safetensors: the bytes follow the spec', () => {
  it('one F32 tensor "a" = [1, 2]: hand-computed header length, header, alignment and data', () => {
    const a = Tensor.from([1, 2]);
    const bytes = encodeSafetensors({ a });
    a.dispose();
    // {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} is 54 bytes; 2 spaces pad it to 56.
    expect(Array.from(bytes.subarray(0, 8))).toEqual([56, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes.length).toBe(8 + 56 + 8);
    const header = new TextDecoder().decode(bytes.subarray(8, 64));
    expect(header).toBe('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ');
    expect(JSON.parse(header)).toStrictEqual({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect((8 + 56) % 8).toBe(0);
    // 1.0f = 0x3f800000 and 2.0f = 0x40000000, little-endian.
    expect(Array.from(bytes.subarray(64))).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40]);
  });

  it('matches the reference implementation byte for byte on its own test vectors', () => {
    // safetensors' Rust tests: "attn0", F32 [1,1,2,3] = 0..5: a 65-byte header padded to 72.
    const attn0 = Tensor.from(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3]);
    const bytes = encodeSafetensors({ attn0 });
    attn0.dispose();
    const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(json.length).toBe(65);
    const expected = [72, 0, 0, 0, 0, 0, 0, 0, ...utf8.encode(json), 32, 32, 32, 32, 32, 32, 32, ...f32Bytes(0, 1, 2, 3, 4, 5)];
    expect(Array.from(bytes)).toEqual(expected);

    // No tensors: "{}" and six spaces; with metadata, __metadata__ and five spaces.
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(encodeSafetensors({}, { framework: 'pt' }))).toEqual([
      40,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...utf8.encode('{"__metadata__":{"framework":"pt"}}'),
      32,
      32,
      32,
      32,
      32,
    ]);
  });

  it('orders tensors as the reference does: F64 before F32, then names in code-point order; offsets are contiguous', () => {
    const names = ['b', 'a', 'é', '😀', '\uffff', 'B'];
    const tensors = new Map<string, Tensor>();
    names.forEach((name, i) => {
      tensors.set(name, Tensor.full([i + 1], i));
      tensors.set(`f64 ${name}`, Tensor.full([1], i, { dtype: 'float64' }));
    });
    const bytes = encodeSafetensors(tensors);
    const { length, text } = headerOf(bytes);
    expect((8 + length) % 8).toBe(0);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    // Code-point order puts U+FFFF before U+1F600, which UTF-16 order (JS's default sort) would not.
    const order = ['B', 'a', 'b', 'é', '\uffff', '😀'];
    expect(Object.keys(header)).toEqual([...order.map((name) => `f64 ${name}`), ...order]);
    let end = 0;
    for (const info of Object.values(header)) {
      expect(info.data_offsets[0]).toBe(end);
      end = info.data_offsets[1];
    }
    expect(bytes.length).toBe(8 + length + end);
    for (const tensor of tensors.values()) tensor.dispose();
  });

  it('refuses what it cannot write: reserved or duplicate names, non-tensors, disposed tensors, non-string metadata', () => {
    const t = Tensor.from([1]);
    expect(() => encodeSafetensors({ __metadata__: t })).toThrow(/reserved/);
    expect(() =>
      encodeSafetensors([
        ['x', t],
        ['x', t],
      ]),
    ).toThrow(/two tensors are named "x"/);
    expect(() => encodeSafetensors({ x: [1, 2] as unknown as Tensor })).toThrow(ValueError);
    expect(() => encodeSafetensors({ '\ud800': t })).toThrow(/lone surrogate/);
    expect(() => encodeSafetensors({ x: t }, { n: 1 as unknown as string })).toThrow(/metadata "n" must be a string, got 1/);
    expect(() => encodeSafetensors(JSON.parse('{"__proto__": 1}'))).toThrow(/__proto__/);
    const gone = Tensor.from([2]);
    gone.dispose();
    expect(() => encodeSafetensors({ gone })).toThrow(StateError);
    t.dispose();
  });
});

// ---- malformed files ---------------------------------------------------------------------

describe('safetensors: malformed files are clear errors', () => {
  const good = file({ a: f32([2], [0, 8]) }, f32Bytes(1, 2));

  it('the helper builds a file the decoder accepts', () => {
    const { tensors } = decodeSafetensors(good);
    expect(Array.from(tensors.get('a')?.data ?? [])).toEqual([1, 2]);
    disposeAll(tensors);
  });

  it('a truncated file, cut anywhere', () => {
    const bytes = sampleFile();
    const { length } = headerOf(bytes);
    const cuts = [0, 1, 4, 7, 8, 9, 20, 8 + length - 1, 8 + length, 8 + length + 1, 8 + length + 5, bytes.length - 4, bytes.length - 1];
    for (const cut of cuts) {
      expectDecodeError(
        bytes.subarray(0, cut),
        FormatError,
        /too short|runs past the end of the file|past the end of the \d+-byte data buffer/,
      );
    }
    // Cutting a single byte anywhere at all fails, and never with anything else.
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeSafetensors(bytes.subarray(0, cut))).toThrow(FormatError);
    }
  });

  it('a header length past the end of the file, and absurd ones (2^53, 2^64 - 1), allocate nothing', () => {
    const before = memoryStats();
    expectDecodeError(
      file({ a: f32([2], [0, 8]) }, f32Bytes(1, 2), 200),
      FormatError,
      /header length 200 runs past the end of the file \(64 bytes/,
    );
    expectDecodeError(file({}, [], 2 ** 53), FormatError, /header length 9007199254740992 runs past the end/);
    expectDecodeError(file({}, [], 2n ** 64n - 1n), FormatError, /header length 18446744073709551615 runs past the end/);
    expect(memoryStats()).toEqual(before);
  });

  it('a header that is not UTF-8, not JSON, or not an object', () => {
    const bad = file('{"a":"xx"}');
    bad[10] = 0xff;
    expectDecodeError(bad, FormatError, /not valid UTF-8/);
    expectDecodeError(file('{"a": nope}'), FormatError, /not valid JSON: unexpected character "n" at character 6/);
    expectDecodeError(file('{"a": {}'), FormatError, /not valid JSON/);
    expectDecodeError(file('{} trailing'), FormatError, /not valid JSON: unexpected text after the header/);
    expectDecodeError(file('{"a":1,}'), FormatError, /not valid JSON: expected a key string/);
    expectDecodeError(file('[]'), FormatError, /must be a JSON object starting with "\{", but it starts with byte 0x5b/);
    expectDecodeError(file(' {}'), FormatError, /must be a JSON object/);
    expectDecodeError(file('', [], 0), FormatError, /must be a JSON object starting with "\{", but it is empty/);
    expectDecodeError(file('{"a":"\\x"}'), FormatError, /malformed escape/);
    expectDecodeError(file('{"a":"\\ud800"}'), FormatError, /lone surrogate/);
  });

  it('a deeply nested header is an error, not a stack overflow', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expectDecodeError(file(deep), FormatError, /nested deeper than/);
  });

  it('an unknown dtype is a FormatError; a spec dtype wasmgrad does not hold is a ValueError naming tensor and dtype', () => {
    for (const dtype of ['I4', 'Q8', 'f32', '']) {
      expectDecodeError(
        file({ w: { dtype, shape: [2], data_offsets: [0, 8] } }, f32Bytes(1, 2)),
        FormatError,
        `tensor "w" has unknown dtype "${dtype}"`,
      );
    }
    expectDecodeError(file({ w: { dtype: 4, shape: [2], data_offsets: [0, 8] } }, f32Bytes(1, 2)), FormatError, /dtype 4, not a string/);
    for (const [dtype, bytes] of [
      ['F16', 4],
      ['BF16', 4],
      ['I32', 8],
      ['U8', 2],
      ['I64', 16],
    ] as const) {
      const error = expectDecodeError(
        file({ 'layer.0.weight': { dtype, shape: [2], data_offsets: [0, bytes] } }, new Uint8Array(bytes)),
        ValueError,
        `tensor "layer.0.weight" has dtype ${dtype}, which wasmgrad does not hold`,
      );
      expect(error).not.toBeInstanceOf(FormatError);
    }
  });

  it('a shape of negative, fractional, non-numeric or unsafe dims', () => {
    const cases: [unknown, RegExp][] = [
      [[-1], /shape \[-1\]/],
      [['2'], /shape \["2"\]/],
      [[2.5], /shape \[2\.5\]/],
      [[null], /shape \[null\]/],
      [[[2]], /shape \[…\]/],
      ['2', /shape "2"/],
      [{ 0: 2 }, /shape an object/],
    ];
    for (const [shape, fragment] of cases) {
      expectDecodeError(file({ w: { dtype: 'F32', shape, data_offsets: [0, 8] } }, f32Bytes(1, 2)), FormatError, fragment);
    }
    for (const raw of ['2e0', '2.0', '18446744073709551616', '-0']) {
      expectDecodeError(
        file(`{"w":{"dtype":"F32","shape":[${raw}],"data_offsets":[0,8]}}`, f32Bytes(1, 2)),
        FormatError,
        `shape [${raw}]: a shape is an array of non-negative integers`,
      );
    }
  });

  it('a shape whose byte size disagrees with its data_offsets range', () => {
    expectDecodeError(
      file({ w: f32([3], [0, 8]) }, f32Bytes(1, 2)),
      FormatError,
      /shape \[3\] of F32, which takes 12 bytes, but data_offsets \[0,8\] hold 8/,
    );
    expectDecodeError(
      file({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, f32Bytes(1, 2)),
      FormatError,
      /shape \[2\] of F64, which takes 16 bytes/,
    );
    // A product far past 2^53 must not wrap around to a small number.
    expectDecodeError(
      file({ w: f32([2 ** 40, 2 ** 40, 0.5 * 2 ** 2], [0, 8]) }, f32Bytes(1, 2)),
      FormatError,
      /takes more than 2\^53 bytes/,
    );
    expectDecodeError(file({ w: f32([0, 2 ** 52], [0, 8]) }, f32Bytes(1, 2)), FormatError, /takes 0 bytes/);
  });

  it('data_offsets out of bounds, reversed, or not two integers', () => {
    expectDecodeError(
      file({ w: f32([4], [0, 16]) }, f32Bytes(1, 2)),
      FormatError,
      /data_offsets \[0,16\], past the end of the 8-byte data buffer/,
    );
    expectDecodeError(file({ w: f32([0], [8, 4]) }, f32Bytes(1, 2)), FormatError, /data_offsets \[8,4\], which end before they begin/);
    expectDecodeError(file({ w: f32([2], [0]) }, f32Bytes(1, 2)), FormatError, /data_offsets \[0\]: expected \[begin, end\]/);
    expectDecodeError(file({ w: f32([2], [-1, 7]) }, f32Bytes(1, 2)), FormatError, /data_offsets \[-1,7\]/);
    expectDecodeError(file({ w: f32([2], [0, 8, 8]) }, f32Bytes(1, 2)), FormatError, /data_offsets \[0,8,8\]/);
    expectDecodeError(file({ w: { dtype: 'F32', shape: [2], data_offsets: '0,8' } }, f32Bytes(1, 2)), FormatError, /data_offsets "0,8"/);
  });

  it('overlapping ranges, a hole between ranges, and bytes after the last range', () => {
    expectDecodeError(
      file({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, f32Bytes(1, 2, 3)),
      FormatError,
      /tensors "a" \[0,8\] and "b" \[4,12\] overlap/,
    );
    expectDecodeError(
      file({ a: f32([2], [0, 8]), b: f32([2], [0, 8]) }, f32Bytes(1, 2)),
      FormatError,
      /tensors "a" \[0,8\] and "b" \[0,8\] overlap/,
    );
    expectDecodeError(
      file({ a: f32([2], [0, 8]), b: f32([2], [12, 20]) }, f32Bytes(1, 2, 3, 4, 5)),
      FormatError,
      /bytes \[8,12\) of the data buffer belong to no tensor \(a hole before "b"\)/,
    );
    expectDecodeError(file({ b: f32([1], [4, 8]) }, f32Bytes(1, 2)), FormatError, /bytes \[0,4\) of the data buffer belong to no tensor/);
    expectDecodeError(
      file({ a: f32([2], [0, 8]) }, f32Bytes(1, 2, 3)),
      FormatError,
      /the last 4 bytes of the data buffer belong to no tensor/,
    );
    expectDecodeError(file({}, [1]), FormatError, /the last 1 bytes/);
    // Ranges listed out of order, and empty tensors, are fine.
    const { tensors } = decodeSafetensors(
      file({ z: f32([0], [8, 8]), b: f32([1], [4, 8]), a: f32([1], [0, 4]), e: f32([2, 0], [4, 4]) }, f32Bytes(1, 2)),
    );
    expect([...tensors.keys()]).toEqual(['z', 'b', 'a', 'e']);
    expect(tensors.get('b')?.item()).toBe(2);
    expect(tensors.get('e')?.shape).toEqual([2, 0]);
    disposeAll(tensors);
  });

  it('duplicate keys, at the top, inside a tensor and in the metadata', () => {
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    expectDecodeError(file(`{"a":${entry},"a":${entry}}`, f32Bytes(1, 2)), FormatError, /duplicate key "a" in the header/);
    expectDecodeError(
      file('{"a":{"dtype":"F32","shape":[2],"dtype":"F64","data_offsets":[0,8]}}', f32Bytes(1, 2)),
      FormatError,
      /duplicate key "dtype" in tensor "a"/,
    );
    expectDecodeError(
      file(`{"__metadata__":{"k":"1","k":"2"},"a":${entry}}`, f32Bytes(1, 2)),
      FormatError,
      /duplicate key "k" in "__metadata__"/,
    );
    expectDecodeError(
      file(`{"__metadata__":{},"__metadata__":{},"a":${entry}}`, f32Bytes(1, 2)),
      FormatError,
      /duplicate key "__metadata__"/,
    );
  });

  it('a "__proto__" key anywhere is refused and pollutes nothing', () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    expectDecodeError(file(`{"__proto__":${entry}}`, f32Bytes(1, 2)), FormatError, /the header has a "__proto__" key/);
    expectDecodeError(
      file(`{"__proto__":{"polluted":"yes"},"a":${entry}}`, f32Bytes(1, 2)),
      FormatError,
      /the header has a "__proto__" key/,
    );
    expectDecodeError(
      file(`{"__metadata__":{"__proto__":"x","polluted":"yes"},"a":${entry}}`, f32Bytes(1, 2)),
      FormatError,
      /"__metadata__" has a "__proto__" key/,
    );
    expectDecodeError(
      file('{"a":{"__proto__":{"polluted":"yes"},"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32Bytes(1, 2)),
      FormatError,
      /tensor "a" has a "__proto__" key/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  });

  it('__metadata__ that is not a map of strings', () => {
    const entry = '{"dtype":"F32","shape":[2],"data_offsets":[0,8]}';
    const withMetadata = (metadata: string) => file(`{"__metadata__":${metadata},"a":${entry}}`, f32Bytes(1, 2));
    expectDecodeError(withMetadata('{"epochs":1}'), FormatError, /"__metadata__" "epochs" must be a string, got 1/);
    expectDecodeError(withMetadata('{"nested":{"x":"y"}}'), FormatError, /"__metadata__" "nested" must be a string, got an object/);
    expectDecodeError(withMetadata('["a"]'), FormatError, /"__metadata__" must be an object of strings, got \["a"\]/);
    expectDecodeError(withMetadata('"text"'), FormatError, /"__metadata__" must be an object of strings/);
    expectDecodeError(withMetadata('null'), FormatError, /"__metadata__" must be an object of strings, got null/);
  });

  it('a tensor entry that is not an object, lacks a field, or has an unknown one', () => {
    expectDecodeError(file({ a: [1, 2] }), FormatError, /tensor "a" must be an object with dtype, shape and data_offsets/);
    expectDecodeError(file({ a: { dtype: 'F32', shape: [2] } }, f32Bytes(1, 2)), FormatError, /tensor "a" has no data_offsets/);
    expectDecodeError(file({ a: {} }), FormatError, /tensor "a" has no dtype and no shape and no data_offsets/);
    expectDecodeError(
      file({ a: { ...f32([2], [0, 8]), extra: 1 } }, f32Bytes(1, 2)),
      FormatError,
      /tensor "a" has an unknown field "extra"/,
    );
  });

  it('an argument that is not bytes is a ValueError', () => {
    expect(() => decodeSafetensors('file' as unknown as Uint8Array)).toThrow(ValueError);
    expect(() => decodeSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(/expected a Uint8Array or an ArrayBuffer, got an array/);
    expect(() => decodeSafetensors(new ArrayBuffer(0))).toThrow(/too short/);
  });
});

// ---- fuzzing and leaks -----------------------------------------------------------------

describe('safetensors: fuzzing and memory', () => {
  // No clock: a decode that hangs times the test out (60 s for 2,000 decodes of a few hundred
  // bytes), and a loaded machine cannot fail it the way a per-decode time limit could.
  it('2,000 seeded mutations of a valid file: each decodes or throws a WasmgradError', { timeout: 60_000 }, () => {
    const random = rng(2024);
    const base = sampleFile();
    const { length: headerLength } = headerOf(base);
    const pick = (n: number) => Math.floor(random() * n);
    const significant = utf8.encode('{}[]":,0123456789-.eE\\ ntfu');
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      let bytes = base.slice();
      const kind = i % 6;
      if (kind === 0) {
        // Flip one to four random bytes anywhere.
        for (let k = 1 + pick(4); k > 0; k--) bytes[pick(bytes.length)] = pick(256);
      } else if (kind === 1) {
        bytes = bytes.slice(0, pick(bytes.length));
      } else if (kind === 2) {
        // A header byte replaced by one JSON cares about.
        bytes[8 + pick(headerLength)] = significant[pick(significant.length)] ?? 0;
      } else if (kind === 3) {
        // A random header length, small or huge.
        const view = new DataView(bytes.buffer);
        view.setUint32(0, random() < 0.5 ? pick(bytes.length + 16) : pick(2 ** 32), true);
        view.setUint32(4, random() < 0.7 ? 0 : pick(2 ** 32), true);
      } else if (kind === 4) {
        // A run of header bytes deleted (the length field left as it was).
        const at = 8 + pick(headerLength);
        const cut = 1 + pick(8);
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + cut)]);
      } else {
        // A data byte changed: still a valid file.
        bytes[8 + headerLength + pick(bytes.length - 8 - headerLength)] = pick(256);
      }
      try {
        const result = decodeSafetensors(bytes);
        decoded++;
        disposeAll(result.tensors);
      } catch (error) {
        if (!(error instanceof WasmgradError)) throw new Error(`iteration ${i}: a ${String(error)} escaped`);
        refused++;
      }
    }
    expect(decoded).toBeGreaterThan(300); // at least every data-byte mutation
    expect(refused).toBeGreaterThan(1000);
  });

  it('many failed decodes leave bytesInUse and the block count as they were', () => {
    const valid = sampleFile();
    const { length } = headerOf(valid);
    const malformed = [
      valid.subarray(0, valid.length - 1),
      valid.subarray(0, 8 + length + 3),
      file({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, f32Bytes(1, 2, 3)),
      file({ a: f32([2], [0, 8]), b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] } }, f32Bytes(1, 2, 3)),
      file({ a: f32([3], [0, 8]) }, f32Bytes(1, 2)),
      file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32Bytes(1, 2)),
      file({}, [], 2 ** 53),
    ];
    // Warm up once, so that anything allocated once and kept (there should be nothing) is not counted.
    disposeAll(decodeSafetensors(valid).tensors);
    const before = memoryStats();
    let failures = 0;
    for (let round = 0; round < 300; round++) {
      for (const bytes of malformed) {
        try {
          decodeSafetensors(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WasmgradError);
          failures++;
        }
      }
    }
    expect(failures).toBe(300 * malformed.length);
    const after = memoryStats();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.blocks).toBe(before.blocks);
  });

  it('a failure while making the tensors disposes the ones already made', () => {
    const bytes = sampleFile();
    const realZeros = Tensor.zeros.bind(Tensor);
    let calls = 0;
    const spy = vi.spyOn(Tensor, 'zeros').mockImplementation((shape, options) => {
      calls++;
      if (calls === 3) throw new OutOfMemoryError('test: no room for the third tensor');
      return realZeros(shape, options);
    });
    const before = memoryStats();
    expect(() => decodeSafetensors(bytes)).toThrow(OutOfMemoryError);
    const after = memoryStats();
    expect(calls).toBe(3);
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.blocks).toBe(before.blocks);
    spy.mockRestore();
    // And with room again, the same bytes decode.
    const { tensors } = decodeSafetensors(bytes);
    expect(tensors.size).toBe(3);
    disposeAll(tensors);
  });
});
