// Which class a network picks for each row of its scores.

/** The index of the largest of each row of `classes` scores. */
export function argmax(scores: Float32Array | Float64Array, classes: number): Uint8Array {
  const out = new Uint8Array(scores.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((scores[i * classes + c] as number) > (scores[i * classes + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}
