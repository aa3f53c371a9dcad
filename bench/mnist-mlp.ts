// Suite "mnist-mlp": training a 784-128-10 ReLU network on MNIST, wasmgrad against the
// JavaScript libraries that train networks, and numpy as the native reference.
//
//   taskset -c 1 npx tsx bench/mnist-mlp.ts            # 3 rounds, each in a fresh process
//   taskset -c 1 npx tsx bench/mnist-mlp.ts --quick    # a smoke run, < 30 s
//   npx tsx bench/mnist-mlp.ts --profile               # where a wasmgrad step's time goes
//   npx tsx bench/mnist-mlp.ts --profile --threads 2   # the same with two threads
//   npx tsx bench/mnist-mlp.ts --only wasmgrad,jax-js  # some peers (case names, or prefixes)
//
// The problem, the same for every library: 784-128-10, ReLU, softmax cross-entropy (mean
// over the batch), plain SGD with lr 0.1, batches of 64 taken in order from the 8,000
// seeded training digits (loadMnist({ seed: 0 }); 125 batches an epoch, every epoch the
// same), starting from the same initial weights (He-normal, as nn.Linear makes them;
// biases 0). Each library converts the digits to its own format once, untimed.
//
// Before timing, the suite checks that the libraries compute the same step (one step
// from the shared weights gives the same weights, to float rounding) and trains each
// from the initial weights for 1 and 5 epochs to measure test accuracy on the 2,000
// held-out digits. Then each is timed by the harness: runs of whole epochs (a fraction
// of an epoch for the slow ones), the median after warm-up runs, per sample.
//
// A full run also times wasmgrad's relaxed-SIMD (FMA) build, the one browsers get, in a
// process of its own (Node 20 needs --experimental-wasm-relaxed-simd for it; the peers
// run without that flag). Its cases are reported beside the others, with no target.
//
// Results go to bench/results/mnist-mlp.json and .md (mnist-mlp-quick.* for --quick);
// each round's own harness result is kept in the JSON. From bench/run.ts (one round, one
// process, no relaxed build) the suite is `mnistMlp`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { backend, init } from '../src/index';
import {
  type Case,
  combineCases,
  jsonFromChild,
  log,
  machineInfo,
  markdown,
  type Options,
  type Ratio,
  type RatioResult,
  runSuite,
  type Suite,
  type SuiteResult,
  trainingCase,
} from './harness';
import { makeProblem } from './mnist-problem';
import { brainjsPeer } from './peers/brainjs';
import { convnetjsPeer } from './peers/convnetjs';
import { jaxPeer } from './peers/jax';
import { numpyPeer } from './peers/numpy';
import { BATCH, CLASSES, HIDDEN, INPUTS, type Peer, type Problem, type Weights } from './peers/peer';
import { tfjsPeer } from './peers/tfjs';
import { wasmgradFit, wasmgradLoop, wasmgradSetLoop, wasmgradStep } from './peers/wasmgrad';

const SUITE = 'mnist-mlp';
/** The suffix of the cases that run wasmgrad's relaxed-SIMD build. */
const RELAXED = '(relaxed SIMD)';
const ROUNDS = 3;
/** Relative difference of one step's weight update allowed between two libraries. */
const AGREEMENT = 1e-3;

// ---- plans: how much each peer runs ----------------------------------------------------------

interface Plan {
  /** Training steps (batches of 64) per timed run. */
  steps: number;
  /** Steps trained in the case's setup, before the harness's warm-up runs. */
  warmupSteps: number;
  warmup: number;
  runs: number;
  /** Epochs after which test accuracy is measured (from the initial weights). */
  accuracyAfter: number[];
}

type Speed = 'fast' | 'slow' | 'slowest';

