// A worker script that answers init as the real one does, then throws outside any call
// on the next message, as a bug in a worker would: plain JavaScript, for Node and browsers.
function serve(port, listen) {
  listen((request) => {
    if (request.op === 'init') port.postMessage({ id: request.id, ok: true, result: null });
    else throw new Error(`deliberate crash on ${request.op}`);
  });
}

if (typeof WorkerGlobalScope === 'function') {
  serve(self, (handle) => self.addEventListener('message', (event) => handle(event.data)));
} else {
  import('node:worker_threads').then(({ parentPort }) => serve(parentPort, (handle) => parentPort.on('message', handle)));
}
