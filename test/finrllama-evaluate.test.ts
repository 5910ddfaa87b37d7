import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageRanks, evaluateScores, heldSignalWeights, rankIc, spearman } from '../src/papers/finrllama/evaluate.ts';
import { handDataset } from './finrllama-fixture.ts';

const close = (a: number, b: number, eps = 1e-12) => Math.abs(a - b) < eps;

test('average ranks and Spearman on hand cases', () => {
  assert.deepEqual(averageRanks([5, 1, 5, 2]), [3.5, 1, 3.5, 2]);
  assert.deepEqual(averageRanks([3, 3, 3]), [2, 2, 2]);
  // ranks of y: 1 2 4 3 -> rho = 1 - 6*2 / (4*15) = 0.8
  assert.ok(close(spearman([1, 2, 3, 4], [10, 20, 40, 30]), 0.8));
  assert.ok(close(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1));
  assert.ok(Number.isNaN(spearman([1, 2], [1, 2])), 'fewer than 3 pairs');
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])), 'constant side');
});

test('held signal weights: each signal held holdDays days, weight Σ live / holdDays', () => {
  assert.deepEqual([...heldSignalWeights([1, 0, 0, -1, 0, 0, 0], 3)], [1 / 3, 1 / 3, 1 / 3, -1 / 3, -1 / 3, -1 / 3, 0]);
  assert.deepEqual([...heldSignalWeights([1, 1, 0], 1)], [1, 1, 0]);
});

const dates = ['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08', '2024-01-09'];

test('rank IC: pooled, daily cross-sectional mean and per ticker', () => {
  // forward 1-day returns: A +10 %, +10 %; B -10 %, 0 %; C +20 %, -50 %
  const ds = handDataset(dates, {
    A: [100, 110, 121, 121, 121, 121],
    B: [100, 90, 90, 90, 90, 90],
    C: [100, 120, 60, 60, 60, 60],
  });
  const sig = [
    { date: dates[0], ticker: 'A', score: 5 },
    { date: dates[0], ticker: 'B', score: -5 },
    { date: dates[0], ticker: 'C', score: 8 },
    { date: dates[1], ticker: 'A', score: 1 },
    { date: dates[1], ticker: 'B', score: 2 },
    { date: dates[1], ticker: 'C', score: 3 },
    { date: dates[5], ticker: 'C', score: 3 }, // no forward return: dropped
  ];
  const ic = rankIc(ds, sig, 1);
  // day 0: scores 5 -5 8 vs returns .1 -.1 .2 -> +1; day 1: scores 1 2 3 vs returns .1 0 -.5 -> -1
  assert.equal(ic.daily_n, 2);
  assert.ok(close(ic.daily_mean!, 0));
  assert.equal(ic.pooled_n, 6);
  // pooled: scores [5,-5,8,1,2,3] ranks [5,1,6,2,3,4]; returns [.1,-.1,.2,.1,0,-.5] ranks [4.5,2,6,4.5,3,1]
  const rs = [5, 1, 6, 2, 3, 4];
  const rr = [4.5, 2, 6, 4.5, 3, 1];
  const m = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  const cov = rs.reduce((a, x, i) => a + (x - m(rs)) * (rr[i] - m(rr)), 0);
  const sd = (x: number[]) => Math.sqrt(x.reduce((a, v) => a + (v - m(x)) ** 2, 0));
  assert.ok(close(ic.pooled!, cov / (sd(rs) * sd(rr))));
  assert.deepEqual(ic.per_ticker.A, { ic: null, n: 2 });
  assert.equal(rankIc(ds, sig, 1, 'adjusted', 4).daily_n, 0, 'minCrossSection');
});

test('contest strategy, per-ticker view and parse-failure rate on a hand-computed market', () => {
  const ds = handDataset(dates, {
    A: [100, 110, 121, 121, 121, 121],
    B: [100, 90, 81, 81, 81, 81],
    C: [100, 100, 100, 100, 100, 100],
  });
  const sig = [
    { date: dates[0], ticker: 'A', score: 8 },
    { date: dates[0], ticker: 'B', score: -8 },
    { date: dates[0], ticker: 'C', score: 2, failed: true },
    { date: '2023-12-29', ticker: 'A', score: 9 }, // outside the window: ignored
  ];
  const ev = evaluateScores(ds, sig, {
    from: dates[0],
    to: dates[5],
    k: 1,
    holdDays: 1,
    backtest: { timing: { decision: 'close', fill: 'same-close' } },
  });
  // day 0 close: long A 0.5, short B 0.5; day 1: +0.5·10 % + 0.5·10 % = +10 %, then both closed at day 1's close
  assert.ok(close(ev.cumulative_return!, 0.1));
  assert.ok(close(ev.contest.finrl_contest_cr!, 0.1));
  assert.equal(ev.win_rate, 1);
  assert.equal(ev.contest.n_round_trips, 2);
  assert.equal(ev.n_scored, 3);
  assert.equal(ev.n_parse_failures, 1);
  assert.ok(close(ev.parse_failure_rate!, 1 / 3));
  // per ticker: A long 1 day (+10 %), B short 1 day (+10 %), C never (|2| < T)
  assert.ok(close(ev.per_ticker.A.cumulative_return!, 0.1));
  assert.ok(close(ev.per_ticker.B.cumulative_return!, 0.1));
  assert.equal(ev.per_ticker.C.cumulative_return, 0);
  assert.deepEqual([ev.per_ticker.A.n_long, ev.per_ticker.B.n_short, ev.per_ticker.C.n_long], [1, 1, 0]);
  assert.ok(close(ev.per_ticker.A.buy_and_hold_return!, 0.21));
  assert.ok(close(ev.per_ticker.B.buy_and_hold_return!, -0.19));
  assert.equal(ev.per_ticker.A.curve.length, dates.length);
  assert.ok(close(ev.per_ticker.A.curve[5], 0.1));
  // equal-weight buy-and-hold of A, B, C: (1.21 + 0.81 + 1) / 3 - 1
  assert.ok(close(ev.buy_and_hold.cumulative_return!, (1.21 + 0.81 + 1) / 3 - 1, 1e-9));
  // the curves at each close of `dates`: contest +10 % from day 1 on; buy-and-hold (1.1 + 0.9 + 1) / 3 - 1 = 0 on
  // day 1, then (1.21 + 0.81 + 1) / 3 - 1
  assert.deepEqual(ev.dates, dates);
  const near = (xs: number[], want: number[]) =>
    xs.length === want.length && xs.every((x, i) => close(x, want[i], 1e-9));
  assert.ok(near(ev.contest_curve, [0, 0.1, 0.1, 0.1, 0.1, 0.1]), `${ev.contest_curve}`);
  const bh = (1.21 + 0.81 + 1) / 3 - 1;
  assert.ok(near(ev.buy_and_hold_curve, [0, 0, bh, bh, bh, bh]), `${ev.buy_and_hold_curve}`);
  assert.ok('sharpe_ratio' in ev.contest && 'max_drawdown' in ev.contest, 'the standard set is there');
  // default next-open fill: filled at day 1's open (= its close here), it earns day 2's moves, +10 % on each side
  const nextOpen = evaluateScores(ds, sig, { from: dates[0], to: dates[5], k: 1, holdDays: 1 });
  assert.ok(close(nextOpen.cumulative_return!, 0.5 * 0.1 + 0.5 * 0.1));
});
