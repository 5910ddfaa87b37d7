// Metric presets: a preset fixes the conventions (annualisation, risk-free rate, extra columns) under which a paper's
// numbers reproduce. computeMetrics always returns the standard keys, then the preset's own keys. See docs/metrics.md.
import { z } from 'zod';
import type { StrategyRun, Trade } from '../backtest/types.ts';
import { UsageError } from '../data/errors.ts';
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  cumulativeLogReturn,
  cumulativeReturn,
  downsideRisk,
  dropMissing,
  exposureStats,
  grossExposureSeries,
  hitRate,
  maxDrawdown,
  meanTurnover,
  periodWinRate,
  profitFactor,
  type Series,
  sampleStd,
  sharpeRatio,
  sortinoRatio,
} from './metrics.ts';
import { holdingPeriods, tradeWinRate } from './trades.ts';

export const PRESET_NAMES = ['default', 'investorbench', 'trading-r1', 'finrl-contest', 'llmoe'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface PresetSpec {
  name: PresetName;
  /** What the preset reproduces, in one line. */
  reproduces: string;
  periodsPerYear: number;
  /** Risk-free rate the preset assumes, as an ANNUAL rate (converted to per period as annual / periodsPerYear). */
  riskFreeAnnual: number;
  /** The preset's own keys, in the order of the paper's table columns (added after the standard keys). */
  keys: readonly string[];
}

export const PRESETS: Record<PresetName, PresetSpec> = {
  default: {
    name: 'default',
    reproduces: 'empyrical (quantopian/empyrical) definitions, 252 periods a year, rf = 0',
    periodsPerYear: 252,
    riskFreeAnnual: 0,
    keys: [],
  },
  investorbench: {
    name: 'investorbench',
    reproduces: 'INVESTOR-BENCH / FLAG-TRADER CR, SR, AV, MDD on daily log rewards a_t·ln(P_{t+1}/P_t)',
    periodsPerYear: 252,
    riskFreeAnnual: 0,
    keys: ['investorbench_cr', 'investorbench_sr', 'investorbench_av', 'investorbench_mdd', 'investorbench_n_prices'],
  },
  'trading-r1': {
    name: 'trading-r1',
    reproduces: 'Trading-R1 (App. S2.2): compounded CR, Sharpe with rf 4 % a year (0.04/252 a day), hit rate, MDD',
    periodsPerYear: 252,
    riskFreeAnnual: 0.04,
    keys: ['trading_r1_cr', 'trading_r1_sr', 'trading_r1_hr', 'trading_r1_mdd'],
  },
  'finrl-contest': {
    name: 'finrl-contest',
    reproduces: 'FinRL Contest 2024 task 2: compounded cumulative return and win rate of closed trades',
    periodsPerYear: 252,
    riskFreeAnnual: 0,
    keys: ['finrl_contest_cr', 'finrl_contest_win_rate'],
  },
  llmoe: {
    name: 'llmoe',
    reproduces: 'LLMoE: total return, Sharpe, Calmar, MDD (standard definitions, 252 days, rf = 0)',
    periodsPerYear: 252,
    riskFreeAnnual: 0,
    keys: ['llmoe_total_return', 'llmoe_sharpe', 'llmoe_calmar', 'llmoe_mdd'],
  },
};

/** The standard keys, always present, in this order. */
export const STANDARD_KEYS = [
  'n_periods',
  'n_missing',
  'periods_per_year',
  'risk_free_per_period',
  'required_return',
  'cumulative_return',
  'cumulative_log_return',
  'annual_return',
  'annual_volatility',
  'sharpe_ratio',
  'sortino_ratio',
  'downside_risk',
  'calmar_ratio',
  'max_drawdown',
  'profit_factor',
  'win_rate_daily',
  'hit_rate',
  'win_rate',
  'n_round_trips',
  'trade_profit_factor',
  'turnover',
  'gross_exposure',
  'net_exposure',
  'time_in_market',
] as const;

export const metricsOptionsSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES).default('default'),
  /** Annualisation factor; the preset's (252) when absent. */
  periodsPerYear: z.number().positive().finite().optional(),
  /** Risk-free return for the Sharpe ratio; per period unless riskFreeIsAnnual. The preset's when absent. */
  riskFree: z.number().finite().optional(),
  /** riskFree is an annual rate: per period = riskFree / periodsPerYear (simple division, Trading-R1's 0.04/252). */
  riskFreeIsAnnual: z.boolean().default(false),
  /** Minimum acceptable return PER PERIOD for downside risk and Sortino. */
  requiredReturn: z.number().finite().default(0),
  /** investorbench: annualise SR's return with 252 whatever periodsPerYear is (FLAG-TRADER's BTC row). */
  investorbenchSr252: z.boolean().default(false),
});
export type MetricsOptions = z.input<typeof metricsOptionsSchema>;

