// Baseline strategies. Each sees the market only through the point-in-time view it is given.
import type { MarketView } from '../data/pit.ts';
import { createRng } from '../util/rng.ts';
import type { Strategy, TargetWeights } from './types.ts';

/** Closes on the adjusted basis when the data has one (what the strategies reason about). */
function closes(view: MarketView, ticker: string, lookback: number): Float64Array {
  const b = view.bars(ticker, { lookback });
  return Number.isNaN(b.adjClose[0]) ? b.close : b.adjClose;
}

function mean(xs: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i];
  return s / (to - from);
}

/** Equal weight in every ticker from the first decision on; never rebalanced (holdings drift). */
export function buyAndHold(): Strategy {
  return {
    name: 'buy-and-hold',
    decide: ({ tickers }) => Object.fromEntries(tickers.map((t) => [t, 1 / tickers.length])),
  };
}

/** Long (or short, with allowShort) each ticker while its fast SMA is above (below) its slow SMA; flat in warm-up. */
export function smaCrossover(fast = 20, slow = 50, allowShort = false): Strategy {
  if (!(fast > 0 && slow > fast)) throw new RangeError(`sma-crossover needs 0 < fast < slow (got ${fast}, ${slow})`);
  return {
    name: 'sma-crossover',
    decide: ({ view, tickers }) => {
      const w: TargetWeights = {};
      for (const t of tickers) {
        const c = closes(view, t, slow);
        let s = 0;
        if (c.length >= slow) {
          const diff = mean(c, slow - fast, slow) - mean(c, 0, slow);
          s = diff > 0 ? 1 : allowShort && diff < 0 ? -1 : 0;
        }
        w[t] = s / tickers.length;
      }
      return w;
    },
  };
}

/** Time-series momentum: long (short, with allowShort) each ticker whose return over `lookback` days is positive (negative). */
export function momentum(lookback = 60, allowShort = false): Strategy {
  return {
    name: 'momentum',
    decide: ({ view, tickers }) => {
      const w: TargetWeights = {};
      for (const t of tickers) {
        const c = closes(view, t, lookback + 1);
        let s = 0;
        if (c.length === lookback + 1) {
          const r = c[lookback] / c[0] - 1;
          s = r > 0 ? 1 : allowShort && r < 0 ? -1 : 0;
        }
        w[t] = s / tickers.length;
      }
      return w;
    },
  };
}

/** Random positions in {-1, 0, +1} (or {0, +1} without shorting), equally weighted; the draw depends only on seed and date. */
export function randomStrategy(seed: number, allowShort = true): Strategy {
  return {
    name: 'random',
    decide: ({ tickers, decisionDate }) => {
      const rng = createRng(`${seed}:${decisionDate}`);
      const choices = allowShort ? [-1, 0, 1] : [0, 1];
      return Object.fromEntries(tickers.map((t) => [t, rng.pick(choices) / tickers.length]));
    },
  };
}
