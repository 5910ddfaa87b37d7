// The fast vectorised path for plain backtests: weights held constant between decisions (rebalanced back to the
// target at every close, so no drift), costs charged on weight changes. No share ledger, no trade list.
// For a single asset with weights in {-1, 0, +1} and no costs it equals the ledger backtester exactly
// (test/backtest-vectorized.test.ts); for fractional multi-asset weights the ledger is the reference (drift).
import type { BacktestOptions, PricePanel } from './engine.ts';

export interface VectorizedRun {
  /** returns[0] = 0; returns[i] = portfolio return over (close i-1, close i], costs included. */
  returns: Float64Array;
  /** Σ_k w_k,held · ln(C_i / C_{i-1}). */
  logRewards: Float64Array;
  /** Σ_k |Δw_k| at each fill. */
  turnover: Float64Array;
}

/** targets[k][d]: weight decided at the close of day d (NaN = keep the previous weight). */
export function runVectorized(panel: PricePanel, targets: Float64Array[], opts: BacktestOptions): VectorizedRun {
  const { close } = panel;
  const K = close.length;
  const n = panel.dates.length;
  const fill = opts.timing.fill;
  const open = panel.open;
  if (fill === 'next-open' && !open) throw new RangeError("fill 'next-open' needs open prices");
  const cost = (opts.costs.commissionBps + opts.costs.slippageBps) / 1e4;
  const returns = new Float64Array(n);
  const logRewards = new Float64Array(n);
  const turnover = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    const c = close[k];
    const o = open?.[k];
    const t = targets[k];
    let held = 0; // weight held into the current close
    let decided = 0; // latest decision, waiting for its fill
    for (let i = 0; i < n; i++) {
      if (fill === 'same-close') {
        if (i > 0 && held !== 0) addMove(i, held, c[i - 1], c[i]);
        const w = t[i];
        if (!Number.isNaN(w) && w !== held) {
          returns[i] -= Math.abs(w - held) * cost;
          turnover[i] += Math.abs(w - held);
          held = w;
        }
        if (!opts.allowShort && held < 0)
          throw new RangeError(`short position in ${panel.tickers[k]} but shorting is disabled`);
      } else if (fill === 'next-close') {
        if (i > 0 && held !== 0) addMove(i, held, c[i - 1], c[i]);
        if (i > 0 && decided !== held) {
          returns[i] -= Math.abs(decided - held) * cost;
          turnover[i] += Math.abs(decided - held);
          held = decided;
        }
        if (!Number.isNaN(t[i])) decided = t[i];
      } else {
        // next-open: overnight on the old weight, then the day on the new one
        if (i > 0) {
          const g1 = o![i] / c[i - 1] - 1;
          const g2 = c[i] / o![i] - 1;
          const w0 = held;
          const w1 = decided;
          if (w0 !== 0 || w1 !== 0) {
            returns[i] += (1 + w0 * g1) * (1 + w1 * g2) - 1 - Math.abs(w1 - w0) * cost;
            if (w1 !== 0) logRewards[i] += w1 * Math.log(c[i] / c[i - 1]);
          }
          turnover[i] += Math.abs(w1 - w0);
          held = w1;
        }
        if (!Number.isNaN(t[i])) decided = t[i];
      }
      if (!opts.allowShort && decided < 0)
        throw new RangeError(`short position in ${panel.tickers[k]} but shorting is disabled`);
    }
  }
  return { returns, logRewards, turnover };

  function addMove(i: number, w: number, p0: number, p1: number): void {
    returns[i] += w * (p1 / p0 - 1);
    logRewards[i] += w * Math.log(p1 / p0);
  }
}
