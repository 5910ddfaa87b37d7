// Evaluation of per-(date, ticker) scores on a held-out period, through the core backtester and metrics:
// (a) the FinRL Contest 2024 strategy: each day open a cohort of the k = 3 highest scores > T (long) and the k lowest
//     < -T (short), held 3 days, equal weights across live cohorts and their positions, $1M (topKCohortTargets +
//     runBacktest; metrics preset `finrl-contest`, which includes the standard set), beside equal-weight buy-and-hold
//     of the same tickers; both with their cumulative return curves (equity / capital - 1 at each close of `dates`);
// (b) the per-ticker long/short view (the paper's figures 3-4): per ticker alone, +1 when score >= T, -1 when <= -T,
//     0 otherwise, each signal held `holdDays` days (weight = sum of the live signals / holdDays), with its cumulative
//     return curve and the ticker's buy-and-hold return beside it;
// (c) signal quality: Spearman rank IC between score and the forward return over `lookahead` trading days from the
//     decision close (forwardReturn). `pooled`: one Spearman over all scored (date, ticker) pairs; `daily_mean`: the
//     mean over dates with >= minCrossSection scored tickers of that date's cross-sectional Spearman; per ticker: the
//     Spearman over that ticker's scored dates. Ties get average ranks; fewer than 3 pairs or a constant side -> null;
// (d) parse-failure rate = failed / scored.
// Timing: decisions at each close; fills by default at the next open (DEFAULT_BACKTEST), no costs unless given; an
// order for a ticker without a bar at its fill time stays unfilled until the next decision (counted).
import { type BacktestOptions, DEFAULT_BACKTEST, runBacktest } from '../../backtest/engine.ts';
import { topKCohortTargets } from '../../backtest/rules.ts';
import { type PriceBasisChoice, pricePanel } from '../../backtest/run.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { finiteOrNull, type Metrics, metricsForRun } from '../../metrics/presets.ts';
import { scoreScale } from './prompt.ts';
import { forwardReturn } from './reward.ts';

/** What evaluation needs of a score record (ScoreRecord has more). */
export interface ScoredSignal {
  date: IsoDate;
  ticker: string;
  score: number;
  failed?: boolean;
}

export interface EvaluateOptions {
  /** Held-out decision dates [from, to] (inclusive). */
  from: IsoDate;
  to: IsoDate;
  tickers?: readonly string[];
  signalStrength?: number;
  /** Forward-return horizon of the IC, in trading days (default 3). */
  lookahead?: number;
  /** Contest: picks per side (default 3). */
  k?: number;
  /** Contest and per-ticker view: days each signal is held (default 3). */
  holdDays?: number;
  basis?: PriceBasisChoice;
  backtest?: Partial<BacktestOptions>;
  /** Daily cross-sectional IC: dates with fewer scored tickers are skipped (default 3). */
  minCrossSection?: number;
}

export interface IcSummary {
  pooled: number | null;
  pooled_n: number;
  daily_mean: number | null;
  daily_n: number;
  per_ticker: Record<string, { ic: number | null; n: number }>;
}

export interface TickerView {
  cumulative_return: number | null;
  sharpe_ratio: number | null;
  win_rate: number | null;
  n_long: number;
  n_short: number;
  buy_and_hold_return: number | null;
  /** Cumulative return at each close of `dates` (equity / capital - 1). */
  curve: number[];
}

export interface VariantEvaluation {
  /** The contest strategy's numbers, flat for `eval --json`. */
  ic: number | null;
  sharpe_ratio: number | null;
  cumulative_return: number | null;
  win_rate: number | null;
  parse_failure_rate: number | null;
  n_scored: number;
  n_parse_failures: number;
  /** Contest orders left unfilled for want of a price at their fill time (gaps in the bars; missingPrice 'hold'). */
  unfilled_orders: number;
  ic_detail: IcSummary;
  /** Contest strategy: every metric of the finrl-contest preset (standard keys first). */
  contest: Metrics;
  /** Equal-weight buy-and-hold of the same tickers over the same dates, same execution. */
  buy_and_hold: Metrics;
  per_ticker: Record<string, TickerView>;
  dates: IsoDate[];
  /** Contest strategy: cumulative return at each close of `dates` (equity / capital - 1). */
  contest_curve: number[];
  /** Buy-and-hold: cumulative return at each close of `dates` (equity / capital - 1). */
  buy_and_hold_curve: number[];
}