function plan(speed: Speed, quick: boolean, id: string): Plan {
  if (quick) {
    // nn.fit runs whole epochs (one call each), as a user calls it.
    if (id === 'wasmgrad nn.fit') return { steps: 125, warmupSteps: 0, warmup: 2, runs: 3, accuracyAfter: [1] };
    if (speed === 'fast') return { steps: 25, warmupSteps: id === 'jax-js' ? 50 : 0, warmup: 2, runs: 3, accuracyAfter: [1] };
    return { steps: speed === 'slow' ? 4 : 1, warmupSteps: 0, warmup: 1, runs: 3, accuracyAfter: [] };
  }
  switch (speed) {
    case 'fast':
      // jax-js keeps getting faster for ~600 steps: its setup trains 500 more before the
      // harness's warm-up epochs (its accuracy pass, 625 steps, comes before as well).
      return { steps: 125, warmupSteps: id === 'jax-js' ? 500 : 0, warmup: 3, runs: 10, accuracyAfter: [1, 5] };
    case 'slow':
      return { steps: 25, warmupSteps: 0, warmup: 2, runs: 5, accuracyAfter: [1, 5] };
    case 'slowest':
      // brain.js: about 90 ms a batch; one epoch (10 s) for its accuracy, not five.
      return { steps: 2, warmupSteps: 0, warmup: 1, runs: 5, accuracyAfter: [1] };
  }
}

const SPEEDS: Record<string, Speed> = {
  'wasmgrad step': 'fast',
  'wasmgrad nn.fit': 'fast',
  'wasmgrad loop': 'fast',
  'wasmgrad loop (Tensor.set)': 'fast',
  'jax-js': 'fast',
  'tfjs-wasm': 'fast',
  numpy: 'fast',
  'tfjs-cpu': 'slow',
  ConvNetJS: 'slow',
  'brain.js': 'slowest',
};

export const PEER_IDS = Object.keys(SPEEDS);

// ---- the suite -------------------------------------------------------------------------------

export interface SuiteOptions extends Options {
  /** Case names (or prefixes) to run; all when empty. */
  only?: string[];
  /** Skip the accuracy pass (rounds after the first: training is deterministic). */
  noAccuracy?: boolean;
  /**
   * wasmgrad's relaxed-SIMD (FMA) build, alone: Node 20 runs it only with
   * --experimental-wasm-relaxed-simd, so it is timed in a process of its own.
   */
  relaxed?: boolean;
}

export interface Accuracy {
  /** Test accuracy after each epoch in `plan.accuracyAfter`, keyed by the epoch count. */
  afterEpochs: Record<string, number>;
  /** Wall time of the accuracy pass's training, from the initial weights (cold). */
  trainSeconds: number;
  epochs: number;
}

export interface PeerReport {
  id: string;
  label: string;
  differs?: string;
  plan: Plan;
  accuracy?: Accuracy;
  /** The relative difference of its first step's update from wasmgrad's, per tensor. */
  agreement?: Record<string, number>;
}

/** What the suite found besides the timings: filled in by its check, before timing. */
export interface Findings {
  peers: PeerReport[];
  skipped: Record<string, string>;
  numpy?: unknown;
}

const wanted = (id: string, only: string[] | undefined) =>
  !only || only.length === 0 || only.some((name) => id === name || id.startsWith(name) || id.toLowerCase().startsWith(name.toLowerCase()));

/**
 * The suite, with every peer loaded (their setup is asynchronous, hence the promise).
 * `findings` gets the accuracies and the agreement check when the harness runs `check`.
 */
