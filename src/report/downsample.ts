// Downsampling of chart series, so that long runs keep the report small. Metrics and tables always use full data.

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): the indices of at most `threshold` points of (xs, ys) that keep
 * the visual shape of the line. The first and last points are always kept; each of the `threshold - 2` buckets in
 * between contributes the point forming the largest triangle with the previously kept point and the mean of the next
 * bucket. Returns all indices when the series is not longer than `threshold`. NaN values are kept only where a bucket
 * has nothing else (they draw as gaps).
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = ys.length;
  if (threshold < 3 || n <= threshold) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let b = 0; b < threshold - 2; b++) {
    // Mean of the next bucket (the last point when this is the final bucket).
    const nextStart = Math.floor((b + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((b + 2) * every) + 1, n);
    let meanX = 0;
    let meanY = 0;
    let count = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      if (Number.isNaN(ys[j])) continue;
      meanX += xs[j];
      meanY += ys[j];
      count++;
    }
    if (count === 0) {
      meanX = xs[n - 1];
      meanY = Number.isNaN(ys[n - 1]) ? 0 : ys[n - 1];
    } else {
      meanX /= count;
      meanY /= count;
    }
    const start = Math.floor(b * every) + 1;
    const end = Math.floor((b + 1) * every) + 1;
    const ax = xs[a];
    const ay = Number.isNaN(ys[a]) ? meanY : ys[a];
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - meanX) * (ys[j] - ay) - (ax - xs[j]) * (meanY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(best);
    a = best;
  }
  out.push(n - 1);
  return out;
}
