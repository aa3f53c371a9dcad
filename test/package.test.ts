// The built package as a user gets it: both entries, as ESM and CommonJS, in a fresh
// Node process. `npm test` builds dist/ first. (Chromium's side: test/chromium/.)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const lecture = `
  await w.init();
  const g = new w.Graph();
  const x = g.input('x'), y = g.input('y'), z = g.input('z');
  const f = g.mul(g.add(x, y), z);
  const out = g.forward({ x: -2, y: 5, z: -4 });
  g.backward(f);
  console.log(JSON.stringify([out, g.grad(x), g.grad(y), g.grad(z)]));`;

function run(code: string, type: 'module' | 'commonjs'): unknown {
  const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', `(async () => { ${code} })()`];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));
}

describe('the built package', () => {
  it.each([
    ['wasmgrad', 'module'],
    ['wasmgrad/inline', 'module'],
    ['wasmgrad', 'commonjs'],
    ['wasmgrad/inline', 'commonjs'],
  ] as const)('%s loads as %s and runs the lecture example', (entry, type) => {
    const load = type === 'module' ? `const w = await import('${entry}');` : `const w = require('${entry}');`;
    expect(run(load + lecture, type)).toEqual([-12, -4, -4, 3]);
  });

  it.each(['module', 'commonjs'] as const)(
    'wasmgrad/viz loads as %s, with its layout dependency, and draws the lecture example',
    (type) => {
      const load =
        type === 'module'
          ? `const w = await import('wasmgrad'); const viz = await import('wasmgrad/viz');`
          : `const w = require('wasmgrad'); const viz = require('wasmgrad/viz');`;
      const draw = `
      await w.init();
      const g = new w.Graph();
      g.mul(g.add(g.input('x'), g.input('y')), g.input('z'));
      g.forward({ x: -2, y: 5, z: -4 });
      g.backward();
      const svg = viz.drawGraph(g);
      console.log(JSON.stringify([svg.startsWith('<svg'), ...['>−12<', '>−4<', '>3<'].map((t) => svg.includes(t))]));`;
      expect(run(load + draw, type)).toEqual([true, true, true, true]);
    },
  );

  it.each(['module', 'commonjs'] as const)(
    'wasmgrad/onnx loads as %s, with protobufjs, and a model goes out and back with its nn.Sequential and its numbers',
    (type) => {
      const load =
        type === 'module'
          ? `const w = await import('wasmgrad'); const o = await import('wasmgrad/onnx');`
          : `const w = require('wasmgrad'); const o = require('wasmgrad/onnx');`;
      const roundTrip = `
      await w.init();
      const model = new w.nn.Sequential([new w.nn.Linear(3, 2, { seed: 1 }), new w.nn.ReLU()]);
      const back = o.fromOnnx(o.toOnnx(model, { inputShape: [3] }));
      const x = w.Tensor.from([[1, -2, 3]]);
      console.log(JSON.stringify([back instanceof w.nn.Sequential, back.layers.length, Array.from(back.predict(x).data).join() === Array.from(model.predict(x).data).join()]));`;
      expect(run(load + roundTrip, type)).toEqual([true, 2, true]);
    },
  );

  // Error messages and users name gates and layers by their class: a minifier, or a bundler
  // renaming a clash (Graph$1), would change what `constructor.name` says.
  it.each(['module', 'commonjs'] as const)('every exported class and function keeps its name, as %s', (type) => {
    const load = type === 'module' ? `const w = await import('wasmgrad');` : `const w = require('wasmgrad');`;
    const names = `
      const renamed = [];
      for (const [prefix, ns] of [['', w], ['nn.', w.nn], ['datasets.', w.datasets]])
        for (const [name, value] of Object.entries(ns))
          if (typeof value === 'function' && value.name !== name) renamed.push(prefix + name + ' is named ' + value.name);
      console.log(JSON.stringify([Object.keys(w.nn).length > 10, renamed]));`;
    expect(run(load + names, type)).toEqual([true, []]);
  });

  // The package ships dist/ and no src/: with --enable-source-maps a stack trace must still
  // show the TypeScript line, from the maps' sourcesContent.
  it.each(['module', 'commonjs'] as const)('an uncaught error as %s, with --enable-source-maps, shows the source line', (type) => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-maps-'));
    try {
      cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(dir, 'package.json'));
      const code =
        type === 'module'
          ? `const w = await import('./dist/index.js'); w.memoryStats();`
          : `const w = require('./dist/index.cjs'); w.memoryStats();`;
      const args = ['--enable-source-maps', ...(type === 'module' ? ['--input-type=module'] : []), '-e', code];
      const { status, stderr } = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
      expect(status).toBe(1);
      const [where, line] = stderr.split('\n');
      expect(where).toMatch(/src\/wasm\/instance\.ts:\d+$/);
      expect(line?.trim()).toMatch(/^if \(.*\) throw new StateError\('wasmgrad is not initialized/);
      expect(stderr).toMatch(/StateError: wasmgrad is not initialized.*\n +at wasm \(.*src\/wasm\/instance\.ts:\d+:\d+\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// An app that both imports and requires wasmgrad gets two copies of its modules (Node's
// ESM and CommonJS loaders each load theirs); they share one core.
describe('one core per process, whichever copy loads it', () => {
  const lectureOf = (w: string) => `(() => {
    const g = new ${w}.Graph();
    const x = g.input('x'), y = g.input('y'), z = g.input('z');
    const f = g.mul(g.add(x, y), z);
    const out = g.forward({ x: -2, y: 5, z: -4 });
    g.backward(f);
    return [out, g.grad(x), g.grad(y), g.grad(z)];
  })()`;
  const both = `
    const esm = await import('wasmgrad');
    const cjs = (await import('node:module')).createRequire(import.meta.url)('wasmgrad');`;

  it.each([
    ['esm', 'cjs'],
    ['cjs', 'esm'],
  ])('init() through the %s copy serves the %s copy too', (first, second) => {
    const code = `${both}
      const copies = esm !== cjs && esm.Graph !== cjs.Graph;
      await ${first}.init();
      console.log(JSON.stringify({
        copies,
        lectures: [${lectureOf(first)}, ${lectureOf(second)}],
        samePromise: ${second}.init() === ${first}.init(),
        backend: JSON.stringify(${second}.backend()) === JSON.stringify(${first}.backend()),
        memory: ${second}.memoryStats().bytesInUse === ${first}.memoryStats().bytesInUse,
      }));`;
    expect(run(code, 'module')).toEqual({
      copies: true,
      lectures: [
        [-12, -4, -4, 3],
        [-12, -4, -4, 3],
      ],
      samePromise: true,
      backend: true,
      memory: true,
    });
  });

  it('an init through the other copy whose options disagree is a StateError, also while the first is loading', () => {
    const code = `${both}
      const more = (await import('node:os')).availableParallelism() + 1;
      const outcome = (p) => p.then(() => 'ok', (e) => e.name + ': ' + e.message);
      const first = esm.init();
      // Before the first init has found its default thread count (the cores available).
      const early = outcome(cjs.init({ threads: more }));
      await first;
      console.log(JSON.stringify({
        early: await early,
        threads: await outcome(cjs.init({ threads: more })),
        simd: await outcome(cjs.init({ simd: 'relaxed' })),
        wasm: await outcome(cjs.init({ wasm: new Uint8Array(8) })),
        same: await outcome(cjs.init({ simd: 'plain', threads: esm.backend().threads })),
        more,
        backend: esm.backend(),
      }));`;
    const result = run(code, 'module') as Record<string, string> & { more: number; backend: { threads: number } };
    const loaded = `init: wasmgrad is loaded with { wasm: the packaged build, simd: plain, threads: ${result.backend.threads} }, and this call asks for`;
    expect(result).toEqual({
      early: `StateError: ${loaded} { threads: ${result.more} }: there is one core per page or process; call init() once, or again with no options or the same ones`,
      threads: expect.stringContaining(`StateError: ${loaded} { threads: ${result.more} }`),
      simd: expect.stringContaining(`StateError: ${loaded} { simd: relaxed }`),
      wasm: expect.stringContaining(`StateError: ${loaded} { wasm: 8 bytes }`),
      same: 'ok',
      more: result.more,
      backend: { simd: 'plain', threads: result.more - 1 },
    });
  });

  it('an init that names the binary already loaded by its URL agrees; another URL does not', () => {
    const code = `${both}
      const dist = new URL('./', (await import('node:url')).pathToFileURL((await import('node:module')).createRequire(import.meta.url).resolve('wasmgrad')));
      const outcome = (p) => p.then(() => 'ok', (e) => e.name);
      const first = esm.init({ threads: 1 });
      console.log(JSON.stringify({
        same: cjs.init({ wasm: new URL('wasmgrad.wasm', dist), threads: 1 }) === first,
        string: cjs.init({ wasm: new URL('wasmgrad.wasm', dist).href }) === first,
        other: await outcome(cjs.init({ wasm: new URL('wasmgrad-relaxed.wasm', dist) })),
        backend: (await first, esm.backend()),
      }));`;
    expect(run(code, 'module')).toEqual({ same: true, string: true, other: 'StateError', backend: { simd: 'plain', threads: 1 } });
  });

  // Not shared: objects stay with the copy that made them. An op refuses a Tensor of the
  // other copy (ValueError) rather than reading it.
  it("a Tensor made by one copy is refused by the other's ops with a ValueError that says why; memoryStats counts both copies' tensors", () => {
    const code = `${both}
      await esm.init();
      const before = cjs.memoryStats().userTensors;
      const t = esm.Tensor.from([[1, -2]]);
      const outcome = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
      console.log(JSON.stringify([
        outcome(() => new cjs.ReluGate().forward(t)),
        outcome(() => new esm.ReluGate().forward(t)),
        cjs.memoryStats().userTensors - before,
      ]));`;
    expect(run(code, 'module')).toEqual([
      'ValueError: ReluGate.forward: x is a Tensor of another copy of wasmgrad (the app loads the package twice, say by import and by require): pass each copy the tensors it made',
      'ok',
      1,
    ]);
  });
});
