// The price model of the synthetic market (docs/synthetic-market.md, "Prices"). Per ticker i and day t:
//   r[i,t] = beta_i * mu[s_t] + beta_i * m_t + gamma_i * f[sector(i),t] + e[i,t] + news[i,t]   (log return)
// with a two-state Markov regime s_t (bull/bear), GARCH(1,1) volatility on every component, Student-t idiosyncratic
// shocks, and the hidden news impacts added on top. Raw prices carry dividends and splits; adj_close removes them.
import type { Rng } from '../../util/rng.ts';
import type { Bars, IsoDate } from '../types.ts';

export const BULL = 0;
export const BEAR = 1;

/** Regime parameters: daily drift of the market factor, volatility multiplier, daily switching probability. */
export const REGIMES = {
  bull: { drift: 0.0007, volMult: 0.85, pLeave: 1 / 150 },
  bear: { drift: -0.0015, volMult: 1.5, pLeave: 1 / 50 },
} as const;

/** GARCH(1,1): sigma2[t] = omega + alpha * eps[t-1]^2 + beta * sigma2[t-1], omega = longRunVar * (1 - alpha - beta). */
export const GARCH = { alpha: 0.07, beta: 0.9 } as const;
export const MARKET_VOL = 0.009;
export const SECTOR_VOL = 0.006;
/** Student-t degrees of freedom of idiosyncratic shocks. */
export const IDIO_DOF = 5;
/** Share of the day's non-news variance that arrives overnight (open gap). */
export const OVERNIGHT_SHARE = 0.25;

/** Regime of each day: starts in bull, then a Markov chain. */
export function simulateRegimes(rng: Rng, days: number): Uint8Array {
  const s = new Uint8Array(days);
  let state = BULL;
  for (let t = 0; t < days; t++) {
    if (t > 0) {
      const p = state === BULL ? REGIMES.bull.pLeave : REGIMES.bear.pLeave;
      if (rng.next() < p) state = state === BULL ? BEAR : BULL;
    }
    s[t] = state;
  }
  return s;
}

/** A GARCH(1,1) path of unit-free shocks scaled to `longRunVol`; `shock()` draws the standardised innovation. */
function garchPath(days: number, longRunVol: number, shock: () => number): { eps: Float64Array; sigma: Float64Array } {
  const omega = longRunVol ** 2 * (1 - GARCH.alpha - GARCH.beta);
  const eps = new Float64Array(days);
  const sigma = new Float64Array(days);
  let var_ = longRunVol ** 2;
  for (let t = 0; t < days; t++) {
    if (t > 0) var_ = omega + GARCH.alpha * eps[t - 1] ** 2 + GARCH.beta * var_;
    sigma[t] = Math.sqrt(var_);
    eps[t] = sigma[t] * shock();
  }
  return { eps, sigma };
}

export interface TickerModel {
  beta: number;
  sectorLoading: number;
  idioVol: number;
  startPrice: number;
  baseVolume: number;
}

export function drawTickerModel(rng: Rng): TickerModel {
  return {
    beta: 0.7 + 0.7 * rng.next(),
    sectorLoading: 0.6 + 0.4 * rng.next(),
    idioVol: 0.008 + 0.006 * rng.next(),
    startPrice: Math.round(2000 + 23000 * rng.next()) / 100,
    baseVolume: Math.round(1e6 * (0.5 + 20 * rng.next() ** 2)),
  };
}

/**
 * Non-news log returns of every ticker and each day's model volatility. `sectorOf[i]` indexes the sector factors.
 * Regime multipliers: the market factor's volatility is scaled by volMult, sector and idiosyncratic ones by sqrt(volMult).
 */
export function simulateNoiseReturns(
  rng: Rng,
  regimes: Uint8Array,
  models: readonly TickerModel[],
  sectorOf: readonly number[],
  sectorCount: number,
): { noise: Float64Array[]; vol: Float64Array[] } {
  const days = regimes.length;
  const mult = (t: number) => (regimes[t] === BULL ? REGIMES.bull.volMult : REGIMES.bear.volMult);
  const drift = (t: number) => (regimes[t] === BULL ? REGIMES.bull.drift : REGIMES.bear.drift);
  const market = garchPath(days, MARKET_VOL, () => rng.studentT(IDIO_DOF));
  const sectors = Array.from({ length: sectorCount }, () => garchPath(days, SECTOR_VOL, () => rng.normal()));
  const noise: Float64Array[] = [];
  const vol: Float64Array[] = [];
  for (let i = 0; i < models.length; i++) {
    const m = models[i];
    const idio = garchPath(days, m.idioVol, () => rng.studentT(IDIO_DOF));
    const sec = sectors[sectorOf[i]];
    const r = new Float64Array(days);
    const v = new Float64Array(days);
    for (let t = 0; t < days; t++) {
      const k = mult(t);
      const sk = Math.sqrt(k);
      r[t] = m.beta * (drift(t) + k * market.eps[t]) + m.sectorLoading * sk * sec.eps[t] + sk * idio.eps[t];
      v[t] = Math.sqrt(
        (m.beta * k * market.sigma[t]) ** 2 + (m.sectorLoading * sk * sec.sigma[t]) ** 2 + k * idio.sigma[t] ** 2,
      );
    }
    noise.push(r);
    vol.push(v);
  }
  return { noise, vol };
}

