// The in-memory shape of a dataset. Every timestamp is kept twice: as written in the file (ISO 8601 with an
// offset, or a bare date) and as epoch milliseconds (`...Ms`) resolved by the rules in src/data/time.ts.
// On disk, see docs/data-format.md.

/** A calendar date, `YYYY-MM-DD`, in the market's time zone. */
export type IsoDate = string;

/** Daily bars of one instrument, ascending by date, one row per trading day. NaN marks a field the source lacks. */
export interface Bars {
  ticker: string;
  dates: IsoDate[];
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  /** Close as the source gives it; raw unless the ticker's priceBasis is 'adjusted-only'. */
  close: Float64Array;
  /** Split- and dividend-adjusted close; NaN where the source gives none. */
  adjClose: Float64Array;
  volume: Float64Array;
}

export interface NewsItem {
  id: string;
  /** As given: ISO 8601 with an offset (`2024-01-02T16:05:00-05:00`), or a bare date (end of that day applies). */
  publishedAt: string;
  publishedMs: number;
  tickers: string[];
  headline: string;
  body?: string;
  source: string;
}

export interface Filing {
  id: string;
  ticker: string;
  /** `10-K`, `10-Q`, `8-K`, ... */
  form: string;
  filedAt: string;
  filedMs: number;
  periodEnd?: IsoDate;
  summary?: string;
}

/** One observation of a macro series as first known at `releasedAt` (a vintage). */
export interface MacroObservation {
  series: string;
  /** The period the value describes (e.g. 2024-01-01 for January's CPI). */
  date: IsoDate;
  releasedAt: string;
  releasedMs: number;
  value: number;
}

/** One fundamental figure (long format), known from `releasedAt` on. */
export interface Fundamental {
  ticker: string;
  periodEnd: IsoDate;
  field: string;
  releasedAt: string;
  releasedMs: number;
  value: number;
}

/**
 * How a ticker's prices relate to corporate actions.
 * - `raw`: `close` is the traded price; `adj_close` (when given) is the adjusted series.
 * - `adjusted-only`: the source gives only an adjusted close; `close` holds it and OHLC may be missing.
 */
export type PriceBasis = 'raw' | 'adjusted-only';

export interface TickerMeta {
  priceBasis: PriceBasis;
  hasOhlc: boolean;
  hasVolume: boolean;
}

/** When the market opens and closes, in its own time zone (IANA name). */
export interface MarketCalendar {
  timezone: string;
  /** `HH:MM` local. */
  open: string;
  /** `HH:MM` local. */
  close: string;
}

export interface DatasetMeta {
  /** Format version of the on-disk layout. */
  format: 'rlmf-dataset/1';
  name: string;
  /** Where the data came from, e.g. `synthetic(seed=7)` or `yahoo-csv:/path/AAPL.csv`. */
  source: string;
  calendar: MarketCalendar;
  tickers: Record<string, TickerMeta>;
  /** Rows deliberately skipped at import (only with an explicit flag), by file. */
  skipped?: Record<string, number>;
  /** Free-form provenance (generator config, importer version...). */
  provenance?: Record<string, unknown>;
}

export interface Dataset {
  meta: DatasetMeta;
  bars: Map<string, Bars>;
  /** Sorted ascending by publishedMs, then id. */
  news: NewsItem[];
  /** Sorted ascending by filedMs, then id. */
  filings: Filing[];
  /** Per series, sorted ascending by releasedMs, then date. */
  macro: Map<string, MacroObservation[]>;
  /** Sorted ascending by releasedMs. */
  fundamentals: Fundamental[];
}

export const NYSE: MarketCalendar = { timezone: 'America/New_York', open: '09:30', close: '16:00' };
