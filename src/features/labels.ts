// Training/evaluation labels. FORWARD-LOOKING by construction: the value at day t uses prices after t, so these
// arrays are targets for training and scoring only and must never be shown to an agent deciding at t.
// (The 'trailing' Trading-R1 variant uses past prices for the signal, but its class cut-offs are quantiles over the
// whole series, which is look-ahead too; see docs/features.md.)

/** The five Trading-R1 classes, from most bearish to most bullish (class index -2..2). */
export const TRADING_R1_CLASSES = ['STRONG_SELL', 'SELL', 'HOLD', 'BUY', 'STRONG_BUY'] as const;
export type TradingR1Class = (typeof TRADING_R1_CLASSES)[number];

export type LabelDirection = 'forward' | 'trailing';

export interface TradingR1Options {
  /**
   * 'forward' (default, the paper's text "forward returns"): R_tau = (EMA_{t+tau} - EMA_t)/EMA_t, i.e. pandas
   * `(ema.shift(-tau) - ema)/ema`. 'trailing' (Algorithm S1 as printed, `EMA.shift(tau)`):
   * R_tau = (EMA_t - EMA_{t-tau})/EMA_{t-tau}.
   */
  direction?: LabelDirection;
  horizons?: readonly number[];
  weights?: readonly number[];
  /** Quantile levels of the four cut-offs, ascending. */
  quantiles?: readonly number[];
  emaSpan?: number;
  /** pandas `ewm(adjust=...)`; the paper's `P.ewm(span=3).mean()` uses pandas' default, true. */
  emaAdjust?: boolean;
  volWindow?: number;
  /**
   * Fixed cut-offs (ascending) instead of quantiles of this series, e.g. cut-offs computed on a training window
   * and then applied to a later one.
   */
  thresholds?: readonly [number, number, number, number];
}

export interface TradingR1Labels {
  direction: LabelDirection;
  /** Composite signal W_t = sum_tau w_tau * R_tau / V_tau (NaN where any horizon is undefined). */
  signal: Float64Array;
  /** The four cut-offs used (ascending): W >= th[3] STRONG_BUY, >= th[2] BUY, >= th[1] HOLD, >= th[0] SELL, else STRONG_SELL. */
  thresholds: [number, number, number, number];
  /** Class per day, null where the signal is NaN. */
  labels: (TradingR1Class | null)[];
  /** Class index -2 (STRONG_SELL) .. 2 (STRONG_BUY), NaN where the signal is NaN. */
  classIndex: Float64Array;
}

function checkPrices(name: string, p: ArrayLike<number>): void {
  for (let i = 0; i < p.length; i++)
    if (!(Number.isFinite(p[i]) && p[i] > 0))
      throw new RangeError(`${name}: price[${i}] is ${p[i]}; prices must be finite and > 0`);
}

/** pandas `Series.ewm(span, adjust).mean()` on a series without NaN: alpha = 2/(span+1), valid from index 0. */
export function pandasEwmMean(x: ArrayLike<number>, span: number, adjust = true): Float64Array {
  if (!(span >= 1)) throw new RangeError(`ewm: span ${span} must be >= 1`);
  const a = 2 / (span + 1);
  const out = new Float64Array(x.length);
  let num = 0;
  let den = 0;
  let prev = 0;
  for (let i = 0; i < x.length; i++) {
    if (adjust) {
      // y_t = sum_i (1-a)^i x_{t-i} / sum_i (1-a)^i
      num = x[i] + (1 - a) * num;
      den = 1 + (1 - a) * den;
      out[i] = num / den;
    } else {
      prev = i === 0 ? x[0] : (1 - a) * prev + a * x[i];
      out[i] = prev;
    }
  }
  return out;
}

/** pandas `Series.rolling(w).std()` (ddof 1, NaN unless all w values of the window are present). */
export function rollingSampleStd(x: ArrayLike<number>, w: number): Float64Array {
  if (!Number.isInteger(w) || w < 2) throw new RangeError(`rolling std: window ${w} must be an integer >= 2`);
  const out = new Float64Array(x.length).fill(Number.NaN);
  for (let t = w - 1; t < x.length; t++) {
    let sum = 0;
    let ok = true;
    for (let j = t - w + 1; j <= t; j++) {
      if (Number.isNaN(x[j])) {
        ok = false;
        break;
      }
      sum += x[j];
    }
    if (!ok) continue;
    const m = sum / w;
    let ss = 0;
    for (let j = t - w + 1; j <= t; j++) ss += (x[j] - m) * (x[j] - m);
    out[t] = Math.sqrt(ss / (w - 1));
  }
  return out;
}

