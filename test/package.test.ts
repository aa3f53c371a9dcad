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
