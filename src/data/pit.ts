// Point-in-time access. An agent or feature deciding at instant t sees the market only through a MarketView
// fixed at t: bars whose close is at or before t, news by publish time, filings by filing time, macro values by
// release time (the vintage known at t), fundamentals by release time. Asking for anything later throws
// LookAheadError. The view holds the dataset in a closure and hands out copies, so nothing later is reachable.
import { LookAheadError } from './errors.ts';
import { marketCloseMs, sessionDateFor } from './time.ts';
import type { Bars, Dataset, Filing, Fundamental, IsoDate, MacroObservation, NewsItem } from './types.ts';

export interface BarsQuery {
  /** Only the last `lookback` visible bars. */
  lookback?: number;
  from?: IsoDate;
  /** Must not lie after the decision time's visible range (throws LookAheadError). */
  to?: IsoDate;
}

export interface TimeQuery {
  ticker?: string;
  /** Instant (ms) or date; items at or after it. */
  since?: number | IsoDate;
  /** Instant (ms) or date; must not be after the decision time (throws LookAheadError). */
  until?: number | IsoDate;
  /** Only the newest `limit` items. */
  limit?: number;
}

export interface MarketView {
  /** The decision instant (epoch ms). Everything visible is stamped at or before it. */
  readonly decisionTime: number;
  readonly tickers: readonly string[];
  /** Bars of `ticker` whose session closed at or before the decision time (copies). */
  bars(ticker: string, q?: BarsQuery): Bars;
  /** Date of the newest visible bar of `ticker`, or undefined if none. */
  lastBarDate(ticker: string): IsoDate | undefined;
  /** News published at or before the decision time, oldest first. */
  news(q?: TimeQuery): NewsItem[];
  /**
   * News that counts for trading session `date` under a session cutoff (default: the market close): items published
   * after the cutoff on the previous trading day up to the cutoff on `date`. Throws if that window ends after the
   * decision time.
   */
  newsForSession(date: IsoDate, q?: { ticker?: string; cutoff?: string }): NewsItem[];
  filings(q?: TimeQuery): Filing[];
  /** Per observation date, the latest value released at or before the decision time (vintage-correct). */
  macro(series: string): MacroObservation[];
  macroSeries(): string[];
  fundamentals(q?: { ticker?: string; field?: string }): Fundamental[];
}

interface DatasetIndex {
  closeMs: Map<string, Float64Array>;
  tradingDates: IsoDate[];
}

const indexCache = new WeakMap<Dataset, DatasetIndex>();

function indexOf(ds: Dataset): DatasetIndex {
  let idx = indexCache.get(ds);
  if (!idx) {
    const closeMs = new Map<string, Float64Array>();
    const all = new Set<IsoDate>();
    for (const [t, b] of ds.bars) {
      closeMs.set(
        t,
        Float64Array.from(b.dates, (d) => marketCloseMs(d, ds.meta.calendar)),
      );
      for (const d of b.dates) all.add(d);
    }
    idx = { closeMs, tradingDates: [...all].sort() };
    indexCache.set(ds, idx);
  }
  return idx;
}

