// The embedded synthetic market: generateMarket(config) builds a dataset (bars, news, filings, macro, fundamentals),
// the hidden truth behind its news and a headline corpus; writeSyntheticMarket writes them to a directory.
// Model, parameters and files: docs/synthetic-market.md.
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/fs.ts';
import { createRng, type Rng } from '../../util/rng.ts';
import { formatCsv } from '../csv.ts';
import { writeDataset } from '../dataset.ts';
import type { Bars, Dataset, Filing, Fundamental, IsoDate, NewsItem, TickerMeta } from '../types.ts';
import { NYSE } from '../types.ts';
import { tradingDayPredicate, tradingDays } from './calendar.ts';
import { type Company, companyAt, DIVIDEND_SECTORS } from './companies.ts';
import { parseSynthConfig, type SynthConfig, type SynthConfigInput } from './config.ts';
import {
  companyNews,
  type DraftEvent,
  type EarningsRelease,
  earnings,
  firstImpactIndex,
  type MarketClock,
  macro,
  stampAt,
} from './events.ts';
import { fillTemplate, headlineVars, sampleHeadline, TEMPLATES } from './headlines.ts';
import { formatHiddenImpacts, HIDDEN_DIR, HIDDEN_IMPACTS_FILE, type HiddenEvent } from './hidden.ts';
import {
  BULL,
  buildBars,
  type CorporateAction,
  type Dividend,
  drawTickerModel,
  type Split,
  simulateNoiseReturns,
  simulateRegimes,
} from './prices.ts';

/** Version of the generator's model; bump it whenever the same seed would produce different files. */
export const SYNTH_GENERATOR = 'rlmf-synth/1';
export const NEWS_SOURCE = 'synthetic-wire';
export const CORPUS_FILE = join('corpus', 'headlines.txt');

export interface SyntheticMarket {
  config: SynthConfig;
  dataset: Dataset;
  /** The truth behind every news item, same order as dataset.news. For oracles and evaluation only. */
  hidden: HiddenEvent[];
  /** Headline corpus, one per line, ending with a newline. */
  corpus: string;
  /** Market regime of each trading day (hidden, like the impacts). */
  regimes: ('bull' | 'bear')[];
}