export interface Dividend {
  /** Day index the dividend is declared on (its amount is set from that day's close). */
  declaredIdx: number;
  exIdx: number;
  /** Quarterly yield used to size the amount. */
  yieldQ: number;
}

export interface Split {
  exIdx: number;
  ratio: number;
}

/** A corporate action as recorded in dataset.json provenance (public information). */
export interface CorporateAction {
  ticker: string;
  type: 'dividend' | 'split';
  exDate: IsoDate;
  /** Cash per share (dividends). */
  amount?: number;
  /** New shares per old share (splits). */
  ratio?: number;
}

const round = (x: number): number => (x >= 1 ? Math.round(x * 100) / 100 : Math.round(x * 10000) / 10000);

/**
 * Daily bars of one ticker. Close-to-close log return of the total-return price = noise + news; the open carries
 * OVERNIGHT_SHARE of the noise variance plus the news that arrived outside the session. On an ex-dividend day the
 * reference price is the previous close minus the dividend; on a split day it is divided by the ratio.
 * adj_close follows the Yahoo/CRSP convention: close times the product of (1 - D / previous close) and (1 / ratio)
 * over every later action, so it equals close on the last day.
 */
export function buildBars(
  rng: Rng,
  ticker: string,
  dates: readonly IsoDate[],
  model: TickerModel,
  noise: Float64Array,
  vol: Float64Array,
  news: { gap: Float64Array; intraday: Float64Array; newsDay: Uint8Array },
  dividends: readonly Dividend[],
  split: Split | undefined,
): { bars: Bars; actions: CorporateAction[]; dividendAmounts: number[] } {
  const D = dates.length;
  const open = new Float64Array(D);
  const high = new Float64Array(D);
  const low = new Float64Array(D);
  const close = new Float64Array(D);
  const adjClose = new Float64Array(D);
  const volume = new Float64Array(D);
  const amounts: number[] = dividends.map(() => Number.NaN);
  const exFactor = new Float64Array(D).fill(1);
  let ref = model.startPrice;
  let shareMult = 1;
  for (let t = 0; t < D; t++) {
    if (split && split.exIdx === t) {
      ref /= split.ratio;
      shareMult *= split.ratio;
      exFactor[t] /= split.ratio;
    }
    dividends.forEach((d, k) => {
      if (d.exIdx !== t || t === 0) return;
      const cash = amounts[k];
      exFactor[t] *= 1 - cash / close[t - 1];
      ref -= cash;
    });
    const s = vol[t];
    const on = OVERNIGHT_SHARE * noise[t] + Math.sqrt(OVERNIGHT_SHARE * (1 - OVERNIGHT_SHARE)) * s * rng.normal();
    const o = ref * Math.exp(on + news.gap[t]);
    const c = ref * Math.exp(noise[t] + news.gap[t] + news.intraday[t]);
    const sIn = s * Math.sqrt(1 - OVERNIGHT_SHARE);
    const h = Math.max(o, c) * Math.exp(0.5 * sIn * Math.abs(rng.normal()));
    const l = Math.min(o, c) * Math.exp(-0.5 * sIn * Math.abs(rng.normal()));
    open[t] = round(o);
    close[t] = round(c);
    high[t] = Math.max(round(h), open[t], close[t]);
    low[t] = Math.min(round(l), open[t], close[t]);
    const r = noise[t] + news.gap[t] + news.intraday[t];
    const z = 0.35 * rng.normal() + 0.5 * Math.min(Math.abs(r) / s, 4) + 0.4 * news.newsDay[t];
    volume[t] = Math.round(model.baseVolume * shareMult * Math.exp(z));
    dividends.forEach((d, k) => {
      if (d.declaredIdx === t) amounts[k] = Math.max(0.01, Math.round(d.yieldQ * close[t] * 100) / 100);
    });
    ref = close[t];
  }
  let factor = 1;
  for (let t = D - 1; t >= 0; t--) {
    adjClose[t] = Math.round(close[t] * factor * 1e4) / 1e4;
    factor *= exFactor[t];
  }
  const actions: CorporateAction[] = [];
  dividends.forEach((d, k) => {
    if (d.exIdx < D && d.exIdx > 0)
      actions.push({ ticker, type: 'dividend', exDate: dates[d.exIdx], amount: amounts[k] });
  });
  if (split) actions.push({ ticker, type: 'split', exDate: dates[split.exIdx], ratio: split.ratio });
  return {
    bars: { ticker, dates: [...dates], open, high, low, close, adjClose, volume },
    actions,
    dividendAmounts: amounts,
  };
}
