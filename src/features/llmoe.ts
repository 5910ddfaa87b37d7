// LLMoE numeric features (Liu & Lo 2025, arXiv 2501.09636), using the 11 daily features of Feng et al. 2019
// (Adv-ALSTM) and Yoo et al. 2021 (DTML) that LLMoE cites; the exact set is inferred (see docs/features.md).
// Each day t gets 11 features from rows <= t only; a 5-day window (t-4..t) gives the 55-vector the experts read.

/** Feature names in vector order. */
export const LLMOE_FEATURES = [
  'z_open',
  'z_high',
  'z_low',
  'z_close',
  'z_adj_close',
  'z_d5',
  'z_d10',
  'z_d15',
  'z_d20',
  'z_d25',
  'z_d30',
] as const;
export type LlmoeFeature = (typeof LLMOE_FEATURES)[number];

/** Window length in days and vector size. */
export const LLMOE_WINDOW = 5;
export const LLMOE_VECTOR_SIZE = LLMOE_WINDOW * LLMOE_FEATURES.length;

export interface LlmoeInput {
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  /** Split/dividend-adjusted close; pass `close` when the source has none. */
  adjClose: ArrayLike<number>;
}

/** Index of the first day with all 11 features (z_d30 needs 30 adjusted closes). */
export const LLMOE_FIRST_DAY = 29;
/** Index of the first day with a full 55-vector (days t-4..t all valid). */
export const LLMOE_FIRST_WINDOW = LLMOE_FIRST_DAY + LLMOE_WINDOW - 1;

/**
 * The 11 daily features, one Float64Array per feature (NaN where undefined), computed from rows <= t:
 * - z_open/z_high/z_low = open_t/close_t - 1, high_t/close_t - 1, low_t/close_t - 1 (same-day raw prices);
 * - z_close = close_t/close_{t-1} - 1 (raw close), z_adj_close = adj_t/adj_{t-1} - 1 (NaN at t = 0);
 * - z_dk = mean(adj_{t-k+1..t})/adj_t - 1 for k in 5,10,...,30 (NaN for t < k-1).
 */
export function llmoeDailyFeatures(b: LlmoeInput): Record<LlmoeFeature, Float64Array> {
  const n = b.close.length;
  for (const k of ['open', 'high', 'low', 'adjClose'] as const)
    if (b[k].length !== n) throw new RangeError(`llmoe: ${k} has ${b[k].length} values, close has ${n}`);
  const f = Object.fromEntries(LLMOE_FEATURES.map((name) => [name, new Float64Array(n).fill(Number.NaN)])) as Record<
    LlmoeFeature,
    Float64Array
  >;
  for (let t = 0; t < n; t++) {
    const c = b.close[t];
    f.z_open[t] = b.open[t] / c - 1;
    f.z_high[t] = b.high[t] / c - 1;
    f.z_low[t] = b.low[t] / c - 1;
    if (t > 0) {
      f.z_close[t] = c / b.close[t - 1] - 1;
      f.z_adj_close[t] = b.adjClose[t] / b.adjClose[t - 1] - 1;
    }
  }
  const windows = [5, 10, 15, 20, 25, 30] as const;
  for (const k of windows) {
    const col = f[`z_d${k}` as LlmoeFeature];
    let sum = 0;
    for (let t = 0; t < n; t++) {
      sum += b.adjClose[t];
      if (t >= k) sum -= b.adjClose[t - k];
      if (t >= k - 1) col[t] = sum / k / b.adjClose[t] - 1;
    }
  }
  return f;
}

/**
 * The 55-vector for day t: features of days t-4, t-3, ..., t (oldest first), 11 per day in LLMOE_FEATURES order,
 * i.e. index = 11*(day offset from t-4) + feature index. Uses rows <= t only. Null when t < 4 or any value is NaN.
 */
export function llmoeWindow(daily: Record<LlmoeFeature, Float64Array>, t: number): Float64Array | null {
  if (t < LLMOE_WINDOW - 1) return null;
  const v = new Float64Array(LLMOE_VECTOR_SIZE);
  let k = 0;
  for (let d = t - LLMOE_WINDOW + 1; d <= t; d++)
    for (const name of LLMOE_FEATURES) {
      const x = daily[name][d];
      if (Number.isNaN(x)) return null;
      v[k++] = x;
    }
  return v;
}

/** Column names of the 55-vector as written by `rlmf features --set llmoe-window`: `<feature>_lag<k>`, k = 4..0. */
export function llmoeWindowColumns(): string[] {
  const cols: string[] = [];
  for (let lag = LLMOE_WINDOW - 1; lag >= 0; lag--) for (const name of LLMOE_FEATURES) cols.push(`${name}_lag${lag}`);
  return cols;
}

/** All 55-vectors as columns (NaN where the window is incomplete), aligned with llmoeWindowColumns(). */
export function llmoeWindowMatrix(daily: Record<LlmoeFeature, Float64Array>): Float64Array[] {
  const n = daily.z_open.length;
  const cols: Float64Array[] = [];
  for (let lag = LLMOE_WINDOW - 1; lag >= 0; lag--)
    for (const name of LLMOE_FEATURES) {
      const src = daily[name];
      const col = new Float64Array(n).fill(Number.NaN);
      for (let t = lag; t < n; t++) col[t] = src[t - lag];
      cols.push(col);
    }
  // A row is only valid when its whole window is.
  for (let t = 0; t < n; t++) {
    let ok = t >= LLMOE_WINDOW - 1;
    for (let j = 0; ok && j < cols.length; j++) if (Number.isNaN(cols[j][t])) ok = false;
    if (!ok) for (const c of cols) c[t] = Number.NaN;
  }
  return cols;
}