/** Generate the market described by `config` (partial: defaults fill the rest). Pure: same config, same result. */
export function generateMarket(config: SynthConfigInput = {}): SyntheticMarket {
  const cfg = parseSynthConfig(config);
  const root = createRng(cfg.seed);
  const rng = {
    companies: root.fork('companies'),
    regimes: root.fork('regimes'),
    factors: root.fork('factors'),
    news: root.fork('news'),
    earnings: root.fork('earnings'),
    macro: root.fork('macro'),
    bars: root.fork('bars'),
    actions: root.fork('corporate-actions'),
    corpus: root.fork('corpus'),
  };
  const dates = tradingDays(cfg.start, cfg.days, cfg.holidays);
  const D = dates.length;
  const index = new Map(dates.map((d, i) => [d, i]));
  const clock: MarketClock = { dates, isTradingDay: tradingDayPredicate(cfg.holidays) };
  const S = cfg.sectors.length;
  const companies: Company[] = Array.from({ length: cfg.tickers }, (_, k) =>
    companyAt(cfg.sectors[k % S], Math.floor(k / S)),
  );
  const tickers = companies.map((c) => c.ticker);
  const models = companies.map(() => drawTickerModel(rng.companies));

  // Corporate-action plan: one split in the middle third, quarterly dividends for payers (at least one payer).
  const splitAt = rng.actions.int(companies.length);
  const split: Split = { exIdx: Math.floor(D / 3) + rng.actions.int(Math.floor(D / 3)), ratio: 2 + rng.actions.int(3) };
  const yields: number[] = companies.map((c) =>
    DIVIDEND_SECTORS.has(c.sector) ? 0.004 + 0.005 * rng.actions.next() : 0,
  );
  if (!yields.some((y) => y > 0)) yields[0] = 0.005;

  // Events with impact: company news, earnings, macro.
  const drafts: DraftEvent[] = [];
  const fundamentals: Fundamental[] = [];
  const filings: Filing[] = [];
  const releases: EarningsRelease[][] = [];
  companies.forEach((co, i) => {
    drafts.push(...companyNews(rng.news.fork(co.ticker), cfg, clock, index, co));
    const sp = i === splitAt ? { exDate: dates[split.exIdx], ratio: split.ratio } : undefined;
    const e = earnings(rng.earnings.fork(co.ticker), cfg, clock, index, co, sp);
    drafts.push(...e.events);
    fundamentals.push(...e.fundamentals);
    filings.push(...e.filings);
    releases.push(e.releases);
  });
  const m = macro(rng.macro, cfg, clock, index, tickers);
  drafts.push(...m.events);

  // Impacts per ticker and day: the first day's share of news published outside the session goes to the open gap.
  const col = new Map(tickers.map((t, i) => [t, i]));
  const gap = tickers.map(() => new Float64Array(D));
  const intraday = tickers.map(() => new Float64Array(D));
  const newsDay = tickers.map(() => new Uint8Array(D));
  for (const ev of drafts) {
    for (const t of ev.newsTickers) newsDay[col.get(t)!][ev.firstIdx] = 1;
    for (const t of ev.tickers) {
      const i = col.get(t)!;
      ev.impactPath.forEach((f, k) => {
        if (k === 0 && ev.gap) gap[i][ev.firstIdx] += ev.impact * f;
        else intraday[i][ev.firstIdx + k] += ev.impact * f;
      });
    }
  }

  // Prices.
  const regimes = simulateRegimes(rng.regimes, D);
  const sectorOf = companies.map((c) => cfg.sectors.indexOf(c.sector));
  const { noise, vol } = simulateNoiseReturns(rng.factors, regimes, models, sectorOf, S);
  const bars = new Map<string, Bars>();
  const actions: CorporateAction[] = [];
  const zeroImpact: DraftEvent[] = [];
  companies.forEach((co, i) => {
    const divs: Dividend[] = [];
    const declared: EarningsRelease[] = [];
    if (yields[i] > 0)
      for (const r of releases[i]) {
        if (r.firstIdx < 1 || r.firstIdx >= D) continue;
        const exIdx = r.firstIdx + 10 + rng.actions.int(6);
        if (exIdx >= D) continue;
        divs.push({ declaredIdx: r.firstIdx - 1, exIdx, yieldQ: yields[i] });
        declared.push(r);
      }
    const b = buildBars(
      rng.bars.fork(co.ticker),
      co.ticker,
      dates,
      models[i],
      noise[i],
      vol[i],
      { gap: gap[i], intraday: intraday[i], newsDay: newsDay[i] },
      divs,
      i === splitAt ? split : undefined,
    );
    bars.set(co.ticker, b.bars);
    actions.push(...b.actions);
    // Announcements of corporate actions: public, no impact.
    divs.forEach((d, k) => {
      const r = declared[k];
      const vars = {
        ...headlineVars(rng.actions, co),
        cash: `$${b.dividendAmounts[k].toFixed(2)}`,
        date: dates[d.exIdx],
      };
      zeroImpact.push(noticeEvent(rng.actions, clock, index, co, 'dividend/irrelevant', vars, r.date, r.minutes + 1));
    });
    if (i === splitAt) {
      const annIdx = Math.max(0, split.exIdx - 15 - rng.actions.int(11));
      const vars = { ...headlineVars(rng.actions, co), ratio: String(split.ratio), date: dates[split.exIdx] };
      zeroImpact.push(noticeEvent(rng.actions, clock, index, co, 'split/irrelevant', vars, dates[annIdx], 480));
    }
  });

  // Ids in publication order.
  const all = [...drafts, ...zeroImpact].sort(
    (a, b) =>
      a.publishedMs - b.publishedMs ||
      cmp(a.newsTickers.join(','), b.newsTickers.join(',')) ||
      cmp(a.headline, b.headline) ||
      a.impact - b.impact,
  );
  const news: NewsItem[] = [];
  const hidden: HiddenEvent[] = [];
  all.forEach((ev, k) => {
    const id = `syn-${String(k + 1).padStart(7, '0')}`;
    news.push({
      id,
      publishedAt: ev.publishedAt,
      publishedMs: ev.publishedMs,
      tickers: ev.newsTickers,
      headline: ev.headline,
      source: NEWS_SOURCE,
    });
    hidden.push({
      id,
      tickers: ev.tickers,
      publishedAt: ev.publishedAt,
      headline: ev.headline,
      type: ev.type,
      kind: ev.kind,
      impact: ev.impact,
      impactPath: ev.impactPath,
      firstImpactDate: dates[ev.firstIdx],
    });
  });

  const sortedCompanies = [...companies].sort((a, b) => cmp(a.ticker, b.ticker));
  const tickerMeta: Record<string, TickerMeta> = {};
  for (const c of sortedCompanies) tickerMeta[c.ticker] = { priceBasis: 'raw', hasOhlc: true, hasVolume: true };
  actions.sort((a, b) => cmp(a.exDate, b.exDate) || cmp(a.ticker, b.ticker));
  const dataset: Dataset = {
    meta: {
      format: 'rlmf-dataset/1',
      name: cfg.name,
      source: `synthetic(seed=${cfg.seed})`,
      calendar: NYSE,
      tickers: tickerMeta,
      provenance: {
        generator: SYNTH_GENERATOR,
        config: cfg,
        companies: Object.fromEntries(sortedCompanies.map((c) => [c.ticker, { name: c.name, sector: c.sector }])),
        corporateActions: actions,
        hidden: `${HIDDEN_DIR}/ holds the true news impacts and regimes: for oracles and evaluation only, never for agents`,
      },
    },
    bars: new Map([...bars].sort(([a], [b]) => cmp(a, b))),
    news,
    filings: filings.sort((a, b) => a.filedMs - b.filedMs || cmp(a.id, b.id)),
    macro: m.series,
    fundamentals: fundamentals.sort((a, b) => a.releasedMs - b.releasedMs || cmp(a.ticker, b.ticker)),
  };

  // Corpus: every dataset headline, then template samples until corpusLines.
  const lines = news.map((n) => n.headline);
  const keys = Object.keys(TEMPLATES);
  while (lines.length < cfg.corpusLines) lines.push(sampleHeadline(rng.corpus, keys));

  return {
    config: cfg,
    dataset,
    hidden,
    corpus: lines.length ? `${lines.join('\n')}\n` : '',
    regimes: Array.from(regimes, (s) => (s === BULL ? 'bull' : 'bear')),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A zero-impact notice (dividend declared, split announced). */
function noticeEvent(
  rng: Rng,
  clock: MarketClock,
  index: ReadonlyMap<IsoDate, number>,
  co: Company,
  key: string,
  vars: Record<string, string>,
  date: IsoDate,
  minutes: number,
): DraftEvent {
  const { iso, ms } = stampAt(date, minutes);
  return {
    tickers: [co.ticker],
    newsTickers: [co.ticker],
    publishedAt: iso,
    publishedMs: ms,
    headline: fillTemplate(rng.pick(TEMPLATES[key]), vars),
    type: 'misc',
    kind: 'irrelevant',
    impact: 0,
    impactPath: [1],
    firstIdx: Math.min(firstImpactIndex(ms, clock.dates, index), clock.dates.length - 1),
    gap: true,
  };
}

const HIDDEN_README = `# hidden/ - ground truth, NOT agent input

This folder belongs to a synthetic market written by \`rlmf data synth\`. It holds what the market knows and the
agents must not: the true impact of every news item (\`impacts.jsonl\`) and the bull/bear regime of every day
(\`regimes.csv\`). \`loadDataset\` never reads it. Use it only for oracles and evaluation
(\`loadHiddenImpacts\`), never in an agent's prompt, features or training inputs. See docs/synthetic-market.md.
`;

/** Write the dataset (writeDataset), then hidden/impacts.jsonl, hidden/regimes.csv, hidden/README.md and the corpus. */
export function writeSyntheticMarket(dir: string, market: SyntheticMarket): void {
  writeDataset(dir, market.dataset);
  writeFileAtomic(join(dir, HIDDEN_IMPACTS_FILE), formatHiddenImpacts(market.hidden));
  const dates = [...market.dataset.bars.values()][0]?.dates ?? [];
  writeFileAtomic(
    join(dir, HIDDEN_DIR, 'regimes.csv'),
    formatCsv(
      ['date', 'regime'],
      dates.map((d, i) => [d, market.regimes[i]]),
    ),
  );
  writeFileAtomic(join(dir, HIDDEN_DIR, 'README.md'), HIDDEN_README);
  writeFileAtomic(join(dir, CORPUS_FILE), market.corpus);
}
