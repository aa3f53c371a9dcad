// README.md's code as a reader gets it: each ```ts block, copied into a project that
// installed the packed package, runs to the end as a Node script on its own, every result
// it states in a `// → …` comment holds (the convention: readme.ts), and it type-checks as
// a consumer's strict TypeScript, for Node (module nodenext) and for a bundler.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, root } from '../packed';
import { type Block, differences, fencedBlocks, instrument, toModule } from './readme';

const blocks = fencedBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const language = (block: Block) => block.info.split(/\s+/)[0];
const code = blocks.filter((block) => language(block) === 'ts');
/** Fences that show something other than code to run. */
const shown = new Set(['sh']);
const where = (block: Block) => `README.md:${block.fence} (${block.section})`;

/** A block may ask for more than the default minute: ```ts timeout=300 (seconds). */
function timeoutOf(block: Block): number {
  const seconds = /\btimeout=(\d+)\b/.exec(block.info)?.[1];
  return seconds === undefined ? 60_000 : Number(seconds) * 1000;
}

const project = mkdtempSync(join(tmpdir(), 'wasmgrad-readme-'));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
// A clean environment for the children: no NODE_ENV=test, no npm_config_* of the outer npm run.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_ENV' && !/^npm_/i.test(key)));

beforeAll(() => {
  installPacked(project, { name: 'wasmgrad-readme', private: true, type: 'module' });
  cpSync(join(root, 'test/chromium/readme-run.mjs'), join(project, 'readme-run.mjs'));
  mkdirSync(join(project, 'run'));
  mkdirSync(join(project, 'types'));
  for (const block of code) writeFileSync(join(project, 'types', `README.md-${block.fence}.ts`), block.source);
}, 120_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

interface Recorded {
  line: number;
  value: unknown;
}

/** Runs `block` rewritten as `code` in a fresh Node process; what it recorded, or why it failed. */
async function run(block: Block, code: string, timeout: number): Promise<Recorded[]> {
  const name = `README.md-${block.fence}`;
  writeFileSync(join(project, 'run', `${name}.mjs`), toModule(block, code));
  const results = join(project, 'run', `${name}.json`);
  try {
    await promisify(execFile)(process.execPath, ['--enable-source-maps', 'readme-run.mjs', `run/${name}.mjs`, results], {
      cwd: project,
      env,
      timeout,
      encoding: 'utf8',
    });
  } catch (error) {
    const { killed, stderr } = error as { killed?: boolean; stderr?: string };
    if (killed) throw new Error(`${where(block)}: still running after ${timeout / 1000} s (did it leave something running?)\n${stderr}`);
    // The stack names README.md-<fence>.ts at README's own line numbers.
    throw new Error(`${where(block)} failed:\n${stderr}`);
  }
  return JSON.parse(readFileSync(results, 'utf8'));
}

/** Every stated result of `block` that does not hold, as README.md:line: what differs. */
async function check(block: Block, timeout = timeoutOf(block)): Promise<string[]> {
  const { code, stated } = instrument(block);
  const recorded = await run(block, code, timeout);
  return stated.flatMap(({ line, expected }) => {
    const values = recorded.filter((r) => r.line === line);
    if (values.length !== 1) return [`README.md:${line}: recorded ${values.length} times`];
    return differences((values[0] as Recorded).value, expected).map((difference) => `README.md:${line}: ${difference}`);
  });
}

describe('README.md', () => {
  it('shows code only as ```ts blocks, which run, or ```sh blocks, which do not', () => {
    expect(blocks.filter((block) => language(block) !== 'ts' && !shown.has(language(block) ?? '')).map(where)).toEqual([]);
    expect(code.length).toBeGreaterThan(0);
  });

  for (const block of code) {
    it(
      `${where(block)} runs on its own in Node, from the packed package, and what it states holds`,
      async () => {
        expect(await check(block)).toEqual([]);
      },
      timeoutOf(block) + 10_000,
    );
  }

  // What a consumer's tsconfig has: strict, and arrays that may not have the index read.
  // Node: module nodenext with @types/node (this checkout's) and no DOM; a bundler:
  // esnext/bundler with the DOM's types.
  const configs = {
    nodenext: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['es2022'],
      typeRoots: [join(root, 'node_modules/@types')],
      types: ['node'],
    },
    bundler: { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom', 'dom.iterable'], types: [] },
  };
  it.each(Object.keys(configs) as (keyof typeof configs)[])(
    "every block type-checks as a consumer's TypeScript, module %s",
    async (kind) => {
      const compilerOptions = { ...configs[kind], target: 'es2022', strict: true, noUncheckedIndexedAccess: true, noEmit: true };
      writeFileSync(join(project, `tsconfig.${kind}.json`), JSON.stringify({ compilerOptions, include: ['types/*.ts'] }));
      const errors = await promisify(execFile)(process.execPath, [tsc, '-p', `tsconfig.${kind}.json`, '--pretty', 'false'], {
        cwd: project,
        env,
        encoding: 'utf8',
      }).then(
        () => '',
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      // types/README.md-<fence>.ts(line,column) is README.md:line:column.
      const lines = errors.replace(/types\/README\.md-\d+\.ts\((\d+),(\d+)\)/g, 'README.md:$1:$2').split('\n');
      expect(lines.filter((line) => line.trim() !== '')).toEqual([]);
    },
  );
});

describe('the README harness', () => {
  const block = (source: string, fence = 1000): Block => ({ info: 'ts', fence, section: 'a test of the harness', source });

  it('reports exactly the stated results that do not hold, each at the decimals written', async () => {
    const source = `import { init, MultiplyGate, Tensor } from 'wasmgrad';
await init();
const mul = new MultiplyGate();
const f = mul.forward(0.1, 3); // → 0.3
mul.forward(0.1, 3); // → 0.31
const [dx, dy] = mul.backward(-1); // → −3, −0.1
const [a, b] = mul.backward(-1); // → [−3, −0.2]
const [c] = mul.backward(1); // → 3.0004
Tensor.from([[0.5, -2]]); // → [[0.5, −2]]
Tensor.from([[0.5, -2]]); // → [0.5, −2]
({ on: true, n: 1 }); // → { on: true, n: 1 }
({ on: true, n: 1 }); // → { on: true }
`;
    expect(await check(block(source, 0), 30_000)).toEqual([
      'README.md:5: the value: stated 0.31, got 0.30000000000000004',
      'README.md:7: [1]: stated −0.2, got -0.1',
      'README.md:8: the value: stated 3.0004, got 3',
      'README.md:10: the value: stated 2 elements, got [[0.5,-2]]',
      'README.md:12: the value: stated the keys on, got {"on":true,"n":1}',
    ]);
  });

  it('fails a block that throws, and one that never lets Node exit', async () => {
    await expect(check(block(`import { Graph } from 'wasmgrad';\nnew Graph().forward();\n`), 30_000)).rejects.toThrow(
      /GraphError: forward: the graph is empty\n *at /,
    );
    const hangs = { ...block('setInterval(() => {}, 1000);\n'), info: 'ts timeout=2' };
    await expect(check(hangs)).rejects.toThrow(/still running after 2 s/);
  });

  it('refuses a result it cannot check, and one stated without the arrow', () => {
    expect(() => instrument(block('const f = 2 * 3; // → six\n'))).toThrow(/README.md:1: expected a number/);
    expect(() => instrument(block('if (true) {\n  2 * 3; // → 6\n}\n'))).toThrow(
      /README.md:2: a stated result .* must end the line of a top-level/,
    );
    expect(() => instrument(block('const f = 2 * 3; // 6\n'))).toThrow(/README.md:1: "\/\/ 6" reads as a result/);
    expect(() => instrument(block('const f = 2 * 3; // 6: the product\n'))).toThrow(/reads as a result/);
    expect(instrument(block('const f = 2 * 3; // 2q, the gradient\n')).stated).toEqual([]);
  });
});
