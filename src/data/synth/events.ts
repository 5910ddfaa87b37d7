// News events with hidden impacts, quarterly earnings (news + fundamentals + filings) and macro series (with
// vintages). Every timestamp is New York local time with its -05:00/-04:00 offset, and every event's first impact
// session is found with sessionDateFor, the same rule the point-in-time layer applies.
import type { Rng } from '../../util/rng.ts';
import { sessionDateFor, zonedTimeToMs } from '../time.ts';
import type { Filing, Fundamental, IsoDate, MacroObservation } from '../types.ts';
import { NYSE } from '../types.ts';
import { addDays, weekday } from './calendar.ts';
import type { Company } from './companies.ts';
import { MONTHS } from './companies.ts';
import type { SynthConfig } from './config.ts';
import { COMPANY_NEWS_TYPES, fillTemplate, headlineVars, TEMPLATES } from './headlines.ts';
import type { EventKind, EventType } from './hidden.ts';

/** An event before ids are assigned. `firstIdx` indexes the trading dates. */
export interface DraftEvent {
  /** Tickers the impact applies to. */
  tickers: string[];
  /** Tickers listed on the news item (empty for market-wide news). */
  newsTickers: string[];
  publishedAt: string;
  publishedMs: number;
  headline: string;
  type: EventType;
  kind: EventKind;
  impact: number;
  impactPath: number[];
  firstIdx: number;
  /** Published outside the session of its first impact day: the first day's share arrives in the opening gap. */
  gap: boolean;
}

