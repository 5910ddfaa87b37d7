// The results of a backtest, as every later stage (metrics, report) reads them.
import type { IsoDate } from '../data/types.ts';

/** When a decision is made and when its orders fill. */
export interface ExecutionTiming {
  /** Decisions use information up to the close of day t. */
  decision: 'close';
  /**
   * - `next-open`: orders fill at the open of t+1 (needs open prices).
   * - `next-close`: orders fill at the close of t+1.
   * - `same-close`: orders fill at the close of t itself (a market-on-close order placed with the close already known:
   *   the convention of INVESTOR-BENCH, FLAG-TRADER and most paper backtests; optimistic by one auction).
   */
  fill: 'next-open' | 'next-close' | 'same-close';
}

export interface CostModel {
  /** Commission per unit of traded notional, in basis points. */
  commissionBps: number;
  /** Fill price moved against the trade by this many basis points. */
  slippageBps: number;
}

export interface Trade {
  /** The trading date of the fill. */
  date: IsoDate;
  /** The date whose close the decision was made at. */
  decisionDate: IsoDate;
  ticker: string;
  side: 'buy' | 'sell';
  /** Shares (fractional allowed), always positive. */
  quantity: number;
  /** Price paid or received, slippage included. */
  fillPrice: number;
  /** quantity x fillPrice. */
  notional: number;
  commission: number;
}

/** One strategy's run over one date range. Arrays are aligned with `dates` (one entry per trading day). */
export interface StrategyRun {
  name: string;
  tickers: string[];
  dates: IsoDate[];
  /** Simple portfolio return of each day, close to close (0 on the first day). */
  returns: Float64Array;
  /** Portfolio value at each close, starting capital at the first close. */
  equity: Float64Array;
  /**
   * The benchmark-style reward of each day: sum over tickers of position x ln(P_t / P_{t-1}), where position is the
   * signed weight held over the day. INVESTOR-BENCH and FLAG-TRADER report metrics on this series.
   */
  logRewards: Float64Array;
  /** Weight of each ticker at each close (value / equity), per ticker: weights[k][i]. */
  weights: Float64Array[];
  /** Cumulative profit of each ticker as a fraction of starting capital: tickerPnl[k][i]. */
  tickerPnl: Float64Array[];
  /** Traded notional / equity per day. */
  turnover: Float64Array;
  trades: Trade[];
  /** Metrics of this run (filled in by the metrics stage). */
  metrics?: Record<string, number | null>;
  /** Orders not filled for want of a price at the fill time (missingPrice 'hold'); absent when none. */
  unfilled?: UnfilledOrder[];
}

export interface UnfilledOrder {
  /** When the fill was due. */
  date: IsoDate;
  decisionDate: IsoDate;
  ticker: string;
  /** The target weight that could not be traded to. */
  target: number;
}
