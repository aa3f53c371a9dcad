// Suite "mnist-cnn": training ConvNetJS's MNIST convolutional net (bench/peers/cnn.ts) in
// every JavaScript library that can, and in numpy as the native reference; wasmgrad's
// case is bench/peers/wasmgrad-cnn.ts.
//
//   taskset -c 1 npx tsx bench/mnist-cnn.ts            # 3 rounds, each in a fresh process
//   taskset -c 1 npx tsx bench/mnist-cnn.ts --quick    # a smoke run
//   npx tsx bench/mnist-cnn.ts --only numpy,jax-js     # some peers (case names, or prefixes)
//   npx tsx bench/mnist-cnn.ts --rounds 5
//   taskset -c 1 npx tsx bench/mnist-cnn.ts --profile  # where a wasmgrad step's time goes, layer by layer
//   npx tsx bench/mnist-cnn.ts --profile --threads 2   # the same with two threads
//
// The problem, the same for every library: the net, batches of 32 in order from the
// 8,000 seeded training digits (250 an epoch), plain SGD at lr 0.05, from the same
// initial weights (bench/mnist-cnn-problem.ts, PyTorch's layouts; each library converts
// them, and the digits, to its own layout once, untimed).
//
// Before timing, every peer trains two steps from the initial weights, and its first two
// losses and its first update are compared with a float64 implementation of the
// definitions (bench/peers/cnn-reference.ts): a peer that is off by more than the
// tolerances below is still timed but reported as disagreeing; a peer that throws (the
// tfjs wasm backend has no conv gradient) is reported with its error and not timed.
//
// Results go to bench/results/mnist-cnn.json and .md (mnist-cnn-quick.* for --quick).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { init } from '../src/index';
import {
  type Case,
  combineCases,
  jsonFromChild,
  log,
  machineInfo,
  markdown,
  type Ratio,
  runSuite,
  type SuiteResult,
  trainingCase,
} from './harness';
import { makeCnnProblem } from './mnist-cnn-problem';
import { CNN_BATCH, CNN_KEYS, CNN_LEARNING_RATE, type CnnPeer, type CnnWeights, FLOP_PER_SAMPLE } from './peers/cnn';
import { referenceStep } from './peers/cnn-reference';
import { convnetjsCnnPeer } from './peers/convnetjs-cnn';
import { jaxCnnPeer } from './peers/jax-cnn';
import { numpyCnnPeer } from './peers/numpy';
import type { Problem } from './peers/peer';
import { tfjsCnnPeer } from './peers/tfjs-cnn';
import { wasmgradCnnPeer } from './peers/wasmgrad-cnn';

const SUITE = 'mnist-cnn';
const ROUNDS = 3;
/** Each of the first two losses may differ from the float64 reference's by this much (≈ 3.1 at the start). */
const LOSS_TOLERANCE = 1e-5;
/** ‖update − reference's update‖ / ‖reference's update‖ allowed, per tensor, for the first step. */
const UPDATE_TOLERANCE = 1e-3;
/** wasmgrad's samples/s over each peer's: issue 14's targets. */
const TARGETS: Record<string, number> = { ConvNetJS: 40, numpy: 1.8, 'jax-js (im2col)': 15 };
const OURS = 'wasmgrad step';

// ---- plans: how much each peer runs ----------------------------------------------------------

interface Plan {
  /** Training steps (batches of 32) per timed run. */
  steps: number;
  /** Steps trained in the case's setup, before the harness's warm-up runs. */
  warmupSteps: number;
  warmup: number;
  runs: number;
  /** Test accuracy after one epoch from the initial weights (the fast peers only: an epoch of tfjs-cpu takes half an hour). */
  accuracy: boolean;
}

/**
 * Sized from smoke runs on the shared 2-CPU machine (samples/s, CPU/wall 0.3–0.8): numpy
 * 1,300–2,800, jax-js im2col 100–200 (steady after ~20 steps), ConvNetJS 45–125, jax-js
 * conv 20–58, tfjs-cpu 3.4–5 (6–9 s a step); wasmgrad's target ≈ 3,000. A run lasts
 * ≳ 0.3 s where a step allows.
 */
