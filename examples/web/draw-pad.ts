// A canvas to draw a digit on with a mouse, a pen or a finger (pointer events), sharp at the
// screen's pixel density. Strokes are kept as points in [0, 1]², so that the drawing
// survives a resize, and are rendered a second time on a fixed 280 × 280 canvas that the
// network's input is taken from: the same strokes give the same digit on any screen.

/** The side of the canvas the network's input is read from. */
const INK_SIDE = 280;
/** The pen's width, as a part of the pad's side: MNIST's strokes are 2–3 px of a 20 px digit. */
const PEN = 0.075;

type Point = [number, number];

export class DrawPad {
  private readonly strokes: Point[][] = [];
  private readonly ctx: CanvasRenderingContext2D;
  private readonly ink = new OffscreenCanvas(INK_SIDE, INK_SIDE);
  private readonly inkCtx: OffscreenCanvasRenderingContext2D;

  /** `onChange` is called after every change of the drawing (often: throttle what it does). */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: () => void,
  ) {
    this.ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
    this.inkCtx = this.ink.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D;
    new ResizeObserver(([entry]) => {
      const size = Math.round((entry?.contentRect.width ?? 280) * devicePixelRatio);
      if (size === canvas.width || size === 0) return;
      canvas.width = canvas.height = size;
      this.render(this.ctx, size);
    }).observe(canvas);
    this.listen();
  }

  get empty(): boolean {
    return this.strokes.length === 0;
  }

  clear(): void {
    this.strokes.length = 0;
    this.render(this.ctx, this.canvas.width);
    this.onChange();
  }

  /** The drawing's ink, INK_SIDE × INK_SIDE values in [0, 1] row after row, and the side. */
  inkLevels(): { ink: Float32Array; side: number } {
    this.render(this.inkCtx, INK_SIDE);
    const { data } = this.inkCtx.getImageData(0, 0, INK_SIDE, INK_SIDE);
    const ink = new Float32Array(INK_SIDE * INK_SIDE);
    for (let i = 0; i < ink.length; i++) ink[i] = (data[4 * i + 3] as number) / 255;
    return { ink, side: INK_SIDE };
  }

  private listen(): void {
    const canvas = this.canvas;
    const at = (event: PointerEvent): Point => {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
    };
    let drawing: number | null = null;
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      drawing = event.pointerId;
      // The stroke goes on if the pointer leaves the pad (a script's pointer is not one the browser can capture).
      if (event.isTrusted) canvas.setPointerCapture(event.pointerId);
      this.strokes.push([at(event)]);
      this.render(this.ctx, canvas.width);
      this.onChange();
    });
    canvas.addEventListener('pointermove', (event) => {
      if (drawing !== event.pointerId) return;
      const stroke = this.strokes.at(-1) as Point[];
      // A fast hand gives several positions per frame: take all of them, for a smooth line.
      const moves = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
      for (const move of moves.length > 0 ? moves : [event]) stroke.push(at(move));
      this.render(this.ctx, canvas.width);
      this.onChange();
    });
    const end = (event: PointerEvent) => {
      if (drawing === event.pointerId) drawing = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** Draws every stroke on `ctx`, a square canvas of `side` px: round black ink on transparent. */
  private render(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, side: number): void {
    ctx.clearRect(0, 0, side, side);
    ctx.strokeStyle = ctx.fillStyle = '#000';
    ctx.lineWidth = PEN * side;
    ctx.lineCap = ctx.lineJoin = 'round';
    for (const stroke of this.strokes) {
      const [x0, y0] = stroke[0] as Point;
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(x0 * side, y0 * side, (PEN * side) / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(x0 * side, y0 * side);
      for (const [x, y] of stroke.slice(1)) ctx.lineTo(x * side, y * side);
      ctx.stroke();
    }
  }
}
