// A small benchmark harness: a suite is a list of cases, each timed as the median and
// minimum of repeated runs after warm-up runs, reported per unit of work (say, per graph
// node) so that problem sizes and cases compare directly.
//
// Warm-up matters twice over here: V8 tiers up JS and wasm per function (Liftoff, then
// TurboFan) and has no on-stack replacement for wasm, so a long wasm call keeps running
// baseline code until it is called again. Every case is therefore called several times
// before its timed runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Case {
  name: string;
  /** Units of work (say, graph nodes) one run handles: the per-unit figures divide by it. */
  units: number;
  /** The timed work. */
  run: () => void;
  /** Once, before the first run; not timed. */
  setup?: () => void;
  /** Before every run (warm-up runs too); not timed. For work that one run uses up. */
  prepare?: () => void;
  /** After the last run: drop what the case holds, so the next case starts with free memory. */
  teardown?: () => void;
  warmup?: number;
  runs?: number;
}

/**
 * Runs `node <args>` (a round of a suite in a fresh process) and parses the last line it
 * prints as JSON; its stderr (progress) passes through. Throws, naming `what`, when it fails.
 */
export function jsonFromChild<T>(what: string, args: readonly string[], timeoutMinutes: number): T {
  const child = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    timeout: timeoutMinutes * 60 * 1000,
  });
  if (child.status !== 0) throw new Error(`${what} failed (exit ${child.status ?? child.signal})`);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

/** A peer that trains: what trainingCase times. */
export interface Trainer {
  id: string;
  /** Back to the initial weights. */
  reset(): void;
  /** `steps` steps from batch `first` on, wrapping around the training set. */
  train(first: number, steps: number): void;
  dispose(): void;
}

/** How a training case runs: `steps` per timed run, after `warmupSteps` trained in setup. */
export interface TrainingPlan {
  steps: number;
  warmupSteps: number;
  warmup: number;
  runs: number;
}

/**
 * A case that times `plan.steps` training steps of `peer` per run, each run going on from
 * where the last ended (cycling over `batches` batches), after the initial weights and
 * `plan.warmupSteps` untimed steps.
 */
export function trainingCase(peer: Trainer, plan: TrainingPlan, batchSize: number, batches: number): Case {
  let cursor = 0;
  return {
    name: peer.id,
    units: plan.steps * batchSize,
    warmup: plan.warmup,
    runs: plan.runs,
    setup() {
      peer.reset();
      if (plan.warmupSteps > 0) peer.train(0, plan.warmupSteps);
      cursor = plan.warmupSteps;
    },
    run() {
      peer.train(cursor % batches, plan.steps);
      cursor += plan.steps;
    },
    teardown() {
      peer.dispose();
    },
  };
}

/** median(sum of `of`) / median(sum of `over`), per unit; meets its target when ≥ target. */
export interface Ratio {
  name: string;
  of: string[];
  over: string[];
  target?: number;
}

export interface Suite {
  name: string;
  /** What one unit is, in the singular: 'node'. */
  unit: string;
  /** Problem size and anything else worth keeping with the numbers. */
  info: Record<string, number | string>;
  cases: Case[];
  ratios: Ratio[];
  /** Runs before any timing and throws if the things compared do not compute the same. */
  check?: () => void;
}

export interface Options {
  /** A smoke run: few runs (and, by the suite's choice, a small problem). */
  quick: boolean;
}

export interface CaseResult {
  name: string;
  units: number;
  warmup: number;
  runs: number;
  medianMs: number;
  minMs: number;
  medianNsPerUnit: number;
  minNsPerUnit: number;
  /**
   * CPU time of the process (all its threads) over wall time, across the timed runs.
   * Pinned to one CPU it is at most 1; well below 1, something else had that CPU.
   */
  cpuShare: number;
  samplesMs: number[];
}

export interface RatioResult {
  name: string;
  value: number;
  target: number | null;
  pass: boolean | null;
}

export interface SuiteResult {
  suite: string;
  unit: string;
  quick: boolean;
  machine: MachineInfo;
  /** The 1-minute load average when the suite finished (machine.loadAverage: when it started). */
  loadAverageAfter: number;
  info: Record<string, number | string>;
  cases: CaseResult[];
  ratios: RatioResult[];
}

export interface MachineInfo {
  date: string;
  /** The commit measured, and whether the working tree differed from it. */
  revision: string;
  node: string;
  v8: string;
  platform: string;
  cpu: string;
  cpuCount: number;
  /** The CPUs this process may run on (Linux): shows whether it was pinned with taskset. */
  cpusAllowed: string;
  memoryGiB: number;
  /** 1-minute load average when this was taken: above ~1, something else was running. */
  loadAverage: number;
}

const DEFAULT_WARMUP = 3;
const DEFAULT_RUNS = 10;
const QUICK_WARMUP = 2;
const QUICK_RUNS = 3;

// A case's runs follow one another as a training loop's iterations do, so the garbage
// one run leaves is collected during the next and counted: that is part of what
// define-by-run costs. Between cases the harness collects, so no case pays for another's
// garbage, and then waits: V8 finishes a collection on background threads, which on a
// pinned CPU would take their time out of the next measurement (a forward + backward
// right after gc() ran 4-5× slower in a probe).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const SETTLE_MS = 200;

async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

export async function runSuite(suite: Suite, options: Options): Promise<SuiteResult> {
  const machine = machineInfo();
  if (suite.check) {
    log(`${suite.name}: checking that the cases agree`);
    suite.check();
  }
  const cases: CaseResult[] = [];
  for (const each of suite.cases) cases.push(await runCase(suite.name, each, options));
  const ratios = suite.ratios.map((ratio) => evaluate(ratio, cases));
  const loadAverageAfter = loadAverage();
  return { suite: suite.name, unit: suite.unit, quick: options.quick, machine, loadAverageAfter, info: suite.info, cases, ratios };
}

