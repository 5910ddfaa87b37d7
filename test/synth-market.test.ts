import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../src/data/dataset.ts';
import { DataError, UsageError } from '../src/data/errors.ts';
import { nyseHolidays, tradingDays } from '../src/data/synth/calendar.ts';
import {
  DEFAULT_SYNTH_CONFIG,
  parseSynthConfig,
  QUICK_SYNTH_CONFIG,
  SynthConfigSchema,
} from '../src/data/synth/config.ts';
import { TYPE_SIGN } from '../src/data/synth/events.ts';
import { generateMarket, type SyntheticMarket, writeSyntheticMarket } from '../src/data/synth/generate.ts';
import { EVENT_KINDS, EVENT_TYPES, type HiddenEvent, loadHiddenImpacts } from '../src/data/synth/hidden.ts';
import { marketCloseMs, sessionDateFor, zonedParts } from '../src/data/time.ts';
import { NYSE } from '../src/data/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-synth-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// One default market shared by the read-only checks below (generation takes well under a second).
const market: SyntheticMarket = generateMarket({});
const defaultDir = join(tmp, 'default');
writeSyntheticMarket(defaultDir, market);
const tickers = [...market.dataset.bars.keys()];
const dates = market.dataset.bars.get(tickers[0])!.dates;
const D = dates.length;
const dateIdx = new Map(dates.map((d, i) => [d, i]));
/** Daily log returns of adj_close (index 0 = NaN). */
const logRet = new Map(
  tickers.map((t) => {
    const b = market.dataset.bars.get(t)!;
    const r = new Float64Array(D).fill(Number.NaN);
    for (let i = 1; i < D; i++) r[i] = Math.log(b.adjClose[i] / b.adjClose[i - 1]);
    return [t, r];
  }),
);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
const std = (a: ArrayLike<number>) => {
  const m = mean(a);
  return Math.sqrt(Array.from(a).reduce((s, x) => s + (x - m) ** 2, 0) / a.length);
};

test('config: defaults, QUICK preset, and clear errors naming the field', () => {
  assert.equal(DEFAULT_SYNTH_CONFIG.tickers, 8);
  assert.equal(DEFAULT_SYNTH_CONFIG.days, 756);
  assert.equal(DEFAULT_SYNTH_CONFIG.start, '2021-01-04');
  assert.equal(DEFAULT_SYNTH_CONFIG.corpusLines, 20000);
  assert.deepEqual([QUICK_SYNTH_CONFIG.tickers, QUICK_SYNTH_CONFIG.days], [6, 504]);
  assert.deepEqual(SynthConfigSchema.parse({}), DEFAULT_SYNTH_CONFIG);
  assert.throws(
    () => parseSynthConfig({ tickers: 0 }),
    (e: Error) => e instanceof UsageError && /tickers/.test(e.message),
  );
  assert.throws(() => parseSynthConfig({ start: '2021-02-30' }), /start: expected a calendar date/);
  assert.throws(() => parseSynthConfig({ tickers: 9, sectors: ['energy'] }), /tickers: tickers must be at most 8/);
  assert.throws(() => parseSynthConfig({ seeed: 1 }), /seeed/);
});

test('calendar: NYSE holidays and trading days', () => {
  const h21 = [...nyseHolidays(2021)].sort();
  assert.deepEqual(h21, [
    '2021-01-01',
    '2021-01-18',
    '2021-02-15',
    '2021-04-02',
    '2021-05-31',
    '2021-07-05',
    '2021-09-06',
    '2021-11-25',
    '2021-12-24',
  ]);
  // New Year 2022 falls on a Saturday: not observed on Friday 2021-12-31. Juneteenth 2022 observed Monday 06-20.
  assert.ok(!nyseHolidays(2022).has('2021-12-31'));
  assert.ok(nyseHolidays(2022).has('2022-06-20'));
  assert.ok(!nyseHolidays(2021).has('2021-06-18'));
  assert.ok(nyseHolidays(2025).has('2025-01-09'));
  assert.deepEqual(tradingDays('2021-01-01', 3, true), ['2021-01-04', '2021-01-05', '2021-01-06']);
  // Known NYSE session counts.
  for (const [y, n] of [
    [2021, 252],
    [2022, 251],
    [2023, 250],
  ] as const)
    assert.equal(tradingDays(`${y}-01-01`, 300, true).filter((d) => d.startsWith(`${y}-`)).length, n, String(y));
  assert.equal(tradingDays('2021-01-01', 300, false).filter((d) => d.startsWith('2021-')).length, 261);
  // The default market: 756 sessions from 2021-01-04 (2021-2023 have 753, so it ends in January 2024).
  assert.equal(D, 756);
  assert.deepEqual([dates[0], dates[D - 1]], ['2021-01-04', '2024-01-04']);
});

