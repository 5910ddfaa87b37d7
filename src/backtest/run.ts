// Glue between the data layer and the backtester: align prices, ask a strategy for its decisions through
// point-in-time views, and run the engine.
import { UsageError } from '../data/errors.ts';
import { closeDecisionTime, createMarketView } from '../data/pit.ts';
import type { Bars, Dataset, IsoDate } from '../data/types.ts';
import type { Strategy } from '../strategies/types.ts';
import { type BacktestOptions, type PricePanel, runBacktest } from './engine.ts';
import type { StrategyRun } from './types.ts';

export type PriceBasisChoice = 'adjusted' | 'raw';

export interface Window {
  from?: IsoDate;
  to?: IsoDate;
  /** Default: every ticker of the dataset. */
  tickers?: string[];
}

/** Close (and open) series on one basis. Adjusted open = open x adj_close / close. */
export function barPrices(b: Bars, basis: PriceBasisChoice): { close: Float64Array; open: Float64Array } {
  const hasAdj = !Number.isNaN(b.adjClose[0]);
  if (basis === 'raw' || !hasAdj) return { close: b.close, open: b.open };
  const open = Float64Array.from(b.open, (o, i) => (o * b.adjClose[i]) / b.close[i]);
  return { close: b.adjClose, open };
}

/** Prices of the chosen tickers on the union of their trading dates within [from, to]. */
export function pricePanel(ds: Dataset, w: Window, basis: PriceBasisChoice): PricePanel {
  const tickers = w.tickers ?? [...ds.bars.keys()].sort();
  if (tickers.length === 0) throw new UsageError('the dataset has no tickers');
  for (const t of tickers)
    if (!ds.bars.has(t)) throw new UsageError(`unknown ticker "${t}"; dataset has: ${[...ds.bars.keys()].join(', ')}`);
  const all = new Set<IsoDate>();
  for (const t of tickers)
    for (const d of ds.bars.get(t)!.dates) if ((!w.from || d >= w.from) && (!w.to || d <= w.to)) all.add(d);
  const dates = [...all].sort();
  if (dates.length < 2)
    throw new UsageError(`fewer than 2 trading days between ${w.from ?? 'start'} and ${w.to ?? 'end'}`);
  const pos = new Map(dates.map((d, i) => [d, i]));
  const close: Float64Array[] = [];
  const open: Float64Array[] = [];
  for (const t of tickers) {
    const b = ds.bars.get(t)!;
    const p = barPrices(b, basis);
    const c = new Float64Array(dates.length).fill(Number.NaN);
    const o = new Float64Array(dates.length).fill(Number.NaN);
    b.dates.forEach((d, i) => {
      const j = pos.get(d);
      if (j !== undefined) {
        c[j] = p.close[i];
        o[j] = p.open[i];
      }
    });
    close.push(c);
    open.push(o);
  }
  return { tickers, dates, close, open };
}

/** Ask the strategy for a decision at each date's close, through a view fixed at that close. */
export function decideTargets(ds: Dataset, strategy: Strategy, panel: PricePanel): Float64Array[] {
  const col = new Map(panel.tickers.map((t, k) => [t, k]));
  const targets = panel.tickers.map(() => new Float64Array(panel.dates.length).fill(Number.NaN));
  panel.dates.forEach((date, i) => {
    const view = createMarketView(ds, closeDecisionTime(ds, date));
    const w = strategy.decide({ decisionDate: date, tickers: panel.tickers, view });
    if (!w) return;
    for (const [t, x] of Object.entries(w)) {
      const k = col.get(t);
      if (k === undefined) throw new RangeError(`${strategy.name}: decided on ${t}, which is not traded in this run`);
      if (!Number.isFinite(x)) throw new RangeError(`${strategy.name}: weight ${x} for ${t} on ${date}`);
      targets[k][i] = x;
    }
  });
  return targets;
}

export function backtestStrategy(
  ds: Dataset,
  strategy: Strategy,
  window: Window,
  basis: PriceBasisChoice,
  opts: BacktestOptions,
): StrategyRun {
  const panel = pricePanel(ds, window, basis);
  return runBacktest(strategy.name, panel, decideTargets(ds, strategy, panel), opts);
}
