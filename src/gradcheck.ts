// Analytic gradients checked against central differences in float64:
//   ∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε

import { describe, ValueError } from './errors';
import { Tensor } from './tensor';

/** An input of the checked function: a number, a flat array of numbers, or a Tensor. */
export type GradInput = number | readonly number[] | Float64Array | Tensor;

/** What the checked function returns: its value and its gradient for every input. */
export interface ValueAndGrads {
  /** A number, or a one-element Tensor (what a Graph's forward returns for a scalar loss). */
  value: number | Tensor;
  grads: readonly GradInput[];
}

/**
 * What fn receives for each input, position by position (so that `([x, W]) => …` types
 * x and W): a number as a number, a Tensor as itself (perturbed in place), an array as a
 * Float64Array copy.
 */
export type Given<I extends readonly GradInput[]> = {
  -readonly [K in keyof I]: I[K] extends number ? number : I[K] extends Tensor ? Tensor : Float64Array;
};

export interface GradcheckOptions {
  /** Step of the central difference (default 1e-6). */
  eps?: number;
  /** Largest relative error that passes (default 1e-6). */
  tol?: number;
  /** Errors below this absolute difference pass whatever their relative size (default 1e-9). */
  atol?: number;
}

export interface GradcheckWorst {
  /** Which input, and which element of it. */
  input: number;
  index: number;
  analytic: number;
  numeric: number;
  relError: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxRelError: number;
  worst: GradcheckWorst | null;
}

/** One input as gradcheck perturbs it: Tensors in place, numbers and arrays as copies. */
interface Slot {
  length: number;
  get(i: number): number;
  set(i: number, value: number): void;
  /** What fn receives. */
  given(): GradInput;
}

/**
 * Compares the gradients `fn` reports with numerical ones, element by element.
 * Relative error is |a − n| / max(|a|, |n|); pairs closer than `atol` count as equal.
 * Tensor inputs are perturbed in place (use float64 tensors: float32 cannot resolve ε)
 * and restored afterwards.
 */
export function gradcheck<const I extends readonly GradInput[]>(
  fn: (inputs: Given<I>) => ValueAndGrads,
  inputs: I,
  { eps = 1e-6, tol = 1e-6, atol = 1e-9 }: GradcheckOptions = {},
): GradcheckResult {
  if (typeof fn !== 'function') throw new ValueError(`gradcheck: fn must be a function (inputs) → { value, grads }, got ${describe(fn)}`);
  if (!Array.isArray(inputs)) throw new ValueError(`gradcheck: inputs must be an array of numbers or Tensors, got ${describe(inputs)}`);
  if (!(eps > 0) || !(tol > 0) || !(atol >= 0)) {
    throw new ValueError(`gradcheck: eps and tol must be positive and atol non-negative, got eps=${eps}, tol=${tol}, atol=${atol}`);
  }
  const slots = inputs.map((x, i) => slot(x, `input ${i}`));
  const call = () => fn(slots.map((s) => s.given()) as Given<I>);
  const scalarOf = (result: ValueAndGrads): number => {
    const value = (result as Partial<ValueAndGrads> | null)?.value;
    if (typeof value === 'number') return value;
    if (value instanceof Tensor && value.size === 1) return value.item();
    const got = value instanceof Tensor ? `a Tensor of shape [${value.shape.join(', ')}]` : describe(value);
    throw new ValueError(`gradcheck: fn must return { value, grads } with value a number or a one-element Tensor, got ${got}`);
  };
  const result = call();
  const grads = (result as Partial<ValueAndGrads> | null)?.grads;
  if (!Array.isArray(grads)) {
    throw new ValueError(`gradcheck: fn must return { value: number, grads: [...] }, got ${describe(result)}`);
  }
  scalarOf(result);
  if (grads.length !== slots.length) {
    throw new ValueError(`gradcheck: fn returned ${grads.length} gradients for ${slots.length} inputs`);
  }
  // Copied now: a gate's gradient tensor is overwritten by the next call.
  const analytic = grads.map((g, i) => copy(g, `gradient ${i}`));
  let maxRelError = 0;
  let worst: GradcheckWorst | null = null;
  let ok = true;
  slots.forEach((x, input) => {
    const a = analytic[input] as Float64Array;
    if (a.length !== x.length) {
      throw new ValueError(`gradcheck: gradient ${input} has ${a.length} elements, its input ${x.length}`);
    }
    for (let index = 0; index < x.length; index++) {
      const original = x.get(index);
      x.set(index, original + eps);
      const plus = scalarOf(call());
      x.set(index, original - eps);
      const minus = scalarOf(call());
      x.set(index, original);
      const numeric = (plus - minus) / (2 * eps);
      const analyticValue = a[index] as number;
      const difference = Math.abs(analyticValue - numeric);
      const scale = Math.max(Math.abs(analyticValue), Math.abs(numeric));
      const relError = difference === 0 ? 0 : Number.isFinite(difference) ? difference / scale : Number.POSITIVE_INFINITY;
      if (!(difference <= atol) && !(relError <= tol)) ok = false;
      if (worst === null || relError > maxRelError) {
        maxRelError = relError;
        worst = { input, index, analytic: analyticValue, numeric, relError };
      }
    }
  });
  return { ok, maxRelError, worst };
}

function slot(x: GradInput, what: string): Slot {
  if (x instanceof Tensor) {
    return {
      length: x.size,
      get: (i) => x.data[i] as number,
      set: (i, v) => {
        x.data[i] = v;
      },
      given: () => x,
    };
  }
  const values = copy(x, what);
  const asNumber = typeof x === 'number';
  return {
    length: values.length,
    get: (i) => values[i] as number,
    set: (i, v) => {
      values[i] = v;
    },
    given: () => (asNumber ? (values[0] as number) : values.slice()),
  };
}

function copy(x: GradInput, what: string): Float64Array {
  if (typeof x === 'number') return Float64Array.of(x);
  if (x instanceof Tensor) return Float64Array.from(x.data);
  if (x instanceof Float64Array || Array.isArray(x)) return Float64Array.from(x as ArrayLike<number>);
  throw new ValueError(`gradcheck: ${what} must be a number, an array of numbers or a Tensor`);
}
