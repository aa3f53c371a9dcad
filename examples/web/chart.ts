// A live line chart in SVG that fills its box's width, with round ticks and axis titles.
//
// It is drawn incrementally, so that a long run costs each frame only its new points: a
// point goes onto the end of its series' <polyline> (SVGPointList.appendItem), and a
// point that lands less than GAP px to the right of the one before it moves the line's
// end instead of adding one, so a line never holds more points than its width has pixels.
// Only when the axes change (the data outgrows them, or the box is resized) is the chart
// laid out again from the data (the line set in one go), a handful of times in a run.
import { formatTick, roundTicks, type Ticks } from './ticks';

export interface SeriesOptions {
  label: string;
  /** A CSS color; the page's palette variables (var(--value), …) work. */
  color: string;
  /** Marks every point with a dot: for series of a few points, such as one per epoch. */
  dots?: boolean;
}

export interface ChartOptions {
  xTitle: string;
  yTitle: string;
  series: SeriesOptions[];
  /** The x axis runs from 0 to at least this; it doubles whenever the data runs past it. */
  xSpan: number;
  /**
   * 'zero': the y axis runs from 0 to the data's largest value (a loss).
   * 'data': it zooms to the data's range, kept within [0, 1] (an accuracy).
   */
  yRange: 'zero' | 'data';
  /** How a y tick prints, given the decimals its step needs (default: the number). */
  yFormat?: (value: number, decimals: number) => string;
}

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 220;
/** Font size of the tick labels and titles, in px (the viewBox is the box's size in px). */
const FONT = 12;
/** About how wide a character is at FONT px: for when text cannot be measured (a chart not displayed). */
const CHAR = 0.62 * FONT;
/** The least distance between two points of a line, in px (see the header). */
const GAP = 1.5;
/** Fewest px between two ticks. */
const X_TICK_SPACING = 70;
const Y_TICK_SPACING = 36;

interface Series extends SeriesOptions {
  points: Array<[number, number]>;
  /** How many of `points` are drawn. */
  drawn: number;
  line: SVGPolylineElement;
  /** Where the dots go, when the series has them. */
  marks: SVGGElement;
}

interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMax: number;
  x: Ticks;
  y: Ticks;
}

const make = <K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number> = {}) => {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
};

export class LineChart {
  readonly svg: SVGSVGElement;
  private readonly options: ChartOptions;
  private readonly series: Series[];
  private readonly axes: SVGGElement;
  private width: number;
  private frame: Frame | null = null;
  private scheduled = false;
  /** An invisible text that measures labels, and what it measured: margins are made to fit them. */
  private readonly probe: SVGTextElement;
  private readonly widths = new Map<string, number>();
  /** The data's y range and its last x (null while there is no data), kept as points come. */
  private extent: { lo: number; hi: number; xLast: number | null } = LineChart.noExtent();

  /** Appends the chart (a legend, then the SVG) to `box`. */
  constructor(box: HTMLElement, options: ChartOptions) {
    this.options = options;
    const legend = document.createElement('p');
    legend.className = 'legend';
    this.svg = make('svg', { role: 'img', 'aria-label': `${options.yTitle} by ${options.xTitle}` });
    this.svg.classList.add('chart');
    this.axes = make('g', { class: 'axes' });
    this.probe = make('text', { class: 'tick', visibility: 'hidden', 'aria-hidden': 'true' });
    this.svg.append(this.axes, this.probe);
    this.series = options.series.map((s) => {
      const key = document.createElement('span');
      key.style.setProperty('--color', s.color);
      key.textContent = s.label;
      legend.append(key);
      const line = make('polyline', { class: 'series', 'data-label': s.label, fill: 'none', 'stroke-width': 1.8 });
      line.style.stroke = s.color;
      const marks = make('g', { class: 'dots' });
      marks.style.fill = s.color;
      this.svg.append(line, marks);
      return { ...s, points: [], drawn: 0, line, marks };
    });
    box.append(legend, this.svg);
    this.width = Math.max(1, Math.round(box.clientWidth));
    new ResizeObserver(([entry]) => {
      const width = Math.max(1, Math.round(entry?.contentRect.width ?? this.width));
      if (width === this.width) return;
      this.width = width;
      this.layout();
    }).observe(box);
    this.layout();
  }

