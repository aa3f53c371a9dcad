// nn.SGD and nn.Adam against their update rules as PyTorch documents them (torch.optim.SGD
// with dampening 0, torch.optim.Adam with amsgrad off), computed here in float64 from the
// textbook formulas, for three steps of gradients set by hand into a real nn.Linear's
// parameters. Three steps, because a rule's state (momentum buffer, moments, the step
// count t in Adam's bias correction) only shows from the second step on. The float32
// weight has 15 = 4·3 + 3 elements: the wasm kernel's SIMD body and its scalar tail both
// run (the bias, 3 elements, is tail only); float64 is one scalar loop.
import { beforeAll, describe, expect, it } from 'vitest';
import { init, nn } from '../src/index';
import { rng } from './helpers';

beforeAll(() => init());

type DType = 'float32' | 'float64';

/** Starting values and per-step gradients, per parameter, as the optimizer sees them. */
interface Problem {
  layer: nn.Linear;
  params: nn.Parameter[];
  /** [parameter][element] */
  start: number[][];
  /** [step][parameter][element] */
  grads: number[][][];
}

const STEPS = 3;

/**
 * A Linear(5, 3) with weights in [−1, 1] and gradients of mixed sign and size: one element
 * whose gradient is 0 at step 2 (its update then comes from the optimizer's state alone),
 * one with a gradient 100× smaller than the rest (where Adam's ε and bias correction weigh
 * most). Values are read back after writing, so the reference starts from exactly the
 * numbers the kernel sees (float32-rounded on float32).
 */
function problem(dtype: DType, seed = 1): Problem {
  const random = rng(seed);
  const layer = new nn.Linear(5, 3, { dtype, seed });
  const params = layer.parameters();
  const start = params.map((p) => {
    p.value.data.set(Array.from({ length: p.value.size }, () => random() * 2 - 1));
    return Array.from(p.value.data);
  });
  const grads = Array.from({ length: STEPS }, (_, step) =>
    params.map((p) =>
      Array.from({ length: p.value.size }, (_, i) => {
        if (step === 1 && i === 0) return 0;
        const g = random() * 2 - 1;
        return i === 5 ? g / 100 : g;
      }),
    ),
  );
  // Round the gradients as the parameter's dtype stores them.
  const round = dtype === 'float32' ? Math.fround : (x: number) => x;
  return { layer, params, start, grads: grads.map((step) => step.map((g) => g.map(round))) };
}

/**
 * Runs `optimizer` for every step of `p.grads`, writing each step's gradients into p.grad by
 * hand; with `schedule`, sets the optimizer's lr to schedule[t] before step t.
 */
function run(p: Problem, optimizer: nn.SGD | nn.Adam, schedule?: number[]): number[][] {
  for (const [t, step] of p.grads.entries()) {
    if (schedule) optimizer.lr = schedule[t] as number;
    p.params.forEach((param, i) => {
      param.grad.data.set(step[i] as number[]);
    });
    optimizer.step();
  }
  return p.params.map((param) => Array.from(param.value.data));
}

