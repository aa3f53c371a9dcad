// A strict JSON parser, for headers read from files that may be damaged or forged.
// JSON.parse keeps the last of duplicate keys silently and turns "__proto__" into a
// prototype; this one refuses both, keeps objects in Maps (no prototype to pollute), keeps
// numbers as written (so 2^64 or 2.5 cannot pass as an integer), and bounds its depth so a
// deeply nested text is an error rather than a stack overflow. A failure is a JsonError
// saying what is wrong and where, for the format that reads the JSON to word as its own.

export type Json = null | boolean | string | JsonNumber | Json[] | Map<string, Json>;

/** A number as the text wrote it: the reader decides what it may be. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

/** A step into a value: an object's key or an array's index. */
export type JsonPathStep = string | number;

export type JsonProblem =
  /** The text is not JSON here: `what` says how ('unexpected character "n"'). */
  | { kind: 'syntax'; what: string }
  /** The value ended and something other than whitespace follows it. */
  | { kind: 'text after the value' }
  /** An object holds `key` twice. */
  | { kind: 'duplicate key'; key: string }
  /** An object holds the key "__proto__", which JavaScript objects cannot hold as data. */
  | { kind: '__proto__ key' };

export class JsonError extends Error {
  /**
   * @param at the position in the text (UTF-16 units) where the problem is seen
   * @param path the keys and indices from the top value to where it is (for a key, to
   *   the object holding it)
   */
  constructor(
    readonly problem: JsonProblem,
    readonly at: number,
    readonly path: readonly JsonPathStep[],
  ) {
    const where = path.map((step) => `[${typeof step === 'number' ? step : quote(step)}]`).join('');
    super(`${problemText(problem)} at character ${at}${where === '' ? '' : ` (in ${where})`}`);
    this.name = 'JsonError';
  }
}

export interface JsonOptions {
  /** How many objects and arrays may nest in each other: 1 allows [1] but not [[1]]. */
  maxDepth: number;
}

/**
 * `text` as one JSON value; a JsonError when it is not strict JSON. A string whose \u
 * escapes leave half a surrogate pair is refused; the text's own characters are taken as
 * they are (text decoded from UTF-8 has no lone surrogate to find).
 */
export function parseJson(text: string, { maxDepth }: JsonOptions): Json {
  return new Parser(text, maxDepth).parse();
}

/** A string for a message: JSON-quoted, and cut short if long. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** A JSON value for a message, short: nested values shown as "…". */
export function describeJson(value: Json): string {
  if (value instanceof JsonNumber) return value.raw.length > 40 ? `${value.raw.slice(0, 40)}…` : value.raw;
  if (typeof value === 'string') return quote(value);
  if (value instanceof Map) return 'an object';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map((item) => (Array.isArray(item) || item instanceof Map ? '…' : describeJson(item)));
    return `[${shown.join(',')}${value.length > 8 ? ',…' : ''}]`;
  }
  return String(value);
}

// In unicode mode a surrogate pair is one code point, so this matches only a lone half.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Whether `text` has no lone surrogate, so that UTF-8 can encode it. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function problemText(problem: JsonProblem): string {
  switch (problem.kind) {
    case 'syntax':
      return problem.what;
    case 'text after the value':
      return 'unexpected text after the value';
    case 'duplicate key':
      return `duplicate key ${quote(problem.key)}`;
    case '__proto__ key':
      return 'a "__proto__" key';
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  #pos = 0;
  readonly #path: JsonPathStep[] = [];
  readonly #text: string;
  readonly #maxDepth: number;

  constructor(text: string, maxDepth: number) {
    this.#text = text;
    this.#maxDepth = maxDepth;
  }

  parse(): Json {
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#pos < this.#text.length) throw new JsonError({ kind: 'text after the value' }, this.#pos, []);
    return value;
  }

  #fail(what: string): never {
    throw new JsonError({ kind: 'syntax', what }, this.#pos, [...this.#path]);
  }

  #skipWhitespace(): void {
    const text = this.#text;
    let pos = this.#pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.#pos = pos;
  }

  #value(depth: number): Json {
    this.#skipWhitespace();
    const text = this.#text;
    const c = text[this.#pos];
    if (c === '{') return this.#object(depth);
    if (c === '[') return this.#array(depth);
    if (c === '"') return this.#string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return value;
      }
    }
    return this.#fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
  }

  #enter(depth: number): void {
    if (depth >= this.#maxDepth) this.#fail(`nested deeper than ${this.#maxDepth} levels`);
    this.#pos++;
    this.#skipWhitespace();
  }

  #object(depth: number): Map<string, Json> {
    this.#enter(depth);
    const map = new Map<string, Json>();
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
      return map;
    }
    for (;;) {
      this.#skipWhitespace();
      if (this.#text[this.#pos] !== '"') this.#fail('expected a key string');
      const keyAt = this.#pos;
      const key = this.#string();
      if (key === '__proto__') throw new JsonError({ kind: '__proto__ key' }, keyAt, [...this.#path]);
      if (map.has(key)) throw new JsonError({ kind: 'duplicate key', key }, keyAt, [...this.#path]);
      this.#skipWhitespace();
      if (this.#text[this.#pos] !== ':') this.#fail(`expected ":" after key ${quote(key)}`);
      this.#pos++;
      this.#path.push(key);
      map.set(key, this.#value(depth + 1));
      this.#path.pop();
      this.#skipWhitespace();
      const next = this.#text[this.#pos];
      this.#pos++;
      if (next === '}') return map;
      if (next !== ',') {
        this.#pos--;
        this.#fail('expected "," or "}" in an object');
      }
    }
  }

  #array(depth: number): Json[] {
    this.#enter(depth);
    const items: Json[] = [];
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
      return items;
    }
    for (;;) {
      this.#path.push(items.length);
      items.push(this.#value(depth + 1));
      this.#path.pop();
      this.#skipWhitespace();
      const next = this.#text[this.#pos];
      this.#pos++;
      if (next === ']') return items;
      if (next !== ',') {
        this.#pos--;
        this.#fail('expected "," or "]" in an array');
      }
    }
  }

  #string(): string {
    const text = this.#text;
    let pos = this.#pos + 1;
    let start = pos;
    let out = '';
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (Number.isNaN(c)) {
        this.#pos = pos;
        this.#fail('unterminated string');
      }
      if (c < 0x20) {
        this.#pos = pos;
        this.#fail('a raw control character in a string');
      }
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      escaped = true;
      const e = text[pos + 1];
      if (e === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.#pos = pos;
          this.#fail('a malformed \\u escape');
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        const replacement = e === undefined ? undefined : ESCAPES[e];
        if (replacement === undefined) {
          this.#pos = pos;
          this.#fail('a malformed escape');
        }
        out += replacement;
        pos += 2;
      }
      start = pos;
    }
    out += text.slice(start, pos);
    this.#pos = pos + 1;
    // Only \u escapes can leave half a pair in text decoded from UTF-8 (see parseJson).
    if (escaped && !isWellFormed(out)) this.#fail('a string with a lone surrogate escape');
    return out;
  }

  #number(): JsonNumber {
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.#text);
    if (match === null) this.#fail('a malformed number');
    this.#pos += match[0].length;
    return new JsonNumber(match[0]);
  }
}