test('same seed -> byte-identical files; different seed -> different data', () => {
  const a = join(tmp, 'same-a');
  const b = join(tmp, 'same-b');
  writeSyntheticMarket(a, generateMarket({}));
  writeSyntheticMarket(b, generateMarket({}));
  const fa = filesUnder(a);
  assert.deepEqual(fa, filesUnder(b));
  assert.deepEqual(fa, filesUnder(defaultDir));
  for (const f of [
    'dataset.json',
    'news.jsonl',
    'filings.jsonl',
    'fundamentals.csv',
    'hidden/impacts.jsonl',
    'hidden/regimes.csv',
    'corpus/headlines.txt',
  ])
    assert.ok(fa.includes(f), f);
  for (const f of fa) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);

  const c = join(tmp, 'seed-7');
  writeSyntheticMarket(c, generateMarket({ seed: 7 }));
  for (const f of ['news.jsonl', 'hidden/impacts.jsonl', `bars/${tickers[0]}.csv`, 'macro/CPI.csv'])
    assert.ok(!readFileSync(join(a, f)).equals(readFileSync(join(c, f))), `${f} should differ across seeds`);
});

test('loadDataset reads the market back: no issues, hidden/ not part of the dataset', () => {
  const { dataset, report } = loadDataset(defaultDir);
  assert.deepEqual(report, { skipped: [], warnings: [] });
  assert.deepEqual([...dataset.bars.keys()], tickers);
  assert.equal(tickers.length, 8);
  for (const b of dataset.bars.values()) assert.equal(b.dates.length, 756);
  assert.equal(dataset.news.length, market.hidden.length);
  assert.deepEqual(
    dataset.news.map((n) => n.id),
    market.hidden.map((h) => h.id),
  );
  assert.equal(dataset.meta.source, 'synthetic(seed=42)');
  for (const t of tickers)
    assert.deepEqual(dataset.meta.tickers[t], { priceBasis: 'raw', hasOhlc: true, hasVolume: true });
  // Nothing an agent can load carries the truth.
  for (const n of dataset.news)
    assert.deepEqual(
      Object.entries(n)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)
        .sort(),
      ['headline', 'id', 'publishedAt', 'publishedMs', 'source', 'tickers'],
    );
  for (const f of filesUnder(defaultDir).filter((f) => !f.startsWith('hidden/')))
    assert.ok(
      !/"impact"|impact_path|first_impact_date|"kind"/.test(readFileSync(join(defaultDir, f), 'utf8')),
      `${f} leaks hidden fields`,
    );
  // Round trip of the loaded bars.
  const b0 = market.dataset.bars.get(tickers[0])!;
  assert.deepEqual(dataset.bars.get(tickers[0])!.close, b0.close);
});

test('prices: daily vol 1-2.5 %, OHLC consistent, volumes positive, volatility clusters', () => {
  const vols = tickers.map((t) => std(logRet.get(t)!.subarray(1)));
  for (const [i, v] of vols.entries()) assert.ok(v > 0.01 && v < 0.025, `${tickers[i]} daily vol ${v}`);
  for (const b of market.dataset.bars.values())
    for (let i = 0; i < D; i++) {
      const [o, h, l, c, v] = [b.open[i], b.high[i], b.low[i], b.close[i], b.volume[i]];
      assert.ok(
        l > 0 && l <= Math.min(o, c) && Math.max(o, c) <= h,
        `${b.ticker} ${b.dates[i]} OHLC ${o} ${h} ${l} ${c}`,
      );
      assert.ok(Number.isInteger(v) && v > 0, `${b.ticker} ${b.dates[i]} volume ${v}`);
      assert.equal(Math.round(c * 100) / 100, c);
    }
  // GARCH: |r| is autocorrelated (lags 1-5, mean over tickers), unlike i.i.d. noise.
  const acAbs = tickers.map((t) => {
    const a = Array.from(logRet.get(t)!.subarray(1), Math.abs);
    const m = mean(a);
    const den = a.reduce((s, x) => s + (x - m) ** 2, 0);
    let tot = 0;
    for (let lag = 1; lag <= 5; lag++) {
      let num = 0;
      for (let i = lag; i < a.length; i++) num += (a[i] - m) * (a[i - lag] - m);
      tot += num / den;
    }
    return tot / 5;
  });
  assert.ok(mean(acAbs) > 0.03, `mean autocorrelation of |r| ${mean(acAbs)}`);
});