export async function mnistMlp(options: SuiteOptions, findings: Findings = { peers: [], skipped: {} }): Promise<Suite> {
  log(`${SUITE}: loading the digits`);
  const problem = makeProblem();
  const peers: Peer[] = [];
  const bases = new Map<Peer, string>();
  const add = async (id: string, make: () => Peer | Promise<Peer>) => {
    if (!wanted(id, options.only) || (options.relaxed && !id.startsWith('wasmgrad'))) return;
    log(`${SUITE}: loading ${id}`);
    try {
      const peer = await make();
      bases.set(peer, id);
      if (options.relaxed) peer.id = `${id} ${RELAXED}`;
      peers.push(peer);
    } catch (error) {
      findings.skipped[id] = error instanceof Error ? (error.message.split('\n')[0] ?? 'failed') : String(error);
      log(`${SUITE}: ${id} skipped: ${findings.skipped[id]}`);
    }
  };
  // The reference for the agreement check comes first.
  await add('wasmgrad step', () => wasmgradStep(problem));
  await add('wasmgrad nn.fit', () => wasmgradFit(problem));
  await add('wasmgrad loop', () => wasmgradLoop(problem));
  await add('wasmgrad loop (Tensor.set)', () => wasmgradSetLoop(problem));
  await add('jax-js', () => jaxPeer(problem));
  await add('tfjs-wasm', () => tfjsPeer(problem, 'wasm'));
  await add('numpy', async () => {
    const made = await numpyPeer(problem);
    if (made.peer === null) throw new Error(made.reason);
    findings.numpy = made.info;
    return made.peer;
  });
  await add('tfjs-cpu', () => tfjsPeer(problem, 'cpu'));
  await add('ConvNetJS', () => convnetjsPeer(problem));
  await add('brain.js', () => brainjsPeer(problem));

  const plans = new Map(
    peers.map((peer) => [peer, plan(SPEEDS[bases.get(peer) as string] ?? 'slow', options.quick, bases.get(peer) as string)]),
  );
  for (const peer of peers) {
    const report: PeerReport = { id: peer.id, label: peer.label, plan: plans.get(peer) as Plan };
    if (peer.differs) report.differs = peer.differs;
    findings.peers.push(report);
  }
  const report = (peer: Peer) => findings.peers.find((each) => each.id === peer.id) as PeerReport;

  const info: Record<string, number | string> = {
    network: `${INPUTS}-${HIDDEN}-${CLASSES}, ReLU, softmax cross-entropy`,
    optimizer: 'SGD lr 0.1, no momentum',
    'batch size': BATCH,
    'training digits': problem.train.count,
    'test digits': problem.test.count,
    'wasmgrad core': backend().simd === 'relaxed' ? 'relaxed SIMD' : 'SIMD128',
    'wasmgrad binary': binaryInfo(backend().simd === 'relaxed'),
  };

  const check = () => {
    agreementCheck(peers, report);
    if (!options.noAccuracy) {
      for (const peer of peers) {
        const accuracy = accuracyPass(peer, problem, plans.get(peer) as Plan);
        if (!accuracy) continue;
        report(peer).accuracy = accuracy;
        info[`${peer.id} test accuracy`] = Object.entries(accuracy.afterEpochs)
          .map(([epochs, value]) => `${(100 * value).toFixed(2)}% after ${epochs}`)
          .join(', ');
      }
    }
  };

  const cases: Case[] = peers.map((peer) => trainingCase(peer, plans.get(peer) as Plan, BATCH, problem.batches));

  return { name: SUITE, unit: 'sample', info, cases, ratios: ratios(peers.map((peer) => peer.id)), check };
}

/** Which build of the core was measured: the working tree's may differ from the commit's. */
function binaryInfo(relaxed: boolean): string {
  const url = new URL(`../build/wasmgrad${relaxed ? '-relaxed' : ''}.wasm`, import.meta.url);
  try {
    const hash = createHash('sha256').update(readFileSync(url)).digest('hex').slice(0, 12);
    return `build/wasmgrad${relaxed ? '-relaxed' : ''}.wasm sha256 ${hash}…, built ${statSync(url).mtime.toISOString()}`;
  } catch {
    return 'unknown';
  }
}

/** wasmgrad's speed over each peer's (each peer's time per sample over wasmgrad's). */
function ratios(ids: string[]): Ratio[] {
  const targets: Record<string, number> = { 'jax-js': 2, 'tfjs-wasm': 8 };
  const out: Ratio[] = [];
  // The README's loop is what users run: it carries the targets (issue 11).
  const targeted = 'wasmgrad loop';
  for (const ours of ['wasmgrad step', 'wasmgrad nn.fit', 'wasmgrad loop', 'wasmgrad loop (Tensor.set)']) {
    if (!ids.includes(ours)) continue;
    for (const id of ids) {
      if (id.startsWith('wasmgrad')) continue;
      const ratio: Ratio = { name: `${ours} / ${id}`, of: [id], over: [ours] };
      if (ours === targeted && targets[id] !== undefined) ratio.target = targets[id];
      out.push(ratio);
    }
  }
  // The natural loop at ≥ 90% of nn.fit's samples/s: no hidden cost in the plain way.
  for (const loop of ['wasmgrad loop', 'wasmgrad loop (Tensor.set)']) {
    if (ids.includes(loop) && ids.includes('wasmgrad nn.fit')) {
      out.push({ name: `${loop} / wasmgrad nn.fit`, of: ['wasmgrad nn.fit'], over: [loop], ...(loop === targeted ? { target: 0.9 } : {}) });
    }
  }
  return out;
}

