// Time rules shared by the whole data layer. Conventions:
// - A timestamp with an offset (`2024-01-02T16:05:00-05:00` or `...Z`) is an instant.
// - A bare date (`2024-01-02`) is taken as the END of that calendar day in the market's time zone
//   (23:59:59.999): the conservative reading, since the hour of release is unknown.
// - A local date-time without an offset is ambiguous and rejected.
import type { IsoDate, MarketCalendar } from './types.ts';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

export const DAY_MS = 86_400_000;

export function isIsoDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(tz, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a time zone. */
export function zonedParts(ms: number, tz: string): { date: IsoDate; minutes: number } {
  const parts = formatterFor(tz).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minutes: +get('hour') * 60 + +get('minute') + +get('second') / 60,
  };
}

/** Offset of `tz` from UTC at instant `ms`, in minutes (New York in winter: -300). */
function offsetMinutes(ms: number, tz: string): number {
  const { date, minutes } = zonedParts(ms, tz);
  const localAsUtc = Date.parse(`${date}T00:00:00Z`) + Math.round(minutes * 60) * 1000;
  return Math.round((localAsUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/** The instant at which the local wall clock in `tz` shows `date` `hh:mm` (DST-correct). */
export function zonedTimeToMs(date: IsoDate, hhmm: string, tz: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  const naive = Date.parse(`${date}T00:00:00Z`) + (h * 60 + m) * 60000;
  let guess = naive - offsetMinutes(naive, tz) * 60000;
  guess = naive - offsetMinutes(guess, tz) * 60000;
  return guess;
}

/** Local calendar date of an instant in the market's time zone. */
export function localDate(ms: number, tz: string): IsoDate {
  return zonedParts(ms, tz).date;
}

export function endOfDayMs(date: IsoDate, tz: string): number {
  return zonedTimeToMs(nextCalendarDate(date), '00:00', tz) - 1;
}

export function nextCalendarDate(date: IsoDate): IsoDate {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

export function marketCloseMs(date: IsoDate, cal: MarketCalendar): number {
  return cal.close === '24:00' ? endOfDayMs(date, cal.timezone) + 1 : zonedTimeToMs(date, cal.close, cal.timezone);
}

export function marketOpenMs(date: IsoDate, cal: MarketCalendar): number {
  return zonedTimeToMs(date, cal.open, cal.timezone);
}

/**
 * Parse a timestamp by the rules above. Returns NaN with a reason when it cannot be read.
 */
export function parseTimestamp(s: string, tz: string): { ms: number; error?: string } {
  const t = s.trim();
  if (DATE_RE.test(t)) {
    if (!isIsoDate(t)) return { ms: Number.NaN, error: `not a calendar date: "${s}"` };
    return { ms: endOfDayMs(t, tz) };
  }
  const m = ISO_RE.exec(t);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t))
      return { ms: Number.NaN, error: `timestamp "${s}" has no time zone offset (add Z or ±HH:MM)` };
    return { ms: Number.NaN, error: `unparseable timestamp "${s}" (expected ISO 8601 with offset, or YYYY-MM-DD)` };
  }
  if (!isIsoDate(`${m[1]}-${m[2]}-${m[3]}`)) return { ms: Number.NaN, error: `not a calendar date: "${s}"` };
  const ms = Date.parse(t.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) return { ms, error: `unparseable timestamp "${s}"` };
  return { ms };
}

/**
 * The trading session a news item counts for: items published at or after `cutoff` local time (default: the
 * market close) count for the next trading date; items on non-trading days count for the next trading date.
 * Returns undefined when the item falls after the last trading date.
 */
export function sessionDateFor(
  ms: number,
  tradingDates: readonly IsoDate[],
  cal: MarketCalendar,
  cutoff: string = cal.close,
): IsoDate | undefined {
  const { date, minutes } = zonedParts(ms, cal.timezone);
  const [h, m] = cutoff.split(':').map(Number);
  const after = minutes >= h * 60 + m;
  // first trading date >= date (strictly > date when after the cutoff)
  let lo = 0;
  let hi = tradingDates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tradingDates[mid] < date || (after && tradingDates[mid] === date)) lo = mid + 1;
    else hi = mid;
  }
  return tradingDates[lo];
}