test('regimes: both present, bear days more volatile', () => {
  const bull: number[] = [];
  const bear: number[] = [];
  for (let i = 1; i < D; i++) {
    const ew = mean(tickers.map((t) => logRet.get(t)![i]));
    (market.regimes[i] === 'bull' ? bull : bear).push(ew);
  }
  assert.ok(bull.length > 100 && bear.length > 30, `${bull.length} bull, ${bear.length} bear days`);
  assert.ok(std(bear) > 1.3 * std(bull), `bear vol ${std(bear)} vs bull ${std(bull)}`);
  const csv = readFileSync(join(defaultDir, 'hidden/regimes.csv'), 'utf8').split('\n');
  assert.equal(csv[0], 'date,regime');
  assert.equal(csv[1], `2021-01-04,${market.regimes[0]}`);
});

test('corporate actions: a split and dividends make adj_close differ from close', () => {
  const actions = market.dataset.meta.provenance!.corporateActions as {
    ticker: string;
    type: string;
    exDate: string;
    amount?: number;
    ratio?: number;
  }[];
  const splits = actions.filter((a) => a.type === 'split');
  const divs = actions.filter((a) => a.type === 'dividend');
  assert.equal(splits.length, 1);
  assert.ok(divs.length >= 8, `${divs.length} dividends`);
  const s = splits[0];
  const b = market.dataset.bars.get(s.ticker)!;
  const k = dateIdx.get(s.exDate)!;
  // Raw close drops by about the ratio; adjusted return is an ordinary day's.
  const rawRatio = b.close[k - 1] / b.close[k];
  assert.ok(Math.abs(rawRatio / s.ratio! - 1) < 0.15, `raw ratio ${rawRatio} vs split ${s.ratio}`);
  assert.ok(Math.abs(Math.log(b.adjClose[k] / b.adjClose[k - 1])) < 0.15);
  assert.ok(b.adjClose[0] / b.close[0] <= 1 / s.ratio! + 1e-4);
  // Dividend: adj_close[ex-1] = close[ex-1] * (1 - D / close[ex-1]) * (later factors) -> adj/close ratio changes.
  const d = divs[0];
  const bd = market.dataset.bars.get(d.ticker)!;
  const j = dateIdx.get(d.exDate)!;
  const before = bd.adjClose[j - 1] / bd.close[j - 1];
  const at = bd.adjClose[j] / bd.close[j];
  assert.ok(Math.abs(before / at - (1 - d.amount! / bd.close[j - 1])) < 1e-4, `${before / at}`);
  // Last day: adj_close == close for everyone.
  for (const bb of market.dataset.bars.values()) assert.equal(bb.adjClose[D - 1], bb.close[D - 1]);
  // Every dividend and the split is announced in the news before its ex-date.
  for (const a of actions) {
    const re = a.type === 'split' ? /stock split effective/ : /declares quarterly dividend/;
    const n = market.dataset.news.find(
      (x) => x.tickers[0] === a.ticker && re.test(x.headline) && x.headline.endsWith(a.exDate),
    );
    assert.ok(n && n.publishedAt.slice(0, 10) < a.exDate, `${a.type} ${a.ticker} ${a.exDate} not announced`);
  }
});

