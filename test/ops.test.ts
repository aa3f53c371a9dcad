import { beforeAll, expect, it } from 'vitest';
import { init } from '../src/index';
import { LEAF_CODE, OPS, type OpName, TENSOR_OPS, type TensorOpName, wasmConstantName } from '../src/ops';
import { wasm } from '../src/wasm/instance';

beforeAll(() => init());

it('the host’s op codes are the module’s own', () => {
  const exports = wasm() as unknown as Record<string, WebAssembly.Global>;
  expect(exports.OP_LEAF?.value).toBe(LEAF_CODE);
  for (const name of Object.keys(OPS) as OpName[]) {
    expect(exports[wasmConstantName(name)]?.value, name).toBe(OPS[name].code);
  }
  const tensorNames: Record<TensorOpName, string> = {
    matmul: 'OP_MATMUL',
    sum: 'OP_SUM',
    l2: 'OP_L2',
    softmax: 'OP_SOFTMAX',
    softmaxCrossEntropy: 'OP_SOFTMAX_CE',
    svmLoss: 'OP_SVM',
    maxout: 'OP_MAXOUT',
  };
  for (const [name, global] of Object.entries(tensorNames)) {
    expect(exports[global]?.value, name).toBe(TENSOR_OPS[name as TensorOpName]);
  }
});
