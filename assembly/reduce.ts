// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Reductions of a rows×cols tensor: sum (all, down the rows, or along each row) and the
// sum of squares. Sums accumulate in f64 whatever T is.

export const ALL: i32 = -1;
/** axis 0: one sum per column, down the rows (a bias's gradient). */
export const DOWN: i32 = 0;
/** axis 1: one sum per row. */
export const ALONG: i32 = 1;

/** out = Σ x (·scale), over everything or along an axis; `out` has 1, cols or rows values. */
export function sumForward<T extends number>(x: usize, out: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  const size = sizeof<T>();
  if (axis == ALL) {
    let total: f64 = 0;
    const n = <usize>rows * <usize>cols;
    for (let i: usize = 0; i < n; i++) total += <f64>load<T>(x + i * size);
    store<T>(out, <T>(total * scale));
  } else if (axis == DOWN) {
    for (let c: usize = 0; c < <usize>cols; c++) {
      let total: f64 = 0;
      for (let r: usize = 0; r < <usize>rows; r++) total += <f64>load<T>(x + (r * <usize>cols + c) * size);
      store<T>(out + c * size, <T>(total * scale));
    }
  } else {
    for (let r: usize = 0; r < <usize>rows; r++) {
      let total: f64 = 0;
      const row = x + r * <usize>cols * size;
      for (let c: usize = 0; c < <usize>cols; c++) total += <f64>load<T>(row + c * size);
      store<T>(out + r * size, <T>(total * scale));
    }
  }
}

/** dx += dout broadcast back over what was summed (·scale). */
export function sumBackward<T extends number>(dout: usize, dx: usize, rows: i32, cols: i32, axis: i32, scale: f64): void {
  const size = sizeof<T>();
  for (let r: usize = 0; r < <usize>rows; r++) {
    for (let c: usize = 0; c < <usize>cols; c++) {
      const g = axis == ALL ? load<T>(dout) : axis == DOWN ? load<T>(dout + c * size) : load<T>(dout + r * size);
      const at = dx + (r * <usize>cols + c) * size;
      store<T>(at, load<T>(at) + <T>(<f64>g * scale));
    }
  }
}

/** out[0] = Σ x², the squared L2 norm. */
export function l2Forward<T extends number>(x: usize, out: usize, n: i32): void {
  const size = sizeof<T>();
  let total: f64 = 0;
  for (let i: usize = 0; i < <usize>n; i++) {
    const v = <f64>load<T>(x + i * size);
    total += v * v;
  }
  store<T>(out, <T>total);
}

/** dx += 2x·dout */
export function l2Backward<T extends number>(x: usize, dout: usize, dx: usize, n: i32): void {
  const size = sizeof<T>();
  const g = load<T>(dout) * <T>2;
  for (let i: usize = 0; i < <usize>n; i++) {
    const at = i * size;
    store<T>(dx + at, load<T>(dx + at) + g * load<T>(x + at));
  }
}

/** Index of the first of n values that is NaN or ±Infinity, or -1. */
export function firstNonFinite<T extends number>(x: usize, n: i32): i32 {
  const size = sizeof<T>();
  if (sizeof<T>() == 4) {
    // v − v is 0 for a finite v and NaN otherwise: one sum tells whether to look closer.
    // Four sums, so that the adds do not wait on each other (a whole batch is scanned
    // every time Tensor.set or Tensor.from fills one).
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    const whole = <usize>n & ~3;
    const blocks = <usize>n & ~15;
    let i: usize = 0;
    for (; i < blocks; i += 16) {
      const at = x + (i << 2);
      const a = v128.load(at);
      const b = v128.load(at, 16);
      const c = v128.load(at, 32);
      const d = v128.load(at, 48);
      s0 = f32x4.add(s0, f32x4.sub(a, a));
      s1 = f32x4.add(s1, f32x4.sub(b, b));
      s2 = f32x4.add(s2, f32x4.sub(c, c));
      s3 = f32x4.add(s3, f32x4.sub(d, d));
    }
    for (; i < whole; i += 4) {
      const v = v128.load(x + (i << 2));
      s0 = f32x4.add(s0, f32x4.sub(v, v));
    }
    const sum = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
    if (v128.any_true(f32x4.ne(sum, sum)) == 0) {
      for (let i = <i32>whole; i < n; i++) {
        if (!isFinite<T>(load<T>(x + <usize>i * size))) return i;
      }
      return -1;
    }
  }
  for (let i = 0; i < n; i++) {
    if (!isFinite<T>(load<T>(x + <usize>i * size))) return i;
  }
  return -1;
}

/** out[c] += Σ_r x[r, c]: a bias's gradient, added to what is there. */
export function sumRowsInto<T extends number>(x: usize, out: usize, rows: i32, cols: i32): void {
  const size = sizeof<T>();
  for (let r: usize = 0; r < <usize>rows; r++) {
    const row = x + r * <usize>cols * size;
    for (let c: usize = 0; c < <usize>cols; c++) {
      const at = out + c * size;
      store<T>(at, load<T>(at) + load<T>(row + c * size));
    }
  }
}
