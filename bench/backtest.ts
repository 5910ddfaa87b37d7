// Backtester and env throughput, with grademark (an npm backtesting engine) run side by side on the same rule.
import { createRequire } from 'node:module';
import { DEFAULT_BACKTEST, type PricePanel, runBacktest } from '../src/backtest/engine.ts';
import { createTradingEnv } from '../src/backtest/env.ts';
import { runVectorized } from '../src/backtest/vectorized.ts';
import { emptyDataset } from '../src/data/dataset.ts';
import { NYSE } from '../src/data/types.ts';
import { createRng } from '../src/util/rng.ts';
import { type BenchResult, bestOfMs } from './types.ts';

const require = createRequire(import.meta.url);

function randomWalk(n: number, seed: number) {
  const rng = createRng(seed);
  const close = new Float64Array(n);
  const open = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    open[i] = p * (1 + 0.002 * rng.normal());
    p = open[i] * (1 + 0.01 * rng.normal());
    close[i] = p;
  }
  return { open, close };
}

/** close > SMA(20) -> long, else flat: decided at each close. */
function smaTargets(close: Float64Array, n = 20): Float64Array {
  const t = new Float64Array(close.length);
  let s = 0;
  for (let i = 0; i < close.length; i++) {
    s += close[i];
    if (i >= n) s -= close[i - n];
    t[i] = i >= n - 1 && close[i] > s / n ? 1 : 0;
  }
  return t;
}

/** Best of `reps` timed runs after a warm-up, in seconds. */
const best = (fn: () => void, reps = 5): number => bestOfMs(fn, reps) / 1000;

export async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const N = 1_000_000;
  const { open, close } = randomWalk(N, 1);
  const dates = Array.from({ length: N }, (_, i) => String(i));
  const panel: PricePanel = { tickers: ['X'], dates, close: [close], open: [open] };
  const targets = [smaTargets(close)];
  const opts = { ...DEFAULT_BACKTEST, timing: { decision: 'close' as const, fill: 'next-open' as const } };
  let trades = 0;
  const sec = best(() => {
    trades = runBacktest('sma', panel, targets, opts).trades.length;
  });
  out.push({
    name: 'backtest, 1 asset x 1M bars (SMA rule, next-open fills)',
    value: N / sec,
    unit: 'bar-steps/s',
    target: '>= 2e7',
    note: `${trades} trades`,
  });

  const vsec = best(() => runVectorized(panel, targets, opts));
  out.push({
    name: 'vectorised backtest, 1 asset x 1M bars (same rule)',
    value: N / vsec,
    unit: 'bar-steps/s',
    target: '>= 2e7',
  });
  out[0].target = '(ledger path)';

  // 10 assets x 100k bars
  const K = 10;
  const M = 100_000;
  const walks = Array.from({ length: K }, (_, k) => randomWalk(M, 10 + k));
  const panelK: PricePanel = {
    tickers: walks.map((_, k) => `T${k}`),
    dates: dates.slice(0, M),
    close: walks.map((w) => w.close),
    open: walks.map((w) => w.open),
  };
  const targetsK = walks.map((w) => smaTargets(w.close).map((x) => x / K));
  const secK = best(() => runBacktest('sma', panelK, targetsK, opts), 3);
  out.push({ name: 'backtest, 10 assets x 100k bars', value: (K * M) / secK, unit: 'bar-steps/s' });

  // grademark on the same rule, 100k bars (its per-bar object pipeline is much slower)
  const G = 100_000;
  const { backtest } = require('grademark');
  const { DataFrame } = require('data-forge');
  const sma = smaTargets(close.subarray(0, G));
  const bars = Array.from({ length: G }, (_, i) => ({
    time: new Date(Date.UTC(2000, 0, 1) + i * 86_400_000),
    open: open[i],
    high: Math.max(open[i], close[i]),
    low: Math.min(open[i], close[i]),
    close: close[i],
    long: sma[i],
  }));
  const frame = new DataFrame(bars);
  let gTrades = 0;
  const gSec = best(() => {
    gTrades = backtest(
      {
        entryRule: (enter: () => void, a: { bar: { long: number } }) => {
          if (a.bar.long === 1) enter();
        },
        exitRule: (exit: () => void, a: { bar: { long: number } }) => {
          if (a.bar.long === 0) exit();
        },
      },
      frame,
    ).length;
  }, 2);
  const oursG = best(
    () =>
      runBacktest(
        'sma',
        { tickers: ['X'], dates: dates.slice(0, G), close: [close.subarray(0, G)], open: [open.subarray(0, G)] },
        [sma],
        opts,
      ),
    5,
  );
  out.push({
    name: 'grademark 0.3 backtest, same rule, 100k bars',
    value: G / gSec,
    unit: 'bar-steps/s',
    note: `${gTrades} round trips`,
  });
  out.push({
    name: 'rlmf backtest, same rule, same 100k bars',
    value: G / oursG,
    unit: 'bar-steps/s',
    note: `x${(gSec / oursG).toFixed(0)} grademark`,
  });

  // env.step without an LLM
  const ds = emptyDataset({
    name: 'bench',
    source: 'random walk',
    calendar: NYSE,
    tickers: { X: { priceBasis: 'raw', hasOhlc: true, hasVolume: false } },
  });
  const S = 200_000;
  const start = Date.UTC(1900, 0, 1);
  ds.bars.set('X', {
    ticker: 'X',
    dates: Array.from({ length: S }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10)),
    open: open.slice(0, S),
    high: close.slice(0, S),
    low: close.slice(0, S),
    close: close.slice(0, S),
    adjClose: new Float64Array(S).fill(Number.NaN),
    volume: new Float64Array(S),
  });
  const env = createTradingEnv(ds, { window: 10 });
  const action = new Float64Array(1);
  let steps = 0;
  const envSec = best(() => {
    let s = env.reset();
    steps = 0;
    while (!s.terminated) {
      action[0] = steps % 7 < 3 ? 1 : steps % 7 < 5 ? 0 : -1;
      s = env.step(action);
      steps++;
    }
  }, 3);
  out.push({ name: 'env.step (no LLM), 1 asset, window 10', value: steps / envSec, unit: 'steps/s', target: '>= 1e6' });
  return out;
}
