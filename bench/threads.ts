// Two threads against one, in the same run: GEMM at n = 512 and 1024 (A·B, Aᵀ·B, A·Bᵀ),
// the MNIST training step of bench/mnist-mlp.ts (784-128-10, batch 64, SGD) and that of
// bench/mnist-cnn.ts (ConvNetJS's convolutional net, batch 32, SGD).
//
//   npx tsx bench/threads.ts            # 3 rounds (≈ 2 min)
//   npx tsx bench/threads.ts --quick    # 1 short round
//
// Each round runs one process with init({ threads: 1 }) and one with threads: 2, in
// alternating order, each allowed both CPUs (`taskset -c 0,1` where taskset exists, so
// that a parent pinned to one CPU does not pin them). Figures are medians over rounds of
// each process's median. This VM's host changes under it from minute to minute (its two
// vCPUs behave now as two cores, now as one core's two hyperthreads), so the threads: 2
// process also times the two training steps in alternating blocks with its pool paused
// (one thread, the same threaded build) and running: the median of those paired ratios
// compares the two under the same host. Results: bench/results/threads.json and threads.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { log, machineInfo, median } from './harness';

interface Figures {
  threads: number;
  /** GFLOP/s per GEMM case. */
  gemm: Record<string, number>;
  /** Samples per second of the MNIST step. */
  mnist: number;
  /** Samples per second of the MNIST CNN step. */
  cnn: number;
  /** With threads: 2, the median ratio of two threads to one (the pool paused) over adjacent blocks of steps. */
  paired?: { mnist: number; cnn: number };
}

const GEMMS = [512, 1024].flatMap((n) =>
  (
    [
      ['A·B', 0, 0],
      ['Aᵀ·B', 1, 0],
      ['A·Bᵀ', 0, 1],
    ] as const
  ).map(([name, transA, transB]) => ({ name: `${n} ${name}`, n, transA, transB })),
);

let threadPool: typeof import('../src/wasm/instance').threadPool = () => null;

async function child(threads: number, quick: boolean): Promise<Figures> {
  const { init, backend, Tensor } = await import('../src/index');
  await init({ threads, simd: 'plain' });
  if (backend().threads !== threads) throw new Error(`asked for ${threads} threads, got ${backend().threads}`);
  const { kernels } = await import('../src/wasm/kernels');
  threadPool = (await import('../src/wasm/instance')).threadPool;
  const gemm: Record<string, number> = {};
  for (const { name, n, transA, transB } of GEMMS) {
    const a = Tensor.randn([n, n], { seed: 1 });
    const b = Tensor.randn([n, n], { seed: 2 });
    const c = Tensor.zeros([n, n]);
    const run = () => kernels('float32').gemm(transA, transB, n, n, n, a.ptr, n, b.ptr, n, c.ptr, n, 0);
    for (let i = 0; i < 3; i++) run();
    const times: number[] = [];
    for (let i = 0; i < (quick ? 3 : 9); i++) {
      const start = performance.now();
      run();
      times.push(performance.now() - start);
    }
    gemm[name] = (2 * n ** 3) / median(times) / 1e6;
    for (const t of [a, b, c]) t.dispose();
  }
  const { makeProblem } = await import('./mnist-problem');
  const { wasmgradStep } = await import('./peers/wasmgrad');
  const { BATCH } = await import('./peers/peer');
  const { makeCnnProblem } = await import('./mnist-cnn-problem');
  const { wasmgradCnnPeer } = await import('./peers/wasmgrad-cnn');
  const { CNN_BATCH } = await import('./peers/cnn');
  const mlpStep = wasmgradStep(makeProblem());
  const cnnStep = wasmgradCnnPeer(makeCnnProblem());
  const mnist = samplesPerSecond(mlpStep, BATCH, quick ? 100 : 250, quick ? 100 : 500, quick);
  const cnn = samplesPerSecond(cnnStep, CNN_BATCH, quick ? 10 : 25, quick ? 10 : 50, quick);
  if (threads === 1) return { threads, gemm, mnist, cnn };
  const paired = {
    mnist: pairedRatio(mlpStep, quick ? 100 : 250, quick ? 5 : 15),
    cnn: pairedRatio(cnnStep, quick ? 10 : 25, quick ? 5 : 15),
  };
  return { threads, gemm, mnist, cnn, paired };
}

