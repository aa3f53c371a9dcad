// How numbers, text widths and heat-maps come out in a drawing. No DOM: text widths are
// estimated from the characters, which is enough to size boxes for a layout.

/**
 * A number as the lecture prints it: `decimals` places (0.73, −0.20, 1.37), more when a
 * small number would otherwise keep fewer than two significant digits (0.088), no
 * decimals when the whole drawing holds integers (−12, −4, 3). The minus sign is U+2212.
 */
export function formatNumber(x: number, decimals: number, integers: boolean): string {
  let text: string;
  if (!Number.isFinite(x)) text = String(x);
  else if (integers && Number.isInteger(x)) text = String(x);
  else if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-4)) text = x.toExponential(Math.max(1, decimals));
  else {
    let places = decimals;
    while (places < 6 && x !== 0 && Math.abs(x) < 10 ** (1 - places)) places++;
    text = x.toFixed(places);
  }
  if (/^-0\.?0*$/.test(text)) text = text.slice(1); // −0.00 reads as a sign error
  return text.replace(/-/g, '−');
}

const NARROW = new Set([...".,:;'|!ijlIt()[] "]);
const WIDE = new Set([...'mwMW']);

/** Roughly how wide `text` is in a sans-serif font of `size` px. */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const c of text) em += NARROW.has(c) ? 0.3 : WIDE.has(c) ? 0.85 : c >= 'A' && c <= 'Z' ? 0.68 : 0.58;
  return em * size;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A heat-map's cells: the tensor as rows × cols, averaged over blocks when it is larger than the cap. */
export interface Heat {
  readonly rows: number;
  readonly cols: number;
  /** rows·cols block means, row-major. */
  readonly cells: Float64Array;
  /** The largest |element| of the whole tensor: the color scale's end. */
  readonly scale: number;
}

/** The last axis is cols, the rest are rows (as the kernels see a tensor). */
export function rowsCols(shape: readonly number[]): [number, number] {
  const cols = shape.length === 0 ? 1 : (shape[shape.length - 1] as number);
  let size = 1;
  for (const dim of shape) size *= dim;
  return [cols === 0 ? 0 : size / cols, cols];
}

export function heatOf(shape: readonly number[], data: Float64Array, maxRows: number, maxCols: number): Heat {
  const [rows, cols] = rowsCols(shape);
  const outRows = Math.max(1, Math.min(rows, maxRows));
  const outCols = Math.max(1, Math.min(cols, maxCols));
  const sums = new Float64Array(outRows * outCols);
  const counts = new Float64Array(outRows * outCols);
  let scale = 0;
  for (let r = 0; r < rows; r++) {
    const br = Math.floor((r * outRows) / rows);
    for (let c = 0; c < cols; c++) {
      const x = data[r * cols + c] as number;
      const cell = br * outCols + Math.floor((c * outCols) / cols);
      sums[cell] = (sums[cell] as number) + x;
      counts[cell] = (counts[cell] as number) + 1;
      if (Math.abs(x) > scale) scale = Math.abs(x);
    }
  }
  const cells = sums.map((sum, i) => sum / Math.max(1, counts[i] as number));
  return { rows: outRows, cols: outCols, cells, scale };
}

const NEGATIVE = [33, 102, 172]; // blue
const POSITIVE = [230, 97, 1]; // orange
/** A diverging color: blue below zero, white at zero, orange above, by |x| / scale. */
export function heatColor(x: number, scale: number): string {
  const t = scale > 0 ? Math.min(1, Math.abs(x) / scale) : 0;
  const end = x < 0 ? NEGATIVE : POSITIVE;
  const channel = (i: number) => Math.round(255 + ((end[i] as number) - 255) * t);
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  return `#${hex(channel(0))}${hex(channel(1))}${hex(channel(2))}`;
}
