// A compact description of a dataset: per ticker date range, rows, price basis and missing fields; counts and time
// ranges of news, filings, macro series and fundamentals. Used by `rlmf data import` and `rlmf data inspect`.
import type { Dataset } from '../types.ts';

export interface TickerSummary {
  ticker: string;
  first: string | null;
  last: string | null;
  rows: number;
  priceBasis: string;
  /** Rows where each field is empty (NaN); only fields with at least one gap are listed. */
  missing: Record<string, number>;
  news: number;
  filings: number;
}

export interface StreamSummary {
  count: number;
  /** Earliest and latest timestamps as written in the files. */
  first: string | null;
  last: string | null;
}

export interface DatasetSummary {
  name: string;
  source: string;
  calendar: string;
  tickers: TickerSummary[];
  bars: number;
  news: StreamSummary;
  filings: StreamSummary;
  macro: StreamSummary & { series: number };
  fundamentals: StreamSummary;
  skipped: Record<string, number>;
}

function stream<T>(items: readonly T[], ms: (x: T) => number, at: (x: T) => string): StreamSummary {
  if (items.length === 0) return { count: 0, first: null, last: null };
  let lo = items[0];
  let hi = items[0];
  for (const x of items) {
    if (ms(x) < ms(lo)) lo = x;
    if (ms(x) > ms(hi)) hi = x;
  }
  return { count: items.length, first: at(lo), last: at(hi) };
}

export function summarizeDataset(ds: Dataset): DatasetSummary {
  const newsPer = new Map<string, number>();
  for (const n of ds.news) for (const t of n.tickers) newsPer.set(t, (newsPer.get(t) ?? 0) + 1);
  const filingsPer = new Map<string, number>();
  for (const f of ds.filings) filingsPer.set(f.ticker, (filingsPer.get(f.ticker) ?? 0) + 1);
  const tickers: TickerSummary[] = [...ds.bars.keys()].sort().map((t) => {
    const b = ds.bars.get(t)!;
    const missing: Record<string, number> = {};
    const cols = { open: b.open, high: b.high, low: b.low, close: b.close, adj_close: b.adjClose, volume: b.volume };
    for (const [name, col] of Object.entries(cols)) {
      const gaps = col.reduce((k, v) => k + (Number.isNaN(v) ? 1 : 0), 0);
      if (gaps) missing[name] = gaps;
    }
    return {
      ticker: t,
      first: b.dates[0] ?? null,
      last: b.dates[b.dates.length - 1] ?? null,
      rows: b.dates.length,
      priceBasis: ds.meta.tickers[t]?.priceBasis ?? 'raw',
      missing,
      news: newsPer.get(t) ?? 0,
      filings: filingsPer.get(t) ?? 0,
    };
  });
  const macroObs = [...ds.macro.values()].flat();
  const cal = ds.meta.calendar;
  return {
    name: ds.meta.name,
    source: ds.meta.source,
    calendar: `${cal.timezone} ${cal.open}-${cal.close}`,
    tickers,
    bars: tickers.reduce((k, t) => k + t.rows, 0),
    news: stream(
      ds.news,
      (n) => n.publishedMs,
      (n) => n.publishedAt,
    ),
    filings: stream(
      ds.filings,
      (f) => f.filedMs,
      (f) => f.filedAt,
    ),
    macro: {
      series: ds.macro.size,
      ...stream(
        macroObs,
        (o) => o.releasedMs,
        (o) => o.releasedAt,
      ),
    },
    fundamentals: stream(
      ds.fundamentals,
      (f) => f.releasedMs,
      (f) => f.releasedAt,
    ),
    skipped: ds.meta.skipped ?? {},
  };
}

const range = (s: StreamSummary) => (s.count ? ` (${s.first} .. ${s.last})` : '');

/** Human-readable lines. */
export function formatSummary(s: DatasetSummary): string[] {
  const out = [`dataset ${s.name} (source ${s.source}), calendar ${s.calendar}`];
  if (s.tickers.length) {
    const w = Math.max(6, ...s.tickers.map((t) => t.ticker.length));
    out.push(`${'ticker'.padEnd(w)}  first       last        rows    basis          news  filings  missing`);
    for (const t of s.tickers) {
      const missing = Object.entries(t.missing)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ');
      out.push(
        `${t.ticker.padEnd(w)}  ${t.first ?? '-'}  ${t.last ?? '-'}  ${String(t.rows).padStart(6)}  ` +
          `${t.priceBasis.padEnd(13)}  ${String(t.news).padStart(5)}  ${String(t.filings).padStart(7)}  ${missing || '-'}`,
      );
    }
  }
  out.push(`bars: ${s.bars} in ${s.tickers.length} ticker(s)`);
  out.push(`news: ${s.news.count}${range(s.news)}`);
  out.push(`filings: ${s.filings.count}${range(s.filings)}`);
  out.push(`macro: ${s.macro.series} series, ${s.macro.count} observation(s)${range(s.macro)}`);
  out.push(`fundamentals: ${s.fundamentals.count}${range(s.fundamentals)}`);
  const skipped = Object.entries(s.skipped);
  if (skipped.length) {
    out.push(`skipped at import (--skip-invalid): ${skipped.reduce((k, [, n]) => k + n, 0)} row(s)`);
    for (const [f, n] of skipped) out.push(`  ${f}: ${n} row(s)`);
  }
  return out;
}