/** pandas `Series.quantile(q)` (linear interpolation between closest ranks) of the non-NaN values; NaN if none. */
export function quantileLinear(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/**
 * Trading-R1 labels (paper Algorithm S1 / Appendix S2): EMA = P.ewm(span=3).mean() (pandas, adjust=True);
 * for tau in 3, 7, 15: R_tau per `direction`, V_tau = R_tau.rolling(20).std() (ddof 1), S_tau = R_tau/V_tau;
 * W = 0.3 S_3 + 0.5 S_7 + 0.2 S_15; cut-offs = quantiles 3/15/53/85 % of the valid W of THIS series (one ticker),
 * so the class mix is about 3/12/38/32/15 % by construction. A zero-volatility window gives +/-Infinity in pandas;
 * here S is NaN there (only flat price stretches are affected).
 */
export function tradingR1Labels(price: ArrayLike<number>, opts: TradingR1Options = {}): TradingR1Labels {
  const direction = opts.direction ?? 'forward';
  const horizons = opts.horizons ?? [3, 7, 15];
  const weights = opts.weights ?? [0.3, 0.5, 0.2];
  const qs = opts.quantiles ?? [0.03, 0.15, 0.53, 0.85];
  const volWindow = opts.volWindow ?? 20;
  if (horizons.length !== weights.length)
    throw new RangeError(`tradingR1Labels: ${horizons.length} horizons but ${weights.length} weights`);
  if (qs.length !== 4) throw new RangeError('tradingR1Labels: need exactly 4 quantile levels');
  for (const h of horizons)
    if (!Number.isInteger(h) || h < 1) throw new RangeError(`tradingR1Labels: horizon ${h} must be an integer >= 1`);
  checkPrices('tradingR1Labels', price);
  const n = price.length;
  const e = pandasEwmMean(price, opts.emaSpan ?? 3, opts.emaAdjust ?? true);
  const signal = new Float64Array(n);
  horizons.forEach((tau, k) => {
    const r = new Float64Array(n).fill(Number.NaN);
    if (direction === 'forward') for (let t = 0; t + tau < n; t++) r[t] = (e[t + tau] - e[t]) / e[t];
    else for (let t = tau; t < n; t++) r[t] = (e[t] - e[t - tau]) / e[t - tau];
    const v = rollingSampleStd(r, volWindow);
    for (let t = 0; t < n; t++) {
      const s = r[t] / v[t];
      signal[t] += weights[k] * (Number.isFinite(s) ? s : Number.NaN);
    }
  });
  const th = opts.thresholds
    ? ([...opts.thresholds] as [number, number, number, number])
    : (qs.map((q) => quantileLinear(signal, q)) as [number, number, number, number]);
  const labels: (TradingR1Class | null)[] = new Array(n).fill(null);
  const classIndex = new Float64Array(n).fill(Number.NaN);
  for (let t = 0; t < n; t++) {
    const x = signal[t];
    if (Number.isNaN(x)) continue;
    const c = x >= th[3] ? 4 : x >= th[2] ? 3 : x >= th[1] ? 2 : x >= th[0] ? 1 : 0;
    labels[t] = TRADING_R1_CLASSES[c];
    classIndex[t] = c - 2;
  }
  return { direction, signal, thresholds: th, labels, classIndex };
}

/** k-day forward simple return close_{t+k}/close_t - 1; NaN for the last k days. Evaluation only. */
export function forwardReturns(close: ArrayLike<number>, k: number): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`forwardReturns: horizon ${k} must be an integer >= 1`);
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let t = 0; t + k < close.length; t++) out[t] = close[t + k] / close[t] - 1;
  return out;
}

/** k-day forward log return ln(close_{t+k}/close_t); NaN for the last k days. Evaluation only. */
export function forwardLogReturns(close: ArrayLike<number>, k: number): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`forwardLogReturns: horizon ${k} must be an integer >= 1`);
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let t = 0; t + k < close.length; t++) out[t] = Math.log(close[t + k] / close[t]);
  return out;
}
