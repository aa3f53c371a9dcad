// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Parameter updates, one loop over a parameter's elements each, float32 (weights are
// trained in float32; float64 parameters go through the same generic code).

/**
 * SGD with momentum and weight decay, in place:
 *   g ← grad + wd·w;  v ← μ·v + g;  w ← w − lr·(nesterov ? g + μ·v : v)
 * With μ = 0 the velocity is left untouched and this is plain w ← w − lr·g.
 */
export function sgdUpdate<T extends number>(
  w: usize, grad: usize, velocity: usize, n: i32, lr: f64, momentum: f64, nesterov: i32, weightDecay: f64,
): void {
  const size = sizeof<T>();
  const rate = <T>lr;
  const mu = <T>momentum;
  const wd = <T>weightDecay;
  for (let i: usize = 0; i < <usize>n; i++) {
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
 * with the bias corrections m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ) folded into the step size.
 */
export function adamUpdate<T extends number>(
  w: usize, grad: usize, m: usize, v: usize, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, t: i32,
): void {
  const size = sizeof<T>();
  const step = <T>(lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
  const epsHat = <T>(eps * Math.sqrt(1 - Math.pow(beta2, t)));
  const b1 = <T>beta1;
  const b2 = <T>beta2;
  const wd = <T>weightDecay;
  for (let i: usize = 0; i < <usize>n; i++) {
    const at = i * size;
    const weight = load<T>(w + at);
    const g = load<T>(grad + at) + wd * weight;
    const mi = b1 * load<T>(m + at) + (<T>1 - b1) * g;
    const vi = b2 * load<T>(v + at) + (<T>1 - b2) * g * g;
    store<T>(m + at, mi);
    store<T>(v + at, vi);
    store<T>(w + at, weight - step * mi / (<T>Math.sqrt(<f64>vi) + epsHat));
  }
}
