// A drawing brought to what MNIST's digits are, as LeCun et al. made them: the digit's
// bounding box scaled to fit a 20×20 box, aspect ratio kept, averaging the ink each new
// pixel covers (hence grey levels at the edges of strokes), then placed in a 28×28 field so
// that its centre of mass is the field's centre. A network trained on MNIST expects digits
// like that; a drawing taken as it is (off centre, too large or small) fools it.
import { PIXELS, SIDE } from './mnist-data';

/** The side of the box the digit is scaled into. */
const BOX = 20;
/** Ink below this counts as none when finding the digit's bounding box (antialiasing's faint edges). */
const FAINT = 0.05;

/**
 * `ink`: width × height values in [0, 1], row after row (0 blank, 1 full ink). Returns the
 * 784 grey levels of the MNIST-style digit, or null when there is no ink.
 */
export function toMnist(ink: ArrayLike<number>, width: number, height: number): Float32Array | null {
  let [left, top, right, bottom] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((ink[y * width + x] as number) <= FAINT) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return null;
  const w = right - left + 1;
  const h = bottom - top + 1;
  const scale = BOX / Math.max(w, h);
  const boxW = Math.max(1, Math.round(w * scale));
  const boxH = Math.max(1, Math.round(h * scale));
  const small = shrink(ink, width, { left, top, w, h }, boxW, boxH);

  // The centre of mass, with pixel x's centre at x + 0.5, moved to the field's centre.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < boxH; y++) {
    for (let x = 0; x < boxW; x++) {
      const v = small[y * boxW + x] as number;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const dx = Math.round(SIDE / 2 - mx / mass);
  const dy = Math.round(SIDE / 2 - my / mass);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < boxH; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= SIDE) continue;
    for (let x = 0; x < boxW; x++) {
      const tx = x + dx;
      if (tx >= 0 && tx < SIDE) out[ty * SIDE + tx] = Math.min(1, small[y * boxW + x] as number);
    }
  }
  return out;
}

/**
 * The `region` of `ink` shrunk to outW × outH by area averaging: each new pixel is the mean
 * of the ink it covers, source pixels split between the two new ones they straddle. Rows
 * first, then columns (the filter is separable).
 */
function shrink(
  ink: ArrayLike<number>,
  width: number,
  region: { left: number; top: number; w: number; h: number },
  outW: number,
  outH: number,
): Float32Array {
  const { left, top, w, h } = region;
  const rows = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    const from = (top + y) * width + left;
    spread(
      w,
      outW,
      (i) => ink[from + i] as number,
      (o, v) => {
        rows[y * outW + o] = (rows[y * outW + o] as number) + v;
      },
    );
  }
  const out = new Float32Array(outW * outH);
  for (let x = 0; x < outW; x++) {
    spread(
      h,
      outH,
      (i) => rows[i * outW + x] as number,
      (o, v) => {
        out[o * outW + x] = (out[o * outW + x] as number) + v;
      },
    );
  }
  return out;
}

/**
 * n values on a line resampled to m bins over the same length: each bin gets the mean of
 * what it covers (a value counts by the part of the bin it covers; a tiny drawing scaled up
 * covers several bins with each value).
 */
function spread(n: number, m: number, value: (i: number) => number, add: (bin: number, v: number) => void): void {
  const scale = m / n; // one value's width, in bins
  for (let i = 0; i < n; i++) {
    const v = value(i);
    if (v === 0) continue;
    const start = i * scale;
    const end = start + scale;
    for (let bin = Math.floor(start); bin < Math.min(m, Math.ceil(end)); bin++) {
      add(bin, v * (Math.min(end, bin + 1) - Math.max(start, bin)));
    }
  }
}
