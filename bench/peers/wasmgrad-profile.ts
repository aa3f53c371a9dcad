// Where the time of a wasmgrad training step goes (`tsx bench/mnist-mlp.ts --profile`).
//
// The step of the benchmark (model.forward, nn.softmaxCrossEntropy, model.backward with
// no input gradient, SGD) is re-enacted call by call: the same wasm kernels with the
// same arguments, in the same order, as nn.Linear, the ReLU gate, the loss gate and the
// optimizer make them, with a clock read between parts. It is checked to end on the
// same weights, bit for bit, as the real step; the real step is timed too, and what it
// takes beyond the sum of the parts is the TypeScript layer's own work (argument checks,
// buffer lookups, label validation, the JS↔wasm calls).
import { performance } from 'node:perf_hooks';
import { backend, init, nn, Tensor } from '../../src/index';
import { OPS } from '../../src/ops';
import { allocate, i32 } from '../../src/wasm/instance';
import { B_CONST, B_ROW, kernels } from '../../src/wasm/kernels';
import { log, median } from '../harness';
import { makeProblem } from '../mnist-problem';
import { BATCH, CLASSES, HIDDEN, INPUTS, LEARNING_RATE, type Problem } from './peer';
import { wasmgradFit, wasmgradStep } from './wasmgrad';

const PARTS = [
  ['zeroGrad', 'zero the 4 gradients (the fill kernel)'],
  ['gemm L1 forward', 'X·W1ᵀ: 64×784 · 784×128'],
  ['gemm L2 forward', 'H·W2ᵀ: 64×128 · 128×10'],
  ['bias forward', 'add b1, b2 (row broadcast)'],
  ['relu forward', 'max(0, z) and the gate’s finite check'],
  ['loss', 'labels copied in, fused softmax cross-entropy forward + backward'],
  ['gemm L2 dW', 'dW2 += dZᵀ·H: 10×64 · 64×128'],
  ['gemm L2 dX', 'dH = dZ·W2: 64×10 · 10×128'],
  ['relu backward', 'zero dZ1, route dH, finite check'],
  ['gemm L1 dW', 'dW1 += dZ1ᵀ·X: 128×64 · 64×784'],
  ['bias backward', 'db += Σ rows, both layers'],
  ['SGD', 'w −= lr·g, 4 tensors'],
] as const;

type Part = (typeof PARTS)[number][0];