/**
 * One step on batch 0 from the shared weights: every peer that computes the same step
 * must make the same update as the first (wasmgrad), up to float rounding.
 */
function agreementCheck(peers: Peer[], report: (peer: Peer) => PeerReport): void {
  const [reference, ...others] = peers.filter((peer) => !peer.differs);
  if (!reference) return;
  const update = (peer: Peer): Weights => {
    peer.reset();
    peer.train(0, 1);
    const after = peer.weights();
    peer.reset();
    const init = peer.weights();
    const diff = (a: Float32Array, b: Float32Array) => a.map((value, i) => value - (b[i] as number));
    return { w1: diff(after.w1, init.w1), b1: diff(after.b1, init.b1), w2: diff(after.w2, init.w2), b2: diff(after.b2, init.b2) };
  };
  const expected = update(reference);
  const failures: string[] = [];
  for (const peer of others) {
    const got = update(peer);
    const agreement: Record<string, number> = {};
    for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
      const relative = relativeDifference(got[key], expected[key]);
      agreement[key] = relative;
      if (!(relative <= AGREEMENT)) failures.push(`${peer.id} ${key}: relative difference ${relative.toExponential(2)}`);
    }
    report(peer).agreement = agreement;
    log(
      `${SUITE}: ${peer.id} agrees with ${reference.id} to ${Math.max(...Object.values(agreement)).toExponential(1)} (first step's update)`,
    );
  }
  if (failures.length > 0) throw new Error(`${SUITE}: the libraries do not compute the same step:\n  ${failures.join('\n  ')}`);
}

/** ‖a − b‖ / ‖b‖ */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    num += d * d;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

/** From the initial weights: test accuracy after each epoch count of the plan. */
function accuracyPass(peer: Peer, problem: Problem, p: Plan): Accuracy | null {
  if (p.accuracyAfter.length === 0) return null;
  peer.reset();
  const afterEpochs: Record<string, number> = {};
  let epochs = 0;
  let seconds = 0;
  for (const target of p.accuracyAfter) {
    const start = performance.now();
    peer.train(0, (target - epochs) * problem.batches);
    seconds += (performance.now() - start) / 1000;
    epochs = target;
    afterEpochs[String(target)] = peer.accuracy();
    log(`${SUITE}: ${peer.id}: test accuracy ${(100 * (afterEpochs[String(target)] as number)).toFixed(2)}% after ${target} epoch(s)`);
  }
  return { afterEpochs, trainSeconds: seconds, epochs };
}

// ---- rounds: fresh processes, medians -----------------------------------------------------------

interface RoundOutput {
  result: SuiteResult;
  findings: Findings;
}

