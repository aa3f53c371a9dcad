import type { Plugin } from 'rollup';
export function wasmAsset(): Plugin;
export function inlineWasm(files?: { plain: string; relaxed: string }): Plugin;
