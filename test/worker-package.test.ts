// nn.worker from the built package, in fresh Node processes: both entries as ESM and
// CommonJS, a worker with its own thread pool, and a process that exits on its own.
// Node only (it starts processes): excluded by name from the browser project.
import { describe, expect, it } from 'vitest';

describe('the built package starts its own worker script', () => {
  interface Program {
    init?: string;
    worker?: string;
    /** Hidden units: 512 makes GEMMs large enough to be split across threads. */
    hidden?: number;
    ending?: string;
    report?: string;
  }
  const program = (entry: string, { init = '', worker = '', hidden = 16, ending = '', report = '' }: Program) => `
    await w.init({ ${init} });
    const { x, y } = w.datasets.spiral({ seed: 1 });
    const model = new w.nn.Sequential([new w.nn.Linear(2, ${hidden}, { seed: 1 }), new w.nn.ReLU(), new w.nn.Linear(${hidden}, 3, { seed: 2 })]);
    const worker = await w.nn.worker({ model, ${worker} });
    const options = { epochs: 3, batchSize: 300, seed: 3 };
    await worker.fit({ x, y }, { ...options, optimizer: { type: 'sgd', lr: 0.1 } });
    w.nn.fit(model, { x, y }, { ...options, optimizer: new w.nn.SGD(model.parameters(), { lr: 0.1 }) });
    const same = Buffer.from(await worker.getWeights()).equals(Buffer.from(model.save()));
    ${report}
    ${ending}
    console.log(JSON.stringify({ entry: '${entry}', same, ${report ? 'reported' : ''} }));`;

  async function run(entry: string, type: 'module' | 'commonjs', options: Program): Promise<unknown> {
    const { execFileSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const load = type === 'module' ? `const w = await import('${entry}');` : `const w = require('${entry}');`;
    const code = load + program(entry, options);
    const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', `(async () => { ${code} })()`];
    // The timeout is the test that the process exits on its own: a dangling worker would hang it.
    const out = execFileSync(process.execPath, args, {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 30_000,
    });
    return JSON.parse(out);
  }

  it.each([
    ['wasmgrad', 'module'],
    ['wasmgrad/inline', 'module'],
    ['wasmgrad', 'commonjs'],
    ['wasmgrad/inline', 'commonjs'],
  ] as const)('%s as %s: trains like this thread, and the process exits after terminate()', async (entry, type) => {
    expect(await run(entry, type, { ending: 'await worker.terminate();' })).toEqual({ entry, same: true });
  });

  it('a worker with a thread pool of its own trains alike, and the process still exits', async () => {
    const out = await run('wasmgrad', 'module', {
      init: 'threads: 2',
      worker: 'threads: 2',
      hidden: 512,
      report: 'const reported = [w.backend().threads, (await worker.backend()).threads];',
      ending: 'await worker.terminate();',
    });
    expect(out).toEqual({ entry: 'wasmgrad', same: true, reported: [2, 2] });
  });

  it('an idle worker does not keep the process alive, even without terminate()', async () => {
    expect(await run('wasmgrad', 'module', {})).toEqual({ entry: 'wasmgrad', same: true });
  });

  it('nn.worker() before init() is a StateError', async () => {
    const { execFileSync } = await import('node:child_process');
    const code = `const w = await import('wasmgrad');
      await w.nn.worker({ model: new Uint8Array(8) }).catch((e) => console.log(JSON.stringify([e.name, e.message])));`;
    const { fileURLToPath } = await import('node:url');
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out)).toEqual(['StateError', 'nn.worker: wasmgrad is not initialized: `await init()` first']);
  });
});
