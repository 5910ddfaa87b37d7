// A backtest job: validated config -> dataset -> strategies -> backtests -> metrics (-> run directory, report).
// The CLI's `backtest` and `demo` commands both run through here.
import { z } from 'zod';
import { DEFAULT_BACKTEST } from '../backtest/engine.ts';
import { backtestStrategy } from '../backtest/run.ts';
import type { StrategyRun } from '../backtest/types.ts';
import { UsageError } from '../data/errors.ts';
import { isIsoDate } from '../data/time.ts';
import type { Dataset } from '../data/types.ts';
import { metricsForRun, PRESET_NAMES } from '../metrics/presets.ts';
import { baselineStrategy } from '../strategies/registry.ts';
import type { Strategy } from '../strategies/types.ts';
import { VERSION } from '../version.ts';

const isoDate = z.string().refine(isIsoDate, 'expected a YYYY-MM-DD date');

export const BacktestConfigSchema = z.strictObject({
  strategies: z.array(z.string().min(1)).min(1),
  from: isoDate.optional(),
  to: isoDate.optional(),
  tickers: z.array(z.string().min(1)).min(1).optional(),
  /** Metric conventions (and, for investorbench, its execution convention: fill at the decision close). */
  preset: z.enum(PRESET_NAMES).default('default'),
  fill: z.enum(['next-open', 'next-close', 'same-close']).optional(),
  commissionBps: z.number().min(0).default(0),
  slippageBps: z.number().min(0).default(0),
  capital: z.number().positive().default(1_000_000),
  allowShort: z.boolean().default(true),
  rebalance: z.enum(['on-change', 'every-decision']).default('on-change'),
  price: z.enum(['adjusted', 'raw']).default('adjusted'),
  seed: z.number().int().min(0).default(0),
  periodsPerYear: z.number().positive().optional(),
  riskFree: z.number().optional(),
  riskFreeIsAnnual: z.boolean().optional(),
});
export type BacktestConfigInput = z.input<typeof BacktestConfigSchema>;
export type BacktestConfig = z.output<typeof BacktestConfigSchema> & {
  fill: 'next-open' | 'next-close' | 'same-close';
};

/** Validate a config once, at the edge. Errors name the field. */
export function parseBacktestConfig(input: BacktestConfigInput, ds?: Dataset): BacktestConfig {
  const p = BacktestConfigSchema.safeParse(input);
  if (!p.success)
    throw new UsageError(p.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '));
  const c = p.data;
  if (c.from && c.to && c.from > c.to) throw new UsageError(`from ${c.from} is after to ${c.to}`);
  // Default fill: the papers' market-on-close for investorbench; otherwise next open when the data has opens.
  const hasOpen = ds ? [...ds.bars.values()].every((b) => b.open.some((o) => !Number.isNaN(o))) : true;
  const fill = c.fill ?? (c.preset === 'investorbench' ? 'same-close' : hasOpen ? 'next-open' : 'next-close');
  return { ...c, fill };
}

/** Extra strategies a caller can supply by name (e.g. the oracle, which needs the synthetic market's hidden file). */
export type StrategyFactory = (spec: string) => Strategy | undefined;

export interface BacktestResult {
  config: BacktestConfig;
  runs: StrategyRun[];
  versions: Record<string, string>;
}

export function runBacktestJob(ds: Dataset, config: BacktestConfig, extra?: StrategyFactory): BacktestResult {
  const opts = {
    ...DEFAULT_BACKTEST,
    timing: { decision: 'close' as const, fill: config.fill },
    costs: { commissionBps: config.commissionBps, slippageBps: config.slippageBps },
    initialCapital: config.capital,
    allowShort: config.allowShort,
    rebalance: config.rebalance,
  };
  const window = { from: config.from, to: config.to, tickers: config.tickers };
  const seen = new Set<string>();
  const runs = config.strategies.map((spec) => {
    const strategy = extra?.(spec) ?? baselineStrategy(spec, { seed: config.seed, allowShort: config.allowShort });
    if (seen.has(strategy.name)) throw new UsageError(`strategy "${strategy.name}" is listed twice`);
    seen.add(strategy.name);
    const run = backtestStrategy(ds, strategy, window, config.price, opts);
    run.metrics = metricsForRun(run, {
      preset: config.preset,
      periodsPerYear: config.periodsPerYear,
      riskFree: config.riskFree,
      riskFreeIsAnnual: config.riskFreeIsAnnual,
    });
    return run;
  });
  return { config, runs, versions: { rlmf: VERSION, node: process.versions.node } };
}
