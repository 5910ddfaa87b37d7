// The backtester: turns target weights decided at each close into fills, cash, positions and a daily equity curve.
// Accounting is in shares (fractional), so positions drift with prices between rebalances, as real holdings do.
//
// Timeline, for a decision made at the close of day d:
//   fill 'same-close' -> executes at close d      (market-on-close with the close known; the papers' convention)
//   fill 'next-open'  -> executes at open d+1     (needs open prices)
//   fill 'next-close' -> executes at close d+1
// Equity is marked at each close. Costs: the fill price moves against the trade by slippageBps, and a commission of
// commissionBps of the traded notional is paid in cash. The same Ledger serves the batch backtest and the RL env.
import type { IsoDate } from '../data/types.ts';
import type { CostModel, ExecutionTiming, StrategyRun, Trade, UnfilledOrder } from './types.ts';

/** Prices a backtest trades on, one array per ticker aligned with `dates`. NaN = no price that day. */
export interface PricePanel {
  tickers: string[];
  dates: IsoDate[];
  close: Float64Array[];
  /** Required for fill 'next-open'; on the same basis (adjusted or raw) as close. */
  open?: Float64Array[];
}

export interface BacktestOptions {
  timing: ExecutionTiming;
  costs: CostModel;
  initialCapital: number;
  allowShort: boolean;
  /** 'on-change': trade only when the target differs from the last executed one (holdings drift in between).
   *  'every-decision': rebalance back to the target at every decision. */
  rebalance: 'on-change' | 'every-decision';
  /**
   * An order for a ticker without a price at its fill time (a gap in the data): 'error' (default) throws; 'hold' leaves
   * it unfilled (the ticker keeps its holdings, the order is tried again at the next decision) and lists it in the
   * run's `unfilled`.
   */
  missingPrice?: 'error' | 'hold';
}

export const DEFAULT_BACKTEST: BacktestOptions = {
  timing: { decision: 'close', fill: 'next-open' },
  costs: { commissionBps: 0, slippageBps: 0 },
  initialCapital: 1_000_000,
  allowShort: true,
  rebalance: 'on-change',
};

/** Cash, shares and the marks they are valued at. Mutated in place by the functions below. */
export interface Ledger {
  cash: number;
  shares: Float64Array;
  /** Latest mark of each ticker (an open or a close). */
  mark: Float64Array;
  /** Last close of each ticker. */
  prevClose: Float64Array;
  /** Equity at the last close. */
  prevEquity: number;
  /** Cumulative P&L of each ticker in currency (price moves, less its slippage and commission). */
  pnl: Float64Array;
  /** The last target executed per ticker (NaN before the first). */
  lastTarget: Float64Array;
}

export function createLedger(K: number, initialCapital: number): Ledger {
  return {
    cash: initialCapital,
    shares: new Float64Array(K),
    mark: new Float64Array(K).fill(Number.NaN),
    prevClose: new Float64Array(K).fill(Number.NaN),
    prevEquity: initialCapital,
    pnl: new Float64Array(K),
    lastTarget: new Float64Array(K).fill(Number.NaN),
  };
}

/** Move the marks to `prices` (e.g. today's open): the change is P&L of the shares held. */
export function markTo(L: Ledger, prices: ArrayLike<number>): void {
  for (let k = 0; k < L.shares.length; k++) {
    const p = prices[k];
    if (!(p > 0)) continue;
    if (L.shares[k] !== 0 && L.mark[k] > 0) L.pnl[k] += L.shares[k] * (p - L.mark[k]);
    L.mark[k] = p;
  }
}

/**
 * Mark to today's close. Returns the log reward of the day: sum over tickers of the position held into the close
 * (as a weight of the previous close's equity) x ln(C_t / C_{t-1}).
 */
export function markClose(L: Ledger, close: ArrayLike<number>): number {
  let reward = 0;
  for (let k = 0; k < L.shares.length; k++) {
    const p = close[k];
    if (!(p > 0)) continue;
    const s = L.shares[k];
    if (s !== 0) {
      if (L.mark[k] > 0) L.pnl[k] += s * (p - L.mark[k]);
      if (L.prevClose[k] > 0) reward += ((s * L.prevClose[k]) / L.prevEquity) * Math.log(p / L.prevClose[k]);
    }
    L.mark[k] = p;
    L.prevClose[k] = p;
  }
  return reward;
}

export function equityAtMarks(L: Ledger): number {
  let eq = L.cash;
  for (let k = 0; k < L.shares.length; k++) if (L.shares[k] !== 0) eq += L.shares[k] * L.mark[k];
  return eq;
}

/** A fill to be recorded (only when the caller keeps a trade list). */
export type OnFill = (k: number, q: number, fillPrice: number, commission: number) => void;

/**
 * Trade to `target` weights (NaN = leave that ticker alone) at `prices` (already the marks). Returns the traded
 * notional. Throws on a short when shorting is disabled, or on a target for a ticker without a price.
 */
