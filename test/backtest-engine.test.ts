import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BacktestOptions, DEFAULT_BACKTEST, type PricePanel, runBacktest } from '../src/backtest/engine.ts';
import { createTradingEnv } from '../src/backtest/env.ts';
import { topKCohortTargets } from '../src/backtest/rules.ts';
import { backtestStrategy } from '../src/backtest/run.ts';
import { buyAndHold, momentum, randomStrategy, smaCrossover } from '../src/strategies/baselines.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

const close = (xs: number[]) => Float64Array.from(xs);
const panel1 = (c: number[], o?: number[]): PricePanel => ({
  tickers: ['X'],
  dates: c.map((_, i) => `2024-01-0${i + 1}`),
  close: [close(c)],
  open: [close(o ?? c)],
});
const opts = (fill: BacktestOptions['timing']['fill'], over: Partial<BacktestOptions> = {}): BacktestOptions => ({
  ...DEFAULT_BACKTEST,
  timing: { decision: 'close', fill },
  ...over,
});
const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const allLong = (n: number) => [new Float64Array(n).fill(1)];

test('same-close: long from the first close earns every close-to-close move', () => {
  const r = runBacktest('bh', panel1([100, 110, 99]), allLong(3), opts('same-close'));
  near(r.returns[0], 0);
  near(r.returns[1], 0.1);
  near(r.returns[2], -0.1);
  near(r.equity[2], 990_000, 1e-6);
  near(r.logRewards[1], Math.log(1.1));
  near(r.logRewards[2], Math.log(0.9));
  assert.equal(r.trades.length, 1);
  assert.equal(r.trades[0].decisionDate, '2024-01-01');
  assert.equal(r.trades[0].date, '2024-01-01');
  near(r.weights[0][2], 1);
});

test('next-open: fills at the next open; the overnight gap is missed', () => {
  const r = runBacktest('bh', panel1([100, 110, 99], [100, 105, 100]), allLong(3), opts('next-open'));
  near(r.returns[1], 110 / 105 - 1);
  near(r.returns[2], 99 / 110 - 1);
  assert.equal(r.trades[0].date, '2024-01-02');
  assert.equal(r.trades[0].decisionDate, '2024-01-01');
  near(r.trades[0].fillPrice, 105);
});

test('next-close: fills at the next close; the first interval is flat', () => {
  const r = runBacktest('bh', panel1([100, 110, 99]), allLong(3), opts('next-close'));
  near(r.returns[1], 0);
  near(r.returns[2], 99 / 110 - 1);
  near(r.trades[0].fillPrice, 110);
});

test('commission and slippage, hand-computed', () => {
  const o = opts('same-close', { costs: { commissionBps: 10, slippageBps: 5 } });
  const r = runBacktest('bh', panel1([100, 110, 99]), allLong(3), o);
  // 10,000 shares bought at 100.05 plus 0.1 % commission: cash = 1e6 - 1,000,500 - 1,000.5
  near(r.trades[0].quantity, 10_000, 1e-6);
  near(r.trades[0].fillPrice, 100.05, 1e-9);
  near(r.trades[0].commission, 1000.5, 1e-6);
  near(r.equity[0], 998_499.5, 1e-6);
  near(r.returns[1], 1_098_499.5 / 1e6 - 1, 1e-12); // day-0 costs land in the first return
  near(r.tickerPnl[0][2], (10_000 * (99 - 100) - 500 - 1000.5) / 1e6, 1e-12);
});

test('shorting: a short earns the fall; disabled shorting throws with the date', () => {
  const r = runBacktest('s', panel1([100, 90]), [new Float64Array([-1, -1])], opts('same-close'));
  near(r.returns[1], 0.1);
  near(r.logRewards[1], -Math.log(0.9));
  assert.throws(
    () => runBacktest('s', panel1([100, 90]), [new Float64Array([-1, -1])], opts('same-close', { allowShort: false })),
    /shorting is disabled/,
  );
});

test("'on-change' lets holdings drift; 'every-decision' rebalances", () => {
  const panel: PricePanel = {
    tickers: ['A', 'B'],
    dates: ['d1', 'd2', 'd3'],
    close: [close([100, 200, 200]), close([100, 100, 100])],
  };
  const half = () => [new Float64Array(3).fill(0.5), new Float64Array(3).fill(0.5)];
  const drift = runBacktest('x', panel, half(), opts('same-close'));
  near(drift.weights[0][1], 2 / 3);
  assert.equal(drift.trades.length, 2);
  const reb = runBacktest('x', panel, half(), opts('same-close', { rebalance: 'every-decision' }));
  near(reb.weights[0][1], 0.5);
  assert.ok(reb.trades.length > 2);
  // day 2: A is worth 1.0M, B 0.5M; back to 0.75M each trades 0.5M of 1.5M equity
  near(reb.turnover[1], 1 / 3, 1e-12);
});

