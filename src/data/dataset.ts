// Reading and writing the on-disk dataset (docs/data-format.md). Loading validates every file and reports every
// bad row with file, line, field and reason; writing is atomic per file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { type CsvTable, columnIndex, formatCsv, readCsv } from './csv.ts';
import { DataError, type DataIssue } from './errors.ts';
import { isIsoDate, parseTimestamp } from './time.ts';
import type {
  Bars,
  Dataset,
  DatasetMeta,
  Filing,
  Fundamental,
  IsoDate,
  MacroObservation,
  MarketCalendar,
  NewsItem,
} from './types.ts';

export const BAR_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'adj_close', 'volume'] as const;

const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM');
export const DatasetMetaSchema = z.object({
  format: z.literal('rlmf-dataset/1'),
  name: z.string().min(1),
  source: z.string(),
  calendar: z.object({ timezone: z.string().min(1), open: hhmm, close: hhmm }),
  tickers: z.record(
    z.string(),
    z.object({ priceBasis: z.enum(['raw', 'adjusted-only']), hasOhlc: z.boolean(), hasVolume: z.boolean() }),
  ),
  skipped: z.record(z.string(), z.number().int().nonnegative()).optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
});

/** Options for reading rows that fail validation. Default: any bad row is an error. */
export interface ReadOptions {
  /** Skip bad rows instead of failing; each skip is reported in `skipped` and counted. */
  skipInvalid?: boolean;
}

export interface ReadReport {
  /** Issues that were skipped (only with skipInvalid). */
  skipped: DataIssue[];
  /** Non-fatal findings (e.g. a byte order mark that was removed). */
  warnings: DataIssue[];
}

function emptyReport(): ReadReport {
  return { skipped: [], warnings: [] };
}

/** A plain decimal number (no hex, no `Infinity`, no `NaN`). */
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parse a plain decimal number; NaN for anything else (empty, hex, `Infinity`, text). */
export function parseDecimal(s: string): number {
  return NUMBER_RE.test(s) ? Number(s) : Number.NaN;
}

/** Tickers become file names (`bars/<TICKER>.csv`): letters, digits and `. - _ ^ =`, not starting with a dot. */
export const TICKER_RE = /^[A-Za-z0-9^=_-][A-Za-z0-9.^=_-]*$/;

