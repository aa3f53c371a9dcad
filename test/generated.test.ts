// What scripts/generate.ts writes from the op table and the kernel list, and what
// scripts/generate-onnx-proto.mjs writes from src/onnx/onnx.proto, must be what is
// in the tree: an edit of src/ops.ts or src/wasm/kernel-list.ts without regenerating, or a
// hand edit of a generated file, fails here. Node only (it reads the files).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../scripts/generate';

describe('the generated files', () => {
  it.each(Object.keys(GENERATED))('%s is what the tables make (npx tsx scripts/generate.ts rewrites it)', (file) => {
    const make = GENERATED[file] as () => string;
    expect(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')).toBe(make());
  });
});

// wasmgrad/onnx's protobuf coders, from src/onnx/onnx.proto by protobufjs-cli's pbjs and pbts.
describe('the generated ONNX protobuf coders', () => {
  it('src/onnx/proto.generated.js and .d.ts are what onnx.proto makes (node scripts/generate-onnx-proto.mjs rewrites them)', () => {
    const out = mkdtempSync(join(tmpdir(), 'wasmgrad-onnx-proto-'));
    try {
      const script = new URL('../scripts/generate-onnx-proto.mjs', import.meta.url);
      execFileSync(process.execPath, [script.pathname, '--out', out], { stdio: 'pipe' });
      for (const file of ['proto.generated.js', 'proto.generated.d.ts']) {
        expect(readFileSync(new URL(`../src/onnx/${file}`, import.meta.url), 'utf8'), file).toBe(readFileSync(join(out, file), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
