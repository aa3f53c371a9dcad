// Probabilities from a network's scores, for the bars the page draws.

/** Softmax of each row of `classes` scores (what a model's predict gives): probabilities that sum to 1. */
export function softmaxRows(scores: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(scores.length);
  for (let row = 0; row < scores.length; row += classes) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores[row + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      out[row + c] = Math.exp((scores[row + c] as number) - max);
      sum += out[row + c] as number;
    }
    for (let c = 0; c < classes; c++) (out[row + c] as number) /= sum;
  }
  return out;
}
