import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Trade } from '../src/backtest/types.ts';
import { hitRate, periodWinRate, profitFactor } from '../src/metrics/metrics.ts';
import { holdingPeriods, tradeWinRate } from '../src/metrics/trades.ts';

function fill(
  date: string,
  ticker: string,
  side: 'buy' | 'sell',
  quantity: number,
  price: number,
  commission = 0,
): Trade {
  return { date, decisionDate: date, ticker, side, quantity, fillPrice: price, notional: quantity * price, commission };
}

test('holding periods: flat to flat per ticker, P&L = net cash flow after commission', () => {
  const { closed, open } = holdingPeriods([
    fill('2024-01-02', 'A', 'buy', 10, 100, 1),
    fill('2024-01-02', 'B', 'sell', 5, 50),
    fill('2024-01-03', 'A', 'buy', 10, 110, 1), // adds to the long
    fill('2024-01-04', 'A', 'sell', 20, 104, 2), // closes it: 2080 - 1000 - 1100 - 4 = -24
    fill('2024-01-05', 'B', 'buy', 5, 40), // closes the short: 250 - 200 = 50
    fill('2024-01-08', 'A', 'buy', 1, 100), // still open at the end
  ]);
  assert.equal(open, 1);
  assert.deepEqual(
    closed.map((p) => [p.ticker, p.direction, p.openDate, p.closeDate, p.pnl]),
    [
      ['A', 'long', '2024-01-02', '2024-01-04', -24],
      ['B', 'short', '2024-01-02', '2024-01-05', 50],
    ],
  );
  assert.equal(tradeWinRate(closed), 0.5);
  assert.equal(profitFactor(closed.map((p) => p.pnl)), 50 / 24);
});

test('a fill that flips the position closes one holding period and opens the next, split by shares', () => {
  const { closed, open } = holdingPeriods([
    fill('2024-01-02', 'A', 'buy', 10, 100),
    fill('2024-01-03', 'A', 'sell', 30, 90, 3), // 10 close the long (-100 - 1 commission), 20 open a short
    fill('2024-01-04', 'A', 'buy', 20, 80), // short: +1800 - 2 commission - 1600 = 198
  ]);
  assert.equal(open, 0);
  assert.deepEqual(
    closed.map((p) => [p.direction, p.openDate, p.closeDate, Math.round(p.pnl * 1e9) / 1e9]),
    [
      ['long', '2024-01-02', '2024-01-03', -101],
      ['short', '2024-01-03', '2024-01-04', 198],
    ],
  );
});

test('fills are taken in date order; fractional quantities close within tolerance', () => {
  const { closed } = holdingPeriods([
    fill('2024-01-03', 'A', 'sell', 0.1 + 0.2, 12),
    fill('2024-01-02', 'A', 'buy', 0.3, 10),
  ]);
  assert.equal(closed.length, 1);
  assert.ok(Math.abs(closed[0].pnl - 0.6) < 1e-12);
  assert.ok(Number.isNaN(tradeWinRate([])));
});

test('hit rate and daily win rate', () => {
  // held on 4 periods (NaN exposure and NaN pnl dropped); wins on 2 of them; a zero-P&L held day is a miss
  assert.equal(hitRate([0.01, -0.01, 0, 0.02, 0.03, Number.NaN], [1, 1, 1, 0.5, 0, 1]), 2 / 4);
  assert.ok(Number.isNaN(hitRate([0.01], [0])));
  assert.throws(() => hitRate([0.01], [1, 1]), RangeError);
  assert.equal(periodWinRate([0.01, 0, -0.02, Number.NaN, 0.03]), 2 / 3);
  assert.ok(Number.isNaN(periodWinRate([0, 0])));
});