export async function profile(quick: boolean, threads = 1): Promise<void> {
  await init({ threads });
  const problem = makeProblem();
  const steps = quick ? 500 : 5000;
  const warmup = quick ? 250 : 1000;
  log(`profile: ${steps} steps after ${warmup} warm-up steps, wasm core ${backend().simd}, ${backend().threads} thread(s)`);

  const api = wasmgradStep(problem);
  const parts = reenactment(problem);
  // Faithful: both from the shared weights, 10 steps, the same weights bit for bit.
  api.reset();
  parts.reset();
  api.train(0, 10);
  for (let s = 0; s < 10; s++) parts.step(s, null);
  const a = api.weights();
  const b = parts.weights();
  for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
    if (!a[key].every((value, i) => Object.is(value, b[key][i]))) throw new Error(`profile: the re-enactment's ${key} differs from nn's`);
  }

  const fit = wasmgradFit(problem);
  // Warm up each path, then alternate blocks of steps, so that what else the machine
  // does falls on both; per step, the median over the blocks.
  const blocks = quick ? 4 : 10;
  const perBlock = Math.ceil(steps / blocks);
  const totals = new Map<Part, number>();
  api.train(0, warmup);
  fit.train(0, Math.max(1, Math.round(warmup / problem.batches)) * problem.batches);
  for (let s = 0; s < warmup; s++) parts.step(s % problem.batches, totals);
  const apiMs: number[] = [];
  const fitMs: number[] = [];
  const partMs = new Map<Part, number[]>(PARTS.map(([name]) => [name, []]));
  for (let block = 0; block < blocks; block++) {
    let start = performance.now();
    api.train(0, perBlock);
    apiMs.push((performance.now() - start) / perBlock);
    for (const [name] of PARTS) totals.set(name, 0);
    for (let s = 0; s < perBlock; s++) parts.step(s % problem.batches, totals);
    for (const [name] of PARTS) partMs.get(name)?.push((totals.get(name) as number) / perBlock);
    start = performance.now();
    fit.train(0, problem.batches);
    fitMs.push((performance.now() - start) / problem.batches);
  }
  const gather = timeGather(problem, steps);

  const stepMs = median(apiMs);
  const rows: [string, string, number][] = PARTS.map(([name, what]) => [name, what, median(partMs.get(name) as number[])]);
  const sumParts = rows.reduce((sum, [, , ms]) => sum + ms, 0);
  rows.push(['TypeScript layer', 'the API step’s time beyond the sum of the parts', Math.max(0, stepMs - sumParts)]);
  const gemmMs = rows.filter(([name]) => name.startsWith('gemm')).reduce((sum, [, , ms]) => sum + ms, 0);
  const flops = 2 * BATCH * (INPUTS * HIDDEN * 2 + HIDDEN * CLASSES * 3);

  const lines = [
    `### mnist-mlp profile: one wasmgrad training step (batch ${BATCH}, ${INPUTS}-${HIDDEN}-${CLASSES})`,
    '',
    `wasm core ${backend().simd}; medians over ${blocks} alternating blocks of ${perBlock} steps, after ${warmup} warm-up steps; the re-enacted step ends on the API step's weights bit for bit.`,
    '',
    `API step: ${(stepMs * 1000).toFixed(1)} µs (${Math.round((BATCH * 1000) / stepMs).toLocaleString('en-US')} samples/s); ` +
      `the re-enacted parts add up to ${(sumParts * 1000).toFixed(1)} µs; ` +
      `nn.fit: ${(median(fitMs) * 1000).toFixed(1)} µs a step, its gather ${(gather * 1000).toFixed(1)} µs of it.`,
    `The 5 GEMMs: ${(gemmMs * 1000).toFixed(1)} µs, ${((100 * gemmMs) / stepMs).toFixed(0)}% of the step, ${(flops / (gemmMs * 1e6)).toFixed(1)} GFLOP/s over their ${(flops / 1e6).toFixed(1)} MFLOP.`,
    '',
    '| part | what | µs | % of the API step |',
    '|---|---|--:|--:|',
    ...rows.map(([name, what, ms]) => `| ${name} | ${what} | ${(ms * 1000).toFixed(1)} | ${((100 * ms) / stepMs).toFixed(1)}% |`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  api.dispose();
  fit.dispose();
}

/** The API step's wasm calls, in its order, with a clock read between parts. */
function reenactment(problem: Problem) {
  const k = kernels('float32');
  const model = new nn.Sequential([new nn.Linear(INPUTS, HIDDEN, { seed: 1 }), new nn.ReLU(), new nn.Linear(HIDDEN, CLASSES, { seed: 2 })]);
  const [w1, b1, w2, b2] = model.parameters() as [nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter];
  const params = [w1, b1, w2, b2];
  const xs = Array.from({ length: problem.batches }, (_, b) =>
    Tensor.from(problem.train.x.subarray(b * BATCH * INPUTS, (b + 1) * BATCH * INPUTS), [BATCH, INPUTS]),
  );
  const buffer = (rows: number, cols: number) => Tensor.zeros([rows, cols]);
  const z1 = buffer(BATCH, HIDDEN);
  const h = buffer(BATCH, HIDDEN);
  const z2 = buffer(BATCH, CLASSES);
  const probs = buffer(BATCH, CLASSES);
  const dz2 = buffer(BATCH, CLASSES);
  const dh = buffer(BATCH, HIDDEN);
  const dz1 = buffer(BATCH, HIDDEN);
  const labels = allocate(BATCH * 4, 'profile labels');
  const order: ('w1' | 'b1' | 'w2' | 'b2')[] = ['w1', 'b1', 'w2', 'b2'];

  return {
    reset() {
      params.forEach((p, i) => {
        p.value.data.set(problem.init[order[i] as 'w1']);
        p.grad.data.fill(0);
      });
    },
    weights() {
      const [a, b, c, d] = params.map((p) => Float32Array.from(p.value.data)) as [Float32Array, Float32Array, Float32Array, Float32Array];
      return { w1: a, b1: b, w2: c, b2: d };
    },
    step(batch: number, totals: Map<Part, number> | null) {
      const x = (xs[batch] as Tensor).ptr;
      const y = problem.train.y.subarray(batch * BATCH, (batch + 1) * BATCH);
      let t = performance.now();
      const lap = (part: Part) => {
        const now = performance.now();
        if (totals) totals.set(part, (totals.get(part) as number) + (now - t));
        t = now;
      };
      for (const p of params) k.fill(p.grad.ptr, p.grad.size, 0);
      lap('zeroGrad');
      k.gemm(0, 1, BATCH, HIDDEN, INPUTS, x, INPUTS, w1.value.ptr, INPUTS, z1.ptr, HIDDEN, 0);
      lap('gemm L1 forward');
      k.elementwiseForward(OPS.add.code, z1.ptr, b1.value.ptr, z1.ptr, BATCH, HIDDEN, B_ROW, 0);
      lap('bias forward');
      const reluSuspect = k.elementwiseForward(OPS.relu.code, z1.ptr, 0, h.ptr, BATCH, HIDDEN, B_CONST, 0);
      if (reluSuspect !== 0 && k.firstNonFinite(h.ptr, BATCH * HIDDEN) >= 0) throw new Error('relu: not finite');
      lap('relu forward');
      k.gemm(0, 1, BATCH, CLASSES, HIDDEN, h.ptr, HIDDEN, w2.value.ptr, HIDDEN, z2.ptr, CLASSES, 0);
      lap('gemm L2 forward');
      k.elementwiseForward(OPS.add.code, z2.ptr, b2.value.ptr, z2.ptr, BATCH, CLASSES, B_ROW, 0);
      lap('bias forward');
      for (let i = 0; i < BATCH; i++) {
        const label = y[i] as number;
        if (!Number.isInteger(label) || label < 0 || label >= CLASSES) throw new Error('bad label');
      }
      i32()
        .subarray(labels >>> 2, (labels >>> 2) + BATCH)
        .set(y);
      const loss = k.softmaxCrossEntropyForward(z2.ptr, labels, probs.ptr, BATCH, CLASSES);
      if (!Number.isFinite(loss)) throw new Error('loss: not finite');
      k.fill(dz2.ptr, dz2.size, 0);
      k.softmaxCrossEntropyBackward(probs.ptr, labels, dz2.ptr, BATCH, CLASSES, 1);
      lap('loss');
      k.gemm(1, 0, CLASSES, HIDDEN, BATCH, dz2.ptr, CLASSES, h.ptr, HIDDEN, w2.grad.ptr, HIDDEN, 1);
      lap('gemm L2 dW');
      k.sumRowsInto(dz2.ptr, b2.grad.ptr, BATCH, CLASSES);
      lap('bias backward');
      k.gemm(0, 0, BATCH, HIDDEN, CLASSES, dz2.ptr, CLASSES, w2.value.ptr, HIDDEN, dh.ptr, HIDDEN, 0);
      lap('gemm L2 dX');
      const suspect = k.elementwiseBackward(OPS.relu.code, z1.ptr, dh.ptr, dh.ptr, dh.ptr, dz1.ptr, 0, BATCH, HIDDEN, B_CONST, 0, 1);
      if (suspect !== 0 && k.firstNonFinite(dz1.ptr, BATCH * HIDDEN) >= 0) throw new Error('relu backward: not finite');
      lap('relu backward');
      k.gemm(1, 0, HIDDEN, INPUTS, BATCH, dz1.ptr, HIDDEN, x, INPUTS, w1.grad.ptr, INPUTS, 1);
      lap('gemm L1 dW');
      k.sumRowsInto(dz1.ptr, b1.grad.ptr, BATCH, HIDDEN);
      lap('bias backward');
      for (const p of params) k.sgdUpdate(p.value.ptr, p.grad.ptr, 0, p.value.size, LEARNING_RATE, 0, 0, 0);
      lap('SGD');
    },
  };
}

/** nn.fit's per-step gather of 64 rows by index, alone. */
function timeGather(problem: Problem, steps: number): number {
  const k = kernels('float32');
  const x = Tensor.from(problem.train.x, [problem.train.count, INPUTS]);
  const out = Tensor.zeros([BATCH, INPUTS]);
  const indices = allocate(BATCH * 4, 'profile indices');
  const view = i32().subarray(indices >>> 2, (indices >>> 2) + BATCH);
  const run = (count: number) => {
    for (let s = 0; s < count; s++) {
      const b = s % problem.batches;
      for (let i = 0; i < BATCH; i++) view[i] = b * BATCH + i;
      k.gatherRows(x.ptr, indices, out.ptr, BATCH, INPUTS);
    }
  };
  run(200);
  const start = performance.now();
  run(steps);
  const ms = (performance.now() - start) / steps;
  x.dispose();
  out.dispose();
  return ms;
}
