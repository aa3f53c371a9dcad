// One thread of wasmgrad's threaded build (src/wasm/threads.ts starts it). Plain
// JavaScript with no imports, so that it runs as it is — from the sources or beside the
// bundle, as a worker_threads Worker in Node or a module Web Worker in browsers.
//
// It instantiates the module it is sent over the shared memory, takes the GEMM packing
// buffers the main thread allocated for it, says it is ready, and then runs the parts of
// kernels it is given in its slot of the control block until the sequence number turns
// negative.

// The control block's layout, as threads.ts writes it (kept in step by hand: no imports here).
const SLOT = 4;
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const JOB = 3;
const MAX_JOB_ARGS = 12;
// Spin this many polls (some tens of µs) before sleeping. Longer would catch more of a
// training step's jobs awake, but on a VM whose two vCPUs can be one core's hyperthreads
// a spinning thread slows the one doing the work (bench/README, "Threads").
const SPINS = 20000;

async function start(data, post) {
  try {
    await run(data, post);
  } catch (error) {
    post({ error: String(error?.message ?? error) });
  }
}

async function run(data, post) {
  const { module, memory, control, args, index, buffers, kernels } = data;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort() {
        throw new Error('wasm abort');
      },
    },
  });
  const jobs = kernels.map((name) => instance.exports[name]);
  if (jobs.some((fn) => typeof fn !== 'function')) throw new Error(`the module lacks one of ${kernels.join(', ')}`);
  instance.exports.gemm_thread_buffers(buffers[0], buffers[1], buffers[2]);
  post({ ready: true });
  serve(jobs, new Int32Array(control), index * SLOT, new Float64Array(args), index * MAX_JOB_ARGS);
}

function serve(jobs, control, base, args, a) {
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(control, base + SEQ) === seen) {
      if (++spins > SPINS) Atomics.wait(control, base + SEQ, seen);
    }
    seen = Atomics.load(control, base + SEQ);
    if (seen < 0) return;
    try {
      // What the kernel returns (a scan's index) goes back in its first argument's place.
      args[a] =
        jobs[control[base + JOB]](
          args[a],
          args[a + 1],
          args[a + 2],
          args[a + 3],
          args[a + 4],
          args[a + 5],
          args[a + 6],
          args[a + 7],
          args[a + 8],
          args[a + 9],
          args[a + 10],
          args[a + 11],
        ) ?? 0;
      control[base + FAILED] = 0;
    } catch {
      control[base + FAILED] = 1;
    }
    Atomics.store(control, base + DONE, seen);
    Atomics.notify(control, base + DONE);
  }
}

// The specifier is a variable so that bundlers leave Node's worker_threads out of browser builds.
const workerThreads = 'node:worker_threads';

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  self.addEventListener('message', (event) => start(event.data, (message) => self.postMessage(message)), { once: true });
} else {
  import(/* @vite-ignore */ workerThreads).then(({ parentPort }) => {
    parentPort.once('message', (data) => start(data, (message) => parentPort.postMessage(message)));
  });
}
