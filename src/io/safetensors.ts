// safetensors, the weight format of PyTorch and Hugging Face, read and written byte for
// byte as its spec lays it out:
//
//   8 bytes   N, the header length, an unsigned little-endian 64-bit integer
//   N bytes   a UTF-8 JSON object, starting with "{" and padded with spaces (0x20):
//             { "__metadata__": { string: string },                      (optional)
//               "name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, … }
//   the rest  the data buffer: every tensor's elements, row-major, little-endian; offsets
//             are relative to its start, and the ranges cover it whole, with no hole and
//             no overlap.
//
// Writing follows the reference implementation exactly, so its output is the same bytes:
// compact JSON, `__metadata__` first, then the tensors by descending alignment (F64 before
// F32) and, within a dtype, by name in code-point order (= UTF-8 byte order); the header
// is padded with spaces so the data starts 8-byte aligned.
//
// Reading checks everything before it allocates anything: no tensor is made until the
// whole header has been parsed and every range checked against the file, so a decode
// never allocates more than the file holds, and one that fails has allocated nothing. The
// header goes through the strict JSON parser of ./json: a duplicate key, a "__proto__"
// key or an offset of 2^64 is refused there, not quietly read as something else.
//
// Endianness: the file is little-endian and so is wasm linear memory (the wasm spec fixes
// it, whatever the host), so element bytes are copied as they are, on any host; the header
// length is read and written through a DataView with an explicit little-endian flag.

import { DTYPES } from '../dtype';
import { describe, FormatError, OutOfMemoryError, StateError, ValueError } from '../errors';
import { type DType, Tensor } from '../tensor';
import { isReady, wasm } from '../wasm/instance';
import { describeJson, isWellFormed, type Json, JsonError, JsonNumber, type JsonPathStep, parseJson, quote } from './json';

/** Named tensors to write: an object, a Map, or [name, tensor] pairs. */
export type SafetensorsInput = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor> | ReadonlyArray<readonly [string, Tensor]>;

