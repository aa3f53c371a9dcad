// Convolution and pooling written the naive way, from their definitions' loops, in
// float64 (plain JS arrays, independent of the kernels under test): the reference the
// gates, the Graph ops and the layers are compared with.

export interface Config {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output channels (conv only). */
  o: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

export function outSize(cfg: Config): [number, number] {
  const oh = Math.floor((cfg.h + 2 * cfg.ph - cfg.dh * (cfg.kh - 1) - 1) / cfg.sh) + 1;
  const ow = Math.floor((cfg.w + 2 * cfg.pw - cfg.dw * (cfg.kw - 1) - 1) / cfg.sw) + 1;
  return [oh, ow];
}

/** x[n, c, i, j], or 0 in the padding. */
const at = (x: ArrayLike<number>, cfg: Config, n: number, c: number, i: number, j: number): number | null =>
  i < 0 || i >= cfg.h || j < 0 || j >= cfg.w ? null : (x[((n * cfg.c + c) * cfg.h + i) * cfg.w + j] as number);

/** The input position under tap (p, q) of output (y, x). */
const tap = (cfg: Config, y: number, x: number, p: number, q: number): [number, number] => [
  y * cfg.sh - cfg.ph + p * cfg.dh,
  x * cfg.sw - cfg.pw + q * cfg.dw,
];

/** y[n, o, y, x] = b[o] + Σ_c Σ_p Σ_q w[o, c, p, q] · x[n, c, y·s − pad + p·d, x·s − pad + q·d]. */
export function conv2d(cfg: Config, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): Float64Array {
  const [oh, ow] = outSize(cfg);
  const y = new Float64Array(cfg.n * cfg.o * oh * ow);
  for (let n = 0; n < cfg.n; n++)
    for (let o = 0; o < cfg.o; o++)
      for (let r = 0; r < oh; r++)
        for (let s = 0; s < ow; s++) {
          let total = b ? (b[o] as number) : 0;
          for (let c = 0; c < cfg.c; c++)
            for (let p = 0; p < cfg.kh; p++)
              for (let q = 0; q < cfg.kw; q++) {
                const [i, j] = tap(cfg, r, s, p, q);
                total += (w[((o * cfg.c + c) * cfg.kh + p) * cfg.kw + q] as number) * (at(x, cfg, n, c, i, j) ?? 0);
              }
          y[((n * cfg.o + o) * oh + r) * ow + s] = total;
        }
  return y;
}

/** The three gradients of Σ dy ⊙ conv2d(x, w, b), by the same loops: each product's share. */
export function conv2dGradients(
  cfg: Config,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dy: ArrayLike<number>,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const [oh, ow] = outSize(cfg);
  const dx = new Float64Array(cfg.n * cfg.c * cfg.h * cfg.w);
  const dw = new Float64Array(cfg.o * cfg.c * cfg.kh * cfg.kw);
  const db = new Float64Array(cfg.o);
  for (let n = 0; n < cfg.n; n++)
    for (let o = 0; o < cfg.o; o++)
      for (let r = 0; r < oh; r++)
        for (let s = 0; s < ow; s++) {
          const g = dy[((n * cfg.o + o) * oh + r) * ow + s] as number;
          db[o] = (db[o] as number) + g;
          for (let c = 0; c < cfg.c; c++)
            for (let p = 0; p < cfg.kh; p++)
              for (let q = 0; q < cfg.kw; q++) {
                const [i, j] = tap(cfg, r, s, p, q);
                const v = at(x, cfg, n, c, i, j);
                if (v === null) continue;
                const wi = ((o * cfg.c + c) * cfg.kh + p) * cfg.kw + q;
                const xi = ((n * cfg.c + c) * cfg.h + i) * cfg.w + j;
                dw[wi] = (dw[wi] as number) + g * v;
                dx[xi] = (dx[xi] as number) + g * (w[wi] as number);
              }
        }
  return { dx, dw, db };
}

/** Each window's max (the first of equals, padding excluded) and where it is in its plane, or -1. */
export function maxPool2d(cfg: Config, x: ArrayLike<number>): { y: Float64Array; winners: Int32Array } {
  const [oh, ow] = outSize(cfg);
  const y = new Float64Array(cfg.n * cfg.c * oh * ow);
  const winners = new Int32Array(y.length).fill(-1);
  for (let n = 0; n < cfg.n; n++)
    for (let c = 0; c < cfg.c; c++)
      for (let r = 0; r < oh; r++)
        for (let s = 0; s < ow; s++) {
          const k = ((n * cfg.c + c) * oh + r) * ow + s;
          let best = -Infinity;
          for (let p = 0; p < cfg.kh; p++)
            for (let q = 0; q < cfg.kw; q++) {
              const [i, j] = tap(cfg, r, s, p, q);
              const v = at(x, cfg, n, c, i, j);
              if (v !== null && (winners[k] === -1 || v > best)) {
                best = v;
                winners[k] = i * cfg.w + j;
              }
            }
          y[k] = best;
        }
  return { y, winners };
}

/** dx of max pooling: each dy added at its window's winner. */
export function maxPool2dGradient(cfg: Config, winners: Int32Array, dy: ArrayLike<number>): Float64Array {
  const [oh, ow] = outSize(cfg);
  const dx = new Float64Array(cfg.n * cfg.c * cfg.h * cfg.w);
  for (let plane = 0; plane < cfg.n * cfg.c; plane++)
    for (let t = 0; t < oh * ow; t++) {
      const k = plane * oh * ow + t;
      const winner = winners[k] as number;
      if (winner >= 0) dx[plane * cfg.h * cfg.w + winner] = (dx[plane * cfg.h * cfg.w + winner] as number) + (dy[k] as number);
    }
  return dx;
}

/** Each window's sum over KH·KW, padding counted as zeros (PyTorch's count_include_pad). */
export function avgPool2d(cfg: Config, x: ArrayLike<number>): Float64Array {
  const [oh, ow] = outSize(cfg);
  const y = new Float64Array(cfg.n * cfg.c * oh * ow);
  for (let n = 0; n < cfg.n; n++)
    for (let c = 0; c < cfg.c; c++)
      for (let r = 0; r < oh; r++)
        for (let s = 0; s < ow; s++) {
          let total = 0;
          for (let p = 0; p < cfg.kh; p++)
            for (let q = 0; q < cfg.kw; q++) {
              const [i, j] = tap(cfg, r, s, p, q);
              total += at(x, cfg, n, c, i, j) ?? 0;
            }
          y[((n * cfg.c + c) * oh + r) * ow + s] = total / (cfg.kh * cfg.kw);
        }
  return y;
}

/** dx of average pooling: dy/(KH·KW) to every element of the window inside the input. */
export function avgPool2dGradient(cfg: Config, dy: ArrayLike<number>): Float64Array {
  const [oh, ow] = outSize(cfg);
  const dx = new Float64Array(cfg.n * cfg.c * cfg.h * cfg.w);
  for (let n = 0; n < cfg.n; n++)
    for (let c = 0; c < cfg.c; c++)
      for (let r = 0; r < oh; r++)
        for (let s = 0; s < ow; s++) {
          const share = (dy[((n * cfg.c + c) * oh + r) * ow + s] as number) / (cfg.kh * cfg.kw);
          for (let p = 0; p < cfg.kh; p++)
            for (let q = 0; q < cfg.kw; q++) {
              const [i, j] = tap(cfg, r, s, p, q);
              const xi = ((n * cfg.c + c) * cfg.h + i) * cfg.w + j;
              if (i >= 0 && i < cfg.h && j >= 0 && j < cfg.w) dx[xi] = (dx[xi] as number) + share;
            }
        }
  return dx;
}

/**
 * A random configuration from `random`: small odd and even sizes, strides 1–3, paddings
 * up to what the op allows, dilations 1–2 (conv and max pool), redrawn until the window fits.
 */
export function randomConfig(random: () => number, kind: 'conv' | 'max' | 'avg'): Config {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  for (;;) {
    const kh = int(1, 4);
    const kw = int(1, 4);
    const dh = kind === 'avg' ? 1 : int(1, 2);
    const dw = kind === 'avg' ? 1 : int(1, 2);
    // Pooling's padding is at most half the window's reach.
    const padLimit = (k: number, d: number) => (kind === 'conv' ? 2 : Math.floor((d * (k - 1) + 1) / 2));
    const cfg: Config = {
      n: int(1, 3),
      c: int(1, 3),
      h: int(1, 9),
      w: int(1, 9),
      o: int(1, 4),
      kh,
      kw,
      sh: int(1, 3),
      sw: int(1, 3),
      ph: int(0, padLimit(kh, dh)),
      pw: int(0, padLimit(kw, dw)),
      dh,
      dw,
    };
    const [oh, ow] = outSize(cfg);
    if (oh < 1 || ow < 1) continue;
    // With dilation a max window can lie in the padding alone: no winner, a max of −∞, which the gate refuses.
    if (kind === 'max' && maxPool2d({ ...cfg, n: 1, c: 1 }, new Float64Array(cfg.h * cfg.w)).winners.includes(-1)) continue;
    return cfg;
  }
}