/** Validate one ticker's bars table. Pushes issues; returns the parsed bars of the valid rows. */
export function barsFromTable(
  table: CsvTable,
  ticker: string,
  opts: ReadOptions,
  report: ReadReport,
): { bars: Bars; errors: DataIssue[] } {
  const file = table.file;
  if (table.hadBom) report.warnings.push({ file, line: 1, reason: 'byte order mark (BOM) at start of file removed' });
  const idx = columnIndex(table, ['date', 'close'], ['open', 'high', 'low', 'adj_close', 'volume']);
  const errors: DataIssue[] = [];
  const dates: IsoDate[] = [];
  const lines: number[] = [];
  const cols = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[] };
  const adj: number[] = [];
  const vol: number[] = [];
  if (table.rows.length === 0) errors.push({ file, reason: 'no data rows after the header' });
  // adj_close must be given on every row of a ticker or on none (a mixed series cannot be traded consistently).
  const adjGiven =
    idx.adj_close >= 0 &&
    table.rows.some((r) => {
      const s = (r.cells[idx.adj_close] ?? '').trim();
      return s !== '' && s.toLowerCase() !== 'null';
    });
  const valueCols = (['open', 'high', 'low', 'close', 'adj_close', 'volume'] as const).filter((c) => idx[c] >= 0);
  for (const row of table.rows) {
    const rowIssues: DataIssue[] = [];
    const at = (field: string, reason: string) => rowIssues.push({ file, line: row.line, field, reason });
    if (row.cells.length !== table.header.length)
      at('*', `expected ${table.header.length} cells, found ${row.cells.length}`);
    const date = (row.cells[idx.date] ?? '').trim();
    if (!isIsoDate(date)) at('date', `not a YYYY-MM-DD date: "${date}"`);
    const num = (name: string, k: number, required: boolean, positive: boolean): number => {
      if (k < 0) return Number.NaN;
      const s = (row.cells[k] ?? '').trim();
      if (s === '') {
        if (required) at(name, 'missing value');
        else if (name === 'adj_close' && adjGiven)
          at(name, `missing value (other rows of ${ticker} have adj_close: it must be on all rows or none)`);
        return Number.NaN;
      }
      if (s.toLowerCase() === 'null') {
        at(name, 'null value (the source has no price on this row; rerun with --skip-invalid to skip such rows)');
        return Number.NaN;
      }
      const v = parseDecimal(s);
      if (!Number.isFinite(v)) at(name, `not a finite number: "${s}"`);
      else if (positive && v <= 0) at(name, `non-positive price ${s}`);
      else if (!positive && v < 0) at(name, `negative value ${s}`);
      return v;
    };
    const o = num('open', idx.open, false, true);
    const h = num('high', idx.high, false, true);
    const l = num('low', idx.low, false, true);
    const c = num('close', idx.close, true, true);
    const a = num('adj_close', idx.adj_close, false, true);
    const v = num('volume', idx.volume, false, false);
    if (h < l) at('high', `high ${h} < low ${l}`);
    if (Number.isFinite(h) && Number.isFinite(l)) {
      for (const [name, x] of [
        ['open', o],
        ['close', c],
      ] as const)
        if (Number.isFinite(x) && (x > h * (1 + 1e-9) || x < l * (1 - 1e-9)))
          at(name, `${name} ${x} outside [low ${l}, high ${h}]`);
    }
    // A placeholder row (Yahoo writes `null` in every price column on days without a trade): one issue, not six.
    const nulls = rowIssues.filter((i) => i.reason.startsWith('null value'));
    if (nulls.length > 1 && nulls.length === valueCols.length) {
      rowIssues.splice(0, rowIssues.length, ...rowIssues.filter((i) => !nulls.includes(i)));
      at('*', 'every value is null (a placeholder row without prices); rerun with --skip-invalid to skip such rows');
    }
    const prev = dates[dates.length - 1];
    if (isIsoDate(date) && prev !== undefined) {
      const prevLine = lines[lines.length - 1];
      if (date === prev) at('date', `duplicate date ${date} (also on line ${prevLine})`);
      else if (date < prev) at('date', `dates not ascending: ${date} after ${prev} (line ${prevLine})`);
    }
    if (rowIssues.length) {
      if (opts.skipInvalid) report.skipped.push(...rowIssues);
      else errors.push(...rowIssues);
      continue;
    }
    dates.push(date);
    lines.push(row.line);
    cols.open.push(o);
    cols.high.push(h);
    cols.low.push(l);
    cols.close.push(c);
    adj.push(a);
    vol.push(v);
  }
  return {
    bars: {
      ticker,
      dates,
      open: Float64Array.from(cols.open),
      high: Float64Array.from(cols.high),
      low: Float64Array.from(cols.low),
      close: Float64Array.from(cols.close),
      adjClose: Float64Array.from(adj),
      volume: Float64Array.from(vol),
    },
    errors,
  };
}

function readJsonl(file: string, report: ReadReport): { line: number; value: Record<string, unknown> }[] {
  const text = readFileSync(file, 'utf8');
  const out: { line: number; value: Record<string, unknown> }[] = [];
  const errors: DataIssue[] = [];
  let body = text;
  if (body.charCodeAt(0) === 0xfeff) {
    body = body.slice(1);
    report.warnings.push({ file, line: 1, reason: 'byte order mark (BOM) at start of file removed' });
  }
  body.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    try {
      const v = JSON.parse(s);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
      out.push({ line: i + 1, value: v });
    } catch (e) {
      errors.push({ file, line: i + 1, reason: `invalid JSON: ${(e as Error).message}` });
    }
  });
  if (errors.length) throw new DataError(errors);
  return out;
}