export interface DecodedSafetensors {
  /** Float32 or float64 tensors the caller owns (and disposes), in the header's order. */
  tensors: Map<string, Tensor>;
  /** The header's `__metadata__`, or {} when it has none. */
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers larger than this; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

const ENCODE = 'encodeSafetensors';
const DECODE = 'decodeSafetensors';
const METADATA_KEY = '__metadata__';
/** The header schema nests three deep; anything much deeper is not a header. */
const MAX_HEADER_DEPTH = 32;
const SPACE = 0x20;

const FROM_FILE_DTYPE: ReadonlyMap<string, DType> = new Map(
  Object.entries(DTYPES).map(([dtype, d]) => [d.safetensors, dtype as DType] as [string, DType]),
);
/** Dtypes the spec (and its reference implementation) names, which wasmgrad does not hold. */
const OTHER_SPEC_DTYPES: ReadonlySet<string> = new Set([
  'BOOL',
  'U8',
  'I8',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'I64',
  'U64',
  'C64',
]);

// ---- writing ---------------------------------------------------------------------------

/**
 * The safetensors bytes of `tensors` (float32 → F32, float64 → F64), with `metadata` as
 * `__metadata__` when given (omitted when undefined). Deterministic: the same tensors and
 * metadata give the same bytes, whatever order the tensors were given in.
 */
export function encodeSafetensors(tensors: SafetensorsInput, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const named = namedTensors(tensors);
  named.sort(([nameA, a], [nameB, b]) => b.itemBytes - a.itemBytes || compareCodePoints(nameA, nameB));

  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"${METADATA_KEY}":${metadataJson(metadata)}`);
  let offset = 0;
  for (const [name, tensor] of named) {
    const bytes = tensor.size * tensor.itemBytes;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${DTYPES[tensor.dtype].safetensors}","shape":[${tensor.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = header.length + ((8 - (header.length % 8)) % 8);
  const total = 8 + padded + offset;

  let out: Uint8Array;
  try {
    out = new Uint8Array(total);
  } catch (error) {
    if (error instanceof RangeError) throw new OutOfMemoryError(`${ENCODE}: a file of ${total} bytes is larger than one buffer can be`);
    throw error;
  }
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  out.fill(SPACE, 8 + header.length, 8 + padded);
  let at = 8 + padded;
  for (const [, tensor] of named) {
    const data = tensor.data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

function namedTensors(tensors: SafetensorsInput): Array<[string, Tensor]> {
  let pairs: Array<readonly [unknown, unknown]>;
  if (Array.isArray(tensors)) {
    pairs = tensors.map((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ValueError(`${ENCODE}: entry ${i} must be a [name, tensor] pair, got ${describe(pair)}`);
      }
      return [pair[0], pair[1]] as const;
    });
  } else if (tensors instanceof Map) {
    pairs = [...tensors];
  } else if (typeof tensors === 'object' && tensors !== null) {
    pairs = Object.entries(tensors);
  } else {
    throw new ValueError(`${ENCODE}: tensors must be an object, a Map or [name, tensor] pairs, got ${describe(tensors)}`);
  }
  const seen = new Set<string>();
  const named: Array<[string, Tensor]> = [];
  for (const [name, tensor] of pairs) {
    if (typeof name !== 'string') throw new ValueError(`${ENCODE}: a tensor name must be a string, got ${describe(name)}`);
    const label = quote(name);
    if (name === METADATA_KEY) throw new ValueError(`${ENCODE}: "${METADATA_KEY}" is reserved for the metadata and cannot name a tensor`);
    if (name === '__proto__') throw new ValueError(`${ENCODE}: "__proto__" cannot name a tensor (readers refuse it)`);
    if (!isWellFormed(name)) throw new ValueError(`${ENCODE}: tensor name ${label} has a lone surrogate, which UTF-8 cannot encode`);
    if (seen.has(name)) throw new ValueError(`${ENCODE}: two tensors are named ${label}`);
    seen.add(name);
    if (!(tensor instanceof Tensor)) throw new ValueError(`${ENCODE}: ${label} must be a Tensor, got ${describe(tensor)}`);
    if (tensor.disposed) throw new StateError(`${ENCODE}: tensor ${label} has been disposed`);
    named.push([name, tensor]);
  }
  return named;
}

function metadataJson(metadata: unknown): string {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || metadata instanceof Map) {
    throw new ValueError(`${ENCODE}: metadata must be an object of strings, got ${describe(metadata)}`);
  }
  const entries: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (key === '__proto__') throw new ValueError(`${ENCODE}: metadata key "__proto__" is not allowed (readers refuse it)`);
    if (typeof value !== 'string') throw new ValueError(`${ENCODE}: metadata ${quote(key)} must be a string, got ${describe(value)}`);
    if (!isWellFormed(key) || !isWellFormed(value)) {
      throw new ValueError(`${ENCODE}: metadata ${quote(key)} has a lone surrogate, which UTF-8 cannot encode`);
    }
    entries.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${entries.join(',')}}`;
}

/** Code-point order, which is UTF-8 byte order and the reference implementation's order. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (halves of code points above U+FFFF) rank above every other UTF-16 unit. */
function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

// ---- reading ---------------------------------------------------------------------------

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * The tensors and metadata of a safetensors file. F32 and F64 tensors are read (NaN and
 * ±Inf as they are); any other dtype of the spec (F16, BF16, integers, …) is a ValueError
 * naming the tensor, and a malformed file is a FormatError saying what is wrong.
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): DecodedSafetensors {
  const file = outsideLinearMemory(asBytes(bytes));
  const { entries, metadata, dataStart } = readHeader(file);
  const tensors = new Map<string, Tensor>();
  try {
    for (const entry of entries) {
      const tensor = Tensor.zeros(entry.shape, { dtype: entry.dtype });
      tensors.set(entry.name, tensor);
      // Byte-wise, so the file offset need not be aligned for the element type.
      const data = tensor.data;
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(file.subarray(dataStart + entry.begin, dataStart + entry.end));
    }
  } catch (error) {
    for (const tensor of tensors.values()) tensor.dispose();
    throw error;
  }
  return { tensors, metadata };
}

/**
 * A file held in wasm linear memory (a view over a tensor's buffer) is copied out first:
 * making its tensors may grow memory, and growing detaches every view of the old buffer.
 */
function outsideLinearMemory(file: Uint8Array): Uint8Array {
  return isReady() && file.buffer === wasm().memory.buffer ? file.slice() : file;
}

function asBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return bytes.byteLength === 0 ? new Uint8Array(0) : new Uint8Array(bytes);
  throw new ValueError(`${DECODE}: expected a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);
}

function readHeader(file: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (file.length < 8) {
    throw new FormatError(
      `${DECODE}: the file is ${file.length} bytes, too short for the 8-byte header length (truncated, or not safetensors)`,
    );
  }
  const declared = new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true);
  const after = file.length - 8;
  if (declared > BigInt(after)) {
    throw new FormatError(
      `${DECODE}: the header length ${declared} runs past the end of the file (${after} bytes follow it): truncated, or not safetensors`,
    );
  }
  const headerBytes = Number(declared);
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new FormatError(`${DECODE}: the header length ${headerBytes} is over the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (headerBytes === 0 || file[8] !== 0x7b) {
    const found = headerBytes === 0 ? 'is empty' : `starts with byte 0x${(file[8] ?? 0).toString(16).padStart(2, '0')}`;
    throw new FormatError(`${DECODE}: the header must be a JSON object starting with "{", but it ${found}`);
  }
  let text: string;
  try {
    // A copy when the bytes are in a SharedArrayBuffer, which browsers' TextDecoder refuses.
    const header = file.subarray(8, 8 + headerBytes);
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      header.buffer instanceof ArrayBuffer ? header : header.slice(),
    );
  } catch {
    throw new FormatError(`${DECODE}: the header is not valid UTF-8`);
  }
  const header = parseHeaderJson(text);
  if (!(header instanceof Map)) throw new FormatError(`${DECODE}: the header must be a JSON object, got ${describeJson(header)}`);

  const dataStart = 8 + headerBytes;
  const dataBytes = file.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of header) {
    if (key === METADATA_KEY) metadata = readMetadata(value);
    else entries.push(readEntry(key, value, dataBytes));
  }
  checkCoverage(entries, dataBytes);
  return { entries, metadata, dataStart };
}

/** The header's JSON (the strict parser's: see ./json), its faults worded as the header's. */
function parseHeaderJson(text: string): Json {
  try {
    return parseJson(text, { maxDepth: MAX_HEADER_DEPTH });
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    const { problem, at, path } = error;
    switch (problem.kind) {
      case 'syntax':
        throw new FormatError(`${DECODE}: the header is not valid JSON: ${problem.what} at character ${at}`);
      case 'text after the value':
        throw new FormatError(`${DECODE}: the header is not valid JSON: unexpected text after the header object at character ${at}`);
      case 'duplicate key':
        throw new FormatError(`${DECODE}: duplicate key ${quote(problem.key)} in ${whereInHeader(path)}`);
      case '__proto__ key':
        throw new FormatError(`${DECODE}: ${whereInHeader(path)} has a "__proto__" key, which is not allowed`);
    }
  }
}

/**
 * A place in the header for a message: 'the header', 'tensor "w"', '"__metadata__"', then
 * '→ "key"' for each object further in. Array positions are left out: a valid header
 * holds no object in an array, so they would only lengthen the message.
 */
function whereInHeader(path: readonly JsonPathStep[]): string {
  const [top, ...inner] = path.filter((step): step is string => typeof step === 'string');
  if (top === undefined) return 'the header';
  const base = top === METADATA_KEY ? `"${METADATA_KEY}"` : `tensor ${quote(top)}`;
  return [base, ...inner.map(quote)].join(' → ');
}

function readMetadata(value: Json): Record<string, string> {
  if (!(value instanceof Map)) {
    throw new FormatError(`${DECODE}: "${METADATA_KEY}" must be an object of strings, got ${describeJson(value)}`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, item] of value) {
    if (typeof item !== 'string') {
      throw new FormatError(`${DECODE}: "${METADATA_KEY}" ${quote(key)} must be a string, got ${describeJson(item)}`);
    }
    // The parser refuses "__proto__", so this assignment only ever makes an own property.
    metadata[key] = item;
  }
  return metadata;
}

