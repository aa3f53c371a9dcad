// The binary speaks the table's language: every op code the host writes (src/ops.ts) is
// the one the core was built with (assembly/ops.generated.ts, generated from the table).
import { beforeAll, expect, it } from 'vitest';
import { init } from '../src/index';
import { LEAF_CODE, OPS, type OpName } from '../src/ops';
import { wasm } from '../src/wasm/instance';

beforeAll(() => init());

const constantName = (name: string) => `OP_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

it('the host’s op codes are the module’s own', () => {
  const exports = wasm() as unknown as Record<string, WebAssembly.Global | undefined>;
  expect(exports.OP_LEAF?.value).toBe(LEAF_CODE);
  for (const name of Object.keys(OPS) as OpName[]) expect(exports[constantName(name)]?.value, name).toBe(OPS[name].code);
});
