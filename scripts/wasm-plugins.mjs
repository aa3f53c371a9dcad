// Rollup (and Vite/vitest) plugins that carry the wasm binary into the bundle.
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

const WASM_URL = /new URL\((['"])([^'"]+\.wasm)\1,\s*import\.meta\.url\)/g;

/** `new URL('x.wasm', import.meta.url)` → the .wasm emitted as an asset beside the bundle. */
export function wasmAsset() {
  return {
    name: 'wasmgrad-wasm-asset',
    transform(code, id) {
      if (!code.includes('import.meta.url') || !code.includes('.wasm')) return null;
      const replaced = code.replace(WASM_URL, (_match, _quote, path) => {
        const file = resolve(dirname(id), path);
        this.addWatchFile(file);
        const ref = this.emitFile({ type: 'asset', fileName: basename(file), source: readFileSync(file) });
        return `new URL(import.meta.ROLLUP_FILE_URL_${ref})`;
      });
      return { code: replaced, map: null };
    },
  };
}

/** `import { plain, relaxed } from 'wasmgrad:inline-binary'`: both builds as base64, decoded on call. */
export function inlineWasm(files = { plain: 'build/wasmgrad.wasm', relaxed: 'build/wasmgrad-relaxed.wasm' }) {
  const virtual = '\0wasmgrad:inline-binary';
  return {
    name: 'wasmgrad-inline-wasm',
    resolveId(source) {
      return source === 'wasmgrad:inline-binary' ? virtual : null;
    },
    load(id) {
      if (id !== virtual) return null;
      const lines = [
        'function decode(base64) {',
        '  const text = atob(base64);',
        '  const out = new Uint8Array(text.length);',
        '  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);',
        '  return out;',
        '}',
      ];
      for (const [name, file] of Object.entries(files)) {
        const path = resolve(file);
        this.addWatchFile(path);
        const base64 = readFileSync(path).toString('base64');
        lines.push(`export function ${name}() { return decode(${JSON.stringify(base64)}); }`);
      }
      return lines.join('\n');
    },
  };
}