function readEntry(name: string, value: Json, dataBytes: number): Entry {
  const label = `tensor ${quote(name)}`;
  if (!(value instanceof Map)) {
    throw new FormatError(`${DECODE}: ${label} must be an object with dtype, shape and data_offsets, got ${describeJson(value)}`);
  }
  for (const field of value.keys()) {
    if (field !== 'dtype' && field !== 'shape' && field !== 'data_offsets') {
      throw new FormatError(`${DECODE}: ${label} has an unknown field ${quote(field)} (expected dtype, shape and data_offsets)`);
    }
  }
  const fileDtype = value.get('dtype');
  const shapeJson = value.get('shape');
  const offsetsJson = value.get('data_offsets');
  if (fileDtype === undefined || shapeJson === undefined || offsetsJson === undefined) {
    const missing = ['dtype', 'shape', 'data_offsets'].filter((field) => !value.has(field));
    throw new FormatError(`${DECODE}: ${label} has no ${missing.join(' and no ')}`);
  }

  if (typeof fileDtype !== 'string') throw new FormatError(`${DECODE}: ${label} has dtype ${describeJson(fileDtype)}, not a string`);
  const dtype = FROM_FILE_DTYPE.get(fileDtype);
  if (dtype === undefined) {
    if (OTHER_SPEC_DTYPES.has(fileDtype)) {
      throw new ValueError(
        `${DECODE}: ${label} has dtype ${fileDtype}, which wasmgrad does not hold: it reads F32 and F64 (convert the weights to float32 before saving)`,
      );
    }
    throw new FormatError(`${DECODE}: ${label} has unknown dtype ${quote(fileDtype)}`);
  }

  const shape = Array.isArray(shapeJson) ? shapeJson.map(integerOf) : null;
  if (shape === null || !shape.every((dim): dim is number => dim !== null)) {
    throw new FormatError(`${DECODE}: ${label} has shape ${describeJson(shapeJson)}: a shape is an array of non-negative integers`);
  }

  const offsets = Array.isArray(offsetsJson) && offsetsJson.length === 2 ? offsetsJson.map(integerOf) : null;
  const [begin, end] = offsets ?? [];
  if (begin === undefined || begin === null || end === undefined || end === null) {
    throw new FormatError(
      `${DECODE}: ${label} has data_offsets ${describeJson(offsetsJson)}: expected [begin, end], two non-negative integers`,
    );
  }
  if (end < begin) throw new FormatError(`${DECODE}: ${label} has data_offsets [${begin},${end}], which end before they begin`);
  if (end > dataBytes) {
    throw new FormatError(
      `${DECODE}: ${label} has data_offsets [${begin},${end}], past the end of the ${dataBytes}-byte data buffer (is the file truncated?)`,
    );
  }

  // Exact while the product is at most 2^53; beyond that only "too big" matters.
  const needed = shape.includes(0) ? 0 : shape.reduce((product, dim) => product * dim, DTYPES[dtype].bytes);
  if (needed !== end - begin) {
    const bytes = Number.isSafeInteger(needed) ? `${needed} bytes` : 'more than 2^53 bytes';
    throw new FormatError(
      `${DECODE}: ${label} has shape [${shape.join(',')}] of ${fileDtype}, which takes ${bytes}, but data_offsets [${begin},${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** The ranges must tile the data buffer: sorted by offset, each begins where the last ended. */
function checkCoverage(entries: readonly Entry[], dataBytes: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const entry of sorted) {
    if (entry.begin < covered && previous !== undefined) {
      throw new FormatError(
        `${DECODE}: tensors ${quote(previous.name)} [${previous.begin},${previous.end}] and ${quote(entry.name)} [${entry.begin},${entry.end}] overlap`,
      );
    }
    if (entry.begin > covered) {
      throw new FormatError(
        `${DECODE}: bytes [${covered},${entry.begin}) of the data buffer belong to no tensor (a hole before ${quote(entry.name)})`,
      );
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered !== dataBytes) {
    throw new FormatError(`${DECODE}: the last ${dataBytes - covered} bytes of the data buffer belong to no tensor`);
  }
}

/** A JSON number written as a plain non-negative integer that is exact in a double. */
function integerOf(value: Json): number | null {
  if (!(value instanceof JsonNumber) || !/^(?:0|[1-9][0-9]*)$/.test(value.raw)) return null;
  const n = Number(value.raw);
  return Number.isSafeInteger(n) ? n : null;
}
