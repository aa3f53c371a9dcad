// A network's probability for each of ten classes as labelled horizontal bars, the class it
// picks highlighted; each row keeps its probability in data-p (for the tests).

export class ProbabilityBars {
  private readonly rows: Array<{ row: HTMLElement; bar: HTMLElement; value: HTMLElement }>;

  constructor(box: HTMLElement, classes = 10) {
    box.classList.add('prob-bars');
    this.rows = Array.from({ length: classes }, (_, c) => {
      const row = Object.assign(document.createElement('div'), { className: 'bar-row' });
      const name = Object.assign(document.createElement('span'), { className: 'class', textContent: String(c) });
      const track = Object.assign(document.createElement('span'), { className: 'track' });
      const bar = Object.assign(document.createElement('span'), { className: 'bar' });
      track.append(bar);
      const value = Object.assign(document.createElement('span'), { className: 'value' });
      row.append(name, track, value);
      box.append(row);
      return { row, bar, value };
    });
  }

  /** Shows `p` (null: empty bars); returns the class picked, or null. */
  show(p: ArrayLike<number> | null): number | null {
    let best: number | null = null;
    if (p !== null) {
      best = 0;
      for (let c = 1; c < this.rows.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    }
    this.rows.forEach(({ row, bar, value }, c) => {
      const q = p?.[c];
      bar.style.width = `${((q ?? 0) * 100).toFixed(1)}%`;
      value.textContent = q === undefined ? '' : `${(q * 100).toFixed(1)}%`;
      row.classList.toggle('pick', c === best);
      if (q === undefined) delete row.dataset.p;
      else row.dataset.p = String(q);
    });
    return best;
  }
}
