// Performance metrics of a series of per-period simple returns, empyrical style: plain functions, one stated convention
// each. Definitions follow empyrical (quantopian/empyrical, empyrical/stats.py) unless a line says otherwise.
//
// Conventions shared by every function here:
// - Input: per-period SIMPLE returns as fractions (0.01 = +1 %), Float64Array or number[].
// - NaN marks a missing observation. It is dropped before computing: moments (mean, std, downside) use the
//   non-missing values only, and on the compounded curve a missing period is flat (factor 1). The one place a
//   missing period still counts is elapsed time in `annualReturn` (n = all periods), as in empyrical.
// - Results are plain numbers and can be NaN (undefined, e.g. too few observations) or +/-Infinity (e.g. a Sortino
//   ratio with no downside). The JSON layer (computeMetrics) turns every non-finite value into null.
// - `periodsPerYear` (ppy) is the annualisation factor: 252 for trading days, 365 for crypto, 52 weekly, 12 monthly.

export type Series = Float64Array | readonly number[];

/** The non-missing values of `x`, in order. */
export function dropMissing(x: Series): Float64Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) out[j++] = x[i];
  return out;
}

/** Arithmetic mean of the non-missing values; NaN when there are none. */
export function mean(x: Series): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) continue;
    s += x[i];
    n++;
  }
  return n === 0 ? Number.NaN : s / n;
}

/** Sample standard deviation (ddof = 1) of the non-missing values; NaN below 2 values; exactly 0 when all are equal. */
export function sampleStd(x: Series): number {
  const v = dropMissing(x);
  if (v.length < 2) return Number.NaN;
  let min = v[0];
  let max = v[0];
  for (const a of v) {
    if (a < min) min = a;
    if (a > max) max = a;
  }
  if (min === max) return 0;
  const m = mean(v);
  let ss = 0;
  for (const a of v) ss += (a - m) * (a - m);
  return Math.sqrt(ss / (v.length - 1));
}

/** Compounded total return ∏(1 + r) - 1 over the non-missing periods; NaN for an empty series. */
export function cumulativeReturn(r: Series): number {
  if (r.length === 0) return Number.NaN;
  let v = 1;
  for (let i = 0; i < r.length; i++) if (!Number.isNaN(r[i])) v *= 1 + r[i];
  return v - 1;
}

/** Total return as a sum of log returns Σ ln(1 + r) = ln(1 + cumulativeReturn); NaN for an empty series. */
export function cumulativeLogReturn(r: Series): number {
  if (r.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < r.length; i++) if (!Number.isNaN(r[i])) s += Math.log1p(r[i]);
  return s;
}

/** Equity curve: V_0 = start before the first return, V_i = V_{i-1}·(1 + r_i); a missing period is flat. Length n + 1. */
export function equityCurve(r: Series, start = 1): Float64Array {
  const out = new Float64Array(r.length + 1);
  out[0] = start;
  for (let i = 0; i < r.length; i++) out[i + 1] = out[i] * (Number.isNaN(r[i]) ? 1 : 1 + r[i]);
  return out;
}

/** Geometric annual return (CAGR): (1 + cumulativeReturn)^(ppy / n) - 1, with n = ALL periods (missing ones too). */
export function annualReturn(r: Series, periodsPerYear = 252): number {
  if (r.length === 0) return Number.NaN;
  return (1 + cumulativeReturn(r)) ** (periodsPerYear / r.length) - 1;
}

/** Annual volatility: sampleStd(r) (ddof = 1) · √ppy; NaN below 2 observations. */
export function annualVolatility(r: Series, periodsPerYear = 252): number {
  return sampleStd(r) * Math.sqrt(periodsPerYear);
}

/**
 * Sharpe ratio: mean(r - rf) / std(r - rf, ddof = 1) · √ppy, with rf the risk-free return PER PERIOD.
 * NaN below 2 observations or when the excess returns are constant (std = 0).
 */
export function sharpeRatio(r: Series, riskFreePerPeriod = 0, periodsPerYear = 252): number {
  const x = dropMissing(r).map((v) => v - riskFreePerPeriod);
  if (x.length < 2) return Number.NaN;
  const sd = sampleStd(x);
  if (sd === 0) return Number.NaN;
  return (mean(x) / sd) * Math.sqrt(periodsPerYear);
}

/**
 * Downside risk (annualised downside deviation): sqrt(mean(min(r - required, 0)²)) · √ppy, the mean taken over ALL
 * non-missing observations (periods above `required` count as 0). NaN for no observations.
 */
export function downsideRisk(r: Series, requiredReturn = 0, periodsPerYear = 252): number {
  const x = dropMissing(r);
  if (x.length === 0) return Number.NaN;
  let ss = 0;
  for (const v of x) {
    const d = Math.min(v - requiredReturn, 0);
    ss += d * d;
  }
  return Math.sqrt(ss / x.length) * Math.sqrt(periodsPerYear);
}

/**
 * Sortino ratio: mean(r - required) · ppy / downsideRisk(r, required, ppy). NaN below 2 observations;
 * +Infinity when there is no downside and the mean excess is positive (empyrical gives inf too).
 */
export function sortinoRatio(r: Series, requiredReturn = 0, periodsPerYear = 252): number {
  const x = dropMissing(r);
  if (x.length < 2) return Number.NaN;
  const mu = mean(x) - requiredReturn;
  return (mu * periodsPerYear) / downsideRisk(x, requiredReturn, periodsPerYear);
}