/** The median over `pairs` of (one-thread block time ÷ two-thread block time), the order alternating within pairs. */
function pairedRatio(step: { reset(): void; train(first: number, count: number): void }, steps: number, pairs: number): number {
  const pool = threadPool();
  if (!pool) throw new Error('no thread pool');
  const block = (paused: boolean, first: number) => {
    pool.paused = paused;
    const start = performance.now();
    step.train(first, steps);
    return performance.now() - start;
  };
  step.reset();
  block(false, 0);
  block(true, 0);
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i * steps;
    let one: number;
    let two: number;
    if (i % 2 === 0) {
      one = block(true, first);
      two = block(false, first);
    } else {
      two = block(false, first);
      one = block(true, first);
    }
    ratios.push(one / two);
  }
  pool.paused = false;
  return median(ratios);
}

/** The median of 7 blocks (3 when quick) of `steps` steps, after `warmup` steps. */
function samplesPerSecond(
  step: { reset(): void; train(first: number, count: number): void },
  batch: number,
  steps: number,
  warmup: number,
  quick: boolean,
): number {
  step.reset();
  step.train(0, warmup);
  const blocks: number[] = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const start = performance.now();
    step.train(i * steps, steps);
    blocks.push((steps * batch) / ((performance.now() - start) / 1000));
  }
  return median(blocks);
}

function spawnChild(threads: number, quick: boolean): Figures {
  const script = fileURLToPath(import.meta.url);
  const node = [process.execPath, '--import', 'tsx', script, `--child=${threads}`, ...(quick ? ['--quick'] : [])];
  const hasTaskset = spawnSync('taskset', ['-c', '0,1', 'true']).status === 0;
  const [command, ...args] = hasTaskset ? ['taskset', '-c', '0,1', ...node] : node;
  const result = spawnSync(command as string, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`threads=${threads} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string) as Figures;
}

async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const childArg = args.find((arg) => arg.startsWith('--child='));
  if (childArg) {
    process.stdout.write(`${JSON.stringify(await child(Number(childArg.slice(8)), quick))}\n`);
    return;
  }
  const machine = machineInfo();
  const rounds = quick ? 1 : 3;
  const runs: Figures[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const threads of round % 2 === 0 ? [1, 2] : [2, 1]) {
      log(`round ${round + 1}/${rounds}: threads ${threads}`);
      (runs[threads - 1] as Figures[]).push(spawnChild(threads, quick));
    }
  }
  const [one, two] = runs as [Figures[], Figures[]];
  const rows = [
    ...GEMMS.map(({ name, n }) => ({
      name: `GEMM ${name}, GFLOP/s`,
      one: median(one.map((f) => f.gemm[name] as number)),
      two: median(two.map((f) => f.gemm[name] as number)),
      target: n >= 512 ? 1.7 : undefined,
    })),
    { name: 'MNIST step, samples/s', one: median(one.map((f) => f.mnist)), two: median(two.map((f) => f.mnist)), target: 1.5 },
    { name: 'MNIST CNN step, samples/s', one: median(one.map((f) => f.cnn)), two: median(two.map((f) => f.cnn)), target: 1.7 },
  ];
  const paired = (key: 'mnist' | 'cnn') => median(two.map((f) => f.paired?.[key] as number));
  const lines = [
    `### threads${quick ? ' (quick)' : ''}`,
    '',
    `${machine.cpu}, ${machine.cpuCount} CPUs, Node ${machine.node}, ${machine.date}, wasmgrad ${machine.revision}, load average ${machine.loadAverage} at the start; plain SIMD128 build; medians of ${rounds} round(s)`,
    '',
    '| case | 1 thread | 2 threads | 2 ÷ 1 | target |',
    '|---|--:|--:|--:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.one.toFixed(r.one > 1000 ? 0 : 1)} | ${r.two.toFixed(r.two > 1000 ? 0 : 1)} | ${(r.two / r.one).toFixed(2)}× | ${
          r.target === undefined ? '' : `≥ ${r.target}× ${r.two / r.one >= r.target ? 'PASS' : 'MISS'}`
        } |`,
    ),
    '',
    'The same two steps in one threads: 2 process, blocks with the pool paused and running alternating (median of the paired ratios):',
    `MNIST step ${paired('mnist').toFixed(2)}×, MNIST CNN step ${paired('cnn').toFixed(2)}×.`,
  ];
  const directory = new URL('./results/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const stem = quick ? 'threads-quick' : 'threads';
  writeFileSync(new URL(`${stem}.json`, directory), JSON.stringify({ machine, one, two, rows }, null, 2));
  writeFileSync(new URL(`${stem}.md`, directory), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
