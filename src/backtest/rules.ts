// The execution rules of the four papers: how a model's output becomes target weights.
import type { TargetWeights } from '../strategies/types.ts';

/** FLAG-TRADER / INVESTOR-BENCH: a daily position in {-1, 0, +1} on one asset (sell = short, hold = flat). */
export function positionRule(ticker: string, action: -1 | 0 | 1): TargetWeights {
  return { [ticker]: action };
}

/** LLMoE "all-in / all-out": all capital in when the model predicts a rise, all out when it predicts a fall. */
export function allInAllOut(ticker: string, predictsRise: boolean): TargetWeights {
  return { [ticker]: predictsRise ? 1 : 0 };
}

export const FIVE_LEVELS = ['STRONG_SELL', 'SELL', 'HOLD', 'BUY', 'STRONG_BUY'] as const;
export type FiveLevel = (typeof FIVE_LEVELS)[number];

/** Trading-R1's 5-level decision -> weight. The paper does not give the weights; this default is symmetric. */
export const DEFAULT_FIVE_LEVEL_WEIGHTS: Record<FiveLevel, number> = {
  STRONG_SELL: -1,
  SELL: -0.5,
  HOLD: 0,
  BUY: 0.5,
  STRONG_BUY: 1,
};

export function fiveLevelRule(
  decisions: Record<string, FiveLevel>,
  weights: Record<FiveLevel, number> = DEFAULT_FIVE_LEVEL_WEIGHTS,
): TargetWeights {
  const tickers = Object.keys(decisions);
  const out: TargetWeights = {};
  for (const t of tickers) out[t] = weights[decisions[t]] / tickers.length;
  return out;
}

export interface TopKOptions {
  /** Longs: the k highest scores above `threshold`; shorts: the k lowest below `-threshold`. FinRL Contest 2024: 3. */
  k: number;
  /** Each day's picks are held this many days, then closed. FinRL Contest 2024: 3. */
  holdDays: number;
  /** Scores must be strictly above threshold (long) / below -threshold (short). */
  threshold: number;
}

/**
 * FinRL Contest 2024 (Task 2): every day opens a cohort of up to k longs and k shorts, held `holdDays` days. Capital
 * is split equally across the `holdDays` live cohorts and, within a cohort, equally across its positions
 * ("$1M split equally across days and stocks"). Returns target weights per day (index aligned with `scores`),
 * where scores[i] maps ticker -> score decided at the close of day i (NaN or missing = no score).
 */
export function topKCohortTargets(scores: Record<string, number>[], tickers: readonly string[], o: TopKOptions) {
  const cohorts: TargetWeights[] = scores.map((s) => {
    const valid = tickers.filter((t) => Number.isFinite(s[t]));
    // ties broken by ticker name so that the choice is deterministic
    const byScore = [...valid].sort((a, b) => s[b] - s[a] || (a < b ? -1 : 1));
    const longs = byScore.filter((t) => s[t] > o.threshold).slice(0, o.k);
    const shorts = byScore
      .filter((t) => s[t] < -o.threshold)
      .reverse()
      .slice(0, o.k);
    const n = longs.length + shorts.length;
    const w: TargetWeights = {};
    for (const t of longs) w[t] = 1 / (n * o.holdDays);
    for (const t of shorts) w[t] = -1 / (n * o.holdDays);
    return w;
  });
  return scores.map((_, i) => {
    const w: TargetWeights = Object.fromEntries(tickers.map((t) => [t, 0]));
    for (let j = Math.max(0, i - o.holdDays + 1); j <= i; j++)
      for (const [t, x] of Object.entries(cohorts[j])) w[t] += x;
    return w;
  });
}
