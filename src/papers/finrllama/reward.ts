// The FinRLlama / FinRL Contest 2024 task-2 reward (`task2_env.py`), per ticker, from a score s and the forward return
// d over the lookahead. Two modes:
// - `fixed` (default, the paper's stated intent: "short positions are rewarded when negative returns align with the
//   sentiment"): the short branch mirrors the long one.
// - `as-coded`: the public code's constants and its short-branch sign bug, verbatim.
// Constants (task2_env.py): strong return 0.02, high confidence 6, rewards 2 / 1 / 0.5 / 0.1, passive -0.001.
//
// Long (s >= T):               d > 0.02 -> +2 if s > 6 else +1;  d < 0 -> -2 / -1;  otherwise +0.5 / +0.1.
// Short (s <= -T), fixed:      d < -0.02 -> +2 if s < -6 else +1; d > 0 -> -2 / -1;  otherwise +0.5 / +0.1.
// Short (s <= -T), as-coded:   `if d < -strong_negative_return` (= d < +0.02) -> -2 if s > 6 else -1;
//                              `elif d > 0` -> +2 / +1; else -0.5 / -0.1. As s <= -T never exceeds 6, that is -1 when
//                              d < 2 % and +1 when d >= 2 %: a short is rewarded when the price RISES.
// Neither (|s| < T):           -0.001 (both modes).
// - `signed-return` (ours, the quick pipeline's default): r = w · d · 100 − λ · w², w = s / S the score as a position
//   size in [-1, 1], d in percent, λ = `positionPenalty` (default 0). With λ = 0 its expectation is linear in w (any
//   position on the sign of E[d] is optimal); with λ > 0 it is a mean-variance utility whose optimum is
//   w* = 50 · E[d] / λ (clipped to [-1, 1]): scores proportional to the expected move, 0 where nothing is expected.
//   The contest reward's asymmetry (+0.1 for a small gain, -1 for any loss) instead makes a position on any noisy
//   signal lose in expectation.
// d = (close[t + L] - close[t]) / close[t], t = the decision day (its close is the last price the prompt can know),
// L = lookahead trading days of that ticker's bars (default 3 as the config and the paper; the code's env used 14).
// Step reward: the SUM over the tickers scored that date, as the code.
import type { Bars, IsoDate } from '../../data/types.ts';

export type RewardMode = 'fixed' | 'as-coded' | 'signed-return';

/** Lookaheads: the config's and paper's 3 (default), and the 14 the public training script passes to its env. */
export const LOOKAHEAD = { paper: 3, asCodedEnv: 14 } as const;

export const REWARD_CONSTANTS = {
  strongPositiveReturn: 0.02,
  strongNegativeReturn: -0.02,
  greatPositiveReward: 2,
  positiveReward: 1,
  weakPositiveReward: 0.5,
  highestNegativeReward: -2,
  negativeReward: -1,
  weakNegativeReward: -0.5,
  highConfidence: 6,
  passiveReward: -0.001,
  moderateReward: 0.1,
  moderateNegativeReward: -0.1,
} as const;

export interface RewardOptions {
  mode?: RewardMode;
  /** T: long when s >= T, short when s <= -T (default 3). */
  threshold?: number;
  /** S, the score scale of `signed-return` (default 10). */
  signalStrength?: number;
  /** λ of `signed-return`: the reward loses λ·(s/S)² (default 0). */
  positionPenalty?: number;
}