test('news: every type and kind present; timestamps DST-correct; first impact session by the 16:00 rule', () => {
  const types = new Set(market.hidden.map((h) => h.type));
  const kinds = new Set(market.hidden.map((h) => h.kind));
  assert.deepEqual(
    [...EVENT_TYPES].filter((t) => !types.has(t)),
    [],
  );
  assert.deepEqual(
    [...EVENT_KINDS].filter((k) => !kinds.has(k)),
    [],
  );
  // About one non-earnings item per ticker per week, plus earnings, macro and notices.
  assert.ok(market.hidden.length > 1000 && market.hidden.length < 2000, String(market.hidden.length));
  let afterClose = 0;
  for (const [i, n] of market.dataset.news.entries()) {
    const h = market.hidden[i];
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):00(-0[45]:00)$/.exec(n.publishedAt);
    assert.ok(m, n.publishedAt);
    const local = zonedParts(n.publishedMs, NYSE.timezone);
    assert.equal(local.date, m[1], n.publishedAt);
    assert.equal(local.minutes, +m[2] * 60 + +m[3], `${n.publishedAt}: offset does not match New York time`);
    assert.equal(h.firstImpactDate, sessionDateFor(n.publishedMs, dates, NYSE), n.id);
    if (n.publishedMs >= marketCloseMs(m[1], NYSE) && dateIdx.has(m[1])) {
      afterClose++;
      assert.ok(h.firstImpactDate > m[1], `${n.id} after the close must move the next session`);
    }
    assert.ok(Math.abs(h.impactPath.reduce((s, x) => s + x, 0) - 1) < 1e-9, n.id);
    assert.ok(h.impactPath.length <= 5 && dateIdx.get(h.firstImpactDate)! + h.impactPath.length <= D);
    assert.equal(h.tickers.length, h.type === 'macro' ? 8 : 1);
    assert.deepEqual(n.tickers, h.type === 'macro' ? [] : h.tickers);
    if (i > 0) assert.ok(n.publishedMs >= market.dataset.news[i - 1].publishedMs);
  }
  assert.ok(afterClose > 200, `${afterClose} after-close items`);
  const jan = market.dataset.news.find((n) => n.publishedAt.startsWith('2021-01-'))!;
  const jul = market.dataset.news.find((n) => n.publishedAt.startsWith('2021-07-'))!;
  assert.ok(jan.publishedAt.endsWith('-05:00') && jul.publishedAt.endsWith('-04:00'));
});

test('hidden impacts follow the taxonomy of kinds', () => {
  const sign = (h: HiddenEvent) => TYPE_SIGN[h.type];
  for (const h of market.hidden) {
    const s = sign(h);
    switch (h.kind) {
      case 'plain':
      case 'mixed':
        assert.ok(Math.abs(h.impact) >= 0.004, `${h.id} ${h.kind} too small: ${h.impact}`);
        if (s !== 0) assert.equal(Math.sign(h.impact), s, `${h.id} ${h.headline}`);
        break;
      case 'priced-in':
        assert.ok(Math.abs(h.impact) <= 0.002, `${h.id} priced-in ${h.impact}`);
        break;
      case 'hedged':
        assert.ok(Math.abs(h.impact) <= 0.003, `${h.id} hedged ${h.impact}`);
        break;
      case 'negated':
        assert.equal(Math.sign(h.impact), -s, `${h.id} ${h.headline}`);
        break;
      case 'irrelevant':
        assert.equal(h.impact, 0);
        assert.equal(h.type, 'misc');
        break;
    }
  }
  // The example of the brief: "beats ... but cuts guidance" follows the guidance.
  const mixed = market.hidden.find((h) => h.kind === 'mixed' && h.type === 'guidance-cut')!;
  assert.match(mixed.headline, /beat|tops/);
  assert.ok(mixed.impact < 0);
});