/** One round in this process: the suite through the harness; JSON on stdout. */
async function worker(options: SuiteOptions): Promise<void> {
  await init({ simd: options.relaxed ? 'relaxed' : 'plain', threads: 1 });
  const simd = backend().simd;
  if (simd !== (options.relaxed ? 'relaxed' : 'plain'))
    throw new Error(`${SUITE}: asked for the ${options.relaxed ? 'relaxed' : 'plain'} build, got ${simd}`);
  const findings: Findings = { peers: [], skipped: {} };
  const suite = await mnistMlp(options, findings);
  const result = await runSuite(suite, options);
  const output: RoundOutput = { result, findings };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

function runRound(round: number, options: SuiteOptions): RoundOutput {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--worker'];
  if (options.relaxed) args.unshift('--experimental-wasm-relaxed-simd');
  if (options.relaxed) args.push('--relaxed');
  if (options.quick) args.push('--quick');
  if (options.noAccuracy) args.push('--no-accuracy');
  if (options.only && options.only.length > 0) args.push('--only', options.only.join(','));
  log(`${SUITE}: round ${round}${options.relaxed ? `, wasmgrad's ${RELAXED} build` : ''}`);
  return jsonFromChild<RoundOutput>(`${SUITE}: round ${round}`, args, options.quick ? 3 : 30);
}

/** The relaxed-SIMD round's cases join the round's, with ratios over the main peers. */
function mergeRelaxed(main: RoundOutput, relaxed: RoundOutput): void {
  main.result.cases.push(...relaxed.result.cases);
  main.findings.peers.push(...relaxed.findings.peers);
  main.result.info[`wasmgrad binary ${RELAXED}`] = relaxed.result.info['wasmgrad binary'] ?? 'unknown';
  for (const ours of relaxed.result.cases) {
    if (!ours.name.startsWith('wasmgrad step')) continue;
    for (const peer of main.result.cases) {
      if (!['jax-js', 'tfjs-wasm', 'numpy'].includes(peer.name)) continue;
      const value = peer.medianNsPerUnit / ours.medianNsPerUnit;
      main.result.ratios.push({ name: `${ours.name} / ${peer.name}`, value, target: null, pass: null });
    }
  }
}

interface Row {
  id: string;
  label: string;
  samplesPerSecond: number;
  /** Slowest and fastest round (median of each). */
  range: [number, number];
  accuracy?: Accuracy;
  differs?: string;
  /** wasmgrad step's samples/s over this peer's. */
  ratio?: number;
  target?: number;
}

interface Combined extends SuiteResult {
  rounds: RoundOutput[];
  rows: Row[];
  skipped: Record<string, string>;
  numpy?: unknown;
}

/** Per case, the median of the rounds' medians; every sample kept. */
function combine(rounds: RoundOutput[], quick: boolean, startLoad: number): Combined {
  const first = rounds[0] as RoundOutput;
  // The machine as it was when the rounds began; the load average then and at the end.
  const machine = { ...machineInfo(), loadAverage: startLoad };
  const loadAverageAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const cases = combineCases(rounds.map((round) => round.result));
  const nsPerSample = (name: string) => cases.find((c) => c.name === name)?.medianNsPerUnit ?? Number.NaN;
  const ratios: RatioResult[] = first.result.ratios.map((r) => {
    const [of, over] = r.name.split(' / ') as [string, string];
    const value = nsPerSample(over) / nsPerSample(of);
    return { ...r, value, pass: r.target === null ? null : value >= r.target };
  });
  const reference = nsPerSample('wasmgrad step');
  const rows: Row[] = cases.map((c) => {
    const found = first.findings.peers.find((p) => p.id === c.name);
    const perRound = rounds
      .map((round) => round.result.cases.find((x) => x.name === c.name)?.medianNsPerUnit)
      .filter((x): x is number => x !== undefined)
      .map((ns) => 1e9 / ns);
    const row: Row = {
      id: c.name,
      label: found?.label ?? c.name,
      samplesPerSecond: 1e9 / c.medianNsPerUnit,
      range: [Math.min(...perRound), Math.max(...perRound)],
    };
    if (found?.accuracy) row.accuracy = found.accuracy;
    if (found?.differs) row.differs = found.differs;
    if (!c.name.startsWith('wasmgrad') && Number.isFinite(reference)) row.ratio = c.medianNsPerUnit / reference;
    const target = ratios.find((r) => r.name === `wasmgrad step / ${c.name}`)?.target;
    if (typeof target === 'number') row.target = target;
    return row;
  });
  return {
    ...first.result,
    quick,
    machine,
    loadAverageAfter,
    cases,
    ratios,
    rounds,
    rows,
    skipped: first.findings.skipped,
    ...(first.findings.numpy ? { numpy: first.findings.numpy } : {}),
  };
}

const percent = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const thousands = (x: number) => Math.round(x).toLocaleString('en-US');

function summary(combined: Combined): string {
  const rounds = combined.rounds.length;
  const step = combined.rows.find((r) => r.id === 'wasmgrad step');
  const lines = [
    `| library | samples/s (median${rounds > 1 ? ` of ${rounds} rounds` : ''}) | rounds' range | test acc. 1 epoch | test acc. 5 epochs | wasmgrad step / it | target |`,
    '|---|--:|--:|--:|--:|--:|---|',
  ];
  for (const row of combined.rows) {
    const acc = row.accuracy?.afterEpochs;
    const ratio = row.ratio === undefined ? '–' : `${row.ratio.toFixed(2)}×`;
    let target = '';
    if (row.target !== undefined && row.ratio !== undefined) {
      const fast = row.ratio >= row.target;
      const accurate =
        !acc || !step?.accuracy
          ? null
          : (step.accuracy.afterEpochs['5'] ?? step.accuracy.afterEpochs['1'] ?? 0) >= (acc['5'] ?? acc['1'] ?? 1);
      target = `≥ ${row.target}× ${fast ? 'PASS' : 'MISS'}${accurate === null ? '' : accurate ? ', accuracy ≥ its' : ', accuracy below its'}`;
    }
    const note = row.differs ? ' †' : '';
    lines.push(
      `| ${row.id}${note} | ${thousands(row.samplesPerSecond)} | ${thousands(row.range[0])}–${thousands(row.range[1])} | ${percent(acc?.['1'])} | ${percent(acc?.['5'])} | ${ratio} | ${target} |`,
    );
  }
  lines.push('');
  for (const row of combined.rows) lines.push(`- ${row.id}: ${row.label}${row.differs ? ` († ${row.differs})` : ''}`);
  for (const [id, why] of Object.entries(combined.skipped)) lines.push(`- ${id}: not run — ${why}`);
  return lines.join('\n');
}

async function orchestrate(options: SuiteOptions, rounds: number, withRelaxed: boolean): Promise<void> {
  const startLoad = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  if (startLoad > 1.3) log(`${SUITE}: load average ${startLoad}: others are running, the figures will be noisy`);
  const outputs: RoundOutput[] = [];
  // Not in a quick run: it would take a process and a few seconds more.
  const relaxed = withRelaxed && !options.quick && PEER_IDS.some((id) => id.startsWith('wasmgrad') && wanted(id, options.only));
  for (let round = 1; round <= rounds; round++) {
    // Training is deterministic: the accuracy pass runs in the first round only.
    const output = runRound(round, { ...options, noAccuracy: options.noAccuracy || round > 1 });
    if (relaxed) mergeRelaxed(output, runRound(round, { ...options, noAccuracy: true, relaxed: true }));
    outputs.push(output);
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
}

// ---- entry -------------------------------------------------------------------------------------

async function main(args: string[]): Promise<void> {
  const value = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const known = new Set([
    '--quick',
    '--worker',
    '--no-accuracy',
    '--profile',
    '--threads',
    '--only',
    '--rounds',
    '--relaxed',
    '--no-relaxed',
  ]);
  const unknown = args.filter((arg, i) => arg.startsWith('-') && !known.has(arg) && !['--only', '--rounds'].includes(args[i - 1] ?? ''));
  if (unknown.length > 0) {
    throw new Error(
      `unknown ${unknown.join(', ')}\nusage: tsx bench/mnist-mlp.ts [--quick] [--rounds N] [--only a,b] [--no-accuracy] [--profile [--threads N]]`,
    );
  }
  const options: SuiteOptions = {
    quick: args.includes('--quick'),
    only: value('--only')?.split(',').filter(Boolean) ?? [],
    noAccuracy: args.includes('--no-accuracy'),
    relaxed: args.includes('--relaxed'),
  };
  if (args.includes('--profile')) {
    const { profile } = await import('./peers/wasmgrad-profile');
    await profile(options.quick, Number(value('--threads') ?? 1));
  } else if (args.includes('--worker')) {
    await worker(options);
    // Peers may leave handles open (a backend's timers); the round is over.
    process.exit(0);
  } else {
    await orchestrate(options, Number(value('--rounds') ?? (options.quick ? 1 : ROUNDS)), !args.includes('--no-relaxed'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    // Exit now: a peer's process or handles must not keep a failed run alive.
    process.exit(1);
  });
}