async function runCase(suiteName: string, bench: Case, options: Options): Promise<CaseResult> {
  const warmup = options.quick ? Math.min(bench.warmup ?? DEFAULT_WARMUP, QUICK_WARMUP) : (bench.warmup ?? DEFAULT_WARMUP);
  const runs = options.quick ? Math.min(bench.runs ?? DEFAULT_RUNS, QUICK_RUNS) : (bench.runs ?? DEFAULT_RUNS);
  log(`${suiteName}: ${bench.name} (${warmup} warm-up, ${runs} timed runs)`);
  bench.setup?.();
  await settle();
  for (let i = 0; i < warmup; i++) {
    bench.prepare?.();
    bench.run();
  }
  const samplesMs: number[] = [];
  let cpuMs = 0;
  for (let i = 0; i < runs; i++) {
    bench.prepare?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    bench.run();
    samplesMs.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs += (cpu.user + cpu.system) / 1000;
  }
  bench.teardown?.();
  await settle();
  const medianMs = median(samplesMs);
  const minMs = Math.min(...samplesMs);
  return {
    name: bench.name,
    units: bench.units,
    warmup,
    runs,
    medianMs,
    minMs,
    medianNsPerUnit: (medianMs * 1e6) / bench.units,
    minNsPerUnit: (minMs * 1e6) / bench.units,
    cpuShare: round(cpuMs / samplesMs.reduce((sum, ms) => sum + ms, 0), 2),
    samplesMs: samplesMs.map((ms) => round(ms, 3)),
  };
}

function evaluate(ratio: Ratio, cases: CaseResult[]): RatioResult {
  const perUnit = (names: string[]) =>
    names.reduce((sum, name) => {
      const found = cases.find((each) => each.name === name);
      if (!found) throw new Error(`ratio ${JSON.stringify(ratio.name)}: no case is named ${JSON.stringify(name)}`);
      return sum + found.medianNsPerUnit;
    }, 0);
  const value = perUnit(ratio.of) / perUnit(ratio.over);
  const target = ratio.target ?? null;
  return { name: ratio.name, value, target, pass: target === null ? null : value >= target };
}

/** Each case of the first round's, over every round that ran it: the median of the rounds' medians, the least minimum, every sample kept. */
export function combineCases(rounds: readonly SuiteResult[]): CaseResult[] {
  return (rounds[0] as SuiteResult).cases.map((each) => {
    const all = rounds.map((round) => round.cases.find((c) => c.name === each.name)).filter((c): c is CaseResult => !!c);
    const medianMs = median(all.map((c) => c.medianMs));
    const minMs = Math.min(...all.map((c) => c.minMs));
    return {
      ...each,
      runs: all.reduce((sum, c) => sum + c.runs, 0),
      medianMs,
      minMs,
      medianNsPerUnit: (medianMs * 1e6) / each.units,
      minNsPerUnit: (minMs * 1e6) / each.units,
      cpuShare: median(all.map((c) => c.cpuShare)),
      samplesMs: all.flatMap((c) => c.samplesMs),
    };
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    revision: revision(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus().length,
    cpusAllowed: cpusAllowed(),
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    loadAverage: loadAverage(),
  };
}

function loadAverage(): number {
  return round(loadavg()[0] ?? 0, 2);
}

function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function cpusAllowed(): string {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    return /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// ---- reporting ------------------------------------------------------------------------

export function markdown(result: SuiteResult): string {
  const { machine, unit } = result;
  const lines = [
    `### ${result.suite}${result.quick ? ' (quick)' : ''}`,
    '',
    `${machine.cpu}, ${machine.cpuCount} CPUs (allowed: ${machine.cpusAllowed}), Node ${machine.node} (V8 ${machine.v8}), ${machine.date}, wasmgrad ${machine.revision}, load average ${machine.loadAverage} → ${result.loadAverageAfter}`,
    '',
    Object.entries(result.info)
      .map(([key, value]) => `${key}: ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`)
      .join(' · '),
    '',
    `| case | median ms | min ms | median ns/${unit} | min ns/${unit} | runs | CPU/wall |`,
    '|---|--:|--:|--:|--:|--:|--:|',
    ...result.cases.map(
      (each) =>
        `| ${each.name} | ${fixed(each.medianMs)} | ${fixed(each.minMs)} | ${fixed(each.medianNsPerUnit)} | ${fixed(each.minNsPerUnit)} | ${each.runs} | ${each.cpuShare.toFixed(2)} |`,
    ),
  ];
  if (result.ratios.length > 0) {
    lines.push('', '| ratio (of medians) | value | target | |', '|---|--:|--:|---|');
    for (const ratio of result.ratios) {
      const verdict = ratio.pass === null ? '' : ratio.pass ? 'PASS' : 'MISS';
      lines.push(`| ${ratio.name} | ${fixed(ratio.value)}× | ${ratio.target === null ? '–' : `≥ ${ratio.target}×`} | ${verdict} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Writes `<suite>.json` and `<suite>.md` (`<suite>-quick.*` for a quick run); returns their paths. */
export function writeResults(result: SuiteResult, directory: URL): string[] {
  mkdirSync(directory, { recursive: true });
  const stem = `${result.suite}${result.quick ? '-quick' : ''}`;
  const json = new URL(`${stem}.json`, directory);
  const md = new URL(`${stem}.md`, directory);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(md, markdown(result));
  return [json.pathname, md.pathname];
}

/** Three significant digits, at least: enough to see a change, few enough to read. */
function fixed(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function round(x: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

/** Progress goes to stderr, so that stdout carries only the tables. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