  /** Adds a point to series `index`; it is drawn at the next animation frame. */
  add(index: number, x: number, y: number): void {
    (this.series[index] as Series).points.push([x, y]);
    const e = this.extent;
    [e.lo, e.hi, e.xLast] = [Math.min(e.lo, y), Math.max(e.hi, y), Math.max(e.xLast ?? x, x)];
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  /** Empties every series: the chart is back to its axes' titles, without ticks. */
  clear(): void {
    for (const s of this.series) s.points.length = 0;
    this.extent = LineChart.noExtent();
    this.layout();
  }

  /** The number of points drawn in each series' line (at most about its width in px). */
  get drawnPoints(): number[] {
    return this.series.map((s) => s.line.points.numberOfItems);
  }

  private static noExtent() {
    return { lo: Number.POSITIVE_INFINITY, hi: Number.NEGATIVE_INFINITY, xLast: null };
  }

  private draw(): void {
    const frame = this.frameFor();
    if (frame === null || this.frame === null || !sameAxes(frame, this.frame)) {
      this.layout();
      return;
    }
    for (const s of this.series) {
      for (; s.drawn < s.points.length; s.drawn++) this.plot(s, ...(s.points[s.drawn] as [number, number]));
    }
  }

  /** The axes the data needs, or null while there is none. */
  private frameFor(): Frame | null {
    const { lo: yLo, hi: yHi, xLast } = this.extent;
    if (xLast === null) return null;
    let xMax = this.options.xSpan;
    while (xLast > xMax) xMax *= 2;
    let lo = this.options.yRange === 'zero' ? Math.min(0, yLo) : yLo;
    let hi = yHi;
    if (this.options.yRange === 'data') {
      // An accuracy: a little room around a flat line, and never past 0 or 100%.
      if (hi - lo < 0.01) [lo, hi] = [lo - 0.005, hi + 0.005];
      [lo, hi] = [Math.max(0, lo), Math.min(1, hi)];
    } else if (hi === lo) hi = lo + 1;
    const top = 10;
    const bottom = 2 * FONT + 20;
    const y = roundTicks(lo, hi, Math.max(2, Math.floor((HEIGHT - top - bottom) / Y_TICK_SPACING)));
    const widest = Math.max(...y.values.map((v) => this.textWidth(this.formatY(v, y.decimals))));
    const left = Math.ceil(FONT + 12 + widest);
    // The last x label is centred on the axis' end: half of it must fit in the right margin.
    const right = Math.ceil(this.textWidth(formatTick(2 * xMax, 0)) / 2 + 6);
    const x = roundTicks(0, xMax, Math.max(1, Math.floor(Math.max(1, this.width - left - right) / X_TICK_SPACING)));
    return { left, right, top, bottom, xMax: x.values.at(-1) as number, x, y };
  }

  private textWidth(label: string): number {
    let width = this.widths.get(label);
    if (width === undefined) {
      this.probe.textContent = label;
      width = this.probe.getComputedTextLength();
      this.probe.textContent = '';
      // Not displayed yet (no layout): an estimate, not kept.
      if (width === 0) return label.length * CHAR;
      this.widths.set(label, width);
    }
    return width;
  }

  private formatY(value: number, decimals: number): string {
    return (this.options.yFormat ?? formatTick)(value, decimals);
  }

  /** Draws the chart afresh: axes, and every series thinned to its width. */
  private layout(): void {
    // Counted for the tests: a long run lays a chart out a handful of times, not at every update.
    this.svg.dataset.layouts = String(Number(this.svg.dataset.layouts ?? 0) + 1);
    this.frame = this.frameFor();
    this.svg.setAttribute('viewBox', `0 0 ${this.width} ${HEIGHT}`);
    const { xTitle, yTitle } = this.options;
    const f = this.frame;
    const left = f?.left ?? 3 * FONT;
    const bottom = f?.bottom ?? 2 * FONT + 20;
    const top = f?.top ?? 10;
    const right = f?.right ?? 12;
    const plotWidth = Math.max(1, this.width - left - right);
    const plotHeight = HEIGHT - top - bottom;
    const children: SVGElement[] = [
      make('rect', { class: 'plot', x: left, y: top, width: plotWidth, height: plotHeight }),
      text(xTitle, { class: 'axis-title x', x: left + plotWidth / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }),
      text(yTitle, {
        class: 'axis-title y',
        transform: `translate(${FONT + 2} ${top + plotHeight / 2}) rotate(-90)`,
        'text-anchor': 'middle',
      }),
    ];
    if (f !== null) {
      for (const value of f.y.values) {
        const y = round(this.sy(value));
        children.push(make('line', { class: 'grid', x1: left, x2: left + plotWidth, y1: y, y2: y }));
        children.push(
          text(this.formatY(value, f.y.decimals), {
            class: 'tick y',
            'data-value': value,
            x: left - 6,
            y: y + FONT / 3,
            'text-anchor': 'end',
          }),
        );
      }
      for (const value of f.x.values) {
        children.push(
          text(formatTick(value, f.x.decimals), {
            class: 'tick x',
            'data-value': value,
            x: round(this.sx(value)),
            // Low enough to clear the lowest y label, which ends just left of the first x label.
            y: top + plotHeight + FONT + 8,
            'text-anchor': 'middle',
          }),
        );
      }
    }
    this.axes.replaceChildren(...children);
    for (const s of this.series) {
      s.marks.replaceChildren();
      s.drawn = 0;
      if (f === null) s.line.removeAttribute('points');
      else this.redraw(s);
    }
  }

  /**
   * A series' line from all its points, thinned as plot() thins them, set in one go: going
   * through the SVGPointList point by point costs Chromium about as much per point as the
   * whole list (tens of ms for a few thousand points).
   */
  private redraw(s: Series): void {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [x, y] of s.points) {
      const [px, py] = [round(this.sx(x)), round(this.sy(y))];
      const n = xs.length;
      if (n >= 2 && px - (xs[n - 2] as number) < GAP) [xs[n - 1], ys[n - 1]] = [px, py];
      else {
        xs.push(px);
        ys.push(py);
      }
      if (s.dots) s.marks.append(make('circle', { cx: px, cy: py, r: 3 }));
    }
    s.line.setAttribute('points', xs.map((x, i) => `${x},${ys[i]}`).join(' '));
    s.drawn = s.points.length;
  }

