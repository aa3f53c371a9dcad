// wasmgrad/onnx, bundled: Vite converts protobufjs (CommonJS) and long.js, and the page is
// served under a strict Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval'):
// writing and reading a model must compile no string (protobufjs's reflection would).
import { init, nn, Tensor } from 'wasmgrad';
import { fromOnnx, toOnnx } from 'wasmgrad/onnx';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

globalThis.wasmgradResult = (async () => {
  await init();
  const model = new nn.Sequential([new nn.Conv2d(1, 2, 3, { seed: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8, 3, { seed: 2 })]);
  const bytes = toOnnx(model, { inputShape: [1, 4, 4] });
  const back = fromOnnx(bytes);
  const x = Tensor.randn([2, 1, 4, 4], { seed: 3 });
  const same = Array.from(back.predict(x).data).join() === Array.from(model.predict(x).data).join();
  // instanceof, not constructor.name: the bundle is minified.
  const kinds = [nn.Conv2d, nn.ReLU, nn.Flatten, nn.Linear].map((type, i) => back.layers[i] instanceof type);
  return { back: back instanceof nn.Sequential, kinds, same, violations };
})().catch((error) => ({ error: String(error?.stack ?? error), violations }));
