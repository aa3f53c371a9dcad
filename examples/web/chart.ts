// A small line chart as SVG text: axes with a few ticks, one polyline per series, dots
// where a series has few points. Enough for a live loss or accuracy curve.

export interface Series {
  label: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  width?: number;
  height?: number;
  /** The x range shown (default: 0 to the largest x, at least 1). */
  xMax?: number;
  /** The y range shown (default: 0 to the largest y). */
  yMin?: number;
  yMax?: number;
  /** How a y tick prints (default: 2 significant digits). */
  yFormat?: (y: number) => string;
}

const FONT = 'Helvetica, Arial, sans-serif';

export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const { title, xLabel, width = 420, height = 240, yFormat = (y: number) => String(Number(y.toPrecision(2))) } = options;
  const all = series.flatMap((s) => s.points);
  const xMax = options.xMax ?? Math.max(1, ...all.map(([x]) => x));
  const yMin = options.yMin ?? 0;
  const yMax = options.yMax ?? Math.max(yMin + 1e-9, ...all.map(([, y]) => y));
  const left = 46;
  const right = 12;
  const top = 28;
  const bottom = 34;
  const w = width - left - right;
  const h = height - top - bottom;
  const sx = (x: number) => left + (x / xMax) * w;
  const sy = (y: number) => top + h - ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin)) * h;
  const r = (v: number) => Math.round(v * 10) / 10;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11" role="img">`,
    `<text x="${left}" y="16" font-size="13" font-weight="600" fill="#222">${title}</text>`,
    `<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="#fff" stroke="#ccc"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = yMin + ((yMax - yMin) * i) / 4;
    out.push(`<line x1="${left}" x2="${left + w}" y1="${r(sy(y))}" y2="${r(sy(y))}" stroke="#eee"/>`);
    out.push(`<text x="${left - 4}" y="${r(sy(y) + 4)}" text-anchor="end" fill="#555">${yFormat(y)}</text>`);
    const x = (xMax * i) / 4;
    out.push(`<text x="${r(sx(x))}" y="${top + h + 14}" text-anchor="middle" fill="#555">${Number(x.toPrecision(3))}</text>`);
  }
  out.push(`<text x="${left + w / 2}" y="${height - 4}" text-anchor="middle" fill="#333">${xLabel}</text>`);
  series.forEach((s, i) => {
    const legendX = left + w - 8 - (series.length - 1 - i) * 110;
    out.push(`<text x="${legendX}" y="16" text-anchor="end" fill="${s.color}">— ${s.label}</text>`);
    if (s.points.length === 0) return;
    const path = s.points.map(([x, y]) => `${r(sx(x))},${r(sy(y))}`).join(' ');
    out.push(`<polyline class="series" data-label="${s.label}" points="${path}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    if (s.points.length <= 40)
      for (const [x, y] of s.points) out.push(`<circle cx="${r(sx(x))}" cy="${r(sy(y))}" r="3" fill="${s.color}"/>`);
  });
  out.push('</svg>');
  return out.join('');
}
