// The built package as a user gets it: both entries, as ESM and CommonJS, in a fresh
// Node process. `npm test` builds dist/ first. (Chromium's side: test/chromium/.)
import { execFileSync } from 'node:child_process';
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
});
