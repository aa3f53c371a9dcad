// numpy (float32, its OpenBLAS on one thread) in a python3 process that Node drives
// through two named pipes, one command line and one reply line each: Node times a
// command exactly as it times its own peers (the harness's warm-up and runs), and the
// pipe round trip (tens of µs) is small next to a run of many steps.
//
// OPENBLAS_NUM_THREADS=1 keeps it on one thread; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
// set on some machines here for older OpenBLAS builds, are removed for this process only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Peer, Problem, Weights } from './peer';

const SCRIPT = fileURLToPath(new URL('./numpy_peer.py', import.meta.url));
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

/** The numpy peer, or null (with the reason) when python3 or numpy is missing. */
export async function numpyPeer(problem: Problem): Promise<{ peer: Peer; info: NumpyInfo } | { peer: null; reason: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { env, stdio: 'ignore' });
  } catch {
    return { peer: null, reason: `${PYTHON} with numpy not found` };
  }

  const dir = mkdtempSync(join(tmpdir(), 'mnist-mlp-numpy-'));
  const file = (name: string) => join(dir, name);
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(file('counts.json'), JSON.stringify({ train: problem.train.count, test: problem.test.count }));
  writeFileSync(file('train_x.bin'), bytes(problem.train.x));
  writeFileSync(file('train_y.bin'), bytes(problem.train.y));
  writeFileSync(file('test_x.bin'), bytes(problem.test.x));
  writeFileSync(file('test_y.bin'), bytes(problem.test.y));
  for (const key of ['w1', 'b1', 'w2', 'b2'] as const) writeFileSync(file(`init_${key}.bin`), bytes(problem.init[key]));
  const commandsPath = file('commands');
  const repliesPath = file('replies');
  execFileSync('mkfifo', [commandsPath, repliesPath]);

  // It says "ready" once its data is loaded, then opens the pipes in this order.
  const child: ChildProcess = spawn(PYTHON, [SCRIPT, dir, commandsPath, repliesPath], {
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
  const peer: Peer = {
    id: 'numpy',
    label: `numpy ${info.numpy} (${info.blas ?? 'BLAS'}${info.core ? `, ${info.core} kernels` : ''}, ${info.threads ?? '?'} thread), float32, in python3`,
    reset() {
      ask('reset');
    },
    train(first, count) {
      ask(`train ${first} ${count}`);
    },
    accuracy() {
      return Number(ask('accuracy'));
    },
    weights(): Weights {
      ask('weights');
      return { w1: read('out_w1.bin'), b1: read('out_b1.bin'), w2: read('out_w2.bin'), b2: read('out_b2.bin') };
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
