// Technical indicators on daily bars, with TA-Lib conventions by default (docs/features.md).
//
// Every function takes Float64Array columns and returns arrays of the SAME length as its input, NaN during warm-up:
// the first valid index is TA-Lib's lookback for that indicator (`lookback` lists them). Inputs must be finite
// (no NaN): running sums and recursive averages would otherwise carry a NaN forward, so a NaN is refused with a
// RangeError naming the index. Periods must be positive integers.
//
// Where @ixjb94/indicators (a port of Tulip Indicators) already follows TA-Lib, we wrap it (WMA, Williams %R,
// MFI, OBV, ROC, VWMA) and fix what differs in the wrapper; the rest are plain typed-array loops, either because
// Tulip's convention differs (EMA seed, MACD, ATR, ADX, CCI warm-up) or because the loop is on the hot path.
import { IndicatorsSync } from '@ixjb94/indicators';

export type Series = Float64Array;
type Input = ArrayLike<number>;

const lib = new IndicatorsSync();

/** How an exponential average starts. */
export type EmaSeed =
  /** TA-Lib: the first value is the SMA of the first n inputs, at index n-1. */
  | 'sma'
  /** Tulip / pandas `ewm(adjust=False)`: the first value is the first input, at index 0. */
  | 'first';

/** How MACD-style oscillators (MACD, PVO) seed their averages. */
export type MacdSeed =
  /** TA-Lib: both EMAs SMA-seeded at index slow-1 (the fast one over the last `fast` inputs), signal SMA-seeded. */
  | 'talib'
  /** Each EMA SMA-seeded over its own first n inputs (technicalindicators); signal SMA-seeded. */
  | 'sma'
  /** Both EMAs seeded with the first input (Tulip, pandas adjust=False); signal seeded with the line at slow-1. */
  | 'first';

