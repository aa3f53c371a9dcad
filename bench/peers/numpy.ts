// numpy (float32, its OpenBLAS on one thread) in a python3 process that Node drives
// through two named pipes, one command line and one reply line each: Node times a
// command exactly as it times its own peers (the harness's warm-up and runs), and the
// pipe round trip (tens of µs) is small next to a run of many steps. One driver for
// both MNIST suites: numpy_peer.py runs mnist-mlp's step, numpy_cnn_peer.py mnist-cnn's.
//
// OPENBLAS_NUM_THREADS=1 keeps it on one thread; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
// set on some machines here for older OpenBLAS builds, are removed for this process only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CNN_LEARNING_RATE, type CnnWeights } from './cnn';
import type { Peer, Problem, Weights } from './peer';

const PYTHON = process.env.PYTHON ?? 'python3';

export interface NumpyInfo {
  numpy: string;
  blas?: string;
  core?: string;
  threads?: number;
}

/** The write end of a named pipe once a reader has it open, or null after `ms`. */
function openWhenRead(path: string, ms: number): number | null {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || performance.now() > deadline) return null;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

/** The peer with `loss()`: the loss numpy_cnn_peer.py replies to "train" (NaN from numpy_peer.py). */
type Made<W> = { peer: Peer<W> & { loss(): number }; info: NumpyInfo } | { peer: null; reason: string };

/** mnist-mlp's numpy peer, or null (with the reason) when python3 or numpy is missing. */
export function numpyPeer(problem: Problem): Promise<Made<Weights>> {
  return pythonPeer(problem, {
    script: 'numpy_peer.py',
    id: 'numpy',
    describe: (info) => `numpy ${info.numpy} (${describeBlas(info)}), float32, in python3`,
  });
}

/** mnist-cnn's numpy peer (im2col + GEMM), or null (with the reason). */
export function numpyCnnPeer(problem: Problem<CnnWeights>): Promise<Made<CnnWeights>> {
  return pythonPeer(problem, {
    script: 'numpy_cnn_peer.py',
    id: 'numpy',
    settings: { lr: CNN_LEARNING_RATE },
    describe: (info) => `numpy ${info.numpy} (${describeBlas(info)}): im2col + GEMM, float32, in python3`,
  });
}

const describeBlas = (info: NumpyInfo) =>
  `${info.blas ?? 'BLAS'}${info.core ? `, ${info.core} kernels` : ''}, ${info.threads ?? '?'} thread`;

interface Script {
  /** Beside this file. */
  script: string;
  id: string;
  /** Written into counts.json beside the digits' counts. */
  settings?: Record<string, number>;
  describe: (info: NumpyInfo) => string;
}

/**
 * A python3 script of this directory as a peer: the digits and each initial weight
 * (init_<name>.bin, wasmgrad's layout) written to a temporary directory it reads, then
 * commands over the pipes; "weights" has it write out_<name>.bin for every name.
 */
async function pythonPeer<W extends Weights | CnnWeights>(problem: Problem<W>, spec: Script): Promise<Made<W>> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { env, stdio: 'ignore' });
  } catch {
    return { peer: null, reason: `${PYTHON} with numpy not found` };
  }

  const dir = mkdtempSync(join(tmpdir(), `${spec.script.replace(/\.py$/, '')}-`));
  const file = (name: string) => join(dir, name);
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(file('counts.json'), JSON.stringify({ train: problem.train.count, test: problem.test.count, ...spec.settings }));
  writeFileSync(file('train_x.bin'), bytes(problem.train.x));
  writeFileSync(file('train_y.bin'), bytes(problem.train.y));
  writeFileSync(file('test_x.bin'), bytes(problem.test.x));
  writeFileSync(file('test_y.bin'), bytes(problem.test.y));
  const names = Object.keys(problem.init) as (keyof W)[];
  for (const name of names) writeFileSync(file(`init_${String(name)}.bin`), bytes(problem.init[name] as Float32Array));
  const commandsPath = file('commands');
  const repliesPath = file('replies');
  execFileSync('mkfifo', [commandsPath, repliesPath]);

  // It says "ready" once its data is loaded, then opens the pipes in this order.
  const script = fileURLToPath(new URL(`./${spec.script}`, import.meta.url));
  const child: ChildProcess = spawn(PYTHON, [script, dir, commandsPath, repliesPath], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().startsWith('ready')));
    child.once('exit', () => resolve(false));
  });
  if (!ready) {
    rmSync(dir, { recursive: true, force: true });
    return { peer: null, reason: 'the numpy process failed to start' };
  }
  // From now on the pipes decide its life (it ends at "quit", or at the end of file when
  // this process ends), so the event loop need not wait for it.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  // Opening a pipe's write end blocks until its reader opens it, forever if the reader
  // died: open without blocking (ENXIO while there is no reader yet) and give up after a while.
  const commands = openWhenRead(commandsPath, 30_000);
  if (commands === null) {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
    return { peer: null, reason: 'the numpy process did not open its command pipe' };
  }
  const replies = openSync(repliesPath, 'r');
  const buffer = Buffer.alloc(4096);
  const ask = (command: string): string => {
    writeSync(commands, `${command}\n`);
    let line = '';
    while (!line.endsWith('\n')) {
      const n = readSync(replies, buffer, 0, buffer.length, null);
      if (n === 0) throw new Error(`numpy: the process ended during "${command}"`);
      line += buffer.toString('utf8', 0, n);
    }
    const reply = line.trim();
    if (!reply.startsWith('ok')) throw new Error(`numpy: "${command}" → ${reply}`);
    return reply.slice(2).trim();
  };
  const info = JSON.parse(ask('info')) as NumpyInfo;
  const read = (name: string) => {
    const data = readFileSync(file(name));
    return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  };
  let lastLoss = Number.NaN;
  const peer: Peer<W> & { loss(): number } = {
    id: spec.id,
    label: spec.describe(info),
    reset() {
      ask('reset');
    },
    train(first, count) {
      const reply = ask(`train ${first} ${count}`);
      lastLoss = reply === '' ? Number.NaN : Number(reply);
    },
    loss() {
      return lastLoss;
    },
    accuracy() {
      return Number(ask('accuracy'));
    },
    weights(): W {
      ask('weights');
      return Object.fromEntries(names.map((name) => [name, read(`out_${String(name)}.bin`)])) as unknown as W;
    },
    dispose() {
      try {
        writeSync(commands, 'quit\n');
      } catch {
        // already gone
      }
      closeSync(commands);
      closeSync(replies);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return { peer, info };
}