test('oracle: trading the sign of the hidden impact over its window earns a clearly positive return', () => {
  // Position on (ticker, day) = sign of the summed hidden impact landing that day; equal weight over open positions.
  const land = new Map(tickers.map((t) => [t, new Float64Array(D)]));
  for (const h of market.hidden) {
    const f = dateIdx.get(h.firstImpactDate)!;
    for (const t of h.tickers)
      h.impactPath.forEach((x, k) => {
        land.get(t)![f + k] += h.impact * x;
      });
  }
  const daily: number[] = [];
  for (let i = 1; i < D; i++) {
    let gross = 0;
    let pnl = 0;
    for (const t of tickers) {
      const p = Math.sign(land.get(t)![i]);
      gross += Math.abs(p);
      pnl += p * logRet.get(t)![i];
    }
    daily.push(gross ? pnl / gross : 0);
  }
  const m = mean(daily);
  const tStat = (m / std(daily)) * Math.sqrt(daily.length);
  assert.ok(m > 0.002, `oracle mean daily return ${m}`);
  assert.ok(tStat > 8, `oracle t-stat ${tStat}`);

  // Point in time: decide at the first close at or after publication, hold only the sessions after it.
  const closes = dates.map((d) => marketCloseMs(d, NYSE));
  const pit = new Map(tickers.map((t) => [t, new Float64Array(D)]));
  for (const h of market.hidden) {
    const f = dateIdx.get(h.firstImpactDate)!;
    const pub = market.dataset.news.find((n) => n.id === h.id)!.publishedMs;
    const decided = closes.findIndex((c) => c >= pub);
    for (const t of h.tickers)
      h.impactPath.forEach((x, k) => {
        if (f + k > decided) pit.get(t)![f + k] += h.impact * x;
      });
  }
  const pitDaily: number[] = [];
  for (let i = 1; i < D; i++) {
    let gross = 0;
    let pnl = 0;
    for (const t of tickers) {
      const p = Math.sign(pit.get(t)![i]);
      gross += Math.abs(p);
      pnl += p * logRet.get(t)![i];
    }
    pitDaily.push(gross ? pnl / gross : 0);
  }
  const pm = mean(pitDaily);
  assert.ok(pm > 0.001 && (pm / std(pitDaily)) * Math.sqrt(D) > 4, `point-in-time oracle mean ${pm}`);
  // Noise still dominates: news explains well under half of the daily variance.
  let vNews = 0;
  let vAll = 0;
  for (const t of tickers)
    for (let i = 1; i < D; i++) {
      vNews += land.get(t)![i] ** 2;
      vAll += logRet.get(t)![i] ** 2;
    }
  assert.ok(vNews / vAll < 0.35, `news variance share ${vNews / vAll}`);
});

test('a word-list sentiment scorer is right on plain news and wrong on misleading news', () => {
  const POS = new Set(
    'beat beats tops raises raised lifts upgrade upgrades upgraded record strong stronger surge surges soars jumps rally launch launches unveils wins growth boost boosts gain gains improves cools premium outperform bullish approval best'.split(
      ' ',
    ),
  );
  const NEG = new Set(
    'miss misses cut cuts lowers slashes downgrade downgrades downgraded lawsuit sued layoffs weak weaken falls fall plunge plunges slump slumps drop probe collapse collapses warns hotter loss losses underperform bearish fears loses block'.split(
      ' ',
    ),
  );
  const score = (s: string) =>
    s
      .toLowerCase()
      .split(/[^a-z]+/)
      .reduce((acc, w) => acc + (POS.has(w) ? 1 : NEG.has(w) ? -1 : 0), 0);
  const right = { plain: [0, 0], misleading: [0, 0] };
  for (const h of market.hidden) {
    const truth = Math.abs(h.impact) < 0.004 ? 0 : Math.sign(h.impact);
    const r = h.kind === 'plain' ? right.plain : right.misleading;
    r[0] += Math.sign(score(h.headline)) === truth ? 1 : 0;
    r[1]++;
  }
  const plain = right.plain[0] / right.plain[1];
  const misleading = right.misleading[0] / right.misleading[1];
  assert.ok(plain > 0.9, `plain accuracy ${plain}`);
  assert.ok(misleading < 0.4, `misleading accuracy ${misleading}`);
});

