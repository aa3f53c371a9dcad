// Draws the lecture's circuits as SVG, values above each wire and gradients below:
//   npm run draw                 every example
//   npm run draw -- xyz neuron   some of them (xyz, circuit2, neuron, neuron-sigmoid, norm)
// Writes out/<name>.svg and prints each path.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { init } from '../src/index';
import { drawGraph } from '../src/viz/index';
import { LECTURE, type LectureName } from './lecture';

const names = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = names.filter((name) => !Object.hasOwn(LECTURE, name));
if (unknown.length > 0) {
  console.error(
    `draw: no example ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the examples are ${Object.keys(LECTURE).join(', ')}`,
  );
  process.exit(2);
}

await init();
const dir = resolve(import.meta.dirname, '..', 'out');
mkdirSync(dir, { recursive: true });
for (const name of (names.length > 0 ? names : Object.keys(LECTURE)) as LectureName[]) {
  const example = LECTURE[name];
  const graph = example.build();
  const file = resolve(dir, `${name}.svg`);
  writeFileSync(file, drawGraph(graph, { title: example.title, precision: example.precision }));
  graph.dispose();
  console.log(file);
}