function checkPeriod(name: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name}: period ${n} must be an integer >= ${min}`);
}

function checkInputs(name: string, ...cols: [string, Input][]): number {
  const len = cols[0][1].length;
  for (const [label, x] of cols) {
    if (x.length !== len) throw new RangeError(`${name}: ${label} has ${x.length} values, expected ${len}`);
    for (let i = 0; i < len; i++) {
      const v = x[i];
      if (v - v !== 0) throw new RangeError(`${name}: ${label}[${i}] is ${v}; inputs must be finite`);
    }
  }
  return len;
}

/** A new array of `len` values, NaN over [0, warm). */
function output(len: number, warm: number): Series {
  const out = new Float64Array(len);
  out.fill(Number.NaN, 0, Math.min(Math.max(warm, 0), len));
  return out;
}

/** Copy a compact, tail-aligned library result into a full-length array (NaN before `first`). */
function padded(len: number, first: number, compact: ArrayLike<number>): Series {
  const out = output(len, first);
  for (let k = 0; k < compact.length && first + k < len; k++) out[first + k] = compact[k];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Moving averages

/** Simple moving average: mean of the last n values. Lookback n-1. */
export function sma(x: Input, n: number): Series {
  checkPeriod('sma', n);
  const len = checkInputs('sma', ['x', x]);
  const out = output(len, n - 1);
  if (len < n) return out;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  out[n - 1] = sum / n;
  for (let i = n; i < len; i++) {
    sum += x[i] - x[i - n];
    out[i] = sum / n;
  }
  return out;
}

/** EMA of x[start..] into out (no input checks): k = 2/(n+1); seeded per `seed`; returns the first valid index. */
function emaFrom(x: Input, n: number, start: number, seed: EmaSeed, out: Series): number {
  const len = x.length;
  const k = 2 / (n + 1);
  const first = seed === 'sma' ? start + n - 1 : start;
  if (first >= len) return len;
  let prev: number;
  if (seed === 'sma') {
    let sum = 0;
    for (let i = start; i <= first; i++) sum += x[i];
    prev = sum / n;
  } else prev = x[start];
  out[first] = prev;
  for (let i = first + 1; i < len; i++) {
    prev = (x[i] - prev) * k + prev;
    out[i] = prev;
  }
  return first;
}

/**
 * Exponential moving average, k = 2/(n+1). Default seed 'sma' (TA-Lib): EMA[n-1] = SMA of the first n values,
 * lookback n-1. Seed 'first' (Tulip, pandas adjust=False): EMA[0] = x[0], lookback 0.
 */
export function ema(x: Input, n: number, opts: { seed?: EmaSeed } = {}): Series {
  checkPeriod('ema', n);
  const len = checkInputs('ema', ['x', x]);
  const seed = opts.seed ?? 'sma';
  const out = output(len, seed === 'sma' ? n - 1 : 0);
  emaFrom(x, n, 0, seed, out);
  return out;
}

/** Weighted moving average, linear weights 1..n (newest heaviest) / (n(n+1)/2). Lookback n-1. Wraps the library. */
export function wma(x: Input, n: number): Series {
  checkPeriod('wma', n);
  const len = checkInputs('wma', ['x', x]);
  if (len < n) return output(len, len);
  return padded(len, n - 1, lib.wma(x as number[], n));
}

/** Volume-weighted moving average: sum(price*volume)/sum(volume) over n (price = close). Lookback n-1. Library. */
export function vwma(price: Input, volume: Input, n: number): Series {
  checkPeriod('vwma', n);
  const len = checkInputs('vwma', ['price', price], ['volume', volume]);
  if (len < n) return output(len, len);
  return padded(len, n - 1, lib.vwma(price as number[], volume as number[], n));
}

// ---------------------------------------------------------------------------------------------------------------
// Oscillators

export interface Macd {
  macd: Series;
  signal: Series;
  hist: Series;
}

function macdCore(name: string, x: Input, fast: number, slow: number, signal: number, seed: MacdSeed, pct: boolean) {
  checkPeriod(name, fast);
  checkPeriod(name, slow);
  checkPeriod(name, signal);
  if (fast >= slow) throw new RangeError(`${name}: fast period ${fast} must be below slow period ${slow}`);
  const len = x.length;
  const fastEma = new Float64Array(len);
  const slowEma = new Float64Array(len);
  const lineStart = slow - 1;
  if (seed === 'talib') {
    // TA-Lib INT_MACD: both EMAs start at slow-1; the fast one is seeded with the SMA of the `fast` inputs ending there.
    emaFrom(x, fast, slow - fast, 'sma', fastEma);
    emaFrom(x, slow, 0, 'sma', slowEma);
  } else {
    emaFrom(x, fast, 0, seed === 'first' ? 'first' : 'sma', fastEma);
    emaFrom(x, slow, 0, seed === 'first' ? 'first' : 'sma', slowEma);
  }
  const line = new Float64Array(len);
  line.fill(Number.NaN, 0, Math.min(lineStart, len));
  for (let i = lineStart; i < len; i++)
    line[i] = pct ? ((fastEma[i] - slowEma[i]) / slowEma[i]) * 100 : fastEma[i] - slowEma[i];
  const sigSeed: EmaSeed = seed === 'first' ? 'first' : 'sma';
  const sigStart = sigSeed === 'sma' ? lineStart + signal - 1 : lineStart;
  const sig = output(len, sigStart);
  emaFrom(line, signal, lineStart, sigSeed, sig);
  const hist = output(len, sigStart);
  for (let i = sigStart; i < len; i++) hist[i] = line[i] - sig[i];
  // TA-Lib reports the line only from where the signal exists.
  if (seed === 'talib') line.fill(Number.NaN, 0, Math.min(sigStart, len));
  return { macd: line, signal: sig, hist };
}

/**
 * MACD: line = EMA_fast - EMA_slow, signal = EMA_signal(line), hist = line - signal (k = 2/(n+1)).
 * Default seed 'talib': all three from index slow+signal-2 (33 for 12/26/9), fast EMA seeded late (see MacdSeed).
 */
export function macd(x: Input, fast = 12, slow = 26, signal = 9, opts: { seed?: MacdSeed } = {}): Macd {
  checkInputs('macd', ['x', x]);
  return macdCore('macd', x, fast, slow, signal, opts.seed ?? 'talib', false);
}

/**
 * Percentage Volume Oscillator: pvo = 100*(EMA_fast(vol) - EMA_slow(vol))/EMA_slow(vol), signal = EMA_signal(pvo),
 * hist = pvo - signal. Seeds and warm-up exactly as MACD (default 'talib': first value at slow+signal-2).
 */
export function pvo(volume: Input, fast = 12, slow = 26, signal = 9, opts: { seed?: MacdSeed } = {}) {
  checkInputs('pvo', ['volume', volume]);
  const r = macdCore('pvo', volume, fast, slow, signal, opts.seed ?? 'talib', true);
  return { pvo: r.macd, signal: r.signal, hist: r.hist };
}

/**
 * Relative Strength Index, Wilder smoothing (TA-Lib): average gain/loss seeded with the mean of the first n changes,
 * then avg = (avg*(n-1) + x)/n; RSI = 100*gain/(gain+loss), 0 when both are 0. Lookback n.
 */
export function rsi(x: Input, n = 14): Series {
  checkPeriod('rsi', n);
  const len = checkInputs('rsi', ['x', x]);
  const out = output(len, n);
  if (len <= n) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= n; i++) {
    const d = x[i] - x[i - 1];
    if (d < 0) loss -= d;
    else gain += d;
  }
  gain /= n;
  loss /= n;
  let s = gain + loss;
  out[n] = s === 0 ? 0 : (100 * gain) / s;
  const m = n - 1;
  for (let i = n + 1; i < len; i++) {
    const d = x[i] - x[i - 1];
    gain *= m;
    loss *= m;
    if (d < 0) loss -= d;
    else gain += d;
    gain /= n;
    loss /= n;
    s = gain + loss;
    out[i] = s === 0 ? 0 : (100 * gain) / s;
  }
  return out;
}

/** Rate of change in percent: 100*(x_t/x_{t-n} - 1) (TA-Lib ROC; the library returns a fraction). Lookback n. */
export function roc(x: Input, n = 10): Series {
  checkPeriod('roc', n);
  const len = checkInputs('roc', ['x', x]);
  if (len <= n) return output(len, len);
  const out = padded(len, n, lib.roc(x as number[], n));
  for (let i = n; i < len; i++) out[i] = x[i - n] === 0 ? 0 : out[i] * 100;
  return out;
}

/** Commodity Channel Index: (TP - SMA_n(TP)) / (0.015 * mean |TP - SMA|), TP = (h+l+c)/3; 0 when either is 0. Lookback n-1. */
export function cci(high: Input, low: Input, close: Input, n = 14): Series {
  checkPeriod('cci', n);
  const len = checkInputs('cci', ['high', high], ['low', low], ['close', close]);
  const out = output(len, n - 1);
  const tp = new Float64Array(len);
  for (let i = 0; i < len; i++) tp[i] = (high[i] + low[i] + close[i]) / 3;
  let sum = 0;
  for (let i = 0; i < len; i++) {
    sum += tp[i];
    if (i >= n) sum -= tp[i - n];
    if (i < n - 1) continue;
    const avg = sum / n;
    let md = 0;
    for (let j = i - n + 1; j <= i; j++) md += Math.abs(tp[j] - avg);
    md /= n;
    const dev = tp[i] - avg;
    out[i] = md !== 0 && dev !== 0 ? dev / (0.015 * md) : 0;
  }
  return out;
}

/** Williams %R: -100*(HH_n - close)/(HH_n - LL_n), 0 when HH = LL (TA-Lib). Lookback n-1. Wraps the library. */
export function willr(high: Input, low: Input, close: Input, n = 14): Series {
  checkPeriod('willr', n);
  const len = checkInputs('willr', ['high', high], ['low', low], ['close', close]);
  if (len < n) return output(len, len);
  return padded(len, n - 1, lib.willr(high as number[], low as number[], close as number[], n));
}

/**
 * Money Flow Index: TP = (h+l+c)/3, flow = TP*volume counted positive when TP rises, negative when it falls (equal:
 * neither); MFI = 100*pos/(pos+neg) over the last n flows; 0 when both sums are 0 (the library gives NaN there;
 * TA-Lib gives 0 when pos+neg < 1). Lookback n. Wraps the library.
 */
export function mfi(high: Input, low: Input, close: Input, volume: Input, n = 14): Series {
  checkPeriod('mfi', n);
  const len = checkInputs('mfi', ['high', high], ['low', low], ['close', close], ['volume', volume]);
  if (len <= n) return output(len, len);
  const out = padded(len, n, lib.mfi(high as number[], low as number[], close as number[], volume as number[], n));
  for (let i = n; i < len; i++) if (Number.isNaN(out[i])) out[i] = 0;
  return out;
}

/**
 * On-balance volume (TA-Lib): OBV[0] = volume[0]; then +volume on an up close, -volume on a down close, unchanged on
 * an equal close. Lookback 0. Wraps the library, which starts at 0 instead of volume[0] (we add volume[0]).
 */
export function obv(close: Input, volume: Input): Series {
  const len = checkInputs('obv', ['close', close], ['volume', volume]);
  if (len === 0) return new Float64Array(0);
  const out = Float64Array.from(lib.obv(close as number[], volume as number[]));
  for (let i = 0; i < len; i++) out[i] += volume[0];
  return out;
}

/**
 * KDJ (stockstats formula, full windows): RSV = 100*(close - LL_n)/(HH_n - LL_n) (0 when HH = LL);
 * K = (1-1/m1)*K_prev + RSV/m1 and D = (1-1/m2)*D_prev + K/m2, both starting from 50 the bar before the first RSV;
 * J = 3K - 2D. Lookback n-1 (stockstats starts at bar 0 with partial windows; values converge after ~20 bars).
 */
export function kdj(high: Input, low: Input, close: Input, n = 9, m1 = 3, m2 = 3) {
  checkPeriod('kdj', n);
  checkPeriod('kdj', m1);
  checkPeriod('kdj', m2);
  const len = checkInputs('kdj', ['high', high], ['low', low], ['close', close]);
  const hh = rollingMax(high, n);
  const ll = rollingMin(low, n);
  const k = output(len, n - 1);
  const d = output(len, n - 1);
  const j = output(len, n - 1);
  let kPrev = 50;
  let dPrev = 50;
  for (let i = n - 1; i < len; i++) {
    const range = hh[i] - ll[i];
    const rsv = range === 0 ? 0 : (100 * (close[i] - ll[i])) / range;
    kPrev = (1 - 1 / m1) * kPrev + rsv / m1;
    dPrev = (1 - 1 / m2) * dPrev + kPrev / m2;
    k[i] = kPrev;
    d[i] = dPrev;
    j[i] = 3 * kPrev - 2 * dPrev;
  }
  return { k, d, j };
}

// ---------------------------------------------------------------------------------------------------------------
// Volatility

export interface Bands {
  upper: Series;
  middle: Series;
  lower: Series;
}

/** Rolling mean and population-or-sample std over n (running sums; lookback n-1). */
function rollingMeanStd(x: Input, n: number, ddof: number): { mean: Series; std: Series } {
  const len = x.length;
  const mean = output(len, n - 1);
  const std = output(len, n - 1);
  if (len < n) return { mean, std };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i];
  let m = sum / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) m2 += (x[i] - m) * (x[i] - m);
  const denom = n - ddof;
  mean[n - 1] = m;
  std[n - 1] = denom > 0 ? Math.sqrt(m2 / denom) : Number.NaN;
  for (let i = n; i < len; i++) {
    const xo = x[i - n];
    const xn = x[i];
    sum += xn - xo;
    const mNew = sum / n;
    // Sliding-window Welford update of the sum of squared deviations.
    m2 += (xn - xo) * (xn - mNew + xo - m);
    if (m2 < 0) m2 = 0;
    m = mNew;
    mean[i] = m;
    std[i] = denom > 0 ? Math.sqrt(m2 / denom) : Number.NaN;
  }
  return { mean, std };
}

/** Rolling standard deviation over n; ddof 0 (population, TA-Lib STDDEV) by default. Lookback n-1. */
export function stddev(x: Input, n: number, opts: { ddof?: 0 | 1 } = {}): Series {
  checkPeriod('stddev', n);
  checkInputs('stddev', ['x', x]);
  return rollingMeanStd(x, n, opts.ddof ?? 0).std;
}

/** Bollinger bands (TA-Lib, SMA middle): middle = SMA_n, upper/lower = middle +/- k * population std_n. Lookback n-1. */
export function bbands(x: Input, n = 20, k = 2): Bands {
  checkPeriod('bbands', n);
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`bbands: width ${k} must be a finite number >= 0`);
  const len = checkInputs('bbands', ['x', x]);
  const { mean, std } = rollingMeanStd(x, n, 0);
  const upper = output(len, n - 1);
  const lower = output(len, n - 1);
  for (let i = n - 1; i < len; i++) {
    upper[i] = mean[i] + k * std[i];
    lower[i] = mean[i] - k * std[i];
  }
  return { upper, middle: mean, lower };
}

/**
 * Rolling z-score: (x - SMA_n) / std_n, population std (ddof 0, consistent with Bollinger: z = +/-k on the bands)
 * by default; 0 when std is 0. stockstats uses ddof 1. Lookback n-1.
 */
export function zscore(x: Input, n = 20, opts: { ddof?: 0 | 1 } = {}): Series {
  checkPeriod('zscore', n);
  const len = checkInputs('zscore', ['x', x]);
  const { mean, std } = rollingMeanStd(x, n, opts.ddof ?? 0);
  const out = output(len, n - 1);
  for (let i = n - 1; i < len; i++) out[i] = std[i] === 0 ? 0 : (x[i] - mean[i]) / std[i];
  return out;
}

/** True range: max(h - l, |h - c_prev|, |l - c_prev|) from index 1 (TA-Lib TRANGE, lookback 1); NaN at 0. */
export function trueRange(high: Input, low: Input, close: Input): Series {
  const len = checkInputs('trueRange', ['high', high], ['low', low], ['close', close]);
  const out = output(len, 1);
  for (let i = 1; i < len; i++) out[i] = trueRangeAt(high, low, close, i);
  return out;
}

function trueRangeAt(high: Input, low: Input, close: Input, i: number): number {
  const h = high[i];
  const l = low[i];
  const c = close[i - 1];
  let v = h - l;
  const a = Math.abs(h - c);
  const b = Math.abs(l - c);
  if (a > v) v = a;
  if (b > v) v = b;
  return v;
}

/**
 * Average true range, Wilder smoothing. Seed 'talib' (default): ATR[n] = mean(TR[1..n]), lookback n.
 * Seed 'tulip' (also bukosabino/ta): ATR[n-1] = mean(TR[0..n-1]) with TR[0] = high[0]-low[0], lookback n-1.
 * Then ATR = (ATR_prev*(n-1) + TR)/n.
 */
export function atr(high: Input, low: Input, close: Input, n = 14, opts: { seed?: 'talib' | 'tulip' } = {}): Series {
  checkPeriod('atr', n);
  const len = checkInputs('atr', ['high', high], ['low', low], ['close', close]);
  const tulip = opts.seed === 'tulip';
  const first = tulip ? n - 1 : n;
  const out = output(len, first);
  if (len <= first) return out;
  let sum = tulip ? high[0] - low[0] : 0;
  for (let i = 1; i <= first; i++) sum += trueRangeAt(high, low, close, i);
  let prev = sum / n;
  out[first] = prev;
  const m = n - 1;
  for (let i = first + 1; i < len; i++) {
    prev = (prev * m + trueRangeAt(high, low, close, i)) / n;
    out[i] = prev;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Directional movement

export interface Dmi {
  plusDi: Series;
  minusDi: Series;
  dx: Series;
  adx: Series;
}

/**
 * Wilder's directional movement, as TA-Lib computes it. +DM = up-move when it is positive and larger than the
 * down-move (ties: neither); -DM likewise. TR, +DM, -DM are Wilder sums: seeded with the plain sum over bars
 * 1..n-1, then S = S - S/n + x from bar n. +DI/-DI = 100*DM/TR (0 when TR = 0), DX = 100*|+DI - -DI|/(+DI + -DI)
 * (0 when undefined): lookback n. ADX = mean(DX[n..2n-1]) at 2n-1, then (ADX*(n-1) + DX)/n (kept when DX is
 * undefined): lookback 2n-1.
 */
export function dmi(high: Input, low: Input, close: Input, n = 14): Dmi {
  checkPeriod('dmi', n, 2);
  const len = checkInputs('dmi', ['high', high], ['low', low], ['close', close]);
  const plusDi = output(len, n);
  const minusDi = output(len, n);
  const dx = output(len, n);
  const adx = output(len, 2 * n - 1);
  let pdm = 0;
  let mdm = 0;
  let tr = 0;
  let sumDx = 0;
  let prevAdx = 0;
  for (let i = 1; i < len; i++) {
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    let p = 0;
    let m = 0;
    if (down > 0 && up < down) m = down;
    else if (up > 0 && up > down) p = up;
    const t = trueRangeAt(high, low, close, i);
    if (i < n) {
      pdm += p;
      mdm += m;
      tr += t;
      continue;
    }
    pdm = pdm - pdm / n + p;
    mdm = mdm - mdm / n + m;
    tr = tr - tr / n + t;
    let pdi = 0;
    let mdi = 0;
    let dxv = Number.NaN; // undefined DX: TA-Lib skips it in ADX
    if (tr !== 0) {
      pdi = (100 * pdm) / tr;
      mdi = (100 * mdm) / tr;
      const s = pdi + mdi;
      if (s !== 0) dxv = (100 * Math.abs(pdi - mdi)) / s;
    }
    plusDi[i] = pdi;
    minusDi[i] = mdi;
    dx[i] = Number.isNaN(dxv) ? 0 : dxv;
    if (i < 2 * n - 1) {
      if (!Number.isNaN(dxv)) sumDx += dxv;
    } else if (i === 2 * n - 1) {
      if (!Number.isNaN(dxv)) sumDx += dxv;
      prevAdx = sumDx / n;
      adx[i] = prevAdx;
    } else {
      if (!Number.isNaN(dxv)) prevAdx = (prevAdx * (n - 1) + dxv) / n;
      adx[i] = prevAdx;
    }
  }
  return { plusDi, minusDi, dx, adx };
}

/** Average Directional Index (TA-Lib, Wilder); see `dmi`. Lookback 2n-1 (27 for n = 14). */
export function adx(high: Input, low: Input, close: Input, n = 14): Series {
  return dmi(high, low, close, n).adx;
}

/** ADX rating (TA-Lib): (ADX_t + ADX_{t-(n-1)})/2. Lookback 3n-2 (40 for n = 14). */
export function adxr(high: Input, low: Input, close: Input, n = 14): Series {
  const a = dmi(high, low, close, n).adx;
  const len = a.length;
  const first = 3 * n - 2;
  const out = output(len, first);
  for (let i = first; i < len; i++) out[i] = (a[i] + a[i - (n - 1)]) / 2;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Rolling extremes and Ichimoku

function rollingExtreme(x: Input, n: number, max: boolean): Series {
  const len = x.length;
  const out = output(len, n - 1);
  const dq = new Int32Array(len); // indices, values monotone from head to tail
  let head = 0;
  let tail = 0;
  for (let i = 0; i < len; i++) {
    const v = x[i];
    while (tail > head && (max ? x[dq[tail - 1]] <= v : x[dq[tail - 1]] >= v)) tail--;
    dq[tail++] = i;
    if (dq[head] <= i - n) head++;
    if (i >= n - 1) out[i] = x[dq[head]];
  }
  return out;
}

/** Highest value of the last n (including today). Lookback n-1. */
export function rollingMax(x: Input, n: number): Series {
  checkPeriod('rollingMax', n);
  checkInputs('rollingMax', ['x', x]);
  return rollingExtreme(x, n, true);
}

/** Lowest value of the last n (including today). Lookback n-1. */
export function rollingMin(x: Input, n: number): Series {
  checkPeriod('rollingMin', n);
  checkInputs('rollingMin', ['x', x]);
  return rollingExtreme(x, n, false);
}

export interface Ichimoku {
  conversion: Series;
  base: Series;
  spanA: Series;
  spanB: Series;
}

/**
 * Ichimoku: conversion = (HH_c + LL_c)/2, base = (HH_b + LL_b)/2, spanA = (conversion + base)/2,
 * spanB = (HH_s + LL_s)/2 (defaults 9/26/52). Displacement d (default 0): spanA/spanB at t are the values computed
 * at t-d, i.e. the cloud a chart draws under bar t. d = 0 is the unshifted value (technicalindicators). Never shifted
 * backwards, so nothing after t is used; the lagging (chikou) span needs future closes and is not provided.
 * Lookbacks: c-1, b-1, max(c,b)-1+d, s-1+d.
 */
export function ichimoku(
  high: Input,
  low: Input,
  opts: { conversion?: number; base?: number; spanB?: number; displacement?: number } = {},
): Ichimoku {
  const c = opts.conversion ?? 9;
  const b = opts.base ?? 26;
  const s = opts.spanB ?? 52;
  const d = opts.displacement ?? 0;
  checkPeriod('ichimoku', c);
  checkPeriod('ichimoku', b);
  checkPeriod('ichimoku', s);
  if (!Number.isInteger(d) || d < 0) throw new RangeError(`ichimoku: displacement ${d} must be an integer >= 0`);
  const len = checkInputs('ichimoku', ['high', high], ['low', low]);
  const mid = (n: number) => {
    const hh = rollingExtreme(high, n, true);
    const ll = rollingExtreme(low, n, false);
    for (let i = 0; i < len; i++) hh[i] = (hh[i] + ll[i]) / 2;
    return hh;
  };
  const conversion = mid(c);
  const base = mid(b);
  const spanB0 = mid(s);
  const spanA = output(len, len);
  const spanB = output(len, len);
  for (let i = d; i < len; i++) {
    spanA[i] = (conversion[i - d] + base[i - d]) / 2;
    spanB[i] = spanB0[i - d];
  }
  return { conversion, base, spanA, spanB };
}

/** First valid index of each indicator for the given parameters (TA-Lib lookback; default seeds). */
export const lookback = {
  sma: (n: number) => n - 1,
  ema: (n: number) => n - 1,
  wma: (n: number) => n - 1,
  vwma: (n: number) => n - 1,
  macd: (slow: number, signal: number) => slow + signal - 2,
  pvo: (slow: number, signal: number) => slow + signal - 2,
  rsi: (n: number) => n,
  roc: (n: number) => n,
  cci: (n: number) => n - 1,
  willr: (n: number) => n - 1,
  mfi: (n: number) => n,
  obv: () => 0,
  kdj: (n: number) => n - 1,
  bbands: (n: number) => n - 1,
  stddev: (n: number) => n - 1,
  zscore: (n: number) => n - 1,
  atr: (n: number) => n,
  dx: (n: number) => n,
  adx: (n: number) => 2 * n - 1,
  adxr: (n: number) => 3 * n - 2,
  ichimokuSpanB: (s: number, d: number) => s - 1 + d,
};
