// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Inverted dropout's mask: each value kept with probability `keep` and scaled by 1/keep, so
// that the expected output is the input and evaluation needs no rescaling. The mask is
// what forward multiplies by and what backward multiplies the gradient by.
//
// The generator is xoshiro128**, the same as src/random.ts's, its four words of state at
// `state` (advanced in place): the same seed draws the same mask on every engine, and a
// test can draw it again in JavaScript.

/** mask[i] = 1/keep where the i-th uniform draw in [0, 1) is below keep, else 0. */
export function dropoutMask<T extends number>(mask: usize, count: i32, keep: f64, state: usize): void {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  const kept = <T>(1 / keep);
  for (let i: usize = 0; i < <usize>count; i++) {
    const draw = rotl<u32>(s1 * 5, 7) * 9;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
    store<T>(mask + i * sizeof<T>(), <f64>draw / 4294967296.0 < keep ? kept : <T>0);
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

// The tensor tape's dropout: its cache at `aux` is the generator's state (16 bytes), the
// mode the Graph is in (i32 at 16: 1 training), whether the last forward drew a mask (i32
// at 20), then the mask (from byte 32).
const TRAINING: usize = 16;
const MASKED: usize = 20;
const MASK: usize = 32;

/** out = x ⊙ mask while training (a new mask each call), else out = x. */
export function dropoutForward<T extends number>(x: usize, out: usize, aux: usize, count: i32, p: f64): void {
  const masked = load<i32>(aux, TRAINING) != 0 && p > 0;
  store<i32>(aux, masked ? 1 : 0, MASKED);
  if (!masked) {
    memory.copy(out, x, <usize>count * sizeof<T>());
    return;
  }
  dropoutMask<T>(aux + MASK, count, 1 - p, aux);
  for (let i: usize = 0; i < <usize>count; i++) {
    store<T>(out + i * sizeof<T>(), load<T>(x + i * sizeof<T>()) * load<T>(aux + MASK + i * sizeof<T>()));
  }
}

/** dx += dout ⊙ mask, with the mask of the last forward (dx += dout if it drew none). */
export function dropoutBackward<T extends number>(dout: usize, dx: usize, aux: usize, count: i32): void {
  const masked = load<i32>(aux, MASKED) != 0;
  for (let i: usize = 0; i < <usize>count; i++) {
    const g = load<T>(dout + i * sizeof<T>());
    const at = dx + i * sizeof<T>();
    store<T>(at, load<T>(at) + (masked ? g * load<T>(aux + MASK + i * sizeof<T>()) : g));
  }
}
