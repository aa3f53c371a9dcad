// The main job: a 784-128-10 ReLU network trained on 8,000 real MNIST digits, tested on
// the 2,000 held out, with a progress bar per epoch.
//   npm run demo            (10 epochs)
//   npm run demo -- 3       (3 epochs)
//   npm run demo -- --cnn   (a convolutional net instead, 8 epochs: examples/mnist-cnn.ts)
import { backend, init, nn } from '../src/index';
import { loadMnist } from './data/mnist';
import { epochBars } from './progress';

const args = process.argv.slice(2);
const count = args.find((arg) => !arg.startsWith('--'));
if (args.includes('--cnn')) {
  const { cnnDemo } = await import('./mnist-cnn');
  const seed = args.find((arg) => arg.startsWith('--seed='));
  await cnnDemo({
    ...(count === undefined ? {} : { epochs: Number(count) }),
    ...(seed === undefined ? {} : { seed: Number(seed.slice('--seed='.length)) }),
  });
} else {
  await mlpDemo(Number(count ?? 10));
}

async function mlpDemo(epochs: number): Promise<void> {
  await init();

  const started = performance.now();
  const { train, test } = loadMnist({ seed: 0 });
  console.log(
    `MNIST: ${train.y.length} training and ${test.y.length} test digits from the mnist package, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const { simd, threads } = backend();
  console.log(`wasm core: ${simd === 'relaxed' ? 'relaxed SIMD (FMA)' : 'SIMD128'}, ${threads} thread${threads === 1 ? '' : 's'}\n`);

  const model = new nn.Sequential([new nn.Linear(784, 128, { seed: 1 }), new nn.ReLU(), new nn.Linear(128, 10, { seed: 2 })]);
  const optimizer = new nn.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });

  const bars = epochBars();
  const history = nn.fit(model, train, {
    epochs,
    batchSize: 64,
    optimizer,
    seed: 0,
    validation: test,
    onProgress: (p) => bars.update(p),
  });
  bars.stop();

  const final = history.at(-1);
  const best = Math.max(...history.map((r) => r.validation?.accuracy ?? 0));
  console.log(
    `\nafter ${epochs} epochs: test accuracy ${((final?.validation?.accuracy ?? 0) * 100).toFixed(2)}% (best ${(best * 100).toFixed(2)}%)`,
  );
}