/** Drawdown at each point of equityCurve(r): 1 - V_i / max(V_0..V_i), a positive fraction. Length n + 1. */
export function drawdownSeries(r: Series): Float64Array {
  const v = equityCurve(r);
  const out = new Float64Array(v.length);
  let peak = v[0];
  for (let i = 0; i < v.length; i++) {
    if (v[i] > peak) peak = v[i];
    out[i] = 1 - v[i] / peak;
  }
  return out;
}

/**
 * Maximum drawdown as a POSITIVE fraction (0.1 = 10 % below the running peak) on the compounded curve that starts at 1
 * BEFORE the first return, so a loss on the first period counts. (empyrical returns it negative and starts its peak at
 * the first compounded value; the two agree whenever the first return is >= 0.) NaN when no observation.
 */
export function maxDrawdown(r: Series): number {
  if (dropMissing(r).length === 0) return Number.NaN;
  let m = 0;
  for (const d of drawdownSeries(r)) if (d > m) m = d;
  return m;
}

/** Calmar ratio: annualReturn / maxDrawdown; NaN when the drawdown is 0 (or undefined) or the result is not finite. */
export function calmarRatio(r: Series, periodsPerYear = 252): number {
  const mdd = maxDrawdown(r);
  if (!(mdd > 0)) return Number.NaN;
  const c = annualReturn(r, periodsPerYear) / mdd;
  return Number.isFinite(c) ? c : Number.NaN;
}

/**
 * Hit rate: among periods with a position (grossExposure_i > 0), the fraction whose position P&L was > 0.
 * For one instrument and a cost-free P&L (the log reward a·ln(P_t/P_{t-1})) this is exactly "the asset's return had
 * the sign of the position"; a period where the asset did not move counts as a miss. Periods where either input is
 * missing are dropped. NaN when no period holds a position. Arrays must be aligned (same length).
 */
export function hitRate(pnl: Series, grossExposure: Series): number {
  if (pnl.length !== grossExposure.length)
    throw new RangeError(`hitRate: pnl has ${pnl.length} periods, grossExposure ${grossExposure.length}`);
  let held = 0;
  let hits = 0;
  for (let i = 0; i < pnl.length; i++) {
    if (Number.isNaN(pnl[i]) || Number.isNaN(grossExposure[i]) || !(grossExposure[i] > 0)) continue;
    held++;
    if (pnl[i] > 0) hits++;
  }
  return held === 0 ? Number.NaN : hits / held;
}

/** Daily (per-period) win rate: #{r > 0} / #{r ≠ 0} over non-missing periods (flat periods are neither); NaN if none. */
export function periodWinRate(r: Series): number {
  let wins = 0;
  let decided = 0;
  for (let i = 0; i < r.length; i++) {
    const v = r[i];
    if (Number.isNaN(v) || v === 0) continue;
    decided++;
    if (v > 0) wins++;
  }
  return decided === 0 ? Number.NaN : wins / decided;
}

/** Profit factor: Σ max(x, 0) / Σ max(-x, 0) over non-missing values (gross gains / gross losses); +Infinity with no
 * losses, NaN when there are neither gains nor losses. */
export function profitFactor(x: Series): number {
  let gains = 0;
  let losses = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) continue;
    if (v > 0) gains += v;
    else losses -= v;
  }
  if (gains === 0 && losses === 0) return Number.NaN;
  return gains / losses;
}

export interface ExposureStats {
  /** Mean over periods of Σ_k |w_k| (1 = fully invested, 2 = 2x gross). */
  grossExposure: number;
  /** Mean over periods of Σ_k w_k (negative = net short). */
  netExposure: number;
  /** Fraction of periods with Σ_k |w_k| > 0. */
  timeInMarket: number;
}

/** Per-period gross exposure Σ_k |w_k[i]|; NaN where any ticker's weight is missing. weights[k][i], same lengths. */
export function grossExposureSeries(weights: readonly Series[]): Float64Array {
  const n = weights.length === 0 ? 0 : weights[0].length;
  const out = new Float64Array(n);
  for (const w of weights) {
    if (w.length !== n)
      throw new RangeError(`grossExposureSeries: weight columns differ in length (${w.length} vs ${n})`);
    for (let i = 0; i < n; i++) out[i] += Math.abs(w[i]);
  }
  return out;
}

/** Exposure from weights[k][i] (the weight of ticker k held over period i); periods with a missing weight are dropped;
 * NaN fields when no period remains. */
export function exposureStats(weights: readonly Series[]): ExposureStats {
  const gross = grossExposureSeries(weights);
  let n = 0;
  let g = 0;
  let net = 0;
  let invested = 0;
  for (let i = 0; i < gross.length; i++) {
    if (Number.isNaN(gross[i])) continue;
    let s = 0;
    for (const w of weights) s += w[i];
    n++;
    g += gross[i];
    net += s;
    if (gross[i] > 0) invested++;
  }
  if (n === 0) return { grossExposure: Number.NaN, netExposure: Number.NaN, timeInMarket: Number.NaN };
  return { grossExposure: g / n, netExposure: net / n, timeInMarket: invested / n };
}

/** Turnover: mean over non-missing periods of (traded notional / equity) of the period; NaN if none. */
export function meanTurnover(turnover: Series): number {
  return mean(turnover);
}
