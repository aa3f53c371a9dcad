// @ts-nocheck: tsc cannot type arithmetic on a generic T; asc checks this file when it compiles it.
// Batch normalization of x [n, channels, spatial] (spatial = H·W for images, 1 for
// features): each channel is normalized by its mean and variance over the batch and its
// positions, then scaled by γ and shifted by β. Sums accumulate in f64 whatever T is.
//   forward   x̂ = (x − μ)·σ⁻¹, y = γ·x̂ + β, σ⁻¹ = 1/√(var + ε), var biased (÷ m, m = n·spatial)
//   backward  dβ += Σ dy, dγ += Σ dy·x̂,
//             dx = γ·σ⁻¹/m · (m·dy − Σ dy − x̂·Σ dy·x̂)  (μ and σ depend on every x of the channel)

/**
 * y = γ·(x − μ)/√(var + ε) + β per channel. Training: μ and var are the batch's, written to
 * `mean` and `invstd` for backward, and the running statistics move towards them by
 * `momentum` (the running variance unbiased, ÷ (m − 1), as PyTorch keeps it). Evaluation:
 * μ and var are the running ones. Either way μ and σ⁻¹ go to `mean` and `invstd`.
 * `gamma`/`beta` may be 0 (no affine part).
 */
export function batchNormForward<T extends number>(
  x: usize, y: usize, gamma: usize, beta: usize, mean: usize, invstd: usize, runningMean: usize, runningVar: usize,
  n: i32, channels: i32, spatial: i32, eps: f64, momentum: f64, training: i32,
): void {
  const size = sizeof<T>();
  const plane = <usize>spatial * size;
  const stride = <usize>channels * plane;
  const m = <f64>n * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const at = <usize>c * size;
    let mu: f64;
    let variance: f64;
    if (training) {
      let total: f64 = 0;
      for (let i = 0; i < n; i++) total += sum<T>(x + <usize>i * stride + <usize>c * plane, spatial);
      mu = total / m;
      // Two passes: the squares of deviations, not E[x²] − μ², which cancels in float32.
      let squares: f64 = 0;
      for (let i = 0; i < n; i++) squares += squaredDeviations<T>(x + <usize>i * stride + <usize>c * plane, spatial, mu);
      variance = squares / m;
      store<T>(runningMean + at, <T>((1 - momentum) * <f64>load<T>(runningMean + at) + momentum * mu));
      const unbiased = variance * (m / (m - 1));
      store<T>(runningVar + at, <T>((1 - momentum) * <f64>load<T>(runningVar + at) + momentum * unbiased));
    } else {
      mu = <f64>load<T>(runningMean + at);
      variance = <f64>load<T>(runningVar + at);
    }
    store<T>(mean + at, <T>mu);
    store<T>(invstd + at, <T>(1 / Math.sqrt(variance + eps)));
    const scale = (gamma ? <f64>load<T>(gamma + at) : 1) / Math.sqrt(variance + eps);
    const shift = (beta ? <f64>load<T>(beta + at) : 0) - mu * scale;
    for (let i = 0; i < n; i++) {
      const offset = <usize>i * stride + <usize>c * plane;
      affine<T>(x + offset, y + offset, spatial, <T>scale, <T>shift);
    }
  }
}

/**
 * The backward of batchNormForward, from its x, μ and σ⁻¹. After an evaluation forward μ
 * and σ are constants, and dx = γ·σ⁻¹·dy. `dgamma`/`dbeta`/`dx` may be 0 (not wanted).
 */
export function batchNormBackward<T extends number>(
  x: usize, dy: usize, dx: usize, gamma: usize, dgamma: usize, dbeta: usize, mean: usize, invstd: usize,
  n: i32, channels: i32, spatial: i32, training: i32,
): void {
  const size = sizeof<T>();
  const plane = <usize>spatial * size;
  const stride = <usize>channels * plane;
  const m = <f64>n * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const at = <usize>c * size;
    const mu = <f64>load<T>(mean + at);
    const inv = <f64>load<T>(invstd + at);
    let sumDy: f64 = 0;
    let sumDyXhat: f64 = 0;
    for (let i = 0; i < n; i++) {
      const offset = <usize>i * stride + <usize>c * plane;
      for (let j: usize = 0; j < <usize>spatial; j++) {
        const g = <f64>load<T>(dy + offset + j * size);
        sumDy += g;
        sumDyXhat += g * (<f64>load<T>(x + offset + j * size) - mu) * inv;
      }
    }
    if (dgamma) store<T>(dgamma + at, <T>(<f64>load<T>(dgamma + at) + sumDyXhat));
    if (dbeta) store<T>(dbeta + at, <T>(<f64>load<T>(dbeta + at) + sumDy));
    if (!dx) continue;
    const k = ((gamma ? <f64>load<T>(gamma + at) : 1) * inv) / m;
    // Evaluation: dx = γσ⁻¹·dy is the same formula with the two sums (μ's and σ's shares) left out.
    const shareOfMean: f64 = training ? sumDy : 0;
    const shareOfVar: f64 = training ? sumDyXhat : 0;
    for (let i = 0; i < n; i++) {
      const offset = <usize>i * stride + <usize>c * plane;
      for (let j: usize = 0; j < <usize>spatial; j++) {
        const xhat = (<f64>load<T>(x + offset + j * size) - mu) * inv;
        store<T>(dx + offset + j * size, <T>(k * (m * <f64>load<T>(dy + offset + j * size) - shareOfMean - xhat * shareOfVar)));
      }
    }
  }
}

@inline function sum<T extends number>(x: usize, count: i32): f64 {
  let total: f64 = 0;
  for (let j: usize = 0; j < <usize>count; j++) total += <f64>load<T>(x + j * sizeof<T>());
  return total;
}

@inline function squaredDeviations<T extends number>(x: usize, count: i32, mu: f64): f64 {
  let total: f64 = 0;
  for (let j: usize = 0; j < <usize>count; j++) {
    const d = <f64>load<T>(x + j * sizeof<T>()) - mu;
    total += d * d;
  }
  return total;
}

@inline function affine<T extends number>(x: usize, y: usize, count: i32, scale: T, shift: T): void {
  for (let j: usize = 0; j < <usize>count; j++) store<T>(y + j * sizeof<T>(), load<T>(x + j * sizeof<T>()) * scale + shift);
}