export interface MetricsInput {
  /** Simple return of each period (NaN = missing). No placeholder first period: see metricsForRun. */
  returns: Float64Array;
  /** INVESTOR-BENCH reward of each period, Σ_k a_k·ln(P_t/P_{t-1}), aligned with returns. */
  logRewards?: Float64Array;
  /** weights[k][i]: weight of ticker k HELD OVER period i (set at the close before it), aligned with returns. */
  weights?: Float64Array[];
  /** Traded notional / equity of each trading day (any length; its mean is reported). */
  turnover?: Float64Array;
  trades?: Trade[];
}

export type Metrics = Record<string, number | null>;

function parseOptions(opts: MetricsOptions) {
  const parsed = metricsOptionsSchema.safeParse(opts);
  if (!parsed.success)
    throw new UsageError(
      `metrics options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Non-finite (NaN, ±Infinity) -> null, for JSON. */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export interface InvestorbenchMetrics {
  /** CR = Σ rewards (a sum of log returns; the paper prints it x100 as %). */
  cr: number;
  /** SR = (CR · D / N) / AV, D = 252 when sr252 else periodsPerYear, N = number of PRICES = rewards + 1. */
  sr: number;
  /** AV = std(rewards, ddof = 1) · √periodsPerYear. */
  av: number;
  /** MDD on the curve ∏(1 + reward) from 1 (log rewards compounded as if simple), positive fraction. */
  mdd: number;
  /** N = rewards.length + 1. */
  nPrices: number;
}

/**
 * INVESTOR-BENCH's metrics (`src/eval_pipeline.py`, as FLAG-TRADER reports them), rf = 0.
 * Missing rewards (NaN) are dropped from the sums; N still counts every period.
 */
export function investorbenchMetrics(
  rewards: Series,
  opts: { periodsPerYear?: number; sr252?: boolean } = {},
): InvestorbenchMetrics {
  const ppy = opts.periodsPerYear ?? 252;
  const x = dropMissing(rewards);
  const nPrices = rewards.length + 1;
  let cr = 0;
  for (const v of x) cr += v;
  const av = sampleStd(x) * Math.sqrt(ppy);
  const d = opts.sr252 ? 252 : ppy;
  const sr = x.length === 0 ? Number.NaN : (cr * d) / nPrices / av;
  return { cr, sr, av, mdd: maxDrawdown(rewards), nPrices };
}

/**
 * All metrics of one return series, JSON-ready (non-finite -> null). Standard keys (STANDARD_KEYS) always, computed
 * with the preset's conventions unless options override them; then the preset's keys (PRESETS[name].keys).
 * Without logRewards, the investorbench rewards are ln(1 + return): exact for a long-or-flat single asset.
 */
export function computeMetrics(input: MetricsInput, opts: MetricsOptions = {}): Metrics {
  const o = parseOptions(opts);
  const preset = PRESETS[o.preset];
  const ppy = o.periodsPerYear ?? preset.periodsPerYear;
  const rfPerPeriod =
    o.riskFree === undefined ? preset.riskFreeAnnual / ppy : o.riskFreeIsAnnual ? o.riskFree / ppy : o.riskFree;
  const r = input.returns;
  const n = r.length;
  if (input.logRewards && input.logRewards.length !== n)
    throw new UsageError(`metrics: logRewards has ${input.logRewards.length} periods, returns ${n}`);
  for (const [k, w] of (input.weights ?? []).entries())
    if (w.length !== n) throw new UsageError(`metrics: weights[${k}] has ${w.length} periods, returns ${n}`);

  const hasPositions = input.weights !== undefined && input.weights.length > 0;
  const exposure = hasPositions ? exposureStats(input.weights!) : undefined;
  const hit = hasPositions ? hitRate(input.logRewards ?? r, grossExposureSeries(input.weights!)) : Number.NaN;
  const periods = input.trades ? holdingPeriods(input.trades) : undefined;

  const m: Metrics = {};
  const put = (k: string, v: number) => {
    m[k] = finiteOrNull(v);
  };
  put('n_periods', n);
  put('n_missing', n - dropMissing(r).length);
  put('periods_per_year', ppy);
  put('risk_free_per_period', rfPerPeriod);
  put('required_return', o.requiredReturn);
  put('cumulative_return', cumulativeReturn(r));
  put('cumulative_log_return', cumulativeLogReturn(r));
  put('annual_return', annualReturn(r, ppy));
  put('annual_volatility', annualVolatility(r, ppy));
  put('sharpe_ratio', sharpeRatio(r, rfPerPeriod, ppy));
  put('sortino_ratio', sortinoRatio(r, o.requiredReturn, ppy));
  put('downside_risk', downsideRisk(r, o.requiredReturn, ppy));
  put('calmar_ratio', calmarRatio(r, ppy));
  put('max_drawdown', maxDrawdown(r));
  put('profit_factor', profitFactor(r));
  put('win_rate_daily', periodWinRate(r));
  put('hit_rate', hit);
  put('win_rate', periods ? tradeWinRate(periods.closed) : Number.NaN);
  put('n_round_trips', periods ? periods.closed.length : Number.NaN);
  put('trade_profit_factor', periods ? profitFactor(periods.closed.map((p) => p.pnl)) : Number.NaN);
  put('turnover', input.turnover ? meanTurnover(input.turnover) : Number.NaN);
  put('gross_exposure', exposure ? exposure.grossExposure : Number.NaN);
  put('net_exposure', exposure ? exposure.netExposure : Number.NaN);
  put('time_in_market', exposure ? exposure.timeInMarket : Number.NaN);

  switch (o.preset) {
    case 'default':
      break;
    case 'investorbench': {
      const rewards = input.logRewards ?? r.map((v) => Math.log1p(v));
      const ib = investorbenchMetrics(rewards, { periodsPerYear: ppy, sr252: o.investorbenchSr252 });
      put('investorbench_cr', ib.cr);
      put('investorbench_sr', ib.sr);
      put('investorbench_av', ib.av);
      put('investorbench_mdd', ib.mdd);
      put('investorbench_n_prices', ib.nPrices);
      // The columns the paper reports take the paper's definitions under this preset (others stay empyrical).
      m.cumulative_return = m.investorbench_cr;
      m.sharpe_ratio = m.investorbench_sr;
      m.annual_volatility = m.investorbench_av;
      m.max_drawdown = m.investorbench_mdd;
      break;
    }
    case 'trading-r1':
      m.trading_r1_cr = m.cumulative_return;
      m.trading_r1_sr = m.sharpe_ratio;
      m.trading_r1_hr = m.hit_rate;
      m.trading_r1_mdd = m.max_drawdown;
      break;
    case 'finrl-contest':
      m.finrl_contest_cr = m.cumulative_return;
      m.finrl_contest_win_rate = m.win_rate;
      break;
    case 'llmoe':
      m.llmoe_total_return = m.cumulative_return;
      m.llmoe_sharpe = m.sharpe_ratio;
      m.llmoe_calmar = m.calmar_ratio;
      m.llmoe_mdd = m.max_drawdown;
      break;
  }
  return m;
}

/**
 * computeMetrics for a backtest's StrategyRun. A run's arrays are aligned with its dates and its first day is a
 * placeholder (return 0, no position held into it), so: returns and logRewards drop day 0; the weights held over
 * day i are those at the close of day i-1; turnover keeps every day (day 0's initial purchase is real trading).
 */
export function metricsForRun(run: StrategyRun, opts: MetricsOptions = {}): Metrics {
  const n = run.returns.length;
  return computeMetrics(
    {
      returns: run.returns.subarray(1),
      logRewards: run.logRewards.subarray(1),
      weights: run.weights.map((w) => w.subarray(0, Math.max(0, n - 1))),
      turnover: run.turnover,
      trades: run.trades,
    },
    opts,
  );
}