/** Number of leading elements (of `n`, ascending by `at`) whose value is <= x. */
function countAtOrBefore(n: number, at: (i: number) => number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sliceBars(b: Bars, from: number, to: number): Bars {
  return {
    ticker: b.ticker,
    dates: b.dates.slice(from, to),
    open: b.open.slice(from, to),
    high: b.high.slice(from, to),
    low: b.low.slice(from, to),
    close: b.close.slice(from, to),
    adjClose: b.adjClose.slice(from, to),
    volume: b.volume.slice(from, to),
  };
}

/** The trading dates of the dataset (union over tickers), ascending. */
export function tradingDates(ds: Dataset): readonly IsoDate[] {
  return indexOf(ds).tradingDates;
}

/** The decision instant for "decide at the close of `date`". */
export function closeDecisionTime(ds: Dataset, date: IsoDate): number {
  return marketCloseMs(date, ds.meta.calendar);
}

export function createMarketView(ds: Dataset, decisionTime: number): MarketView {
  if (!Number.isFinite(decisionTime)) throw new TypeError('decisionTime must be a finite epoch-ms number');
  const { closeMs, tradingDates: dates } = indexOf(ds);
  const cal = ds.meta.calendar;
  const tickers = Object.freeze([...ds.bars.keys()].sort());
  const iso = new Date(decisionTime).toISOString();
  const late = (what: string, when: string) =>
    new LookAheadError(`${what} (${when}) is after the decision time ${iso}: not visible at this point in time`);
  const toMs = (x: number | IsoDate, end: boolean): number =>
    typeof x === 'number' ? x : end ? marketCloseMs(x, { ...cal, close: '24:00' }) - 1 : Date.parse(`${x}T00:00:00Z`);

  const visibleCount = (ticker: string): number => {
    const c = closeMs.get(ticker);
    if (!c) throw new RangeError(`unknown ticker "${ticker}"; dataset has: ${tickers.join(', ')}`);
    return countAtOrBefore(c.length, (i) => c[i], decisionTime);
  };
  const checkUntil = (q: TimeQuery | undefined, what: string): number => {
    if (q?.until === undefined) return decisionTime;
    const u = toMs(q.until, true);
    if (u > decisionTime) throw late(`${what} until ${q.until}`, new Date(u).toISOString());
    return u;
  };
  const window = <T>(items: readonly T[], stamp: (x: T) => number, q: TimeQuery | undefined, what: string) => {
    const until = checkUntil(q, what);
    const since = q?.since === undefined ? Number.NEGATIVE_INFINITY : toMs(q.since, false);
    const hi = countAtOrBefore(items.length, (i) => stamp(items[i]), until);
    const out: T[] = [];
    for (let i = hi - 1; i >= 0; i--) {
      const it = items[i];
      const s = stamp(it);
      if (s < since) break;
      if (q?.ticker !== undefined && !matchesTicker(it, q.ticker)) continue;
      out.push(Object.freeze({ ...it }));
      if (q?.limit !== undefined && out.length >= q.limit) break;
    }
    return out.reverse();
  };

  return Object.freeze({
    decisionTime,
    tickers,
    bars(ticker: string, q?: BarsQuery): Bars {
      const b = ds.bars.get(ticker)!;
      let hi = visibleCount(ticker);
      if (q?.to !== undefined) {
        const toClose = marketCloseMs(q.to, cal);
        if (toClose > decisionTime)
          throw late(`bars of ${ticker} to ${q.to}`, `session closes ${new Date(toClose).toISOString()}`);
        hi = Math.min(
          hi,
          countAtOrBefore(b.dates.length, (i) => marketCloseMs(b.dates[i], cal), toClose),
        );
      }
      let lo = 0;
      if (q?.from !== undefined) lo = b.dates.findIndex((d) => d >= q.from!);
      if (lo < 0) lo = hi;
      if (q?.lookback !== undefined) lo = Math.max(lo, hi - q.lookback);
      return sliceBars(b, lo, Math.max(lo, hi));
    },
    lastBarDate(ticker: string) {
      const n = visibleCount(ticker);
      return n > 0 ? ds.bars.get(ticker)!.dates[n - 1] : undefined;
    },
    news: (q?: TimeQuery) => window(ds.news, (n) => n.publishedMs, q, 'news'),
    newsForSession(date: IsoDate, q?: { ticker?: string; cutoff?: string }) {
      const cutoff = q?.cutoff ?? cal.close;
      // The session's window ends at its cutoff; deciding before then would miss (or peek at) part of it.
      const [h, m] = cutoff.split(':').map(Number);
      const windowEnd = marketCloseMs(date, {
        ...cal,
        close: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
      });
      const out: NewsItem[] = [];
      // news is sorted by publication time: items after the window's end belong to later sessions
      const last = countAtOrBefore(ds.news.length, (i) => ds.news[i].publishedMs, windowEnd) - 1;
      for (let i = last; i >= 0; i--) {
        const n = ds.news[i];
        const s = sessionDateFor(n.publishedMs, dates, cal, cutoff);
        if (s === undefined || s > date) continue;
        if (s < date) break;
        if (q?.ticker === undefined || n.tickers.includes(q.ticker)) out.push(Object.freeze({ ...n }));
      }
      if (windowEnd > decisionTime)
        throw late(`news for session ${date}`, `its window closes ${new Date(windowEnd).toISOString()}`);
      return out.reverse();
    },
    filings: (q?: TimeQuery) => window(ds.filings, (f) => f.filedMs, q, 'filings'),
    macro(series: string) {
      const obs = ds.macro.get(series);
      if (!obs) throw new RangeError(`unknown macro series "${series}"`);
      const latest = new Map<IsoDate, MacroObservation>();
      for (const o of obs) {
        if (o.releasedMs > decisionTime) break;
        latest.set(o.date, o);
      }
      return [...latest.values()].sort((a, b) => (a.date < b.date ? -1 : 1)).map((o) => Object.freeze({ ...o }));
    },
    macroSeries: () => [...ds.macro.keys()].sort(),
    fundamentals(q?: { ticker?: string; field?: string }) {
      const out: Fundamental[] = [];
      for (const f of ds.fundamentals) {
        if (f.releasedMs > decisionTime) break;
        if (q?.ticker !== undefined && f.ticker !== q.ticker) continue;
        if (q?.field !== undefined && f.field !== q.field) continue;
        out.push(Object.freeze({ ...f }));
      }
      return out;
    },
  });
}

function matchesTicker(item: unknown, ticker: string): boolean {
  const it = item as { tickers?: string[]; ticker?: string };
  return it.tickers ? it.tickers.includes(ticker) : it.ticker === ticker;
}