/** Average ranks (1-based) with ties sharing the mean of their positions. */
export function averageRanks(x: readonly number[]): number[] {
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const r = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && x[order[j + 1]] === x[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman rank correlation (Pearson on average ranks); NaN with fewer than 3 pairs or a constant side. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} vs ${y.length} values`);
  const constant = (v: readonly number[]) => v.every((a) => a === v[0]);
  if (x.length < 3 || constant(x) || constant(y)) return Number.NaN;
  return pearson(averageRanks(x), averageRanks(y));
}

/** Rank IC of scores against forward returns (see the module header for the three definitions). */
export function rankIc(
  ds: Dataset,
  signals: readonly ScoredSignal[],
  lookahead: number,
  basis: PriceBasisChoice = 'adjusted',
  minCrossSection = 3,
): IcSummary {
  const pairs: { date: IsoDate; ticker: string; s: number; r: number }[] = [];
  for (const x of signals) {
    const b = ds.bars.get(x.ticker);
    if (!b) continue;
    const r = forwardReturn(b, x.date, lookahead, basis);
    if (Number.isFinite(r) && Number.isFinite(x.score)) pairs.push({ date: x.date, ticker: x.ticker, s: x.score, r });
  }
  const group = (key: (p: (typeof pairs)[number]) => string) => {
    const m = new Map<string, typeof pairs>();
    for (const p of pairs) {
      const k = key(p);
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(p);
    }
    return m;
  };
  const ic = (ps: typeof pairs) =>
    spearman(
      ps.map((p) => p.s),
      ps.map((p) => p.r),
    );
  const daily: number[] = [];
  for (const [, ps] of [...group((p) => p.date)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ps.length < minCrossSection) continue;
    const v = ic(ps);
    if (Number.isFinite(v)) daily.push(v);
  }
  const per_ticker: IcSummary['per_ticker'] = {};
  for (const [t, ps] of [...group((p) => p.ticker)].sort(([a], [b]) => (a < b ? -1 : 1)))
    per_ticker[t] = { ic: finiteOrNull(ic(ps)), n: ps.length };
  return {
    pooled: finiteOrNull(ic(pairs)),
    pooled_n: pairs.length,
    daily_mean: daily.length ? daily.reduce((a, b) => a + b, 0) / daily.length : null,
    daily_n: daily.length,
    per_ticker,
  };
}

/** Weight of each day for a per-ticker signal series held `holdDays` days: Σ live signals / holdDays. */
export function heldSignalWeights(signals: readonly number[], holdDays: number): Float64Array {
  const w = new Float64Array(signals.length);
  for (let i = 0; i < signals.length; i++)
    for (let j = Math.max(0, i - holdDays + 1); j <= i; j++) w[i] += signals[j] / holdDays;
  return w;
}

export function evaluateScores(ds: Dataset, signals: readonly ScoredSignal[], o: EvaluateOptions): VariantEvaluation {
  const { threshold: T } = scoreScale(o.signalStrength ?? 10);
  const k = o.k ?? 3;
  const holdDays = o.holdDays ?? 3;
  const basis = o.basis ?? 'adjusted';
  // a gap in a ticker's bars (INVESTOR-BENCH's NFLX) leaves an order unfilled until the next decision, counted
  const opts: BacktestOptions = { ...DEFAULT_BACKTEST, missingPrice: 'hold', ...o.backtest };
  const panel = pricePanel(ds, { from: o.from, to: o.to, tickers: o.tickers ? [...o.tickers] : undefined }, basis);
  const inWindow = signals.filter((x) => x.date >= o.from && x.date <= o.to && panel.tickers.includes(x.ticker));
  const col = new Map(panel.dates.map((d, i) => [d, i]));
  const byDay: Record<string, number>[] = panel.dates.map(() => ({}));
  for (const x of inWindow) {
    const i = col.get(x.date);
    if (i !== undefined) byDay[i][x.ticker] = x.score;
  }

  const curve = (equity: Float64Array) => Array.from(equity, (e) => e / opts.initialCapital - 1);

  // (a) contest strategy and buy-and-hold
  const weights = topKCohortTargets(byDay, panel.tickers, { k, holdDays, threshold: T });
  const targets = panel.tickers.map((t) => Float64Array.from(weights, (w) => w[t]));
  const contestRun = runBacktest('finrllama-contest', panel, targets, opts);
  const contest = metricsForRun(contestRun, { preset: 'finrl-contest' });
  const bh = panel.tickers.map(() => new Float64Array(panel.dates.length).fill(1 / panel.tickers.length));
  const buyAndHoldRun = runBacktest('buy-and-hold', panel, bh, opts);
  const buyAndHold = metricsForRun(buyAndHoldRun, { preset: 'finrl-contest' });

  // (b) per-ticker long/short view
  const per_ticker: Record<string, TickerView> = {};
  panel.tickers.forEach((t, kk) => {
    const sig = byDay.map((s) => (s[t] === undefined ? 0 : s[t] >= T ? 1 : s[t] <= -T ? -1 : 0));
    const one = { tickers: [t], dates: panel.dates, close: [panel.close[kk]], open: panel.open && [panel.open[kk]] };
    const run = runBacktest(`finrllama-${t}`, one, [heldSignalWeights(sig, holdDays)], opts);
    const m = metricsForRun(run);
    const c = panel.close[kk];
    const first = c.findIndex(Number.isFinite);
    const last = c.findLastIndex(Number.isFinite);
    per_ticker[t] = {
      cumulative_return: m.cumulative_return,
      sharpe_ratio: m.sharpe_ratio,
      win_rate: m.win_rate,
      n_long: sig.filter((s) => s > 0).length,
      n_short: sig.filter((s) => s < 0).length,
      buy_and_hold_return: first >= 0 && last > first ? finiteOrNull(c[last] / c[first] - 1) : null,
      curve: curve(run.equity),
    };
  });

  // (c) IC, (d) parse failures
  const ic_detail = rankIc(ds, inWindow, o.lookahead ?? 3, basis, o.minCrossSection ?? 3);
  const failures = inWindow.filter((x) => x.failed).length;
  return {
    ic: ic_detail.pooled,
    sharpe_ratio: contest.sharpe_ratio,
    cumulative_return: contest.cumulative_return,
    win_rate: contest.finrl_contest_win_rate,
    parse_failure_rate: inWindow.length ? failures / inWindow.length : null,
    n_scored: inWindow.length,
    unfilled_orders: contestRun.unfilled?.length ?? 0,
    n_parse_failures: failures,
    ic_detail,
    contest,
    buy_and_hold: buyAndHold,
    per_ticker,
    dates: panel.dates,
    contest_curve: curve(contestRun.equity),
    buy_and_hold_curve: curve(buyAndHoldRun.equity),
  };
}
