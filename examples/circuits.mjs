// The lecture's circuits, run as compiled graphs: every node's value (forward) and
// gradient (backward), as the slides write them above and below each wire.
import { Graph, init } from 'wasmgrad';

await init();

function show(title, g, inputs) {
  g.forward(inputs);
  g.backward();
  console.log(
    `\n${title}   at ${Object.entries(inputs)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ')}`,
  );
  console.log(`  ${'node'.padEnd(12)}${'gate'.padEnd(22)}${'value'.padStart(14)}${'gradient'.padStart(14)}`);
  for (const node of g.nodes()) {
    const gate = node.inputs.length ? `${node.gate} ← ${node.inputs.map(String).join(', ')}` : node.op;
    const fmt = (x) => Number(x.toPrecision(6)).toString().padStart(14);
    console.log(`  ${String(node).padEnd(12)}${gate.padEnd(22)}${fmt(node.value)}${fmt(node.grad)}`);
  }
}

{
  const g = new Graph();
  const x = g.input('x');
  const y = g.input('y');
  const z = g.input('z');
  g.mul(g.add(x, y), z);
  show('f(x, y, z) = (x + y)·z', g, { x: -2, y: 5, z: -4 });
}

{
  const g = new Graph();
  const [x, y, z, w] = ['x', 'y', 'z', 'w'].map((name) => g.input(name));
  g.scale(g.add(g.mul(x, y), g.max(z, w)), 2);
  show('f = 2·(x·y + max(z, w)): add distributes, max routes, mul switches', g, { x: 3, y: -4, z: 2, w: -1 });
}

for (const withSigmoidGate of [false, true]) {
  const g = new Graph();
  const [w0, w1, w2] = [2, -3, -3].map((value, i) => g.param(`w${i}`, value));
  const [x0, x1] = ['x0', 'x1'].map((name) => g.input(name));
  const dot = g.add(g.add(g.mul(w0, x0), g.mul(w1, x1)), w2);
  if (withSigmoidGate) g.sigmoid(dot);
  else g.recip(g.offset(g.exp(g.scale(dot, -1)), 1));
  const title = withSigmoidGate
    ? 'the same neuron with one sigmoid gate, σ′ = σ(1 − σ)'
    : 'the sigmoid neuron 1/(1 + e^−(w0·x0 + w1·x1 + w2))';
  show(title, g, { x0: -1, x1: -2 });
}