interface SgdRule {
  lr: number;
  /** The lr of each step, when it changes between steps (then `lr` is unused). */
  schedule?: number[];
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * torch.optim.SGD's documented algorithm (dampening τ = 0), one element at a time:
 *   g ← g + λθ;  b ← (t = 1 ? g : μb + g);  g ← (nesterov ? g + μb : b)  when μ ≠ 0;  θ ← θ − γg
 */
function sgdReference(
  start: number[],
  grads: number[][],
  { lr, schedule, momentum = 0, nesterov = false, weightDecay = 0 }: SgdRule,
): number[] {
  return start.map((theta0, j) => {
    let theta = theta0;
    let b = 0;
    grads.forEach((step, t) => {
      let g = (step[j] as number) + weightDecay * theta;
      if (momentum !== 0) {
        b = t === 0 ? g : momentum * b + g;
        g = nesterov ? g + momentum * b : b;
      }
      theta -= (schedule?.[t] ?? lr) * g;
    });
    return theta;
  });
}

interface AdamRule {
  lr: number;
  /** The lr of each step, when it changes between steps (then `lr` is unused). */
  schedule?: number[];
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * torch.optim.Adam's documented algorithm (amsgrad off, maximize off), one element at a time:
 *   g ← g + λθ;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
 *   m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  θ ← θ − γ·m̂/(√v̂ + ε)
 */
function adamReference(start: number[], grads: number[][], { lr, schedule, beta1, beta2, eps, weightDecay }: AdamRule): number[] {
  return start.map((theta0, j) => {
    let theta = theta0;
    let m = 0;
    let v = 0;
    grads.forEach((step, index) => {
      const t = index + 1;
      const g = (step[j] as number) + weightDecay * theta;
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      const mHat = m / (1 - beta1 ** t);
      const vHat = v / (1 - beta2 ** t);
      theta -= ((schedule?.[index] ?? lr) * mHat) / (Math.sqrt(vHat) + eps);
    });
    return theta;
  });
}

/**
 * How far a kernel may be from the float64 formula, relative to max(1, |θ|): float64
 * differs only by rounding (Adam folds its bias corrections into the step size and ε, the
 * same rule in exact arithmetic; seen: 2e-16). float32 rounds every operation to 24 bits;
 * Adam's step is a ratio m/√v that magnifies the rounding of a gradient that nearly
 * cancels against its weight decay (seen: 1.1e-6, on both builds). The bugs this is for
 * are far larger: without bias correction the first step is 3× too long.
 */
const TOLERANCE: Record<DType, number> = { float64: 1e-13, float32: 5e-6 };

function expectClose(got: number[][], want: number[][], dtype: DType): void {
  let worst = { error: 0, at: '' };
  want.forEach((values, p) => {
    values.forEach((w, i) => {
      const g = (got[p] as number[])[i] as number;
      const error = Math.abs(g - w) / Math.max(1, Math.abs(w));
      if (!(error <= worst.error)) worst = { error, at: `parameter ${p}, element ${i}: got ${g}, want ${w}` };
    });
  });
  expect(worst.error, worst.at).toBeLessThanOrEqual(TOLERANCE[dtype]);
}

const DTYPES: DType[] = ['float32', 'float64'];

describe.each(DTYPES)('nn.SGD follows torch.optim.SGD step by step (%s)', (dtype) => {
  const cases: [string, SgdRule][] = [
    ['plain: θ ← θ − γg', { lr: 0.1 }],
    ['momentum: the buffer starts at the first gradient and decays by μ', { lr: 0.1, momentum: 0.9 }],
    ['Nesterov momentum: the step is g + μb', { lr: 0.1, momentum: 0.9, nesterov: true }],
    ['weight decay: λθ is added to the gradient', { lr: 0.1, weightDecay: 0.3 }],
    ['momentum with weight decay: the decayed gradient feeds the buffer', { lr: 0.05, momentum: 0.8, weightDecay: 0.3 }],
    ['Nesterov momentum with weight decay', { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.3 }],
    // A schedule sets lr between steps; the buffer b holds gradients, not steps, so it
    // carries over unscaled and only the step γₜ·g changes, as in PyTorch.
    [
      'lr set between steps (a schedule), with Nesterov momentum and weight decay',
      { lr: 0.1, schedule: [0.1, 0.02, 0.3], momentum: 0.9, nesterov: true, weightDecay: 0.1 },
    ],
  ];
  it.each(cases)('%s', (_name, rule) => {
    const p = problem(dtype);
    const got = run(p, new nn.SGD(p.params, rule), rule.schedule);
    const want = p.start.map((start, i) =>
      sgdReference(
        start,
        p.grads.map((step) => step[i] as number[]),
        rule,
      ),
    );
    expectClose(got, want, dtype);
  });
});

describe.each(DTYPES)('nn.Adam follows torch.optim.Adam step by step (%s)', (dtype) => {
  const defaults: AdamRule = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

  it("with PyTorch's defaults (lr 1e-3, β₁ 0.9, β₂ 0.999, ε 1e-8): both moments and their bias corrections", () => {
    const p = problem(dtype);
    const got = run(p, new nn.Adam(p.params));
    const want = p.start.map((start, i) =>
      adamReference(
        start,
        p.grads.map((step) => step[i] as number[]),
        defaults,
      ),
    );
    expectClose(got, want, dtype);
  });

  const cases: [string, AdamRule][] = [
    ['lr, β₁ and β₂ of its own', { ...defaults, lr: 0.05, beta1: 0.8, beta2: 0.95 }],
    // ε = 0.1 is a good fraction of √v̂ here, so where it goes shows: PyTorch adds it to
    // √v̂; added to √v (Kingma & Ba's "efficient" form) it would act 1/√(1−β₂ᵗ) = 10× larger at t = 1.
    ['a large ε, added to √v̂', { ...defaults, lr: 0.05, beta2: 0.99, eps: 0.1 }],
    ['weight decay: λθ is added to the gradient before both moments (L2, not AdamW)', { ...defaults, lr: 0.05, weightDecay: 0.2 }],
    ['β₁ = 0: no first moment, the step is γg/(√v̂ + ε)', { ...defaults, lr: 0.05, beta1: 0 }],
    // The moments and t carry over a change of lr; only the step's size γₜ changes.
    ['lr set between steps (a schedule): the moments and t carry over', { ...defaults, lr: 0.05, schedule: [0.05, 0.2, 0.01] }],
  ];
  it.each(cases)('%s', (_name, rule) => {
    const p = problem(dtype);
    const got = run(p, new nn.Adam(p.params, rule), rule.schedule);
    const want = p.start.map((start, i) =>
      adamReference(
        start,
        p.grads.map((step) => step[i] as number[]),
        rule,
      ),
    );
    expectClose(got, want, dtype);
  });

  it('the first step moves every weight with a gradient by lr, whatever the gradient’s size (bias correction)', () => {
    // m̂/√v̂ = g/|g| at t = 1: the property Adam's bias correction exists for.
    const p = problem(dtype);
    const lr = 0.01;
    const optimizer = new nn.Adam(p.params, { lr, eps: 0 });
    const first = p.grads[0] as number[][];
    p.params.forEach((param, i) => {
      param.grad.data.set(first[i] as number[]);
    });
    optimizer.step();
    p.params.forEach((param, i) => {
      const moved = Array.from(param.value.data, (w, j) => ((p.start[i] as number[])[j] as number) - w);
      const signs = (first[i] as number[]).map((g) => Math.sign(g) * lr);
      for (const [j, step] of moved.entries()) expect(step).toBeCloseTo(signs[j] as number, dtype === 'float32' ? 6 : 12);
    });
  });
});

describe('Optimizer.lr', () => {
  it('reads back what the options or a later assignment set, and refuses a rate that is not finite and ≥ 0', () => {
    const layer = new nn.Linear(2, 2, { seed: 1 });
    for (const optimizer of [new nn.SGD(layer.parameters(), { lr: 0.1 }), new nn.Adam(layer.parameters(), { lr: 0.01 })]) {
      const name = optimizer instanceof nn.SGD ? 'SGD' : 'Adam';
      optimizer.lr = 0.5;
      expect(optimizer.lr).toBe(0.5);
      for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1' as unknown as number]) {
        expect(() => {
          optimizer.lr = bad;
        }).toThrow(new RegExp(`^${name}: lr must be a finite number ≥ 0`));
      }
      expect(optimizer.lr).toBe(0.5);
    }
  });
});

describe('Optimizer.weightDecay', () => {
  it('set between steps, the next step decays by the new strength: w ← w − lr·(g + wd·w), and 0 turns it off', () => {
    for (const make of [
      (p: nn.Parameter[]) => new nn.SGD(p, { lr: 0.1, weightDecay: 0.5 }),
      (p: nn.Parameter[]) => new nn.Adam(p, { lr: 0.1 }),
    ]) {
      const layer = new nn.Linear(1, 1, { seed: 3, dtype: 'float64' });
      const optimizer = make(layer.parameters());
      const [weight] = layer.parameters() as [nn.Parameter];
      weight.value.data[0] = 2;
      optimizer.weightDecay = 0.25;
      expect(optimizer.weightDecay).toBe(0.25);
      optimizer.zeroGrad(); // g = 0: the step is the decay's alone
      optimizer.step();
      if (optimizer instanceof nn.SGD) expect(weight.value.data[0]).toBeCloseTo(2 - 0.1 * 0.25 * 2, 12);
      // Adam's first step moves by lr·sign(g + wd·w) whatever the strength: a positive strength moves w down by lr.
      else expect(weight.value.data[0]).toBeCloseTo(2 - 0.1, 6);
      const before = weight.value.data[0] as number;
      optimizer.weightDecay = 0;
      optimizer.zeroGrad();
      optimizer.step();
      if (optimizer instanceof nn.SGD) expect(weight.value.data[0]).toBe(before);
      for (const bad of [-1, Number.NaN, '0.1' as unknown as number]) {
        expect(() => {
          optimizer.weightDecay = bad;
        }).toThrow(/weightDecay must be a finite number ≥ 0/);
      }
      expect(optimizer.weightDecay).toBe(0);
    }
  });
});

describe('Optimizer.zeroGrad', () => {
  it('sets every gradient of its parameters to 0, and only those', () => {
    const a = new nn.Linear(5, 3, { seed: 1 });
    const b = new nn.Linear(5, 3, { seed: 2 });
    for (const p of [...a.parameters(), ...b.parameters()]) p.grad.data.fill(0.5);
    new nn.SGD(a.parameters(), { lr: 0.1 }).zeroGrad();
    for (const p of a.parameters()) expect(Array.from(p.grad.data)).toEqual(new Array(p.grad.size).fill(0));
    for (const p of b.parameters()) expect(Array.from(p.grad.data)).toEqual(new Array(p.grad.size).fill(0.5));
  });
});
