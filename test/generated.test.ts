// What scripts/generate.ts writes from the op table and the kernel list must be what is
// in the tree: an edit of src/ops.ts or src/wasm/kernel-list.ts without regenerating, or a
// hand edit of a generated file, fails here. Node only (it reads the files).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../scripts/generate';

describe('the generated files', () => {
  it.each(Object.keys(GENERATED))('%s is what the tables make (npx tsx scripts/generate.ts rewrites it)', (file) => {
    const make = GENERATED[file] as () => string;
    expect(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')).toBe(make());
  });
});
