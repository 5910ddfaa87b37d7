// Synthetic StrategyRun objects for the report tests (seeded, so every call gives the same runs).
import type { StrategyRun, Trade } from '../src/backtest/types.ts';
import type { ReportInput } from '../src/report/types.ts';
import { createRng } from '../src/util/rng.ts';

/** `n` weekdays from 2020-01-02 on. */
export function weekdays(n: number, start = '2020-01-02'): string[] {
  const out: string[] = [];
  const d = new Date(`${start}T00:00:00Z`);
  while (out.length < n) {
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** A run with daily ticker returns ~ N(drift, vol), random weights, and a trade every 20 days. */
export function syntheticRun(name: string, tickers: string[], days: number, seed: number | string): StrategyRun {
  const rng = createRng(seed);
  const dates = weekdays(days);
  const returns = new Float64Array(days);
  const equity = new Float64Array(days);
  const logRewards = new Float64Array(days);
  const turnover = new Float64Array(days);
  const weights = tickers.map(() => new Float64Array(days));
  const tickerPnl = tickers.map(() => new Float64Array(days));
  const trades: Trade[] = [];
  const capital = 100_000;
  equity[0] = capital;
  let w = tickers.map(() => rng.next() / tickers.length);
  for (let i = 0; i < days; i++) {
    if (i > 0) {
      let r = 0;
      tickers.forEach((_, k) => {
        const tr = 0.0003 + 0.012 * rng.normal();
        r += w[k] * tr;
        tickerPnl[k][i] = tickerPnl[k][i - 1] + (w[k] * tr * equity[i - 1]) / capital;
        logRewards[i] += w[k] * Math.log(1 + tr);
      });
      returns[i] = r;
      equity[i] = equity[i - 1] * (1 + r);
    }
    if (i % 20 === 0 && i > 0) {
      const next = tickers.map(() => rng.next() / tickers.length);
      let traded = 0;
      tickers.forEach((ticker, k) => {
        const dw = next[k] - w[k];
        const notional = Math.abs(dw) * equity[i];
        traded += notional;
        const fillPrice = 100 + i / 10;
        trades.push({
          date: dates[i],
          decisionDate: dates[i - 1],
          ticker,
          side: dw >= 0 ? 'buy' : 'sell',
          quantity: notional / fillPrice,
          fillPrice,
          notional,
          commission: notional * 0.0005,
        });
      });
      turnover[i] = traded / equity[i];
      w = next;
    }
    tickers.forEach((_, k) => {
      weights[k][i] = w[k];
    });
  }
  return { name, tickers, dates, returns, equity, logRewards, weights, tickerPnl, turnover, trades };
}

export function smallInput(): ReportInput {
  const a = syntheticRun('buy & hold', ['AAPL', 'MSFT'], 60, 1);
  a.metrics = {
    cumulativeReturn: 0.1234,
    annualReturn: 0.0567,
    annualVol: 0.2,
    sharpe: 1.23456,
    sortino: null,
    maxDrawdown: -0.0789,
    hitRate: 0.55,
  };
  const b = syntheticRun('<script>alert("x")</script>', ['AAPL', 'MSFT'], 60, 2);
  b.metrics = {
    cumulativeReturn: -0.05,
    annualReturn: -0.02,
    annualVol: 0.15,
    sharpe: -0.4,
    sortino: -0.5,
    maxDrawdown: -0.12,
    hitRate: 0.45,
  };
  return {
    title: 'Test run <b>bold</b>',
    config: { strategies: ['buy & hold'], note: '</pre><img src=x onerror=alert(1)>' },
    seed: 42,
    versions: { rlmf: '0.1.0', node: 'v22' },
    dataset: { name: 'synthetic', source: 'rlmf data synth --seed 7' },
    runs: [a, b],
    notes: ['oracle uses hidden impacts: an upper bound, not a strategy'],
  };
}
