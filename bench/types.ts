export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target from the issue, as text (e.g. ">= 2e7"). */
  target?: string;
  note?: string;
}

/** Best of `reps` timed runs after one warm-up run, in milliseconds. */
export function bestOfMs(fn: () => void, reps = 5): number {
  fn();
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
}
