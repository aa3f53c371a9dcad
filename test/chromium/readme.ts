// README.md's ```ts blocks as tests (readme.test.ts). A block states a result in a comment
// that starts with →, after the top-level statement it is about:
//
//   const f = mul.forward(q, -4); // → −12; prose may follow ';', ':' or '—'
//   const [dx, dy] = add.backward(dq); // → [−4, −4]: the destructured names, in order
//   g.grad(x), g.grad(y), g.grad(z); // → −4, −4, 3: a comma expression states a list
//
// What is stated: the value of the declared name; of the destructured names ([a, b] or
// a, b; a single name is its own value; { a, b } names an object); or of the expression.
// A Tensor is its nested elements, a typed array its elements. A number holds if the
// actual one rounds to it at the decimals written (0.116 means within 0.0005; −12 within
// 0.5; 1.5e-7 within 5e-9); − and - are both minus. Strings, true, false, null, undefined,
// NaN, Infinity must be exact; an object must have exactly the keys written.
// A → anywhere else, or one whose result does not parse, fails the test; so does a comment
// that starts like a result without the arrow (// −12), which would go unchecked. Every
// other comment is prose.
import ts from 'typescript';

export interface Block {
  /** The fence's info string: 'ts', 'sh', 'ts timeout=300'. */
  info: string;
  /** README line of the opening fence. */
  fence: number;
  /** Nearest heading above the block. */
  section: string;
  /** The block's text, preceded by `fence` newlines so that its line numbers are README's. */
  source: string;
}

/** Every fenced block of a Markdown text. */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^#+ /.test(line)) section = line.replace(/^#+ /, '');
    // A fence may be indented, inside a list item; its lines lose that indentation.
    const open = /^( *)```(.*)$/.exec(line);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const end = lines.findIndex((l, j) => j > i && /^ *```\s*$/.test(l));
    if (end < 0) throw new Error(`README.md:${i + 1}: a fence that never closes`);
    blocks.push({
      info: (open[2] as string).trim(),
      fence: i + 1,
      section,
      source:
        '\n'.repeat(i + 1) +
        lines
          .slice(i + 1, end)
          .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
          .join('\n'),
    });
    i = end;
  }
  return blocks;
}

export type Expected =
  | { kind: 'number'; value: number; within: number; text: string }
  | { kind: 'exact'; value: string | boolean | null | undefined }
  | { kind: 'array'; items: Expected[] }
  | { kind: 'object'; entries: Record<string, Expected> };

/** A result the block states. */
export interface Stated {
  line: number;
  text: string;
  expected: Expected;
}

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at ${JSON.stringify(this.text.slice(this.at, this.at + 20))} in ${JSON.stringify(this.text)}`);
  }

  skip(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }

  eat(token: string): boolean {
    this.skip();
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    return true;
  }

  /** value (',' value)*: a list of more than one is an array. */
  list(): Expected {
    const items = [this.value()];
    while (this.eat(',')) items.push(this.value());
    return items.length === 1 ? (items[0] as Expected) : { kind: 'array', items };
  }

  value(): Expected {
    this.skip();
    const rest = this.text.slice(this.at);
    const number = /^([-−]?)(?:(\d+(?:\.(\d+))?)(?:e([-−+]?\d+))?|(Infinity|∞)|(NaN))(?![\w.])/i.exec(rest);
    if (number) {
      this.at += number[0].length;
      const [, sign, digits, decimals = '', exponent = '0', infinite, nan] = number;
      if (nan) return { kind: 'number', value: Number.NaN, within: 0, text: number[0] };
      const power = Number(exponent.replace('−', '-'));
      const magnitude = infinite ? Number.POSITIVE_INFINITY : Number(`${digits}e${power}`);
      const within = infinite ? 0 : 0.5 * 10 ** (power - decimals.length);
      return { kind: 'number', value: sign ? -magnitude : magnitude, within, text: number[0] };
    }
    const quoted = /^(?:'([^']*)'|"([^"]*)")/.exec(rest);
    if (quoted) {
      this.at += quoted[0].length;
      return { kind: 'exact', value: quoted[1] ?? (quoted[2] as string) };
    }
    const word = /^(true|false|null|undefined)\b/.exec(rest);
    if (word) {
      this.at += word[0].length;
      const values = { true: true, false: false, null: null, undefined: undefined } as const;
      return { kind: 'exact', value: values[word[1] as keyof typeof values] };
    }
    if (this.eat('[')) {
      const items: Expected[] = [];
      if (!this.eat(']')) {
        do items.push(this.value());
        while (this.eat(','));
        if (!this.eat(']')) this.fail('expected , or ]');
      }
      return { kind: 'array', items };
    }
    if (this.eat('{')) {
      const entries: Record<string, Expected> = {};
      if (!this.eat('}')) {
        do {
          this.skip();
          const key = /^(?:([A-Za-z_$][\w$]*)|'([^']*)'|"([^"]*)")/.exec(this.text.slice(this.at));
          if (!key) this.fail('expected a key');
          this.at += key[0].length;
          if (!this.eat(':')) this.fail('expected :');
          entries[key[1] ?? key[2] ?? (key[3] as string)] = this.value();
        } while (this.eat(','));
        if (!this.eat('}')) this.fail('expected , or }');
      }
      return { kind: 'object', entries };
    }
    return this.fail('expected a number, string, true, false, null, undefined, [ or {');
  }

  /** What may follow a stated result: nothing, or prose after ';', ':' or '—'. */
  ended(): boolean {
    this.skip();
    return this.at === this.text.length || /^[;:—]/.test(this.text.slice(this.at));
  }
}

/** The result a `// → …` comment states (the text after the arrow). */
export function parseStated(text: string): Expected {
  const parser = new Parser(text);
  const expected = parser.list();
  if (!parser.ended()) parser.fail('a stated result ends at the comment, or before ";", ":" or "—"');
  return expected;
}