  private plot(s: Series, x: number, y: number): void {
    const point = this.svg.createSVGPoint();
    point.x = round(this.sx(x));
    point.y = round(this.sy(y));
    const line = s.line.points;
    const n = line.numberOfItems;
    if (n >= 2 && point.x - line.getItem(n - 2).x < GAP) line.replaceItem(point, n - 1);
    else line.appendItem(point);
    if (s.dots) s.marks.append(make('circle', { cx: point.x, cy: point.y, r: 3 }));
  }

  private sx(x: number): number {
    const f = this.frame as Frame;
    return f.left + (x / f.xMax) * (this.width - f.left - f.right);
  }

  private sy(y: number): number {
    const f = this.frame as Frame;
    const lo = f.y.values[0] as number;
    const hi = f.y.values.at(-1) as number;
    const height = HEIGHT - f.top - f.bottom;
    return f.top + height - ((Math.min(Math.max(y, lo), hi) - lo) / (hi - lo)) * height;
  }
}

function sameAxes(a: Frame, b: Frame): boolean {
  return a.left === b.left && a.right === b.right && a.xMax === b.xMax && a.y.values.join() === b.y.values.join();
}

function text(content: string, attributes: Record<string, string | number>): SVGTextElement {
  const element = make('text', attributes);
  element.textContent = content;
  return element;
}

const round = (v: number) => Math.round(v * 10) / 10;
