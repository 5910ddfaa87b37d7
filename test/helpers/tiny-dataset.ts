// A small hand-made dataset for tests: two tickers, 6 trading days, news/filings/macro/fundamentals around them.
import { emptyDataset } from '../../src/data/dataset.ts';
import { parseTimestamp } from '../../src/data/time.ts';
import { type Bars, type Dataset, NYSE } from '../../src/data/types.ts';

export const DATES = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08', '2024-03-11'];

export function bars(ticker: string, close: number[], open?: number[]): Bars {
  const c = Float64Array.from(close);
  const o = Float64Array.from(open ?? close);
  return {
    ticker,
    dates: DATES.slice(0, close.length),
    open: o,
    high: Float64Array.from(c, (x, i) => Math.max(x, o[i]) * 1.01),
    low: Float64Array.from(c, (x, i) => Math.min(x, o[i]) * 0.99),
    close: c,
    adjClose: new Float64Array(c.length).fill(Number.NaN),
    volume: new Float64Array(c.length).fill(1000),
  };
}

const ms = (s: string) => parseTimestamp(s, NYSE.timezone).ms;

export function tinyDataset(): Dataset {
  const ds = emptyDataset({
    name: 'tiny',
    source: 'test',
    calendar: NYSE,
    tickers: {
      AAA: { priceBasis: 'raw', hasOhlc: true, hasVolume: true },
      BBB: { priceBasis: 'raw', hasOhlc: true, hasVolume: true },
    },
  });
  ds.bars.set('AAA', bars('AAA', [100, 101, 102, 103, 104, 105]));
  ds.bars.set('BBB', bars('BBB', [50, 49, 48, 47, 46, 45]));
  const news = (id: string, at: string, headline: string, tickers = ['AAA']) => ({
    id,
    publishedAt: at,
    publishedMs: ms(at),
    tickers,
    headline,
    source: 'test',
  });
  ds.news = [
    news('n1', '2024-03-05T10:00:00-05:00', 'AAA intraday news'),
    news('n2', '2024-03-05T16:30:00-05:00', 'AAA after-close news', ['AAA', 'BBB']),
    news('n3', '2024-03-06T15:59:00-05:00', 'BBB before-close news', ['BBB']),
    news('n4', '2024-03-07T09:00:00-05:00', 'FUTURE: AAA premarket news'),
    news('n5', '2024-03-08', 'FUTURE: bare-date news (end of day)'),
  ].sort((a, b) => a.publishedMs - b.publishedMs);
  ds.filings = [
    {
      id: 'f1',
      ticker: 'AAA',
      form: '10-Q',
      filedAt: '2024-03-05T17:00:00-05:00',
      filedMs: ms('2024-03-05T17:00:00-05:00'),
    },
    { id: 'f2', ticker: 'AAA', form: '10-K', filedAt: '2024-03-07', filedMs: ms('2024-03-07') },
  ];
  // CPI for February: first print on 03-05, revised on 03-07 (the revision must be invisible on 03-06)
  ds.macro.set('CPI', [
    { series: 'CPI', date: '2024-01-01', releasedAt: '2024-02-13', releasedMs: ms('2024-02-13'), value: 3.1 },
    {
      series: 'CPI',
      date: '2024-02-01',
      releasedAt: '2024-03-05T08:30:00-05:00',
      releasedMs: ms('2024-03-05T08:30:00-05:00'),
      value: 3.2,
    },
    {
      series: 'CPI',
      date: '2024-02-01',
      releasedAt: '2024-03-07T08:30:00-05:00',
      releasedMs: ms('2024-03-07T08:30:00-05:00'),
      value: 9.9,
    },
    {
      series: 'CPI',
      date: '2024-03-01',
      releasedAt: '2024-04-10T08:30:00-04:00',
      releasedMs: ms('2024-04-10T08:30:00-04:00'),
      value: 9.9,
    },
  ]);
  ds.fundamentals = [
    {
      ticker: 'AAA',
      periodEnd: '2023-12-31',
      field: 'eps',
      releasedAt: '2024-02-01',
      releasedMs: ms('2024-02-01'),
      value: 1.5,
    },
    {
      ticker: 'AAA',
      periodEnd: '2024-03-31',
      field: 'eps',
      releasedAt: '2024-03-08',
      releasedMs: ms('2024-03-08'),
      value: 99,
    },
  ];
  return ds;
}
