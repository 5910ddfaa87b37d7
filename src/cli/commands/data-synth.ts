// `rlmf data synth`: write the embedded synthetic market (docs/synthetic-market.md) to a directory.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import { QUICK_SYNTH_CONFIG } from '../../data/synth/config.ts';
import { CORPUS_FILE, generateMarket, writeSyntheticMarket } from '../../data/synth/generate.ts';
import { EVENT_KINDS, EVENT_TYPES } from '../../data/synth/hidden.ts';
import type { CorporateAction } from '../../data/synth/prices.ts';
import { parseNumberOption, printJson } from '../common.ts';

export interface DataSynthOptions {
  out: string;
  seed?: string;
  tickers?: string;
  days?: string;
  start?: string;
  quick?: boolean;
  force?: boolean;
}

export interface DataSynthSummary {
  out: string;
  seed: number;
  tickers: string[];
  days: number;
  firstDate: string;
  lastDate: string;
  holidaysSkipped: boolean;
  news: number;
  kinds: Record<string, number>;
  types: Record<string, number>;
  filings: number;
  fundamentals: number;
  macro: Record<string, number>;
  splits: number;
  dividends: number;
  corpusLines: number;
  /** Never give these to an agent. */
  hiddenFiles: string[];
}

/** Paths of the on-disk layout that --force may replace. */
const LAYOUT = ['dataset.json', 'bars', 'news.jsonl', 'filings.jsonl', 'macro', 'fundamentals.csv', 'hidden', 'corpus'];

function prepareOutDir(out: string, force: boolean): void {
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  if (!force) throw new UsageError(`--out: ${out} is not empty; pass --force to replace the dataset there`);
  if (!existsSync(join(out, 'dataset.json')))
    throw new UsageError(`--out: ${out} is not empty and holds no dataset.json; refusing to write over it`);
  for (const p of LAYOUT) rmSync(join(out, p), { recursive: true, force: true });
}

/** Everything `rlmf data synth` does except printing. */
export function runDataSynth(o: DataSynthOptions): DataSynthSummary {
  const base = o.quick ? QUICK_SYNTH_CONFIG : {};
  const over: Record<string, unknown> = {};
  const seed = parseNumberOption('seed', o.seed, { integer: true, min: 0 });
  const tickers = parseNumberOption('tickers', o.tickers, { integer: true, min: 1 });
  const days = parseNumberOption('days', o.days, { integer: true, min: 1 });
  if (seed !== undefined) over.seed = seed;
  if (tickers !== undefined) over.tickers = tickers;
  if (days !== undefined) over.days = days;
  if (o.start !== undefined) over.start = o.start;
  const market = generateMarket({ ...base, ...over });
  prepareOutDir(o.out, o.force ?? false);
  writeSyntheticMarket(o.out, market);

  const ds = market.dataset;
  const dates = [...ds.bars.values()][0].dates;
  const kinds = Object.fromEntries(EVENT_KINDS.map((k) => [k, 0]));
  const types = Object.fromEntries(EVENT_TYPES.map((k) => [k, 0]));
  for (const h of market.hidden) {
    kinds[h.kind]++;
    types[h.type]++;
  }
  const actions = (ds.meta.provenance?.corporateActions ?? []) as CorporateAction[];
  return {
    out: o.out,
    seed: market.config.seed,
    tickers: [...ds.bars.keys()],
    days: dates.length,
    firstDate: dates[0],
    lastDate: dates[dates.length - 1],
    holidaysSkipped: market.config.holidays,
    news: ds.news.length,
    kinds,
    types,
    filings: ds.filings.length,
    fundamentals: ds.fundamentals.length,
    macro: Object.fromEntries([...ds.macro].map(([k, v]) => [k, v.length])),
    splits: actions.filter((a) => a.type === 'split').length,
    dividends: actions.filter((a) => a.type === 'dividend').length,
    corpusLines: market.corpus === '' ? 0 : market.corpus.split('\n').length - 1,
    hiddenFiles: [join(o.out, 'hidden', 'impacts.jsonl'), join(o.out, 'hidden', 'regimes.csv')],
  };
}

export function formatDataSynthSummary(s: DataSynthSummary): string {
  const kinds = Object.entries(s.kinds)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const macro = Object.entries(s.macro)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `synthetic market (seed ${s.seed}) written to ${s.out}`,
    `  ${s.tickers.length} tickers (${s.tickers.join(' ')}) x ${s.days} trading days, ${s.firstDate} .. ${s.lastDate}` +
      (s.holidaysSkipped ? ' (NYSE holidays skipped)' : ' (every weekday)'),
    `  news ${s.news}: ${kinds}`,
    `  filings ${s.filings}, fundamentals ${s.fundamentals} rows, macro rows: ${macro}`,
    `  corporate actions: ${s.splits} split(s), ${s.dividends} dividend(s)`,
    `  corpus ${join(s.out, CORPUS_FILE)}: ${s.corpusLines} lines`,
    `  ${join(s.out, 'hidden')}/ holds the true news impacts: for oracles and evaluation only, never for agents`,
    '',
  ].join('\n');
}

export function registerDataSynth(data: Command): void {
  data
    .command('synth')
    .description('write the seeded synthetic market (bars, news with hidden impacts, filings, macro, corpus)')
    .requiredOption('--out <dir>', 'output directory (must be empty, or hold a dataset and --force)')
    .option('--seed <n>', 'random seed (default 42)')
    .option('--tickers <k>', 'number of tickers (default 8; --quick: 6)')
    .option('--days <d>', 'number of trading days (default 756; --quick: 504)')
    .option('--start <YYYY-MM-DD>', 'first calendar date (default 2021-01-04)')
    .option('--quick', 'the small preset: 6 tickers x 504 days, 5,000 corpus lines')
    .option('--force', 'replace the dataset already in --out')
    .option('--json', 'print a JSON summary')
    .action((o: DataSynthOptions & { json?: boolean }) => {
      const summary = runDataSynth(o);
      if (o.json) printJson(summary);
      else process.stdout.write(formatDataSynthSummary(summary));
    });
}
