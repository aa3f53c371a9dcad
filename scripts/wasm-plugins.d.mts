import type { Plugin } from 'rollup';
export function wasmAsset(): Plugin;
export function inlineWasm(file?: string): Plugin;
