// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Parameter updates, one pass over a parameter's elements each. f32 runs four lanes at
// a time with wasm SIMD; the tail and f64 go one element at a time, by the same formula.

/**
 * SGD with momentum and L2 weight decay, in place:
 *   g ← grad + wd·w;  v ← μ·v + g;  w ← w − lr·(nesterov ? g + μ·v : v)
 * With μ = 0 the velocity is not touched and this is w ← w − lr·g.
 */
export function sgdUpdate<T extends number>(
  w: usize, grad: usize, velocity: usize, n: i32, lr: f64, momentum: f64, nesterov: i32, weightDecay: f64,
): void {
  const size = sizeof<T>();
  let i: usize = 0;
  if (sizeof<T>() == 4) {
    const rate = f32x4.splat(<f32>lr);
    const mu = f32x4.splat(<f32>momentum);
    const wd = f32x4.splat(<f32>weightDecay);
    const end = <usize>n & ~3;
    for (; i < end; i += 4) {
      const at = i << 2;
      const weight = v128.load(w + at);
      let g = f32x4.add(v128.load(grad + at), f32x4.mul(wd, weight));
      if (momentum != 0) {
        const v = f32x4.add(f32x4.mul(mu, v128.load(velocity + at)), g);
        v128.store(velocity + at, v);
        g = nesterov ? f32x4.add(g, f32x4.mul(mu, v)) : v;
      }
      v128.store(w + at, f32x4.sub(weight, f32x4.mul(rate, g)));
    }
  }
  const rate = <T>lr;
  const mu = <T>momentum;
  const wd = <T>weightDecay;
  for (; i < <usize>n; i++) {
    const at = i * size;
    const weight = load<T>(w + at);
    let g = load<T>(grad + at) + wd * weight;
    if (momentum != 0) {
      const v = mu * load<T>(velocity + at) + g;
      store<T>(velocity + at, v);
      g = nesterov ? g + mu * v : v;
    }
    store<T>(w + at, weight - rate * g);
  }
}

/**
 * Adam, step t ≥ 1, with L2 weight decay added to the gradient (not AdamW's decoupled decay):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·m̂/(√v̂ + ε)
 * with the bias corrections m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ) folded into the step size and ε.
 */
export function adamUpdate<T extends number>(
  w: usize, grad: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, t: i32,
): void {
  const size = sizeof<T>();
  const stepSize = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
  const epsHat = eps * Math.sqrt(1 - Math.pow(beta2, t));
  let i: usize = 0;
  if (sizeof<T>() == 4) {
    const step = f32x4.splat(<f32>stepSize);
    const epsilon = f32x4.splat(<f32>epsHat);
    const b1 = f32x4.splat(<f32>beta1);
    const b2 = f32x4.splat(<f32>beta2);
    const c1 = f32x4.splat(<f32>(1 - beta1));
    const c2 = f32x4.splat(<f32>(1 - beta2));
    const wd = f32x4.splat(<f32>weightDecay);
    const end = <usize>n & ~3;
    for (; i < end; i += 4) {
      const at = i << 2;
      const weight = v128.load(w + at);
      const g = f32x4.add(v128.load(grad + at), f32x4.mul(wd, weight));
      const mi = f32x4.add(f32x4.mul(b1, v128.load(m + at)), f32x4.mul(c1, g));
      const vi = f32x4.add(f32x4.mul(b2, v128.load(v + at)), f32x4.mul(c2, f32x4.mul(g, g)));
      v128.store(m + at, mi);
      v128.store(v + at, vi);
      v128.store(w + at, f32x4.sub(weight, f32x4.div(f32x4.mul(step, mi), f32x4.add(f32x4.sqrt(vi), epsilon))));
    }
  }
  const b1 = <T>beta1;
  const b2 = <T>beta2;
  const wd = <T>weightDecay;
  for (; i < <usize>n; i++) {
    const at = i * size;
    const weight = load<T>(w + at);
    const g = load<T>(grad + at) + wd * weight;
    const mi = b1 * load<T>(m + at) + (<T>1 - b1) * g;
    const vi = b2 * load<T>(v + at) + (<T>1 - b2) * g * g;
    store<T>(m + at, mi);
    store<T>(v + at, vi);
    store<T>(w + at, weight - <T>stepSize * mi / (<T>Math.sqrt(<f64>vi) + <T>epsHat));
  }
}