const PLANS: Record<string, Plan> = {
  [OURS]: { steps: 25, warmupSteps: 25, warmup: 3, runs: 10, accuracy: true },
  numpy: { steps: 25, warmupSteps: 0, warmup: 3, runs: 10, accuracy: true },
  'jax-js (im2col)': { steps: 5, warmupSteps: 20, warmup: 2, runs: 7, accuracy: false },
  'jax-js (conv_general_dilated)': { steps: 2, warmupSteps: 4, warmup: 1, runs: 5, accuracy: false },
  ConvNetJS: { steps: 2, warmupSteps: 0, warmup: 1, runs: 5, accuracy: false },
  'tfjs-cpu': { steps: 1, warmupSteps: 0, warmup: 1, runs: 3, accuracy: false },
  'tfjs-wasm': { steps: 1, warmupSteps: 0, warmup: 1, runs: 3, accuracy: false },
};

function plan(id: string, quick: boolean): Plan {
  const full = PLANS[id] ?? { steps: 1, warmupSteps: 0, warmup: 1, runs: 3, accuracy: false };
  if (!quick) return full;
  return { steps: Math.max(1, Math.round(full.steps / 5)), warmupSteps: 0, warmup: 1, runs: 2, accuracy: false };
}

export const PEER_IDS = Object.keys(PLANS);

// ---- the agreement check -------------------------------------------------------------------

export interface Agreement {
  /** The first two steps' losses: the peer's, the reference's. */
  losses: [number, number];
  reference: [number, number];
  /** Relative difference of the first update from the reference's, per tensor. */
  update: Record<string, number>;
  /** Whether reset() gives back the initial weights exactly (the layout conversions round-trip). */
  roundTrip: boolean;
  agrees: boolean;
  /** What is off, when it does not agree. */
  problems: string[];
}

interface Reference {
  losses: [number, number];
  /** The reference's first update, per tensor. */
  update: CnnWeights;
  ties: number;
}

function makeReference(problem: Problem<CnnWeights>): Reference {
  const start = performance.now();
  const first = referenceStep(problem, problem.init, 0);
  const second = referenceStep(problem, first.after, 1);
  log(
    `${SUITE}: float64 reference, 2 steps in ${((performance.now() - start) / 1000).toFixed(1)} s (${first.ties} pooling ties above 0 in batch 0)`,
  );
  return { losses: [first.loss, second.loss], update: diff(first.after, problem.init), ties: first.ties };
}

const diff = (a: CnnWeights, b: CnnWeights): CnnWeights =>
  Object.fromEntries(CNN_KEYS.map((key) => [key, a[key].map((v, i) => v - (b[key][i] as number))])) as unknown as CnnWeights;

/** ‖a − b‖ / ‖b‖ */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

/** Two steps from the initial weights, against the reference. Throws what the peer throws. */
function agreement(peer: CnnPeer, problem: Problem<CnnWeights>, reference: Reference): Agreement {
  peer.reset();
  peer.train(0, 1);
  const loss1 = peer.loss();
  const after = peer.weights();
  peer.train(1, 1);
  const loss2 = peer.loss();
  peer.reset();
  const start = peer.weights();
  const roundTrip = CNN_KEYS.every(
    (key) => start[key].length === problem.init[key].length && start[key].every((v, i) => v === problem.init[key][i]),
  );
  const update = diff(after, start);
  const problems: string[] = [];
  const relative: Record<string, number> = {};
  for (const key of CNN_KEYS) {
    relative[key] = relativeDifference(update[key], reference.update[key]);
    if (!(relative[key] <= UPDATE_TOLERANCE)) problems.push(`first update of ${key} off by ${relative[key].toExponential(2)} (relative)`);
  }
  const losses: [number, number] = [loss1, loss2];
  losses.forEach((loss, i) => {
    const expected = reference.losses[i] as number;
    if (!(Math.abs(loss - expected) <= LOSS_TOLERANCE)) problems.push(`loss ${i + 1} is ${loss}, the reference's ${expected.toFixed(6)}`);
  });
  if (!roundTrip) problems.push('reset() does not give back the initial weights exactly');
  return { losses, reference: reference.losses, update: relative, roundTrip, agrees: problems.length === 0, problems };
}

// ---- one round: a worker process -----------------------------------------------------------

export interface PeerReport {
  id: string;
  label: string;
  plan: Plan;
  agreement?: Agreement;
  /** Its error, when it cannot train (then it is not timed). */
  failed?: string;
  /** Test accuracy after one epoch from the initial weights. */
  accuracy?: number;
}

interface Findings {
  peers: PeerReport[];
  /** Not loaded: why (numpy without python3, say). */
  skipped: Record<string, string>;
  ties?: number;
}

interface RoundOutput {
  result: SuiteResult;
  findings: Findings;
}

interface WorkerOptions {
  quick: boolean;
  only: string[];
  accuracy: boolean;
}

