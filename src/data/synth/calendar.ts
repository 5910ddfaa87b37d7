// NYSE trading days: weekdays minus the exchange's full-day holidays (rules in force since 1998, Juneteenth from
// 2022) and a few special closures. Early closes (13:00) are not modelled: every session closes at 16:00.
import { DAY_MS } from '../time.ts';
import type { IsoDate } from '../types.ts';

const ymd = (y: number, m: number, d: number): IsoDate => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
/** 0 = Sunday ... 6 = Saturday. */
export const weekday = (date: IsoDate): number => new Date(`${date}T00:00:00Z`).getUTCDay();
export const addDays = (date: IsoDate, n: number): IsoDate =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
function nthWeekday(y: number, m: number, wd: number, n: number): IsoDate {
  if (n > 0) {
    const first = new Date(Date.UTC(y, m - 1, 1)).getUTCDay();
    return ymd(y, m, 1 + ((wd - first + 7) % 7) + 7 * (n - 1));
  }
  const lastDay = new Date(Date.UTC(y, m, 0));
  const back = (lastDay.getUTCDay() - wd + 7) % 7;
  return ymd(y, m, lastDay.getUTCDate() - back);
}

/** Gregorian Easter Sunday (anonymous Gregorian algorithm). */
function easter(y: number): IsoDate {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(y, month, day);
}

/** Saturday -> preceding Friday, Sunday -> following Monday. */
function observed(date: IsoDate): IsoDate {
  const wd = weekday(date);
  return wd === 6 ? addDays(date, -1) : wd === 0 ? addDays(date, 1) : date;
}

/** Unscheduled full-day closures (national days of mourning, 9/11, Hurricane Sandy). */
const SPECIAL_CLOSURES = [
  '2001-09-11',
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11',
  '2007-01-02',
  '2012-10-29',
  '2012-10-30',
  '2018-12-05',
  '2025-01-09',
];

/** NYSE full-day holidays of a year. New Year's Day on a Saturday is not observed (NYSE rule). */
export function nyseHolidays(y: number): Set<IsoDate> {
  const out = new Set<IsoDate>();
  const ny = ymd(y, 1, 1);
  if (weekday(ny) !== 6) out.add(observed(ny));
  out.add(nthWeekday(y, 1, 1, 3)); // Martin Luther King Jr. Day
  out.add(nthWeekday(y, 2, 1, 3)); // Washington's Birthday
  out.add(addDays(easter(y), -2)); // Good Friday
  out.add(nthWeekday(y, 5, 1, -1)); // Memorial Day
  if (y >= 2022) out.add(observed(ymd(y, 6, 19))); // Juneteenth
  out.add(observed(ymd(y, 7, 4)));
  out.add(nthWeekday(y, 9, 1, 1)); // Labor Day
  out.add(nthWeekday(y, 11, 4, 4)); // Thanksgiving
  out.add(observed(ymd(y, 12, 25)));
  for (const d of SPECIAL_CLOSURES) if (d.startsWith(`${y}-`)) out.add(d);
  return out;
}

/** A predicate for trading days (weekdays, minus NYSE holidays when `holidays`). */
export function tradingDayPredicate(holidays: boolean): (date: IsoDate) => boolean {
  const cache = new Map<number, Set<IsoDate>>();
  return (date) => {
    const wd = weekday(date);
    if (wd === 0 || wd === 6) return false;
    if (!holidays) return true;
    const y = +date.slice(0, 4);
    let set = cache.get(y);
    if (!set) {
      set = nyseHolidays(y);
      cache.set(y, set);
    }
    return !set.has(date);
  };
}

/** `count` consecutive trading days, the first on or after `start`. */
export function tradingDays(start: IsoDate, count: number, holidays: boolean): IsoDate[] {
  const isTrading = tradingDayPredicate(holidays);
  const out: IsoDate[] = [];
  for (let d = start; out.length < count; d = addDays(d, 1)) if (isTrading(d)) out.push(d);
  return out;
}