export interface MarketClock {
  dates: readonly IsoDate[];
  isTradingDay: (d: IsoDate) => boolean;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** New York wall-clock time `minutes` after midnight on `date`, as ISO with offset and as epoch ms. */
export function stampAt(date: IsoDate, minutes: number): { iso: string; ms: number } {
  const hhmm = `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
  const ms = zonedTimeToMs(date, hhmm, NYSE.timezone);
  const off = Math.round((Date.parse(`${date}T${hhmm}:00Z`) - ms) / 60000);
  const a = Math.abs(off);
  return { iso: `${date}T${hhmm}:00${off < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`, ms };
}

/** Index of the first session an instant can move (dates.length when after the last session). */
export function firstImpactIndex(ms: number, dates: readonly IsoDate[], index: ReadonlyMap<IsoDate, number>): number {
  const d = sessionDateFor(ms, dates, NYSE);
  return d === undefined ? dates.length : index.get(d)!;
}

const uniform = (rng: Rng, a: number, b: number) => a + (b - a) * rng.next();
/** Rounded to 6 decimals, without a negative zero. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6 + 0;

/** Usual sign of each type's news (0: either sign, set per event). */
export const TYPE_SIGN: Record<EventType, number> = {
  'earnings-beat': 1,
  'earnings-miss': -1,
  'guidance-raise': 1,
  'guidance-cut': -1,
  'product-launch': 1,
  lawsuit: -1,
  layoffs: -1,
  'analyst-upgrade': 1,
  'analyst-downgrade': -1,
  'm-and-a': 0,
  macro: 0,
  misc: 0,
};

/** Range of |total log-return impact| of plain news, before `impactScale`. */
export const IMPACT_RANGE: Record<EventType, [number, number]> = {
  'earnings-beat': [0.02, 0.05],
  'earnings-miss': [0.025, 0.06],
  'guidance-raise': [0.02, 0.045],
  'guidance-cut': [0.025, 0.055],
  'product-launch': [0.01, 0.025],
  lawsuit: [0.01, 0.03],
  layoffs: [0.008, 0.02],
  'analyst-upgrade': [0.008, 0.02],
  'analyst-downgrade': [0.008, 0.02],
  'm-and-a': [0.03, 0.08],
  macro: [0.005, 0.015],
  misc: [0, 0],
};

/**
 * Total impact of an event. plain and mixed: the type's sign times a size from IMPACT_RANGE; priced-in: N(0, 0.1 %)
 * clipped to +-0.2 %; hedged: the word's sign times U(0, 0.3 %); negated: the opposite sign at half size;
 * irrelevant: 0. Everything times `scale`.
 */
export function drawImpact(rng: Rng, type: EventType, kind: EventKind, sign: number, scale: number): number {
  const [a, b] = IMPACT_RANGE[type];
  let x: number;
  switch (kind) {
    case 'plain':
    case 'mixed':
      x = sign * uniform(rng, a, b);
      break;
    case 'priced-in':
      x = Math.max(-0.002, Math.min(0.002, 0.001 * rng.normal()));
      break;
    case 'hedged':
      x = sign * uniform(rng, 0, 0.003);
      break;
    case 'negated':
      x = -sign * 0.5 * uniform(rng, a, b);
      break;
    case 'irrelevant':
      x = 0;
      break;
  }
  return round6(x * scale);
}

/**
 * Fractions of the impact per session: length L (P(1..5) = .1, .2, .3, .2, .2, capped at maxLen) with weights
 * rho^k, rho ~ U(0.55, 1): spread out enough that an agent deciding at the close still has most of it ahead.
 * `fast` (deal news): L in {1, 2}, rho = 0.3. Rounded to 4 decimals; the last takes the remainder.
 */
export function drawImpactPath(rng: Rng, maxLen: number, fast = false): number[] {
  const u = rng.next();
  let L = fast ? (u < 0.5 ? 1 : 2) : u < 0.1 ? 1 : u < 0.3 ? 2 : u < 0.6 ? 3 : u < 0.8 ? 4 : 5;
  L = Math.max(1, Math.min(L, maxLen));
  const rho = fast ? 0.3 : uniform(rng, 0.55, 1);
  const w = Array.from({ length: L }, (_, k) => rho ** k);
  const total = w.reduce((s, x) => s + x, 0);
  const out = w.map((x) => Math.round((x / total) * 1e4) / 1e4);
  out[L - 1] = Math.round((1 - out.slice(0, L - 1).reduce((s, x) => s + x, 0)) * 1e4) / 1e4;
  return out;
}

/** Minutes after midnight: pre-market 06:00-09:14, after the close 16:05-19:59, in session 09:45-15:44. */
const PREMARKET: [number, number] = [360, 555];
const AFTER_CLOSE: [number, number] = [965, 1200];
const IN_SESSION: [number, number] = [585, 945];
const minuteIn = (rng: Rng, [a, b]: [number, number]) => a + rng.int(b - a);

/**
 * A publication time whose first impact session is dates[d]: pre-market on d (40 %), after the previous close (35 %),
 * during session d (20 %), or on a weekend/holiday just before d (5 %, when there is one).
 */
function publishTimeFor(rng: Rng, clock: MarketClock, d: number): { date: IsoDate; minutes: number } {
  const { dates } = clock;
  const u = rng.next();
  if (u < 0.75 && u >= 0.4 && d > 0) return { date: dates[d - 1], minutes: minuteIn(rng, AFTER_CLOSE) };
  if (u >= 0.75 && u < 0.95) return { date: dates[d], minutes: minuteIn(rng, IN_SESSION) };
  if (u >= 0.95 && d > 0) {
    const gaps: IsoDate[] = [];
    for (let x = addDays(dates[d - 1], 1); x < dates[d]; x = addDays(x, 1)) gaps.push(x);
    if (gaps.length) return { date: rng.pick(gaps), minutes: minuteIn(rng, [480, 1200]) };
  }
  return { date: dates[d], minutes: minuteIn(rng, PREMARKET) };
}

function pickWeighted<T>(rng: Rng, table: readonly (readonly [number, T])[]): T {
  let u = rng.next() * table.reduce((s, [w]) => s + w, 0);
  for (const [w, x] of table) {
    u -= w;
    if (u < 0) return x;
  }
  return table[table.length - 1][1];
}

/** Shares of the misleading kinds among misleading company news. */
const MISLEADING_MIX: [number, EventKind][] = [
  [0.2, 'mixed'],
  [0.25, 'priced-in'],
  [0.15, 'hedged'],
  [0.2, 'negated'],
  [0.2, 'irrelevant'],
];

interface EventSpec {
  company: Company | undefined;
  /** Impacted tickers. */
  tickers: string[];
  type: EventType;
  kind: EventKind;
  /** Template key. */
  key: string;
  sign: number;
  vars: Record<string, string>;
  date: IsoDate;
  minutes: number;
  fast?: boolean;
}

function templatesFor(key: string): readonly string[] {
  const t = TEMPLATES[key];
  if (!t) throw new Error(`synthetic market: no headline templates for "${key}"`);
  return t;
}

/** Turn a spec into a draft event; undefined when its first impact session lies outside the market. */
function makeEvent(
  rng: Rng,
  cfg: SynthConfig,
  clock: MarketClock,
  index: ReadonlyMap<IsoDate, number>,
  spec: EventSpec,
): DraftEvent | undefined {
  const { iso, ms } = stampAt(spec.date, spec.minutes);
  if (spec.date < clock.dates[0]) return undefined;
  const firstIdx = firstImpactIndex(ms, clock.dates, index);
  if (firstIdx >= clock.dates.length) return undefined;
  const impact = drawImpact(rng, spec.type, spec.kind, spec.sign, cfg.impactScale);
  const impactPath =
    spec.kind === 'irrelevant' ? [1] : drawImpactPath(rng, Math.min(5, clock.dates.length - firstIdx), spec.fast);
  const firstDate = clock.dates[firstIdx];
  const gap = !(spec.date === firstDate && spec.minutes >= 570 && spec.minutes < 960);
  return {
    tickers: spec.tickers,
    newsTickers: spec.company ? [spec.company.ticker] : [],
    publishedAt: iso,
    publishedMs: ms,
    headline: fillTemplate(rng.pick(templatesFor(spec.key)), spec.vars),
    type: spec.type,
    kind: spec.kind,
    impact,
    impactPath,
    firstIdx,
    gap,
  };
}

/** Non-earnings news about one company: a Poisson stream of `newsPerTickerPerWeek` per 5 sessions. */
export function companyNews(
  rng: Rng,
  cfg: SynthConfig,
  clock: MarketClock,
  index: ReadonlyMap<IsoDate, number>,
  co: Company,
): DraftEvent[] {
  const out: DraftEvent[] = [];
  const rate = cfg.newsPerTickerPerWeek / 5;
  if (rate <= 0) return out;
  let t = 0;
  for (;;) {
    t += -Math.log(1 - rng.next()) / rate;
    if (t >= clock.dates.length) break;
    const d = Math.floor(t);
    const kind: EventKind = rng.next() < cfg.misleadingShare ? pickWeighted(rng, MISLEADING_MIX) : 'plain';
    const type = rng.pick(COMPANY_NEWS_TYPES[kind]) as EventType;
    let sign = TYPE_SIGN[type];
    let key = `${type}/${kind}`;
    if (type === 'm-and-a') {
      sign = rng.next() < 0.6 ? 1 : -1;
      if (kind === 'plain') key += sign > 0 ? '+' : '-';
    }
    const { date, minutes } = publishTimeFor(rng, clock, d);
    const vars = headlineVars(rng, co);
    vars.year = date.slice(0, 4);
    const ev = makeEvent(rng, cfg, clock, index, {
      company: co,
      tickers: [co.ticker],
      type,
      kind,
      key,
      sign,
      vars,
      date,
      minutes,
      fast: type === 'm-and-a' && kind === 'plain',
    });
    if (ev) out.push(ev);
  }
  return out;
}

/** Earnings outcomes per quarter: [weight, type, kind, beat] (beat: EPS above trend). */
const EARNINGS_MIX: [number, [EventType, EventKind, boolean]][] = [
  [0.36, ['earnings-beat', 'plain', true]],
  [0.24, ['earnings-miss', 'plain', false]],
  [0.08, ['guidance-raise', 'plain', true]],
  [0.07, ['guidance-cut', 'plain', false]],
  [0.08, ['guidance-cut', 'mixed', true]],
  [0.07, ['guidance-raise', 'mixed', false]],
  [0.06, ['earnings-beat', 'priced-in', true]],
  [0.04, ['earnings-miss', 'priced-in', false]],
];

export interface EarningsRelease {
  ticker: string;
  /** Local date and minutes after midnight of the release. */
  date: IsoDate;
  minutes: number;
  periodEnd: IsoDate;
  releasedAt: string;
  releasedMs: number;
  /** First impact session of the release (dates.length when after the market's end or before its start). */
  firstIdx: number;
}

/** Quarter ends from 5 quarters before `start` up to `end`. */
export function quarterEnds(start: IsoDate, end: IsoDate): IsoDate[] {
  const ends = ['03-31', '06-30', '09-30', '12-31'];
  let y = +start.slice(0, 4) - 2;
  const out: IsoDate[] = [];
  for (;;) {
    for (const e of ends) {
      const d = `${y}-${e}`;
      if (d > end) return out.filter((q) => q >= addDays(start, -460));
      out.push(d);
    }
    y++;
  }
}

/**
 * Quarterly results of one company: fundamentals (revenue, eps, gross_margin, shares_outstanding) released
 * 19-45 days after the quarter end, an 8-K with the release and a 10-Q (10-K for Q4) 30 minutes later, and an
 * earnings news item when the release falls inside the market. Per-share figures after a split are post-split.
 */
export function earnings(
  rng: Rng,
  cfg: SynthConfig,
  clock: MarketClock,
  index: ReadonlyMap<IsoDate, number>,
  co: Company,
  split: { exDate: IsoDate; ratio: number } | undefined,
): { events: DraftEvent[]; fundamentals: Fundamental[]; filings: Filing[]; releases: EarningsRelease[] } {
  const { dates } = clock;
  const last = dates[dates.length - 1];
  const lag = 22 + rng.int(15);
  const minutes = rng.next() < 0.6 ? 965 : 420; // 16:05 after the close, or 07:00 before the open
  let revenue = uniform(rng, 400, 12000);
  let netMargin = uniform(rng, 0.06, 0.22);
  const grossBase = uniform(rng, 0.3, 0.65);
  const shares = uniform(rng, 100, 2000);
  const events: DraftEvent[] = [];
  const fundamentals: Fundamental[] = [];
  const filings: Filing[] = [];
  const releases: EarningsRelease[] = [];
  for (const q of quarterEnds(dates[0], last)) {
    let date = addDays(q, lag + rng.int(7) - 3);
    while (!clock.isTradingDay(date)) date = addDays(date, 1);
    const [type, kind, beat] = pickWeighted(rng, EARNINGS_MIX);
    revenue *= 1 + 0.012 + 0.035 * rng.normal();
    netMargin = Math.max(0.01, Math.min(0.35, netMargin + 0.01 * rng.normal()));
    const s = beat ? 1 : -1;
    const splitDone = split !== undefined && date >= split.exDate;
    const perShare = splitDone ? split.ratio : 1;
    const rev = Math.round(revenue * (1 + s * uniform(rng, 0, 0.03)) * 10) / 10;
    const eps =
      Math.round(((revenue * netMargin) / shares / perShare) * (1 + s * uniform(rng, 0.02, 0.15)) * 100) / 100;
    const gross = Math.round((grossBase + 0.02 * rng.normal()) * 1000) / 1000;
    const sharesOut = Math.round(shares * perShare * 10) / 10;
    if (date > last) break;
    const { iso, ms } = stampAt(date, minutes);
    for (const [field, value] of [
      ['revenue', rev],
      ['eps', eps],
      ['gross_margin', gross],
      ['shares_outstanding', sharesOut],
    ] as const)
      fundamentals.push({ ticker: co.ticker, periodEnd: q, field, releasedAt: iso, releasedMs: ms, value });
    const qn = +q.slice(5, 7) / 3;
    const summary = `Quarter ended ${q}: revenue $${rev.toFixed(1)}M, EPS $${eps.toFixed(2)}, gross margin ${(gross * 100).toFixed(1)}%.`;
    filings.push({
      id: `${co.ticker}-8-K-${q}`,
      ticker: co.ticker,
      form: '8-K',
      filedAt: iso,
      filedMs: ms,
      periodEnd: q,
      summary: `Press release: results for the ${summary.charAt(0).toLowerCase()}${summary.slice(1)}`,
    });
    const later = stampAt(date, minutes + 30);
    const form = qn === 4 ? '10-K' : '10-Q';
    filings.push({
      id: `${co.ticker}-${form}-${q}`,
      ticker: co.ticker,
      form,
      filedAt: later.iso,
      filedMs: later.ms,
      periodEnd: q,
      summary: `${qn === 4 ? 'Annual' : 'Quarterly'} report. ${summary}`,
    });
    const vars = headlineVars(rng, co);
    vars.q = `Q${qn}`;
    vars.year = date.slice(0, 4);
    const ev = makeEvent(rng, cfg, clock, index, {
      company: co,
      tickers: [co.ticker],
      type,
      kind,
      key: `${type}/${kind}`,
      sign: TYPE_SIGN[type],
      vars,
      date,
      minutes,
    });
    if (ev) events.push(ev);
    releases.push({
      ticker: co.ticker,
      date,
      minutes,
      periodEnd: q,
      releasedAt: iso,
      releasedMs: ms,
      firstIdx: ev ? ev.firstIdx : dates.length,
    });
  }
  return { events, fundamentals, filings, releases };
}

// ---------------------------------------------------------------------------------------------------- macro

const monthStart = (y: number, m: number): IsoDate =>
  `${y + Math.floor((m - 1) / 12)}-${pad2(((((m - 1) % 12) + 12) % 12) + 1)}-01`;
/** The first day of the month after the month of `date`. */
const nextMonthStart = (date: IsoDate): IsoDate => `${addDays(`${date.slice(0, 8)}01`, 31).slice(0, 8)}01`;

function nextTradingDay(clock: MarketClock, d: IsoDate): IsoDate {
  while (!clock.isTradingDay(d)) d = addDays(d, 1);
  return d;
}

/** The FOMC-like meeting days of a year: third Wednesday of Jan, Mar, May, Jun, Jul, Sep, Nov, Dec. */
function meetingDays(clock: MarketClock, y: number): IsoDate[] {
  return [1, 3, 5, 6, 7, 9, 11, 12].map((m) => {
    const first = monthStart(y, m);
    const wd = weekday(first);
    return nextTradingDay(clock, addDays(first, ((3 - wd + 7) % 7) + 14));
  });
}

/**
 * Three monthly macro series and the market-wide news they cause:
 * - CPI (index): mom inflation pi[m] = 0.2 % + 0.8 (pi[m-1] - 0.2 %) + 0.12 % z, released the 10th-15th of the next
 *   month at 08:30; news compares the yoy change with the previous month's.
 * - UNRATE (%): the first release is off by 0.1 about a third of the time and REVISED at the next month's release
 *   (a second row with the same date and a later released_at). The first in-market month is always revised.
 * - POLICY_RATE (%): a rate set at eight meetings a year (14:00) by an inflation rule plus surprises; the month-end
 *   value is released on the first trading day of the next month at 16:15.
 * Observations start 12 months before the market. Each release inside the market makes one macro news item.
 */
export function macro(
  rng: Rng,
  cfg: SynthConfig,
  clock: MarketClock,
  index: ReadonlyMap<IsoDate, number>,
  allTickers: string[],
): { events: DraftEvent[]; series: Map<string, MacroObservation[]> } {
  const { dates } = clock;
  const last = dates[dates.length - 1];
  const y0 = +dates[0].slice(0, 4);
  const m0 = +dates[0].slice(5, 7);
  const events: DraftEvent[] = [];
  const macroEvent = (
    key: string,
    kind: EventKind,
    sign: number,
    vars: Record<string, string>,
    date: IsoDate,
    min: number,
  ) => {
    const ev = makeEvent(rng, cfg, clock, index, {
      company: undefined,
      tickers: allTickers,
      type: 'macro',
      kind,
      key,
      sign,
      vars,
      date,
      minutes: min,
    });
    if (ev) events.push(ev);
  };

  // Months from 24 before the start (CPI needs a year of history for yoy) until releases pass the end.
  const months: { date: IsoDate; month: number }[] = [];
  for (let k = -24; ; k++) {
    const date = monthStart(y0, m0 + k);
    if (date > last) break;
    months.push({ date, month: (((m0 + k - 1) % 12) + 12) % 12 });
  }
  const published = (k: number) => k >= 12; // the last 12 pre-market months and after

  const cpi: MacroObservation[] = [];
  const cpiIndex: number[] = [];
  const yoy: number[] = [];
  let pi = 0.002;
  let level = uniform(rng, 240, 270);
  months.forEach((mo, k) => {
    pi = 0.002 + 0.8 * (pi - 0.002) + 0.0012 * rng.normal();
    level *= 1 + pi;
    cpiIndex.push(Math.round(level * 1000) / 1000);
    yoy.push(k >= 12 ? cpiIndex[k] / cpiIndex[k - 12] - 1 : Number.NaN);
    const rel = nextTradingDay(clock, addDays(nextMonthStart(mo.date), 9 + rng.int(6)));
    if (!published(k) || rel > last) return;
    const { iso, ms } = stampAt(rel, 510);
    cpi.push({ series: 'CPI', date: mo.date, releasedAt: iso, releasedMs: ms, value: cpiIndex[k] });
    if (k < 13) return;
    const x = (yoy[k] * 100).toFixed(1);
    const vars = { x, month: MONTHS[mo.month] };
    const hotter = yoy[k] > yoy[k - 1];
    if (rng.next() < 0.3) macroEvent(`cpi/priced-in${hotter ? '-' : '+'}`, 'priced-in', 0, vars, rel, 510);
    else macroEvent(`cpi/plain${hotter ? '-' : '+'}`, 'plain', hotter ? -1 : 1, vars, rel, 510);
  });

  const unrate: MacroObservation[] = [];
  let u = Math.round(uniform(rng, 3.5, 6.5) * 10) / 10;
  let prevFirst = Number.NaN;
  let pending: { date: IsoDate; value: number } | undefined;
  let forced = false;
  months.forEach((mo, k) => {
    u = Math.max(2.5, Math.round((u + 0.1 * Math.round(1.1 * rng.normal() + 0.4 * (5 - u))) * 10) / 10);
    const first1 = nextMonthStart(mo.date);
    const rel = nextTradingDay(clock, addDays(first1, (5 - weekday(first1) + 7) % 7));
    const off = rng.next() < 0.35 ? (rng.next() < 0.5 ? -0.1 : 0.1) : 0;
    if (!published(k) || rel > last) return;
    const { iso, ms } = stampAt(rel, 510);
    if (pending) {
      unrate.push({ series: 'UNRATE', date: pending.date, releasedAt: iso, releasedMs: ms, value: pending.value });
      pending = undefined;
    }
    let firstValue = Math.round((u + off) * 10) / 10;
    if (!forced && rel >= dates[0] && off === 0) firstValue = Math.round((u + 0.1) * 10) / 10;
    if (rel >= dates[0]) forced = true;
    unrate.push({ series: 'UNRATE', date: mo.date, releasedAt: iso, releasedMs: ms, value: firstValue });
    if (firstValue !== u) pending = { date: mo.date, value: u };
    const delta = Math.round((firstValue - prevFirst) * 10);
    prevFirst = firstValue;
    if (Number.isNaN(delta)) return;
    const vars = { x: firstValue.toFixed(1), month: MONTHS[mo.month] };
    if (delta === 0 || rng.next() < 0.25) macroEvent('jobs/priced-in', 'priced-in', 0, vars, rel, 510);
    else macroEvent(`jobs/plain${delta > 0 ? '-' : '+'}`, 'plain', delta > 0 ? -1 : 1, vars, rel, 510);
  });

  // Policy rate: meetings from two years before the start; expected move from the latest yoy inflation.
  let rate = 0.25;
  const decisions: { ms: number; rate: number }[] = [];
  const yoyAt = (date: IsoDate): number => {
    const k = months.findIndex((mo) => mo.date > date) - 2;
    const v = yoy[Math.max(0, k < 0 ? months.length - 2 : k)];
    return Number.isNaN(v) ? 0.024 : v;
  };
  for (let y = y0 - 2; y <= +last.slice(0, 4); y++)
    for (const day of meetingDays(clock, y)) {
      if (day > last) break;
      const inf = yoyAt(day);
      const expected = inf > 0.05 ? 0.5 : inf > 0.03 ? 0.25 : inf < 0.015 && rate > 0.25 ? -0.25 : 0;
      let move = expected;
      if (rng.next() < 0.25) {
        if (expected > 0) move = rng.next() < 0.5 ? 0 : expected + 0.25;
        else if (expected < 0) move = rng.next() < 0.5 ? 0 : -0.5;
        else move = rate > 0.25 && rng.next() < 0.5 ? -0.25 : 0.25;
      }
      move = Math.max(move, 0.25 - rate);
      rate = Math.round((rate + move) * 100) / 100;
      const { ms } = stampAt(day, 840);
      decisions.push({ ms, rate });
      const action = move > 0 ? 'hike' : move < 0 ? 'cut' : 'hold';
      const vars = { bp: String(Math.round(Math.abs(move) * 100)) };
      if (move === expected) macroEvent(`fed-${action}/priced-in`, 'priced-in', 0, vars, day, 840);
      else {
        const sign = move > expected ? -1 : 1;
        macroEvent(`fed-${action}/plain${sign > 0 ? '+' : '-'}`, 'plain', sign, vars, day, 840);
      }
    }
  const policy: MacroObservation[] = [];
  months.forEach((mo, k) => {
    const nextMonth = nextMonthStart(mo.date);
    const rel = nextTradingDay(clock, nextMonth);
    if (!published(k) || rel > last) return;
    const endMs = stampAt(nextMonth, 0).ms;
    let v = 0.25;
    for (const dcs of decisions) if (dcs.ms < endMs) v = dcs.rate;
    const { iso, ms } = stampAt(rel, 975);
    policy.push({ series: 'POLICY_RATE', date: mo.date, releasedAt: iso, releasedMs: ms, value: v });
  });

  // Other market-wide news: about one plain item a month and one hedged item every two months, at 10:00.
  for (let d = 0; d < dates.length; d++) {
    const u1 = rng.next();
    if (u1 < 1 / 21) {
      const sign = rng.next() < 0.5 ? 1 : -1;
      macroEvent(`macro/plain${sign > 0 ? '+' : '-'}`, 'plain', sign, { span: String(3 + rng.int(30)) }, dates[d], 600);
    } else if (u1 < 1.5 / 21) macroEvent('macro/hedged', 'hedged', rng.next() < 0.5 ? 1 : -1, {}, dates[d], 600);
  }

  const byRelease = (a: MacroObservation, b: MacroObservation) =>
    a.releasedMs - b.releasedMs || (a.date < b.date ? -1 : 1);
  return {
    events,
    series: new Map([
      ['CPI', cpi.sort(byRelease)],
      ['POLICY_RATE', policy.sort(byRelease)],
      ['UNRATE', unrate.sort(byRelease)],
    ]),
  };
}
