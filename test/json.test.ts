// The strict JSON parser that safetensors headers go through (src/io/json.ts), on its own:
// it reads what JSON.parse reads, the same, and refuses what JSON.parse lets through
// (duplicate keys, "__proto__", nesting past a limit), saying what and where. How
// safetensors words these faults is test/safetensors.test.ts's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeJson, type Json, JsonError, JsonNumber, type JsonProblem, parseJson } from '../src/io/json';

const DEEP = { maxDepth: 64 };

/** A parsed value as JSON.parse gives it: objects for Maps, numbers for the raw text. */
function plain(value: Json): unknown {
  if (value instanceof JsonNumber) return Number(value.raw);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [key, plain(item)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** The JsonError that parsing `text` throws. */
function failure(text: string, maxDepth = DEEP.maxDepth): JsonError {
  try {
    parseJson(text, { maxDepth });
  } catch (error) {
    if (error instanceof JsonError) return error;
    throw error;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

function expectFailure(text: string, problem: JsonProblem, at: number, path: (string | number)[] = []): void {
  const error = failure(text);
  expect({ problem: error.problem, at: error.at, path: error.path }, JSON.stringify(text)).toStrictEqual({ problem, at, path });
}

describe('parseJson reads JSON as JSON.parse does', () => {
  it('any JSON text, compact or indented, gives the values JSON.parse gives', () => {
    fc.assert(
      fc.property(
        fc.json({ maxDepth: 4, stringUnit: 'grapheme' }).filter((text) => !text.includes('"__proto__"')),
        fc.constantFrom(undefined, 2, '\t'),
        (compact, indent) => {
          const text = indent === undefined ? compact : JSON.stringify(JSON.parse(compact), null, indent);
          expect(plain(parseJson(text, DEEP))).toStrictEqual(JSON.parse(text));
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it('objects are Maps in the order written, with no prototype to reach', () => {
    const value = parseJson('{"b": 1, "a": {"constructor": "x", "toString": []}}', DEEP);
    expect(value).toBeInstanceOf(Map);
    const map = value as Map<string, Json>;
    expect([...map.keys()]).toEqual(['b', 'a']);
    expect([...(map.get('a') as Map<string, Json>).keys()]).toEqual(['constructor', 'toString']);
  });

  it('numbers stay as written, so a reader can tell 8 from 8.0 or 2^64 from 2^64 + 1', () => {
    const value = parseJson('[8, 8.0, -0, 1e3, 2.5E-3, 18446744073709551616, 18446744073709551617]', DEEP) as Json[];
    expect(value.map((item) => (item as JsonNumber).raw)).toEqual([
      '8',
      '8.0',
      '-0',
      '1e3',
      '2.5E-3',
      '18446744073709551616',
      '18446744073709551617',
    ]);
  });

  it('strings with every escape, and surrogate pairs written as escapes', () => {
    expect(parseJson(String.raw`"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00"`, DEEP)).toBe('"\\/\b\f\n\r\tAé😀');
  });

  it('literals, and the four whitespace characters around anything', () => {
    expect(parseJson(' \t\n\r[true,false,null]\r\n\t ', DEEP)).toEqual([true, false, null]);
    expect(parseJson('{ }', DEEP)).toEqual(new Map());
    expect(parseJson('[ ]', DEEP)).toEqual([]);
  });
});

describe('parseJson refuses, saying what and where', () => {
  it('a key twice in an object, with the path to that object', () => {
    expectFailure('{"a":1,"a":2}', { kind: 'duplicate key', key: 'a' }, 7);
    expectFailure('{"a":[{"b":1,"b":2}]}', { kind: 'duplicate key', key: 'b' }, 13, ['a', 0]);
  });

  it('a "__proto__" key anywhere, written plainly or escaped', () => {
    expectFailure('{"__proto__":{}}', { kind: '__proto__ key' }, 1);
    expectFailure('{"x":{"y":[1,{"__proto__":1}]}}', { kind: '__proto__ key' }, 14, ['x', 'y', 1]);
    expectFailure(String.raw`{"\u005f_proto__":1}`, { kind: '__proto__ key' }, 1);
  });

  it('nesting deeper than asked, before it can overflow the stack', () => {
    expect(parseJson('[1]', { maxDepth: 1 })).toHaveLength(1);
    expect(failure('[[1]]', 1).problem).toStrictEqual({ kind: 'syntax', what: 'nested deeper than 1 levels' });
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(failure(deep, 32)).toMatchObject({ problem: { kind: 'syntax', what: 'nested deeper than 32 levels' }, at: 32 });
  });

  it('anything after the value', () => {
    expectFailure('{} x', { kind: 'text after the value' }, 3);
    expectFailure('01', { kind: 'text after the value' }, 1);
    expectFailure('1.', { kind: 'text after the value' }, 1);
    expectFailure('[1][2]', { kind: 'text after the value' }, 3);
  });

  it('what is not JSON, at the character where it is seen', () => {
    const cases: [string, string, number, (string | number)[]?][] = [
      ['', 'unexpected end', 0],
      ['   ', 'unexpected end', 3],
      ['{"a": nope}', 'unexpected character "n"', 6, ['a']],
      ['{"a":1,}', 'expected a key string', 7],
      ['{a:1}', 'expected a key string', 1],
      ['{"a" 1}', 'expected ":" after key "a"', 5],
      ['{"a":1 "b":2}', 'expected "," or "}" in an object', 7],
      ['[1 2]', 'expected "," or "]" in an array', 3],
      ['[1,]', 'unexpected character "]"', 3, [1]],
      ['"abc', 'unterminated string', 4],
      ['"a\u0001"', 'a raw control character in a string', 2],
      [String.raw`"\x"`, 'a malformed escape', 1],
      [String.raw`"\u12"`, 'a malformed \\u escape', 1],
      [String.raw`"\ud800"`, 'a string with a lone surrogate escape', 8],
      [String.raw`"\ude00\ud83d"`, 'a string with a lone surrogate escape', 14],
      ['-', 'a malformed number', 0],
      ['.5', 'unexpected character "."', 0],
      ['+1', 'unexpected character "+"', 0],
      ['NaN', 'unexpected character "N"', 0],
      ['tru', 'unexpected character "t"', 0],
      ['\u00a0[]', 'unexpected character "\u00a0"', 0],
    ];
    for (const [text, what, at, path = []] of cases) expectFailure(text, { kind: 'syntax', what }, at, path);
  });

  it('its message says the problem, the character and the path', () => {
    expect(failure('{"a":[{"b":1,"b":2}]}').message).toBe('duplicate key "b" at character 13 (in ["a"][0])');
    expect(failure('{"a": nope}').message).toBe('unexpected character "n" at character 6 (in ["a"])');
    expect(failure('{} x').message).toBe('unexpected text after the value at character 3');
  });
});

describe('describeJson', () => {
  it('shows a value short: long numbers and strings cut, nested values as …', () => {
    const value = parseJson(`[1, "${'x'.repeat(100)}", ${'9'.repeat(50)}, [2], {"a": 3}, null, true, 4, 5, 6]`, DEEP);
    expect(describeJson(value)).toBe(`[1,"${'x'.repeat(80)}…",${'9'.repeat(40)}…,…,…,null,true,4,…]`);
    expect(describeJson(parseJson('{"a": 1}', DEEP))).toBe('an object');
  });
});
