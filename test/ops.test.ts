import { beforeAll, expect, it } from 'vitest';
import { init } from '../src/index';
import { LEAF_CODE, OPS, type OpName, wasmConstantName } from '../src/ops';
import { wasm } from '../src/wasm/instance';

beforeAll(() => init());

it('the host’s op codes are the module’s own', () => {
  const exports = wasm() as unknown as Record<string, WebAssembly.Global>;
  expect(exports.OP_LEAF?.value).toBe(LEAF_CODE);
  for (const name of Object.keys(OPS) as OpName[]) {
    expect(exports[wasmConstantName(name)]?.value, name).toBe(OPS[name].code);
  }
});