const NewsRow = z.object({
  id: z.string().min(1).optional(),
  published_at: z.string().min(1),
  tickers: z.array(z.string().min(1)),
  headline: z.string().min(1),
  body: z.string().optional(),
  summary: z.string().optional(),
  source: z.string().default(''),
});
const FilingRow = z.object({
  id: z.string().min(1).optional(),
  ticker: z.string().min(1),
  form: z.string().min(1),
  filed_at: z.string().min(1),
  period_end: z.string().optional(),
  summary: z.string().optional(),
});

function zodIssues(file: string, line: number, err: z.ZodError): DataIssue[] {
  return err.issues.map((i) => ({ file, line, field: i.path.join('.') || '*', reason: i.message }));
}

/** Load and validate a dataset directory. Throws DataError listing every problem found. */
export function loadDataset(dir: string, opts: ReadOptions = {}): { dataset: Dataset; report: ReadReport } {
  const report = emptyReport();
  const metaFile = join(dir, 'dataset.json');
  if (!existsSync(metaFile))
    throw new DataError([
      { file: metaFile, reason: 'not a dataset: dataset.json is missing (see docs/data-format.md)' },
    ]);
  let metaRaw: unknown;
  try {
    metaRaw = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    throw new DataError([{ file: metaFile, reason: `invalid JSON: ${(e as Error).message}` }]);
  }
  const parsedMeta = DatasetMetaSchema.safeParse(metaRaw);
  if (!parsedMeta.success) throw new DataError(zodIssues(metaFile, 1, parsedMeta.error));
  const meta = parsedMeta.data as DatasetMeta;
  const tz = meta.calendar.timezone;
  const errors: DataIssue[] = [];

  // A file that cannot be read at all (empty, unterminated quote, missing column) is reported and the others are
  // still checked, so one run lists every problem.
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      errors.push(...e.issues);
      return undefined;
    }
  };

  const bars = new Map<string, Bars>();
  for (const ticker of Object.keys(meta.tickers).sort()) {
    if (!TICKER_RE.test(ticker)) {
      errors.push({ file: metaFile, field: 'tickers', reason: `ticker "${ticker}" is not a safe file name` });
      continue;
    }
    const file = join(dir, 'bars', `${ticker}.csv`);
    if (!existsSync(file)) {
      errors.push({ file, reason: `bars file for ticker ${ticker} (listed in dataset.json) is missing` });
      continue;
    }
    const r = collect(() => barsFromTable(readCsv(file), ticker, opts, report));
    if (!r) continue;
    errors.push(...r.errors);
    bars.set(ticker, r.bars);
  }
  const barsDir = join(dir, 'bars');
  if (existsSync(barsDir))
    for (const f of readdirSync(barsDir))
      if (f.endsWith('.csv') && !(basename(f, '.csv') in meta.tickers))
        errors.push({ file: join(barsDir, f), reason: `ticker ${basename(f, '.csv')} is not listed in dataset.json` });

  const stamp = (file: string, line: number, field: string, s: string): number => {
    const t = parseTimestamp(s, tz);
    if (t.error) {
      const issue = { file, line, field, reason: t.error };
      if (opts.skipInvalid) report.skipped.push(issue);
      else errors.push(issue);
    }
    return t.ms;
  };

  const seenIds = new Map<string, number>();
  const uniqueId = (file: string, line: number, id: string): boolean => {
    const key = `${file}\u0000${id}`;
    const first = seenIds.get(key);
    if (first === undefined) {
      seenIds.set(key, line);
      return true;
    }
    const issue = { file, line, field: 'id', reason: `duplicate id "${id}" (first on line ${first})` };
    (opts.skipInvalid ? report.skipped : errors).push(issue);
    return false;
  };

  const news: NewsItem[] = [];
  const newsFile = join(dir, 'news.jsonl');
  if (existsSync(newsFile))
    for (const { line, value } of collect(() => readJsonl(newsFile, report)) ?? []) {
      const p = NewsRow.safeParse(value);
      if (!p.success) {
        (opts.skipInvalid ? report.skipped : errors).push(...zodIssues(newsFile, line, p.error));
        continue;
      }
      const ms = stamp(newsFile, line, 'published_at', p.data.published_at);
      if (Number.isNaN(ms)) continue;
      const id = p.data.id ?? `news-${line}`;
      if (!uniqueId(newsFile, line, id)) continue;
      news.push({
        id,
        publishedAt: p.data.published_at,
        publishedMs: ms,
        tickers: p.data.tickers,
        headline: p.data.headline,
        body: p.data.body ?? p.data.summary,
        source: p.data.source,
      });
    }
  news.sort((a, b) => a.publishedMs - b.publishedMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const filings: Filing[] = [];
  const filingsFile = join(dir, 'filings.jsonl');
  if (existsSync(filingsFile))
    for (const { line, value } of collect(() => readJsonl(filingsFile, report)) ?? []) {
      const p = FilingRow.safeParse(value);
      if (!p.success) {
        (opts.skipInvalid ? report.skipped : errors).push(...zodIssues(filingsFile, line, p.error));
        continue;
      }
      const ms = stamp(filingsFile, line, 'filed_at', p.data.filed_at);
      if (Number.isNaN(ms)) continue;
      const id = p.data.id ?? `filing-${line}`;
      if (!uniqueId(filingsFile, line, id)) continue;
      filings.push({
        id,
        ticker: p.data.ticker,
        form: p.data.form,
        filedAt: p.data.filed_at,
        filedMs: ms,
        periodEnd: p.data.period_end,
        summary: p.data.summary,
      });
    }
  filings.sort((a, b) => a.filedMs - b.filedMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const macro = new Map<string, MacroObservation[]>();
  const macroDir = join(dir, 'macro');
  if (existsSync(macroDir))
    for (const f of readdirSync(macroDir).sort()) {
      if (!f.endsWith('.csv')) continue;
      const file = join(macroDir, f);
      const series = basename(f, '.csv');
      const read = collect(() => {
        const t = readCsv(file);
        return { t, idx: columnIndex(t, ['date', 'released_at', 'value']) };
      });
      if (!read) continue;
      const { t, idx } = read;
      const obs: MacroObservation[] = [];
      for (const row of t.rows) {
        const date = (row.cells[idx.date] ?? '').trim();
        const value = parseDecimal((row.cells[idx.value] ?? '').trim());
        const rowErr: DataIssue[] = [];
        if (!isIsoDate(date)) rowErr.push({ file, line: row.line, field: 'date', reason: `not a date: "${date}"` });
        if (!Number.isFinite(value))
          rowErr.push({
            file,
            line: row.line,
            field: 'value',
            reason: `not a finite number: "${row.cells[idx.value]}"`,
          });
        if (rowErr.length) {
          (opts.skipInvalid ? report.skipped : errors).push(...rowErr);
          continue;
        }
        const releasedAt = (row.cells[idx.released_at] ?? '').trim();
        const ms = stamp(file, row.line, 'released_at', releasedAt);
        if (Number.isNaN(ms)) continue;
        obs.push({ series, date, releasedAt, releasedMs: ms, value });
      }
      obs.sort((a, b) => a.releasedMs - b.releasedMs || (a.date < b.date ? -1 : 1));
      macro.set(series, obs);
    }

  const fundamentals: Fundamental[] = [];
  const fundFile = join(dir, 'fundamentals.csv');
  const fundRead = existsSync(fundFile)
    ? collect(() => {
        const t = readCsv(fundFile);
        return { t, idx: columnIndex(t, ['ticker', 'period_end', 'released_at', 'field', 'value']) };
      })
    : undefined;
  if (fundRead) {
    const { t, idx } = fundRead;
    for (const row of t.rows) {
      const g = (k: string) => (row.cells[idx[k]] ?? '').trim();
      const value = parseDecimal(g('value'));
      const rowErr: DataIssue[] = [];
      if (!isIsoDate(g('period_end')))
        rowErr.push({
          file: fundFile,
          line: row.line,
          field: 'period_end',
          reason: `not a date: "${g('period_end')}"`,
        });
      if (!Number.isFinite(value))
        rowErr.push({ file: fundFile, line: row.line, field: 'value', reason: `not a finite number: "${g('value')}"` });
      if (!g('ticker') || !g('field'))
        rowErr.push({ file: fundFile, line: row.line, field: 'ticker', reason: 'ticker and field must be non-empty' });
      if (rowErr.length) {
        (opts.skipInvalid ? report.skipped : errors).push(...rowErr);
        continue;
      }
      const ms = stamp(fundFile, row.line, 'released_at', g('released_at'));
      if (Number.isNaN(ms)) continue;
      fundamentals.push({
        ticker: g('ticker'),
        periodEnd: g('period_end'),
        field: g('field'),
        releasedAt: g('released_at'),
        releasedMs: ms,
        value,
      });
    }
    fundamentals.sort((a, b) => a.releasedMs - b.releasedMs);
  }

  if (errors.length) throw new DataError(errors, `dataset ${dir}: ${errors.length} problem(s)`);
  return { dataset: { meta, bars, news, filings, macro, fundamentals }, report };
}

/** Write a dataset directory. Each file is written atomically; `dataset.json` is written last. */
export function writeDataset(dir: string, ds: Dataset): void {
  for (const [ticker, b] of [...ds.bars].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const rows = b.dates.map((d, i) => [d, b.open[i], b.high[i], b.low[i], b.close[i], b.adjClose[i], b.volume[i]]);
    writeFileAtomic(join(dir, 'bars', `${ticker}.csv`), formatCsv(BAR_COLUMNS, rows));
  }
  const jsonl = (items: unknown[]) => items.map((x) => `${JSON.stringify(x)}\n`).join('');
  if (ds.news.length)
    writeFileAtomic(
      join(dir, 'news.jsonl'),
      jsonl(
        ds.news.map((n) => ({
          id: n.id,
          published_at: n.publishedAt,
          tickers: n.tickers,
          headline: n.headline,
          ...(n.body !== undefined ? { body: n.body } : {}),
          source: n.source,
        })),
      ),
    );
  if (ds.filings.length)
    writeFileAtomic(
      join(dir, 'filings.jsonl'),
      jsonl(
        ds.filings.map((f) => ({
          id: f.id,
          ticker: f.ticker,
          form: f.form,
          filed_at: f.filedAt,
          ...(f.periodEnd ? { period_end: f.periodEnd } : {}),
          ...(f.summary !== undefined ? { summary: f.summary } : {}),
        })),
      ),
    );
  for (const [series, obs] of ds.macro)
    writeFileAtomic(
      join(dir, 'macro', `${series}.csv`),
      formatCsv(
        ['date', 'released_at', 'value'],
        obs.map((o) => [o.date, o.releasedAt, o.value]),
      ),
    );
  if (ds.fundamentals.length)
    writeFileAtomic(
      join(dir, 'fundamentals.csv'),
      formatCsv(
        ['ticker', 'period_end', 'released_at', 'field', 'value'],
        ds.fundamentals.map((f) => [f.ticker, f.periodEnd, f.releasedAt, f.field, f.value]),
      ),
    );
  writeJsonAtomic(join(dir, 'dataset.json'), ds.meta);
}

/** The price series a backtest trades on: adjusted close when the dataset has one, else close. */
export function tradedClose(b: Bars, basis: 'adjusted' | 'raw' = 'adjusted'): Float64Array {
  if (basis === 'raw') return b.close;
  return Number.isNaN(b.adjClose[0]) ? b.close : b.adjClose;
}

export function emptyDataset(meta: Omit<DatasetMeta, 'format'>, calendar?: MarketCalendar): Dataset {
  return {
    meta: { format: 'rlmf-dataset/1', ...meta, calendar: calendar ?? meta.calendar },
    bars: new Map(),
    news: [],
    filings: [],
    macro: new Map(),
    fundamentals: [],
  };
}
