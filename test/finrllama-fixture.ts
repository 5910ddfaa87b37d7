// A hand-built dataset for the FinRLlama tests: tickers with given closes on consecutive NYSE days, and news at given
// instants. open = high = low = close, adj_close = close, volume 1000.
import type { Bars, Dataset, NewsItem } from '../src/data/types.ts';
import { NYSE } from '../src/data/types.ts';

export function handDataset(
  dates: string[],
  closes: Record<string, number[]>,
  news: { id: string; at: string; tickers: string[]; headline: string }[] = [],
): Dataset {
  const bars = new Map<string, Bars>();
  for (const [t, c] of Object.entries(closes)) {
    if (c.length !== dates.length) throw new Error(`${t}: ${c.length} closes for ${dates.length} dates`);
    const col = Float64Array.from(c);
    bars.set(t, {
      ticker: t,
      dates: [...dates],
      open: col.slice(),
      high: col.slice(),
      low: col.slice(),
      close: col.slice(),
      adjClose: col.slice(),
      volume: new Float64Array(c.length).fill(1000),
    });
  }
  const items: NewsItem[] = news
    .map((n) => ({
      id: n.id,
      publishedAt: n.at,
      publishedMs: Date.parse(n.at),
      tickers: n.tickers,
      headline: n.headline,
      source: 'test',
    }))
    .sort((a, b) => a.publishedMs - b.publishedMs || (a.id < b.id ? -1 : 1));
  return {
    meta: {
      format: 'rlmf-dataset/1',
      name: 'finrllama-hand',
      source: 'test',
      calendar: NYSE,
      tickers: Object.fromEntries(
        Object.keys(closes).map((t) => [t, { priceBasis: 'raw' as const, hasOhlc: true, hasVolume: true }]),
      ),
    },
    bars,
    news: items,
    filings: [],
    macro: new Map(),
    fundamentals: [],
  };
}
