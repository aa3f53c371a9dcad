// What a page or a worker does with the built package: load it, then run the lecture's
// circuit, a gate, a GEMM with its backward, gradcheck and a small training run. Returns
// plain data; the Node side (test/chromium/*.test.ts) judges it.

/**
 * @param {typeof import('../../../dist/index.js')} w
 * @param {'auto' | 'plain'} simd
 * @param {number | undefined} threads init's default when undefined (the cores, where memory can be shared)
 */
export async function check(w, simd, threads) {
  await w.init(threads === undefined ? { simd } : { simd, threads });

  const g = new w.Graph();
  const x = g.input('x');
  const y = g.input('y');
  const z = g.input('z');
  const f = g.mul(g.add(x, y), z);
  const out = g.forward({ x: -2, y: 5, z: -4 });
  g.backward(f);
  const lecture = [out, g.grad(x), g.grad(y), g.grad(z)];

  const mul = new w.MultiplyGate();
  const gate = [mul.forward(-2, 5), ...mul.backward(1)];

  return {
    simd: w.backend().simd,
    threads: w.backend().threads,
    isolated: globalThis.crossOriginIsolated === true,
    lecture,
    gate,
    gemmError: gemm(w),
    bigGemm: bigGemm(w),
    bigConv: bigConv(w),
    gradcheck: gradcheck(w),
    training: train(w),
  };
}

// C = A·B and its backward dA = dC·Bᵀ, dB = Aᵀ·dC on shapes that cross the kernels' tiles,
// against a float64 reference: the largest error in units of k·2⁻²³·Σ|terms|.
function gemm(w) {
  const [m, k, n] = [37, 53, 29];
  const a = w.Tensor.randn([m, k], { seed: 1 });
  const b = w.Tensor.randn([k, n], { seed: 2 });
  const dc = w.Tensor.randn([m, n], { seed: 3 });
  const gate = new w.MatMulGate();
  const c = gate.forward(a, b).toArray().flat();
  const [da, db] = gate.backward(dc).map((t) => t.toArray().flat());
  const [A, B, DC] = [a, b, dc].map((t) => t.toArray().flat());
  let worst = 0;
  const compare = (got, terms) => {
    let exact = 0;
    let scale = 0;
    for (const term of terms) {
      exact += term;
      scale += Math.abs(term);
    }
    worst = Math.max(worst, Math.abs(got - exact) / (terms.length * 2 ** -23 * scale + 1e-30));
  };
  const range = (length) => Array.from({ length }, (_, i) => i);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      compare(
        c[i * n + j],
        range(k).map((p) => A[i * k + p] * B[p * n + j]),
      );
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++)
      compare(
        da[i * k + p],
        range(n).map((j) => DC[i * n + j] * B[p * n + j]),
      );
  for (let p = 0; p < k; p++)
    for (let j = 0; j < n; j++)
      compare(
        db[p * n + j],
        range(m).map((i) => A[i * k + p] * DC[i * n + j]),
      );
  for (const t of [a, b, dc]) t.dispose();
  return worst;
}

// A GEMM large enough to be split across threads (when there are any), forward and
// backward: a hash of its bits, which must not depend on the number of threads.
function bigGemm(w) {
  const a = w.Tensor.randn([192, 160], { seed: 4 });
  const b = w.Tensor.randn([160, 144], { seed: 5 });
  const gate = new w.MatMulGate();
  const c = gate.forward(a, b);
  let hash = 0x811c9dc5;
  const mix = (t) => {
    for (const word of new Uint32Array(Float32Array.from(t.data).buffer)) hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
  };
  mix(c);
  for (const grad of gate.backward(c)) mix(grad);
  a.dispose();
  b.dispose();
  return hash.toString(16);
}

// A convolutional net's step on a batch large enough for its convolutions and poolings to
// be split across threads (when there are any): a hash of the weights after two SGD
// steps and of the predictions, which must not depend on the number of threads.
function bigConv(w) {
  const { nn } = w;
  const model = new nn.Sequential([
    new nn.Conv2d(1, 8, 5, { padding: 2, seed: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1, seed: 2 }),
    new nn.ReLU(),
    new nn.AvgPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10, { seed: 3 }),
  ]);
  const x = w.Tensor.rand([32, 1, 28, 28], { seed: 6 });
  const labels = Int32Array.from({ length: 32 }, (_, i) => i % 10);
  const optimizer = new nn.SGD(model.parameters(), { lr: 0.05 });
  for (let step = 0; step < 2; step++) {
    optimizer.zeroGrad();
    model.backward(nn.softmaxCrossEntropy(model.forward(x), labels).dlogits);
    optimizer.step();
  }
  let hash = 0x811c9dc5;
  const mix = (data) => {
    for (const word of new Uint32Array(Float32Array.from(data).buffer)) hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
  };
  for (const p of model.parameters()) mix(p.value.data);
  mix(model.predict(x).data);
  x.dispose();
  return hash.toString(16);
}

// σ(a·b + c) on a Graph, analytic against numerical gradients.
function gradcheck(w) {
  const g = new w.Graph();
  const a = g.input('a');
  const b = g.input('b');
  const c = g.input('c');
  g.sigmoid(g.add(g.mul(a, b), c));
  const nodes = [a, b, c];
  const { ok, maxRelError } = w.gradcheck(
    ([va, vb, vc]) => {
      const value = g.forward({ a: va, b: vb, c: vc });
      g.backward();
      return { value, grads: nodes.map((node) => g.grad(node)) };
    },
    [0.5, -1.5, 0.25],
  );
  return { ok, maxRelError };
}

// The CS231n spiral: a 2-layer ReLU net must pass 95% training accuracy.
function train(w) {
  const data = w.datasets.spiral({ seed: 1 });
  const model = new w.nn.Sequential([new w.nn.Linear(2, 100, { seed: 1 }), new w.nn.ReLU(), new w.nn.Linear(100, 3, { seed: 2 })]);
  const optimizer = new w.nn.Adam(model.parameters(), { lr: 0.01 });
  const before = w.nn.evaluate(model, data);
  const epochs = w.nn.fit(model, data, { epochs: 300, batchSize: 100, optimizer, seed: 1 });
  const after = w.nn.evaluate(model, data);
  data.x.dispose();
  return { before, after, lastLoss: epochs[epochs.length - 1].loss };
}