test('NaN targets keep holdings; a missing fill price for a live target throws', () => {
  const t = new Float64Array([1, Number.NaN, 0, Number.NaN]);
  const r = runBacktest('x', panel1([100, 110, 121, 150]), [t], opts('same-close'));
  near(r.returns[1], 0.1);
  near(r.returns[2], 0.1); // still held (NaN = keep), sold at the close of day 2
  near(r.returns[3], 0); // flat
  assert.throws(() => runBacktest('x', panel1([100, Number.NaN, 121]), allLong(3), opts('next-close')), /no price/);
});

test("missingPrice 'hold': an order without a fill price stays unfilled, is listed, and fills at the next decision", () => {
  // decided long at the close of day 0, fill due at the close of day 1 (no price: a gap in the data)
  const t = new Float64Array([1, 1, 1, 1]);
  const r = runBacktest('x', panel1([100, Number.NaN, 121, 133.1]), [t], opts('next-close', { missingPrice: 'hold' }));
  assert.deepEqual(r.unfilled, [{ date: r.dates[1], decisionDate: r.dates[0], ticker: r.tickers[0], target: 1 }]);
  near(r.returns[1], 0); // nothing held over the gap
  near(r.returns[2], 0); // bought at the close of day 2 (decision of day 1)
  near(r.returns[3], 0.1);
  assert.equal(r.trades.length, 1);
  assert.equal(r.trades[0].decisionDate, r.dates[1]);
  const ok = runBacktest('x', panel1([100, 110, 121]), allLong(3), opts('next-close', { missingPrice: 'hold' }));
  assert.equal(ok.unfilled, undefined, 'absent when every order filled');
});

test('top-k cohorts: k longs above T, k shorts below -T, held H days, equal split', () => {
  const tickers = ['A', 'B', 'C', 'D'];
  const scores: Record<string, number>[] = [{ A: 9, B: 5, C: -7, D: 2 }, { A: Number.NaN, B: -1, C: 1, D: 8 }, {}];
  const w = topKCohortTargets(scores, tickers, { k: 1, holdDays: 2, threshold: 3 });
  // day 0 cohort: long A, short C, each 1/(2 positions x 2 days)
  assert.deepEqual(w[0], { A: 0.25, B: 0, C: -0.25, D: 0 });
  // day 1 cohort: long D alone (1/(1 x 2)); day-0 cohort still live
  assert.deepEqual(w[1], { A: 0.25, B: 0, C: -0.25, D: 0.5 });
  // day 2: day-0 cohort expired, day-1 cohort live, no new picks
  assert.deepEqual(w[2], { A: 0, B: 0, C: 0, D: 0.5 });
});

test('strategies decide through point-in-time views (tiny dataset)', () => {
  const ds = tinyDataset();
  const bh = backtestStrategy(ds, buyAndHold(), {}, 'adjusted', opts('same-close'));
  // equal weight in AAA (100 -> 105) and BBB (50 -> 45) with drift
  near(bh.equity[5], 0.5e6 * 1.05 + 0.5e6 * 0.9, 1e-6);
  const again = backtestStrategy(ds, randomStrategy(7), {}, 'adjusted', opts('same-close'));
  const again2 = backtestStrategy(ds, randomStrategy(7), {}, 'adjusted', opts('same-close'));
  assert.deepEqual([...again.returns], [...again2.returns]);
  // momentum and SMA need history; with lookback 2 / (1,3) they trade after warm-up
  const m = backtestStrategy(ds, momentum(2), {}, 'adjusted', opts('same-close'));
  assert.ok(m.trades.length > 0);
  assert.equal(m.trades[0].decisionDate, '2024-03-06');
  const s = backtestStrategy(ds, smaCrossover(1, 3, true), {}, 'adjusted', opts('same-close'));
  assert.ok(s.returns[5] > 0); // long the riser, short the faller
});

test('env: discrete actions reproduce the batch backtest, step by step', () => {
  const ds = tinyDataset();
  const env = createTradingEnv(ds, { window: 2, reward: 'return' });
  let s = env.reset();
  assert.equal(env.decisionDate(), '2024-03-06');
  assert.equal(s.observation.length, 2 * 2 + 2 + 1);
  near(s.observation[0], Math.log(101 / 100)); // AAA return on 03-05, the oldest in the window
  const rewards: number[] = [];
  while (!s.terminated) {
    s = env.step([1, -1]);
    rewards.push(s.reward);
  }
  assert.equal(rewards.length, 3);
  near(rewards[0], 0.5 * (103 / 102 - 1) + 0.5 * (1 - 47 / 48));
  assert.match(env.render(), /AAA: position/);
  assert.throws(() => env.step([1, 1]), /episode is over/);
  const v = env.view();
  assert.equal(v.lastBarDate('AAA'), '2024-03-11');
});

test('env: a custom renderer gets the state and a point-in-time view', () => {
  const ds = tinyDataset();
  const env = createTradingEnv(ds, {
    window: 2,
    renderState: (s) =>
      `${s.decisionDate}|${s.closes[0].join(',')}|${s.view
        .news()
        .map((n) => n.id)
        .join(',')}`,
  });
  env.reset();
  // decision at the close of 03-06: AAA closes of 03-05 and 03-06, news published up to then
  assert.equal(env.render(), '2024-03-06|101,102|n1,n2,n3');
});