test('fundamentals, filings and macro vintages', () => {
  const { fundamentals, filings, macro } = market.dataset;
  const fields = new Set(fundamentals.map((f) => f.field));
  assert.deepEqual([...fields].sort(), ['eps', 'gross_margin', 'revenue', 'shares_outstanding']);
  for (const f of fundamentals) {
    const lag = (Date.parse(f.releasedAt.slice(0, 10)) - Date.parse(f.periodEnd)) / 86_400_000;
    assert.ok(lag >= 19 && lag <= 45, `${f.ticker} ${f.periodEnd} released after ${lag} days`);
  }
  // Released quarters before the market starts (history for the first decisions), none after it ends.
  assert.ok(fundamentals.some((f) => f.releasedAt < '2021-01-04'));
  assert.ok(fundamentals.every((f) => f.releasedAt.slice(0, 10) <= dates[D - 1]));
  // Each earnings release: an 8-K at the release time and a 10-Q or 10-K (Q4) 30 minutes later.
  const tenK = filings.filter((f) => f.form === '10-K');
  const tenQ = filings.filter((f) => f.form === '10-Q');
  assert.ok(tenK.length >= 16 && tenQ.length > 2 * tenK.length, `${tenK.length} 10-K, ${tenQ.length} 10-Q`);
  for (const f of [...tenK, ...tenQ]) {
    assert.equal(f.form === '10-K', f.periodEnd!.endsWith('12-31'));
    const eightK = filings.find((x) => x.id === `${f.ticker}-8-K-${f.periodEnd}`)!;
    assert.equal(f.filedMs - eightK.filedMs, 30 * 60_000);
    const rev = fundamentals.find(
      (x) => x.ticker === f.ticker && x.periodEnd === f.periodEnd && x.field === 'revenue',
    )!;
    assert.equal(rev.releasedMs, eightK.filedMs);
  }
  assert.deepEqual([...macro.keys()].sort(), ['CPI', 'POLICY_RATE', 'UNRATE']);
  // A revised vintage: the same month twice, the later release with a different value, both inside the market.
  const un = macro.get('UNRATE')!;
  const byDate = new Map<string, typeof un>();
  for (const o of un) byDate.set(o.date, [...(byDate.get(o.date) ?? []), o]);
  const revised = [...byDate.values()].filter((v) => v.length === 2);
  assert.ok(revised.length >= 1);
  assert.ok(
    revised.some(([a, b]) => a.releasedAt >= '2021-01-04' && b.releasedMs > a.releasedMs && a.value !== b.value),
  );
  for (const v of byDate.values()) assert.ok(v.length <= 2);
  for (const s of macro.values())
    for (const o of s) assert.ok(Date.parse(o.releasedAt) > Date.parse(o.date), `${o.series} ${o.date}`);
});

test('corpus: dataset headlines first, at least corpusLines lines, deterministic', () => {
  const lines = market.corpus.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 20000);
  assert.deepEqual(
    lines.slice(0, market.dataset.news.length),
    market.dataset.news.map((n) => n.headline),
  );
  assert.ok(lines.every((l) => l.length > 10 && !l.includes('{')));
  assert.equal(readFileSync(join(defaultDir, 'corpus/headlines.txt'), 'utf8'), market.corpus);
  const q = generateMarket({ ...QUICK_SYNTH_CONFIG, corpusLines: 0 });
  assert.equal(q.corpus.split('\n').length - 1, q.dataset.news.length);
});

test('QUICK preset and other configs generate valid markets', () => {
  const q = generateMarket(QUICK_SYNTH_CONFIG);
  assert.equal(q.dataset.bars.size, 6);
  assert.equal([...q.dataset.bars.values()][0].dates.length, 504);
  const small = generateMarket({
    seed: 3,
    tickers: 2,
    days: 63,
    sectors: ['technology'],
    holidays: false,
    start: '2020-03-07',
  });
  const b = [...small.dataset.bars.values()][0];
  assert.equal(b.dates[0], '2020-03-09');
  assert.ok(b.dates.includes('2020-05-25')); // Memorial Day traded when holidays are off
  assert.ok(small.dataset.meta.provenance!.corporateActions);
  const dir = join(tmp, 'small');
  writeSyntheticMarket(dir, small);
  assert.equal(loadDataset(dir).dataset.news.length, small.hidden.length);
});

test('loadHiddenImpacts: round trip, and errors name file, line and field', () => {
  assert.deepEqual(loadHiddenImpacts(defaultDir), market.hidden);
  const dir = join(tmp, 'bad-hidden');
  writeSyntheticMarket(dir, generateMarket({ ...QUICK_SYNTH_CONFIG, corpusLines: 0 }));
  const file = join(dir, 'hidden', 'impacts.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[1] = lines[1].replace(/"kind":"[a-z-]+"/, '"kind":"sarcastic"');
  lines[2] = lines[2].replace(/"impact_path":\[[^\]]*\]/, '"impact_path":[0.5]');
  writeFileSync(file, lines.join('\n'));
  assert.throws(
    () => loadHiddenImpacts(dir),
    (e: unknown) =>
      e instanceof DataError &&
      e.issues.length === 2 &&
      e.issues[0].line === 2 &&
      e.issues[0].field === 'kind' &&
      e.issues[1].line === 3 &&
      e.issues[1].field === 'impact_path' &&
      relative(dir, e.issues[0].file) === join('hidden', 'impacts.jsonl'),
  );
  assert.throws(() => loadHiddenImpacts(join(tmp, 'nowhere')), /no hidden impacts here/);
});
