// Suite "soak": 100,000 training steps of the MNIST MLP (784-128-10, batch 64, plain SGD:
// bench/mnist-mlp.ts's problem and the README's training loop — batches from an
// nn.DataLoader, forward, loss, backward, step, nothing disposed — as bench/peers/
// wasmgrad.ts's "wasmgrad loop" writes it) on one thread, with wasm linear memory and the JS heap sampled every 5,000 steps. Both
// must stay flat after warm-up: the design says a training step allocates nothing after
// the first, and this is where a slow leak (a tensor per step, a view kept per step, a
// listener per call) would show.
//
//   taskset -c 1 npx tsx bench/soak.ts            # 100,000 steps (≈ 2–3 min)
//   taskset -c 1 npx tsx bench/soak.ts --quick    # 5,000 steps, sampled every 500
//
// Each sample is taken after a forced full GC (v8.setFlagsFromString('--expose-gc') and
// vm.runInNewContext('gc'), so no Node flag is needed): memoryStats() (bytes in use, live
// blocks, the size of linear memory) and process.memoryUsage().heapUsed. The first sample
// is the warm-up; the run fails (exit 1) if linear memory changes at all after it, or if
// the heap ends more than HEAP_SLACK above it. Results: bench/results/soak.json and .md
// (soak-quick.* for --quick).
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { backend, init, memoryStats } from '../src/index';
import { log, machineInfo } from './harness';
import { makeProblem } from './mnist-problem';
import { BATCH } from './peers/peer';
import { wasmgradLoop } from './peers/wasmgrad';

/** Heap growth from the warm-up sample to the last that still counts as flat. */
const HEAP_SLACK = 1 << 20;

interface Sample {
  step: number;
  /** memoryStats().bytesInUse, blocks and memoryBytes. */
  wasmBytesInUse: number;
  wasmBlocks: number;
  wasmMemoryBytes: number;
  /** memoryStats().userTensors: tensors made and neither disposed nor collected. */
  userTensors: number;
  /** process.memoryUsage().heapUsed after a full GC. */
  heapUsed: number;
  /** Samples per second over the steps since the last sample. */
  samplesPerSecond: number;
}

function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') throw new Error('soak: could not get a gc() function from V8');
  // Two passes: the first may only queue finalizers that free more on the second.
  return () => {
    gc();
    gc();
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(3)} MiB`;
const signedKib = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024).toFixed(1)} KiB`;

async function main(args: string[]): Promise<void> {
  const unknown = args.filter((arg) => arg !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown ${unknown.join(', ')}\nusage: tsx bench/soak.ts [--quick]`);
  const quick = args.includes('--quick');
  const steps = quick ? 5_000 : 100_000;
  const every = quick ? 500 : 5_000;
  const gc = forcedGc();

  await init({ threads: 1 });
  const machine = machineInfo();
  const problem = makeProblem();
  const peer = wasmgradLoop(problem);
  peer.reset();
  log(`soak: ${steps} steps of the MNIST MLP (batch ${BATCH}), sampled every ${every}; ${backend().simd} SIMD, 1 thread`);

  const samples: Sample[] = [];
  let last = performance.now();
  for (let done = 0; done < steps; done += every) {
    peer.train(done, every);
    const now = performance.now();
    const rate = (every * BATCH) / ((now - last) / 1000);
    gc();
    const stats = memoryStats();
    const sample: Sample = {
      step: done + every,
      wasmBytesInUse: stats.bytesInUse,
      wasmBlocks: stats.blocks,
      wasmMemoryBytes: stats.memoryBytes,
      userTensors: stats.userTensors,
      heapUsed: process.memoryUsage().heapUsed,
      samplesPerSecond: rate,
    };
    samples.push(sample);
    log(
      `soak: step ${sample.step}: wasm ${sample.wasmBytesInUse} B in ${sample.wasmBlocks} blocks (memory ${mib(sample.wasmMemoryBytes)}), heap ${mib(sample.heapUsed)}, ${Math.round(rate)} samples/s`,
    );
    last = performance.now();
  }
  const accuracy = peer.accuracy();
  peer.dispose();

  const first = samples[0] as Sample;
  const final = samples[samples.length - 1] as Sample;
  const growth = (pick: (s: Sample) => number) => Math.max(...samples.map((s) => pick(s) - pick(first)));
  const wasmFlat = samples.every(
    (s) =>
      s.wasmBytesInUse === first.wasmBytesInUse &&
      s.wasmBlocks === first.wasmBlocks &&
      s.wasmMemoryBytes === first.wasmMemoryBytes &&
      s.userTensors === first.userTensors,
  );
  const heapGrowth = final.heapUsed - first.heapUsed;
  const heapFlat = heapGrowth <= HEAP_SLACK;

  const lines = [
    `### soak${quick ? ' (quick)' : ''}`,
    '',
    `${machine.cpu}, Node ${machine.node}, ${machine.date}, wasmgrad ${machine.revision}, load average ${machine.loadAverage} at the start; ${backend().simd} SIMD, 1 thread`,
    '',
    `${steps.toLocaleString('en')} steps of the README's training loop on the MNIST MLP (784-128-10, batch ${BATCH}, SGD lr 0.1), sampled every ${every.toLocaleString('en')} after a forced GC; the first sample is the warm-up. Test accuracy at the end: ${(accuracy * 100).toFixed(1)}%.`,
    '',
    `| | first (step ${first.step.toLocaleString('en')}) | last (step ${final.step.toLocaleString('en')}) | max growth over the first | flat |`,
    '|---|--:|--:|--:|---|',
    `| wasm bytes in use | ${first.wasmBytesInUse} B (${first.wasmBlocks} blocks) | ${final.wasmBytesInUse} B (${final.wasmBlocks} blocks) | ${growth((s) => s.wasmBytesInUse)} B, ${growth((s) => s.wasmBlocks)} blocks | ${wasmFlat ? 'yes' : 'NO'} |`,
    `| wasm linear memory | ${mib(first.wasmMemoryBytes)} | ${mib(final.wasmMemoryBytes)} | ${growth((s) => s.wasmMemoryBytes)} B | ${wasmFlat ? 'yes' : 'NO'} |`,
    `| user tensors alive | ${first.userTensors} | ${final.userTensors} | ${growth((s) => s.userTensors)} | ${wasmFlat ? 'yes' : 'NO'} |`,
    `| JS heap used | ${mib(first.heapUsed)} | ${mib(final.heapUsed)} | ${signedKib(growth((s) => s.heapUsed))} (last − first ${signedKib(heapGrowth)}) | ${heapFlat ? 'yes' : 'NO'} (≤ ${mib(HEAP_SLACK)}) |`,
    `| samples/s | ${Math.round(first.samplesPerSecond)} | ${Math.round(final.samplesPerSecond)} | | |`,
  ];
  const directory = new URL('./results/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const stem = quick ? 'soak-quick' : 'soak';
  writeFileSync(new URL(`${stem}.json`, directory), JSON.stringify({ machine, steps, every, accuracy, samples }, null, 2));
  writeFileSync(new URL(`${stem}.md`, directory), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!wasmFlat || !heapFlat) {
    throw new Error(`soak: memory is not flat after warm-up (wasm ${wasmFlat ? 'flat' : 'grew'}, heap ${signedKib(heapGrowth)})`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
