// npm run demo -- --cnn: the convolutional net of examples/cnn.ts trained on the same
// 8,000 MNIST digits as the MLP demo and tested on the same 2,000, with a bar per epoch.
//   npm run demo -- --cnn       (8 epochs)
//   npm run demo -- --cnn 3     (3 epochs, the schedule compressed to fit)
//   npm run demo -- --cnn --seed=2   (other weights, batches and shifts; default 1)
// Every seed is fixed: the same machine prints the same losses and accuracies.
import { backend, init, nn } from '../src/index';
import { Random } from '../src/random';
import { CNN_AUGMENTATION, CNN_BATCH, CNN_LR, CNN_NET, CNN_OPTIMIZER, CNN_SCHEDULE, cnnModel, oneCycle, shiftDigits } from './cnn';
import { loadMnist } from './data/mnist';
import { epochBars } from './progress';

export async function cnnDemo({ epochs = 8, seed = 1 } = {}): Promise<void> {
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`demo --cnn: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(seed)) throw new Error(`demo --cnn: --seed must be an integer, got ${seed}`);
  await init();

  const started = performance.now();
  const { train, test } = loadMnist({ seed: 0, images: true }); // x: [N, 1, 28, 28]
  console.log(
    `MNIST: ${train.y.length} training and ${test.y.length} test digits from the mnist package, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const { simd, threads } = backend();
  console.log(`wasm core: ${simd === 'relaxed' ? 'relaxed SIMD (FMA)' : 'SIMD128'}, ${threads} thread${threads === 1 ? '' : 's'}\n`);

  const model = cnnModel({ seed });
  const optimizer = new nn.Adam(model.parameters(), { lr: CNN_LR }); // then set every step by the schedule
  console.log(`net:          ${CNN_NET}`);
  console.log(`optimizer:    ${CNN_OPTIMIZER}`);
  console.log(`schedule:     ${CNN_SCHEDULE}, over ${plural(epochs, 'epoch')}`);
  console.log(`augmentation: ${CNN_AUGMENTATION}\n`);

  // The digits as loaded, kept in JS; each epoch writes a shifted copy of them into
  // `shifted` and from there into the training tensor the loader gathers batches from.
  const digits = train.x.data.slice() as Float32Array;
  const shifted = new Float32Array(digits.length);
  const shifts = new Random(seed + 100);
  const loader = new nn.DataLoader(train, { batchSize: CNN_BATCH, shuffle: true, seed });
  const steps = epochs * loader.length;
  const bars = epochBars();
  const accuracies: number[] = [];
  let step = 0;
  model.train();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shiftDigits(digits, shifted, shifts);
    train.x.set(shifted);
    const epochStarted = performance.now();
    let total = 0;
    let seen = 0;
    for (const batch of loader) {
      optimizer.lr = oneCycle(step++, steps);
      optimizer.zeroGrad();
      const { loss, dlogits } = nn.softmaxCrossEntropy(model.forward(batch.x), batch.y);
      model.backward(dlogits);
      optimizer.step();
      total += loss * batch.size;
      seen += batch.size;
      const samplesPerSecond = seen / ((performance.now() - epochStarted) / 1000);
      bars.update({ phase: 'batch', epoch, epochs, step: batch.index + 1, steps: loader.length, loss: total / seen, samplesPerSecond });
    }
    const samplesPerSecond = seen / ((performance.now() - epochStarted) / 1000);
    const validation = nn.evaluate(model, test); // with model.predict: batch norm on its running statistics
    accuracies.push(validation.accuracy);
    bars.update({
      phase: 'epoch',
      epoch,
      epochs,
      step: loader.length,
      steps: loader.length,
      loss: total / seen,
      samplesPerSecond,
      validation,
    });
  }
  bars.stop();
  loader.dispose();

  const percent = (a: number) => `${(a * 100).toFixed(2)}%`;
  console.log(
    `\nafter ${plural(epochs, 'epoch')}: test accuracy ${percent(accuracies.at(-1) ?? 0)} (best ${percent(Math.max(...accuracies))}), ${(performance.now() / 1000).toFixed(1)} s since the process started (loading included)`,
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