/** Reward of one ticker's score given its forward return d (d must be finite). */
export function tickerReward(score: number, d: number, o: RewardOptions = {}): number {
  const c = REWARD_CONSTANTS;
  const T = o.threshold ?? 3;
  if (!Number.isFinite(d)) throw new RangeError(`forward return must be finite, got ${d}`);
  if (o.mode === 'signed-return') {
    const w = score / (o.signalStrength ?? 10);
    return w * d * 100 - (o.positionPenalty ?? 0) * w * w;
  }
  if (score >= T) {
    const sure = score > c.highConfidence;
    if (d > c.strongPositiveReturn) return sure ? c.greatPositiveReward : c.positiveReward;
    if (d < 0) return sure ? c.highestNegativeReward : c.negativeReward;
    return sure ? c.weakPositiveReward : c.moderateReward;
  }
  if (score <= -T) {
    if ((o.mode ?? 'fixed') === 'as-coded') {
      const sure = score > c.highConfidence; // as coded: never true for a short
      if (d < -c.strongNegativeReturn) return sure ? c.highestNegativeReward : c.negativeReward;
      if (d > 0) return sure ? c.greatPositiveReward : c.positiveReward;
      return sure ? c.weakNegativeReward : c.moderateNegativeReward;
    }
    const sure = score < -c.highConfidence;
    if (d < c.strongNegativeReturn) return sure ? c.greatPositiveReward : c.positiveReward;
    if (d > 0) return sure ? c.highestNegativeReward : c.negativeReward;
    return sure ? c.weakPositiveReward : c.moderateReward;
  }
  return c.passiveReward;
}

export interface StepReward {
  /** Sum of the per-ticker rewards over tickers with a finite forward return. */
  reward: number;
  perTicker: Record<string, number>;
  /** Tickers left out because their forward return is unknown (end of data or missing price); counted, not hidden. */
  missing: string[];
}

/** The env's step reward: the sum over tickers of tickerReward(scores[t], forwardReturns[t]). */
export function stepReward(
  scores: Record<string, number>,
  forwardReturns: Record<string, number>,
  o: RewardOptions = {},
): StepReward {
  const perTicker: Record<string, number> = {};
  const missing: string[] = [];
  let reward = 0;
  for (const t of Object.keys(scores).sort()) {
    const d = forwardReturns[t];
    if (d === undefined || !Number.isFinite(d)) {
      missing.push(t);
      continue;
    }
    perTicker[t] = tickerReward(scores[t], d, o);
    reward += perTicker[t];
  }
  return { reward, perTicker, missing };
}

/**
 * Forward return of `bars` from the close of `date` over `lookahead` of its trading days:
 * close[t + L] / close[t] - 1 on `prices` (adjusted close by default when the bars have it, else close).
 * NaN when `date` is not a bar date, t + L is past the end, or a price is missing. This reads the future: it is for
 * rewards and evaluation only, never for a prompt.
 */
export function forwardReturn(
  bars: Bars,
  date: IsoDate,
  lookahead: number,
  basis: 'adjusted' | 'raw' = 'adjusted',
): number {
  if (!Number.isInteger(lookahead) || lookahead < 1) throw new RangeError(`lookahead must be a positive integer`);
  const t = bars.dates.indexOf(date);
  if (t < 0 || t + lookahead >= bars.dates.length) return Number.NaN;
  const p = basis === 'adjusted' && !Number.isNaN(bars.adjClose[t]) ? bars.adjClose : bars.close;
  return p[t + lookahead] / p[t] - 1;
}

/**
 * Forward returns of every ticker from the close of `date` (forwardReturn), and each one's excess over their
 * equal-weight mean (the part a long/short book keeps; NaN where the ticker's own return is NaN). The mean is over the
 * tickers with a finite return; all NaN when none has one.
 */
export function forwardReturns(
  bars: ReadonlyMap<string, Bars>,
  date: IsoDate,
  lookahead: number,
): { raw: Map<string, number>; excess: Map<string, number> } {
  const raw = new Map([...bars].map(([t, b]) => [t, forwardReturn(b, date, lookahead)]));
  const finite = [...raw.values()].filter(Number.isFinite);
  const mean = finite.length ? finite.reduce((a, x) => a + x, 0) / finite.length : Number.NaN;
  return { raw, excess: new Map([...raw].map(([t, d]) => [t, d - mean])) };
}