/** Whether a comment without the arrow starts the way a stated result would. */
function looksStated(text: string): boolean {
  if (!/^[-−\d[{]/.test(text)) return false;
  try {
    const parser = new Parser(text);
    parser.list();
    return parser.ended() || /^[,(]/.test(text.slice(parser.at));
  } catch {
    return false;
  }
}

function lineOf(file: ts.SourceFile, position: number): number {
  return file.getLineAndCharacterOfPosition(position).line + 1;
}

/** The names a declaration binds, as the expression the harness records. */
function boundValue(name: ts.BindingName, line: number): string {
  if (ts.isIdentifier(name)) return name.text;
  const names = name.elements.map((element) => {
    if (ts.isOmittedExpression(element) || !ts.isIdentifier(element.name) || element.dotDotDotToken) {
      throw new Error(`README.md:${line}: a stated result needs plain names to destructure into`);
    }
    return element.name.text;
  });
  if (ts.isObjectBindingPattern(name)) return `{ ${names.join(', ')} }`;
  return names.length === 1 ? (names[0] as string) : `[${names.join(', ')}]`;
}

/** Every // comment of a source file, found around its tokens (a comment inside a string is none). */
function comments(file: ts.SourceFile): ts.CommentRange[] {
  const found = new Map<number, ts.CommentRange>();
  const visit = (node: ts.Node): void => {
    const around = [
      ...(ts.getLeadingCommentRanges(file.text, node.pos) ?? []),
      ...(ts.getTrailingCommentRanges(file.text, node.end) ?? []),
    ];
    for (const range of around) if (range.kind === ts.SyntaxKind.SingleLineCommentTrivia) found.set(range.pos, range);
    for (const child of node.getChildren(file)) visit(child);
  };
  visit(file);
  return [...found.values()];
}

function commaList(expression: ts.Expression): ts.Expression[] {
  if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.CommaToken) {
    return [...commaList(expression.left), expression.right];
  }
  return [expression];
}

/**
 * Finds the results `block` states and returns them with the block's code rewritten to
 * pass each stated value, once, to `globalThis.__readme(line, value)` on that line.
 * Throws on a `// → …` it cannot check and on a comment that looks like a result
 * without the arrow (a result that would otherwise go unchecked).
 */
export function instrument(block: Block): { code: string; stated: Stated[] } {
  const file = ts.createSourceFile(`block-${block.fence}.ts`, block.source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const text = block.source;
  const stated: Stated[] = [];
  const edits: { from: number; to: number; text: string }[] = [];
  const checked = new Set<number>();
  for (const statement of file.statements) {
    for (const range of ts.getTrailingCommentRanges(text, statement.end) ?? []) {
      const comment = /^\/\/\s*→(.*)$/.exec(text.slice(range.pos, range.end));
      if (!comment) continue;
      const line = lineOf(file, range.pos);
      checked.add(range.pos);
      let expected: Expected;
      try {
        expected = parseStated(comment[1] as string);
      } catch (error) {
        throw new Error(`README.md:${line}: ${(error as Error).message}`);
      }
      stated.push({ line, text: (comment[1] as string).trim(), expected });
      const record = (value: string) => `globalThis.__readme(${line}, ${value})`;
      if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
        const declaration = statement.declarationList.declarations[0] as ts.VariableDeclaration;
        edits.push({ from: statement.end, to: statement.end, text: ` ${record(boundValue(declaration.name, line))};` });
      } else if (ts.isExpressionStatement(statement)) {
        const items = commaList(statement.expression).map((e) => e.getText(file));
        const value = items.length === 1 ? (items[0] as string) : `[${items.join(', ')}]`;
        edits.push({ from: statement.getStart(file), to: statement.end, text: `${record(value)};` });
      } else {
        throw new Error(`README.md:${line}: a result can be stated after an expression or a declaration of one name or pattern`);
      }
    }
  }
  // Every comment in the block: an arrow the loop above did not take would go unchecked.
  for (const range of comments(file)) {
    const content = text.slice(range.pos + 2, range.end).trim();
    const line = lineOf(file, range.pos);
    if (content.startsWith('→') && !checked.has(range.pos)) {
      throw new Error(`README.md:${line}: a stated result (// → …) must end the line of a top-level statement`);
    }
    if (looksStated(content)) throw new Error(`README.md:${line}: "// ${content}" reads as a result: state it as // → …, or reword it`);
  }
  let code = text;
  for (const edit of edits.sort((a, b) => b.from - a.from)) code = code.slice(0, edit.from) + edit.text + code.slice(edit.to);
  return { code, stated };
}

/** A block as an ES module for Node, with an inline source map to README's lines. */
export function toModule(block: Block, code: string): string {
  return ts.transpileModule(code, {
    fileName: `README.md-${block.fence}.ts`,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
  }).outputText;
}

/**
 * Where `actual` (as readme-run.mjs records it: JSON, with non-finite numbers as
 * { $number: 'NaN' } and undefined as { $undefined: true }) differs from `expected`.
 */
export function differences(actual: unknown, expected: Expected, path = ''): string[] {
  const at = path || 'the value';
  const got = describeActual(actual);
  switch (expected.kind) {
    case 'number': {
      const value = typeof actual === 'number' ? actual : Number((actual as { $number?: string } | null)?.$number ?? Number.NaN);
      const isNumber = typeof actual === 'number' || typeof (actual as { $number?: string } | null)?.$number === 'string';
      const holds = Number.isFinite(expected.value)
        ? Math.abs(value - expected.value) <= expected.within * (1 + 1e-9)
        : Object.is(value, expected.value);
      return isNumber && holds ? [] : [`${at}: stated ${expected.text}, got ${got}`];
    }
    case 'exact': {
      const value = (actual as { $undefined?: boolean } | null)?.$undefined === true ? undefined : actual;
      return Object.is(value, expected.value) ? [] : [`${at}: stated ${String(JSON.stringify(expected.value))}, got ${got}`];
    }
    case 'array': {
      if (!Array.isArray(actual) || actual.length !== expected.items.length) {
        return [`${at}: stated ${expected.items.length} elements, got ${got}`];
      }
      return expected.items.flatMap((item, i) => differences(actual[i], item, `${path}[${i}]`));
    }
    case 'object': {
      if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${at}: stated an object, got ${got}`];
      const keys = Object.keys(actual).sort();
      const stated = Object.keys(expected.entries).sort();
      if (keys.join() !== stated.join()) return [`${at}: stated the keys ${stated.join(', ')}, got ${got}`];
      return stated.flatMap((key) =>
        differences((actual as Record<string, unknown>)[key], expected.entries[key] as Expected, `${path}.${key}`),
      );
    }
  }
}

function describeActual(actual: unknown): string {
  return JSON.stringify(actual, (_key, value) => (value?.$number ? value.$number : value?.$undefined ? 'undefined' : value));
}