const wanted = (id: string, only: string[]) =>
  only.length === 0 || only.some((name) => id === name || id.toLowerCase().startsWith(name.toLowerCase()));

const firstLine = (error: unknown) => (error instanceof Error ? (error.message.split('\n')[0] ?? 'failed') : String(error));

async function worker(options: WorkerOptions): Promise<void> {
  await init({ threads: 1 });
  log(`${SUITE}: loading the digits`);
  const problem = makeCnnProblem();
  const findings: Findings = { peers: [], skipped: {} };
  const peers: CnnPeer[] = [];
  const add = async (id: string, make: () => CnnPeer | Promise<CnnPeer>) => {
    if (!wanted(id, options.only)) return;
    log(`${SUITE}: loading ${id}`);
    try {
      const peer = await make();
      peers.push(peer);
      findings.peers.push({ id: peer.id, label: peer.label, plan: plan(peer.id, options.quick) });
    } catch (error) {
      findings.skipped[id] = firstLine(error);
      log(`${SUITE}: ${id} skipped: ${findings.skipped[id]}`);
    }
  };
  await add(OURS, () => wasmgradCnnPeer(problem));
  await add('numpy', async () => {
    const made = await numpyCnnPeer(problem);
    if (made.peer === null) throw new Error(made.reason);
    return made.peer;
  });
  await add('jax-js (im2col)', () => jaxCnnPeer(problem, 'im2col'));
  await add('jax-js (conv_general_dilated)', () => jaxCnnPeer(problem, 'lax'));
  await add('ConvNetJS', () => convnetjsCnnPeer(problem));
  await add('tfjs-wasm', () => tfjsCnnPeer(problem, 'wasm'));
  await add('tfjs-cpu', () => tfjsCnnPeer(problem, 'cpu'));

  const reference = makeReference(problem);
  findings.ties = reference.ties;
  const report = (peer: CnnPeer) => findings.peers.find((each) => each.id === peer.id) as PeerReport;
  const timed: CnnPeer[] = [];
  for (const peer of peers) {
    const start = performance.now();
    try {
      const found = agreement(peer, problem, reference);
      report(peer).agreement = found;
      const worst = Math.max(...Object.values(found.update));
      log(
        `${SUITE}: ${peer.id}: losses ${found.losses.map((l) => l.toFixed(6)).join(', ')} (reference ${found.reference.map((l) => l.toFixed(6)).join(', ')}), first update within ${worst.toExponential(1)}: ${found.agrees ? 'agrees' : `DISAGREES: ${found.problems.join('; ')}`} (${((performance.now() - start) / 1000).toFixed(1)} s)`,
      );
      timed.push(peer);
    } catch (error) {
      report(peer).failed = error instanceof Error ? `${error.name}: ${firstLine(error)}` : String(error);
      log(`${SUITE}: ${peer.id} cannot train: ${report(peer).failed}`);
      try {
        peer.dispose();
      } catch {
        // what it holds goes with the process
      }
    }
  }
  if (options.accuracy) {
    for (const peer of timed) {
      if (!report(peer).plan.accuracy) continue;
      const start = performance.now();
      peer.reset();
      peer.train(0, problem.batches);
      report(peer).accuracy = peer.accuracy();
      log(
        `${SUITE}: ${peer.id}: test accuracy ${(100 * (report(peer).accuracy as number)).toFixed(2)}% after 1 epoch (${((performance.now() - start) / 1000).toFixed(1)} s)`,
      );
    }
  }

  const cases: Case[] = timed.map((peer) => trainingCase(peer, report(peer).plan, CNN_BATCH, problem.batches));
  const ids = timed.map((peer) => peer.id);
  const ratios: Ratio[] = ids.includes(OURS)
    ? ids
        .filter((id) => id !== OURS)
        .map((id) => ({ name: `${OURS} / ${id}`, of: [id], over: [OURS], ...(TARGETS[id] !== undefined ? { target: TARGETS[id] } : {}) }))
    : [];
  const info: Record<string, number | string> = {
    network: 'conv 5×5 ×8 pad 2, ReLU, max-pool 2/2, conv 5×5 ×16 pad 2, ReLU, max-pool 3/3, fc 256→10, softmax cross-entropy',
    optimizer: `SGD lr ${CNN_LEARNING_RATE}, no momentum`,
    'batch size': CNN_BATCH,
    'MFLOP per sample (forward + backward)': Math.round(FLOP_PER_SAMPLE / 1e4) / 100,
    'training digits': problem.train.count,
    'test digits': problem.test.count,
  };
  const result = await runSuite({ name: SUITE, unit: 'sample', info, cases, ratios }, { quick: options.quick });
  const output: RoundOutput = { result, findings };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

// ---- rounds: fresh processes, medians -----------------------------------------------------------

function runRound(round: number, options: WorkerOptions): RoundOutput {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--worker'];
  if (options.quick) args.push('--quick');
  if (!options.accuracy) args.push('--no-accuracy');
  if (options.only.length > 0) args.push('--only', options.only.join(','));
  log(`${SUITE}: round ${round}`);
  return jsonFromChild<RoundOutput>(`${SUITE}: round ${round}`, args, options.quick ? 10 : 40);
}

interface Row {
  id: string;
  label: string;
  /** Median over rounds of each round's median; null when it was not timed. */
  samplesPerSecond: number | null;
  range: [number, number] | null;
  gflops: number | null;
  agreement?: Agreement;
  failed?: string;
  accuracy?: number;
  /** wasmgrad's samples/s over this peer's. */
  ratio?: number;
  target?: number;
}

interface Combined extends SuiteResult {
  rounds: RoundOutput[];
  rows: Row[];
  skipped: Record<string, string>;
}

function combine(rounds: RoundOutput[], quick: boolean, startLoad: number): Combined {
  const first = rounds[0] as RoundOutput;
  const machine = { ...machineInfo(), loadAverage: startLoad };
  const loadAverageAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const cases = combineCases(rounds.map((round) => round.result));
  const nsPerSample = (name: string) => cases.find((c) => c.name === name)?.medianNsPerUnit;
  const ratios = first.result.ratios.map((r) => {
    const [, of] = r.name.split(' / ') as [string, string];
    const value = (nsPerSample(of) as number) / (nsPerSample(OURS) as number);
    return { ...r, value, pass: r.target === null ? null : value >= r.target };
  });
  const rows: Row[] = first.findings.peers.map((peer) => {
    const ns = nsPerSample(peer.id);
    const perRound = rounds
      .map((round) => round.result.cases.find((c) => c.name === peer.id)?.medianNsPerUnit)
      .filter((x): x is number => x !== undefined)
      .map((x) => 1e9 / x);
    const samplesPerSecond = ns === undefined ? null : 1e9 / ns;
    const row: Row = {
      id: peer.id,
      label: peer.label,
      samplesPerSecond,
      range: perRound.length > 0 ? [Math.min(...perRound), Math.max(...perRound)] : null,
      gflops: samplesPerSecond === null ? null : (samplesPerSecond * FLOP_PER_SAMPLE) / 1e9,
    };
    if (peer.agreement) row.agreement = peer.agreement;
    if (peer.failed) row.failed = peer.failed;
    if (peer.accuracy !== undefined) row.accuracy = peer.accuracy;
    const ratio = ratios.find((r) => r.name === `${OURS} / ${peer.id}`);
    if (ratio) row.ratio = ratio.value;
    if (TARGETS[peer.id] !== undefined) row.target = TARGETS[peer.id];
    return row;
  });
  return { ...first.result, quick, machine, loadAverageAfter, cases, ratios, rounds, rows, skipped: first.findings.skipped };
}

const thousands = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

function summary(combined: Combined): string {
  const rounds = combined.rounds.length;
  const lines = [
    `| library | samples/s (median${rounds > 1 ? ` of ${rounds} rounds` : ''}) | rounds' range | GFLOP/s | first two losses | first update vs float64 | test acc. 1 epoch | wasmgrad / it | target |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const row of combined.rows) {
    const a = row.agreement;
    const speed = row.samplesPerSecond === null ? '—' : thousands(row.samplesPerSecond);
    const range = row.range ? `${thousands(row.range[0])}–${thousands(row.range[1])}` : '—';
    const gflops = row.gflops === null ? '—' : row.gflops.toFixed(2);
    const losses = a ? a.losses.map((l) => l.toFixed(5)).join(', ') : '—';
    const update = row.failed
      ? `cannot train: \`${row.failed}\``
      : a
        ? `${a.agrees ? '' : '**disagrees** '}${Math.max(...Object.values(a.update)).toExponential(1)}`
        : '—';
    const accuracy = row.accuracy === undefined ? '–' : `${(100 * row.accuracy).toFixed(2)}%`;
    const ratio = row.ratio === undefined ? '–' : `${row.ratio.toFixed(2)}×`;
    const target =
      row.target === undefined ? '' : `≥ ${row.target}×${row.ratio === undefined ? '' : row.ratio >= row.target ? ' PASS' : ' MISS'}`;
    lines.push(`| ${row.id} | ${speed} | ${range} | ${gflops} | ${losses} | ${update} | ${accuracy} | ${ratio} | ${target} |`);
  }
  const reference = combined.rows.find((row) => row.agreement)?.agreement?.reference;
  lines.push('');
  if (reference) {
    lines.push(
      `The float64 reference's first two losses: ${reference.map((l) => l.toFixed(6)).join(', ')}; tolerances: losses ±${LOSS_TOLERANCE}, first update ${UPDATE_TOLERANCE} (relative, per tensor).`,
      '',
    );
  }
  for (const row of combined.rows) {
    const problems = row.agreement && !row.agreement.agrees ? ` (disagrees: ${row.agreement.problems.join('; ')})` : '';
    lines.push(`- ${row.id}: ${row.label}${problems}`);
  }
  for (const [id, why] of Object.entries(combined.skipped)) lines.push(`- ${id}: not run — ${why}`);
  // numpy's work is in its python process, which this process's CPU time does not count.
  const contended = combined.cases.filter((c) => c.name !== 'numpy' && c.cpuShare < 0.9);
  if (contended.length > 0) {
    lines.push(
      '',
      `CPU/wall below 0.9 for ${contended.map((c) => `${c.name} (${c.cpuShare.toFixed(2)})`).join(', ')}: another process had the CPU during their runs; do not keep these figures.`,
    );
  }
  return lines.join('\n');
}

async function orchestrate(options: WorkerOptions, rounds: number): Promise<void> {
  const startLoad = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  if (startLoad > 1.3) log(`${SUITE}: load average ${startLoad}: others are running, the figures will be noisy`);
  const allowed = machineInfo().cpusAllowed;
  if (/[-,]/.test(allowed)) log(`${SUITE}: not pinned (CPUs ${allowed}): run it under taskset -c 1 for figures worth keeping`);
  const outputs: RoundOutput[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Training is deterministic: the accuracy pass runs in the first round only.
    outputs.push(runRound(round, { ...options, accuracy: options.accuracy && round === 1 }));
  }
  const combined = combine(outputs, options.quick, startLoad);
  const text = `${markdown(combined)}\n${summary(combined)}\n`;
  const directory = new URL('./results/', import.meta.url);
  mkdirSync(directory, { recursive: true });
  const stem = `${SUITE}${options.quick ? '-quick' : ''}`;
  writeFileSync(new URL(`${stem}.json`, directory), `${JSON.stringify(combined, null, 2)}\n`);
  writeFileSync(new URL(`${stem}.md`, directory), text);
  process.stdout.write(text);
  log(`wrote bench/results/${stem}.json, bench/results/${stem}.md`);
  // A peer that disagrees is reported, not fatal; exit 1 so that a run shows it.
  if (combined.rows.some((row) => row.agreement && !row.agreement.agrees)) {
    log(`${SUITE}: some peers do not compute the same step (see the table)`);
    process.exitCode = 1;
  }
}

// ---- entry -------------------------------------------------------------------------------------

async function main(args: string[]): Promise<void> {
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const known = new Set(['--quick', '--worker', '--no-accuracy', '--only', '--rounds', '--profile', '--threads']);
  const unknown = args.filter((arg, i) => !known.has(arg) && !['--only', '--rounds', '--threads'].includes(args[i - 1] ?? ''));
  if (unknown.length > 0) {
    throw new Error(
      `unknown ${unknown.join(', ')}\nusage: tsx bench/mnist-cnn.ts [--quick] [--rounds N] [--only a,b] [--no-accuracy] [--profile [--threads N]]`,
    );
  }
  if (args.includes('--profile')) {
    await init({ threads: Number(value('--threads') ?? 1) });
    const { profileCnn } = await import('./peers/wasmgrad-cnn-profile');
    console.log(profileCnn(makeCnnProblem(), args.includes('--quick') ? 2 : 10));
    return;
  }
  const options: WorkerOptions = {
    quick: args.includes('--quick'),
    only: value('--only')?.split(',').filter(Boolean) ?? [],
    accuracy: !args.includes('--no-accuracy'),
  };
  if (args.includes('--worker')) {
    await worker(options);
    // Peers may leave handles open (a backend's timers); the round is over.
    process.exit(0);
  }
  await orchestrate(options, Number(value('--rounds') ?? (options.quick ? 1 : ROUNDS)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
