// The package's types as a user's TypeScript sees them: the tarball `npm pack` makes,
// checked by arethetypeswrong in every resolution mode, then installed into a throwaway
// project and type-checked as an ESM program (nodenext; bundler), a Node program without
// the DOM lib, and a CommonJS program. Each program has lines that must be errors: under
// an `any` (types not found, or a declaration that does not resolve) they would not be,
// and `@ts-expect-error` fails. Node only; dist/ must be built (`npm test` builds it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPacked, root } from './packed';

const project = mkdtempSync(join(tmpdir(), 'wasmgrad-types-'));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const attw = join(require.resolve('@arethetypeswrong/cli/package.json'), '../dist/index.js');
let tarball: string;

// What a user writes, and what must not type-check. `threads: 'two'` and `drawGraph(42)` are
// accepted when init or drawGraph is `any`; the rest when Graph, Tensor or nn is.
const body = `
  await init();
  const g = new Graph();
  const x = g.input('x');
  const f = g.mul(g.add(x, 3), 2);
  const value: number = g.forward({ x: -2 }) as number;
  g.backward(f);
  const svg: string = drawGraph(g, { title: 'f' });
  // @ts-expect-error drawGraph takes a Graph
  drawGraph(42);
  // @ts-expect-error threads is a number
  await init({ threads: 'two' });
  const gate = new MultiplyGate();
  const out = gate.forward(-2, 3);
  // @ts-expect-error a gate's backward returns the gradients, not a string
  const wrong: string = gate.backward(1);
  const t: Tensor = Tensor.from([[1, 2]]);
  // @ts-expect-error a Tensor's shape is numbers
  const shape: string = t.shape;
  const model = new nn.Sequential([new nn.Linear(2, 1)]);
  // @ts-expect-error a model takes a Tensor
  model.forward('x');
  const bytes: Uint8Array = toOnnx(model, { inputShape: [2], opset: 17 });
  const back = fromOnnx(bytes);
  // @ts-expect-error fromOnnx gives a model, whose layers are not a string
  const layers: string = back.layers;
  // @ts-expect-error toOnnx needs the shape of one example
  toOnnx(model, {});
  return [value, svg, out, wrong, shape, back, layers];
`;

const esm = `import { Graph, init, MultiplyGate, nn, Tensor } from 'wasmgrad';
import { fromOnnx, toOnnx } from 'wasmgrad/onnx';
import { drawGraph } from 'wasmgrad/viz';

export async function main(): Promise<unknown[]> {${body}}
`;

// CommonJS: a .ts file in a package without "type": "module", compiled to require().
const cjs = `import wasmgrad = require('wasmgrad');
import viz = require('wasmgrad/viz');
import onnx = require('wasmgrad/onnx');

const { Graph, init, MultiplyGate, nn, Tensor } = wasmgrad;
const { fromOnnx, toOnnx } = onnx;
type Tensor = wasmgrad.Tensor;
const { drawGraph } = viz;

export async function main(): Promise<unknown[]> {${body}}
`;

const strict = { strict: true, noImplicitAny: true, noEmit: true, skipLibCheck: false, target: 'ES2022' };

const setups = {
  'module nodenext, ESM': {
    dir: 'esm',
    compilerOptions: { ...strict, module: 'nodenext', lib: ['ES2022', 'DOM'], types: [] },
    declarations: ['dist/index.d.ts', 'dist/viz.d.ts', 'dist/onnx.d.ts'],
  },
  'module esnext, moduleResolution bundler': {
    dir: 'esm',
    compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
    declarations: ['dist/index.d.ts', 'dist/viz.d.ts', 'dist/onnx.d.ts'],
  },
  // A Node program's usual lib: @types/node declares URL and Response but not WebAssembly.
  'module nodenext, ESM, lib ES2022 + @types/node (no DOM)': {
    dir: 'esm',
    compilerOptions: {
      ...strict,
      module: 'nodenext',
      lib: ['ES2022'],
      typeRoots: [join(root, 'node_modules/@types')],
      types: ['node'],
    },
    declarations: ['dist/index.d.ts', 'dist/viz.d.ts', 'dist/onnx.d.ts'],
  },
  'module nodenext, CommonJS (require)': {
    dir: 'cjs',
    compilerOptions: { ...strict, module: 'nodenext', lib: ['ES2022', 'DOM'], types: [] },
    declarations: ['dist/index.d.cts', 'dist/viz.d.cts', 'dist/onnx.d.cts'],
  },
} as const;

beforeAll(() => {
  tarball = installPacked(project, { name: 'wasmgrad-types', private: true });
  mkdirSync(join(project, 'esm'));
  writeFileSync(join(project, 'esm/package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(project, 'esm/main.ts'), esm);
  mkdirSync(join(project, 'cjs'));
  writeFileSync(join(project, 'cjs/package.json'), JSON.stringify({ type: 'commonjs' }));
  writeFileSync(join(project, 'cjs/main.ts'), cjs);
}, 120_000);

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

/** tsc's exit status, its diagnostics and the files it read (--listFiles: absolute paths). */
function typecheck(dir: string, config: string, compilerOptions: object): { status: number; output: string; files: string[] } {
  writeFileSync(join(project, dir, config), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
  let status = 0;
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [tsc, '-p', config, '--listFiles'], { cwd: join(project, dir), encoding: 'utf8' });
  } catch (error) {
    ({ status, stdout } = error as { status: number; stdout: string });
  }
  const lines = stdout.split('\n');
  return { status, output: lines.filter((line) => !line.startsWith('/')).join('\n'), files: lines.filter((line) => line.startsWith('/')) };
}

describe('the packed package', () => {
  it('has no problems that arethetypeswrong finds, and every entry resolves in every mode', () => {
    const report = JSON.parse(execFileSync(process.execPath, [attw, tarball, '--format', 'json'], { encoding: 'utf8' }));
    expect(report.analysis.problems).toEqual([]);
    const resolved: Record<string, Record<string, string>> = {};
    for (const [entry, { resolutions }] of Object.entries<{ resolutions: Record<string, { resolution?: { fileName: string } }> }>(
      report.analysis.entrypoints,
    )) {
      resolved[entry] = Object.fromEntries(
        Object.entries(resolutions).map(([mode, r]) => [mode, r.resolution?.fileName.replace('/node_modules/wasmgrad/', '') ?? 'none']),
      );
    }
    const both = (name: string) => ({
      node10: `dist/${name}.d.cts`,
      'node16-cjs': `dist/${name}.d.cts`,
      'node16-esm': `dist/${name}.d.ts`,
      bundler: `dist/${name}.d.ts`,
    });
    expect(resolved).toEqual({
      '.': both('index'),
      './inline': both('inline'),
      './viz': both('viz'),
      './onnx': both('onnx'),
      './package.json': { node10: 'package.json', 'node16-cjs': 'package.json', 'node16-esm': 'package.json', bundler: 'package.json' },
    });
  });

  it.each(Object.entries(setups))('type-checks a strict program under %s, with real types', (_name, setup) => {
    const config = `tsconfig.${Object.keys(setups).indexOf(_name)}.json`;
    const { status, output, files } = typecheck(setup.dir, config, setup.compilerOptions);
    expect(output).toBe('');
    expect(status).toBe(0);
    for (const file of setup.declarations) expect(files).toContain(join(project, 'node_modules/wasmgrad', file));
  });
});
