// Holding periods (round trips) reconstructed from fills, and the trade-level win rate.
//
// Convention: per ticker, a holding period starts when the position leaves 0 and ends when it returns to 0. A fill
// that flips the position (long -> short or back) closes the old period and opens a new one; its quantity, notional
// and commission are split between the two in proportion to the shares. The P&L of a period is its net cash flow:
// Σ sell notional - Σ buy notional - Σ commission (slippage is already in the fill prices). Positions still open at
// the end are not closed periods (they are counted in `open`).
import type { Trade } from '../backtest/types.ts';
import type { IsoDate } from '../data/types.ts';

export interface HoldingPeriod {
  ticker: string;
  direction: 'long' | 'short';
  /** Date of the fill that opened it. */
  openDate: IsoDate;
  /** Date of the fill that closed it. */
  closeDate: IsoDate;
  /** Net cash flow in currency units, commissions included: > 0 is a winner. */
  pnl: number;
}

export interface HoldingPeriods {
  closed: HoldingPeriod[];
  /** Tickers whose position is still open after the last fill. */
  open: number;
}

interface OpenState {
  position: number;
  cash: number;
  openDate: IsoDate;
}

/** Closed holding periods in the order they closed. Fills are taken in date order (stable for equal dates). */
export function holdingPeriods(trades: readonly Trade[]): HoldingPeriods {
  const order = trades
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (a.t.date < b.t.date ? -1 : a.t.date > b.t.date ? 1 : a.i - b.i));
  const state = new Map<string, OpenState>();
  const closed: HoldingPeriod[] = [];
  for (const { t } of order) {
    const signedQty = t.side === 'buy' ? t.quantity : -t.quantity;
    const cashFlow = (t.side === 'buy' ? -t.notional : t.notional) - t.commission;
    const s = state.get(t.ticker);
    if (s === undefined || s.position === 0) {
      state.set(t.ticker, { position: signedQty, cash: cashFlow, openDate: t.date });
      continue;
    }
    const eps = 1e-9 * Math.max(Math.abs(s.position), t.quantity);
    const reduces = Math.sign(signedQty) !== Math.sign(s.position);
    if (reduces && t.quantity > Math.abs(s.position) + eps) {
      // Flip: the share of the fill that closes the old position, then the rest opens the new one.
      const f = Math.abs(s.position) / t.quantity;
      closed.push({
        ticker: t.ticker,
        direction: s.position > 0 ? 'long' : 'short',
        openDate: s.openDate,
        closeDate: t.date,
        pnl: s.cash + f * cashFlow,
      });
      state.set(t.ticker, { position: s.position + signedQty, cash: (1 - f) * cashFlow, openDate: t.date });
      continue;
    }
    const before = s.position;
    s.position += signedQty;
    s.cash += cashFlow;
    if (Math.abs(s.position) <= eps) {
      closed.push({
        ticker: t.ticker,
        direction: before > 0 ? 'long' : 'short',
        openDate: s.openDate,
        closeDate: t.date,
        pnl: s.cash,
      });
      s.position = 0;
      s.cash = 0;
    }
  }
  let open = 0;
  for (const s of state.values()) if (s.position !== 0) open++;
  return { closed, open };
}

/** Trade win rate: fraction of closed holding periods with P&L > 0; NaN when none closed. */
export function tradeWinRate(periods: readonly HoldingPeriod[]): number {
  if (periods.length === 0) return Number.NaN;
  let wins = 0;
  for (const p of periods) if (p.pnl > 0) wins++;
  return wins / periods.length;
}