export function rebalance(
  L: Ledger,
  target: ArrayLike<number>,
  prices: ArrayLike<number>,
  opts: BacktestOptions,
  onFill?: OnFill,
  onUnfilled?: (k: number, target: number) => void,
): number {
  const K = L.shares.length;
  let changed = opts.rebalance === 'every-decision';
  let any = false;
  for (let k = 0; k < K; k++) {
    const w = target[k];
    if (Number.isNaN(w)) continue;
    any = true;
    if (w !== L.lastTarget[k]) changed = true;
    if (w < 0 && !opts.allowShort)
      throw new RangeError(`short position asked for ticker #${k} but shorting is disabled`);
  }
  if (!any || !changed) return 0;
  const value = equityAtMarks(L);
  const slip = opts.costs.slippageBps / 1e4;
  const comm = opts.costs.commissionBps / 1e4;
  let traded = 0;
  for (let k = 0; k < K; k++) {
    const w = target[k];
    if (Number.isNaN(w)) continue;
    const p = prices[k];
    if (!(p > 0) && (w !== 0 || L.shares[k] !== 0)) {
      if (opts.missingPrice !== 'hold') throw new RangeError(`no price for ticker #${k} to fill its target ${w}`);
      onUnfilled?.(k, w); // lastTarget stays: the order is tried again at the next decision
      continue;
    }
    L.lastTarget[k] = w;
    if (!(p > 0)) continue;
    const q = (w * value) / p - L.shares[k];
    if (Math.abs(q * p) <= 1e-9 * Math.max(1, Math.abs(value))) continue;
    const fillPrice = p * (q > 0 ? 1 + slip : 1 - slip);
    const notional = Math.abs(q) * fillPrice;
    const commission = notional * comm;
    L.cash -= q * fillPrice + commission;
    L.pnl[k] -= Math.abs(q) * p * slip + commission;
    L.shares[k] += q;
    traded += notional;
    onFill?.(k, q, fillPrice, commission);
  }
  return traded;
}

/**
 * Run a backtest. `targets[k][d]` is the weight (fraction of equity, negative = short) of ticker k decided at the
 * close of day d; NaN means "no decision that day" (holdings are kept). returns[0] is 0 (the starting mark) and
 * returns[1] is measured against the initial capital, so costs of fills on day 0 are not lost.
 */
export function runBacktest(
  name: string,
  panel: PricePanel,
  targets: Float64Array[],
  opts: BacktestOptions,
): StrategyRun {
  const { tickers, dates, close } = panel;
  const K = tickers.length;
  const n = dates.length;
  const fill = opts.timing.fill;
  if (targets.length !== K) throw new RangeError(`targets has ${targets.length} rows for ${K} tickers`);
  for (const t of targets) if (t.length !== n) throw new RangeError(`targets rows must have ${n} entries`);
  const open = panel.open;
  if (fill === 'next-open')
    for (let k = 0; k < K; k++)
      if (!open || open[k].every(Number.isNaN))
        throw new RangeError(`fill 'next-open' needs open prices: ${tickers[k]} has none (use next-close)`);

  const L = createLedger(K, opts.initialCapital);
  const returns = new Float64Array(n);
  const equity = new Float64Array(n);
  const logRewards = new Float64Array(n);
  const turnover = new Float64Array(n);
  const weights = Array.from({ length: K }, () => new Float64Array(n));
  const tickerPnl = Array.from({ length: K }, () => new Float64Array(n));
  const trades: Trade[] = [];
  const row = new Float64Array(K);
  const closeRow = new Float64Array(K);
  const openRow = new Float64Array(K);

  // the fill being executed: decision day and fill day (read by onFill, which is allocated once)
  let decisionDay = 0;
  let fillDay = 0;
  const unfilled: UnfilledOrder[] = [];
  const onUnfilled = (k: number, target: number) =>
    unfilled.push({ date: dates[fillDay], decisionDate: dates[decisionDay], ticker: tickers[k], target });
  const onFill: OnFill = (k, q, fillPrice, commission) => {
    trades.push({
      date: dates[fillDay],
      decisionDate: dates[decisionDay],
      ticker: tickers[k],
      side: q > 0 ? 'buy' : 'sell',
      quantity: Math.abs(q),
      fillPrice,
      notional: Math.abs(q) * fillPrice,
      commission,
    });
  };
  const onChange = opts.rebalance === 'on-change';
  const execute = (d: number, day: number, prices: Float64Array): void => {
    let changed = !onChange;
    for (let k = 0; k < K; k++) {
      const w = targets[k][d];
      row[k] = w;
      if (w !== L.lastTarget[k] && !Number.isNaN(w)) changed = true;
    }
    if (!changed) return;
    decisionDay = d;
    fillDay = day;
    let traded: number;
    try {
      traded = rebalance(L, row, prices, opts, onFill, onUnfilled);
    } catch (e) {
      throw new RangeError(`${name}: decision of ${dates[d]} filled on ${dates[day]}: ${(e as Error).message}`);
    }
    if (traded > 0) {
      const value = equityAtMarks(L);
      turnover[day] += value > 0 ? traded / value : 0;
    }
  };

  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) closeRow[k] = close[k][i];
    if (fill === 'next-open' && i > 0) {
      for (let k = 0; k < K; k++) openRow[k] = open![k][i];
      markTo(L, openRow);
      execute(i - 1, i, openRow);
    }
    logRewards[i] = markClose(L, closeRow);
    if (fill === 'next-close' && i > 0) execute(i - 1, i, closeRow);
    if (fill === 'same-close') execute(i, i, closeRow);
    const eq = equityAtMarks(L);
    equity[i] = eq;
    returns[i] = i === 0 ? 0 : eq / (i === 1 ? opts.initialCapital : L.prevEquity) - 1;
    for (let k = 0; k < K; k++) {
      weights[k][i] = L.shares[k] !== 0 && eq !== 0 ? (L.shares[k] * L.mark[k]) / eq : 0;
      tickerPnl[k][i] = L.pnl[k] / opts.initialCapital;
    }
    L.prevEquity = eq;
  }
  return {
    name,
    tickers: [...tickers],
    dates: [...dates],
    returns,
    equity,
    logRewards,
    weights,
    tickerPnl,
    turnover,
    trades,
    ...(unfilled.length > 0 && { unfilled }),
  };
}
