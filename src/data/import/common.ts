// What every importer shares: listing input files, collecting every problem (never stopping at the first), skipping
// bad rows only when asked (and counting them per file), validating bars through barsFromTable, picking the market
// calendar, and assembling the in-memory Dataset. See docs/data-format.md for the mapping of each source.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { VERSION } from '../../version.ts';
import type { CsvTable } from '../csv.ts';
import { barsFromTable, type ReadReport, TICKER_RE } from '../dataset.ts';
import { DataError, type DataIssue, UsageError } from '../errors.ts';
import { parseTimestamp } from '../time.ts';
import type { Bars, Dataset, Filing, MarketCalendar, NewsItem, PriceBasis, TickerMeta } from '../types.ts';
import { NYSE } from '../types.ts';

export const IMPORT_FORMATS = ['yahoo', 'investorbench', 'fnspid', 'stocknet'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Crypto trades around the clock: one bar per UTC calendar day, closing at 24:00 UTC. */
export const CRYPTO_UTC: MarketCalendar = { timezone: 'UTC', open: '00:00', close: '24:00' };

export interface ImportOptions {
  /** Files or directories to read. */
  inputs: string[];
  /**
   * Comma-separated tickers. With one input file that holds one ticker, the first names it (overriding the name
   * taken from the file); otherwise the list selects which tickers to import.
   */
  ticker?: string;
  /** Skip bad rows (counted per file in meta.skipped and listed in the report) instead of failing. */
  skipInvalid?: boolean;
  /** `nyse` or `utc` (24-hour, crypto). Default: `utc` when every ticker trades every day, else `nyse`. */
  calendar?: 'nyse' | 'utc';
  /** dataset.json `name`. Default: `<format>-import`. */
  name?: string;
}

export interface ImportResult {
  dataset: Dataset;
  /** Rows skipped (only with skipInvalid) and non-fatal warnings, each with file and line. */
  report: ReadReport;
}

interface BarsEntry {
  bars: Bars;
  file: string;
  priceBasis: PriceBasis;
}

/** Mutable state of one import run. Importers add to it; `finishImport` turns it into a Dataset or a DataError. */
export interface ImportContext {
  format: ImportFormat;
  opts: ImportOptions;
  errors: DataIssue[];
  report: ReadReport;
  /** Input files actually read, with their SHA-256 (provenance). */
  files: { path: string; sha256: string; bytes: number }[];
  bars: Map<string, BarsEntry>;
  news: NewsItem[];
  filings: Filing[];
  /** Tickers named by --ticker (undefined: import all). */
  filter?: Set<string>;
  /** --ticker when it names the ticker of the single input file. */
  override?: string;
  /** Tickers seen in the inputs (to report filter entries that matched nothing). */
  seen: Set<string>;
  /** News ids already added, with where they came from (`file:line`), to report duplicates across files. */
  newsIds: Map<string, string>;
  /** Rows skipped per file (one source row may carry several issues). */
  skippedRows: Map<string, number>;
  /** Whether some error concerns a single row (then --skip-invalid would help, and the message says so). */
  rowErrors: boolean;
  notes: string[];
}

export function createContext(format: ImportFormat, opts: ImportOptions): ImportContext {
  if (opts.inputs.length === 0) throw new UsageError('--in: give at least one file or directory');
  for (const p of opts.inputs) if (!existsSync(p)) throw new UsageError(`--in: ${p} does not exist`);
  const tickers = (opts.ticker ?? '')
    .split(',')
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean);
  for (const t of tickers) if (!TICKER_RE.test(t)) throw new UsageError(`--ticker: "${t}" is not a valid ticker`);
  const singleFile = opts.inputs.length === 1 && statSync(opts.inputs[0]).isFile();
  return {
    format,
    opts,
    errors: [],
    report: { skipped: [], warnings: [] },
    files: [],
    bars: new Map(),
    news: [],
    filings: [],
    override: singleFile && tickers.length === 1 ? tickers[0] : undefined,
    filter: tickers.length ? new Set(tickers) : undefined,
    seen: new Set(),
    newsIds: new Map(),
    skippedRows: new Map(),
    rowErrors: false,
    notes: [],
  };
}

/** Report problems of one row: skipped (and counted) with --skip-invalid, otherwise errors. */
export function reject(ctx: ImportContext, issues: DataIssue[]): void {
  if (!ctx.opts.skipInvalid) {
    ctx.errors.push(...issues);
    ctx.rowErrors = true;
    return;
  }
  ctx.report.skipped.push(...issues);
  countSkippedRows(ctx, issues[0].file, 1);
}

function countSkippedRows(ctx: ImportContext, file: string, n: number): void {
  ctx.skippedRows.set(file, (ctx.skippedRows.get(file) ?? 0) + n);
}

export function warn(ctx: ImportContext, issue: DataIssue): void {
  ctx.report.warnings.push(issue);
}

/** Run a step that may throw a DataError for a whole file (empty, unreadable, missing column); keep going. */
export function guard<T>(ctx: ImportContext, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    ctx.errors.push(...e.issues);
    return undefined;
  }
}

/** Read a text file, record its hash for provenance. Throws DataError when it cannot be read. */
export function readText(ctx: ImportContext, file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DataError([{ file, reason: `cannot read file: ${(e as Error).message}` }]);
  }
  ctx.files.push({ path: file, sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length });
  if (buf.length === 0) throw new DataError([{ file, reason: 'empty file' }]);
  return buf.toString('utf8');
}

/** Remove a UTF-8 byte order mark, with a warning. */
export function stripBom(ctx: ImportContext, file: string, text: string): string {
  if (text.charCodeAt(0) !== 0xfeff) return text;
  warn(ctx, { file, line: 1, reason: 'byte order mark (BOM) at start of file removed' });
  return text.slice(1);
}

/** Files directly in `dir` whose names end with one of `exts`, sorted. */
export function listFiles(dir: string, exts: readonly string[]): string[] {
  return readdirSync(dir)
    .filter((f) => exts.includes(extname(f).toLowerCase()) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/** The ticker a file name implies: the name without extension, up to the first `_`, upper-cased. */
export function tickerFromFileName(file: string): string {
  return basename(file, extname(file)).split('_')[0].toUpperCase();
}

/**
 * The ticker to use for data that the source attributes to `derived`, or undefined when --ticker excludes it.
 * `singleTickerFile` says whether the whole file holds one ticker (only then does an override apply).
 */
export function resolveTicker(ctx: ImportContext, derived: string, singleTickerFile = true): string | undefined {
  if (ctx.override && singleTickerFile) {
    ctx.seen.add(ctx.override);
    return ctx.override;
  }
  const t = derived.trim().toUpperCase();
  ctx.seen.add(t);
  if (ctx.filter && !ctx.filter.has(t)) return undefined;
  return t;
}

/**
 * A date cell as the source writes it: `YYYY-MM-DD`, optionally followed by a time and offset
 * (`2020-01-02 00:00:00-05:00`, yfinance and FNSPID). The date part is the bar's date; anything else is kept
 * as is so that the validation message shows it.
 */
export function dateOfCell(cell: string): string {
  const s = cell.trim();
  return /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s) ? s.slice(0, 10) : s;
}

/**
 * Validate one ticker's bars (a table with canonical columns date, open, high, low, close, adj_close, volume, any
 * subset holding date and close) and add them. Every bad row is reported with its line; a ticker that ends with no
 * valid row, or that two files both provide, is an error.
 */
export function addBars(ctx: ImportContext, table: CsvTable, ticker: string, priceBasis: PriceBasis): void {
  if (!TICKER_RE.test(ticker)) {
    ctx.errors.push({ file: table.file, reason: `ticker "${ticker}" is not a valid ticker (it becomes a file name)` });
    return;
  }
  const prev = ctx.bars.get(ticker);
  if (prev) {
    ctx.errors.push({
      file: table.file,
      reason: `prices for ${ticker} also come from ${prev.file}: import one of them (or select with --ticker)`,
    });
    return;
  }
  const skippedBefore = ctx.report.skipped.length;
  const r = guard(ctx, () => barsFromTable(table, ticker, { skipInvalid: ctx.opts.skipInvalid }, ctx.report));
  if (!r) return;
  // barsFromTable records each skipped row's issues (a row may have several): count rows by line.
  const skippedLines = new Set(ctx.report.skipped.slice(skippedBefore).map((i) => i.line));
  if (skippedLines.size) countSkippedRows(ctx, table.file, skippedLines.size);
  ctx.errors.push(...r.errors);
  if (r.errors.some((e) => e.line !== undefined)) ctx.rowErrors = true;
  if (r.errors.length === 0 && r.bars.dates.length === 0 && table.rows.length > 0)
    ctx.errors.push({
      file: table.file,
      reason: `no valid row left for ${ticker} (${ctx.report.skipped.length - skippedBefore} problem(s) skipped)`,
    });
  if (r.errors.length || r.bars.dates.length === 0) return;
  warnJumps(ctx, table, r.bars);
  ctx.bars.set(ticker, { bars: r.bars, file: table.file, priceBasis });
}

/** Warn (not fail) on one-day moves beyond ×3 or ÷3: usually an unadjusted split or a spliced series. */
function warnJumps(ctx: ImportContext, table: CsvTable, b: Bars): void {
  const px = b.adjClose.every((v) => Number.isFinite(v)) ? b.adjClose : b.close;
  const lineOf = new Map<string, number>();
  for (const row of table.rows) lineOf.set(dateOfCell(row.cells[0] ?? ''), row.line);
  for (let i = 1; i < b.dates.length; i++) {
    const ratio = px[i] / px[i - 1];
    if (ratio > 3 || ratio < 1 / 3)
      warn(ctx, {
        file: table.file,
        line: lineOf.get(b.dates[i]),
        field: px === b.adjClose ? 'adj_close' : 'close',
        reason: `price moves ×${ratio.toPrecision(3)} from ${b.dates[i - 1]} to ${b.dates[i]}: unadjusted split or spliced series?`,
      });
  }
}

/** Validate a timestamp as written in a source (instants need an offset; a bare date is end of day, market tz). */
export function timestampError(s: string): string | undefined {
  return parseTimestamp(s, 'UTC').error;
}

const CRYPTO = new Set(['BTC', 'ETH', 'SOL', 'XRP', 'DOGE', 'ADA', 'LTC', 'BNB']);

/**
 * A ticker trades every day when it is a known crypto asset (`BTC`, `BTC-USD`, ...) or when more than 20 % of its
 * bars fall on weekends (2/7 for a daily series; a stray weekend row in stock data does not qualify).
 */
function tradesEveryDay(ticker: string, b: Bars): boolean {
  if (CRYPTO.has(ticker.replace(/-USDT?$/, ''))) return true;
  const weekend = b.dates.filter((d) => {
    const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
    return wd === 0 || wd === 6;
  }).length;
  return weekend > 0.2 * b.dates.length;
}

function chooseCalendar(ctx: ImportContext): MarketCalendar {
  if (ctx.opts.calendar === 'nyse') return NYSE;
  if (ctx.opts.calendar === 'utc') return CRYPTO_UTC;
  const daily = [...ctx.bars].filter(([t, e]) => tradesEveryDay(t, e.bars)).map(([t]) => t);
  if (daily.length === 0) return NYSE;
  if (daily.length === ctx.bars.size) return CRYPTO_UTC;
  const others = [...ctx.bars.keys()].filter((t) => !daily.includes(t));
  throw new UsageError(
    `${daily.join(', ')} trade(s) every day (24-hour UTC calendar) but ${others.join(', ')} follow(s) the NYSE ` +
      'calendar: one dataset has one calendar, so import them into separate datasets (or force one with --calendar)',
  );
}

function dedupeIssues(issues: DataIssue[]): DataIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.file}\u0000${i.line}\u0000${i.field}\u0000${i.reason}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** By file, then line (file-level issues first); stable, so issues of one line keep their order. */
function sortIssues(issues: DataIssue[]): DataIssue[] {
  return issues.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Assemble the Dataset. Throws DataError listing every problem when any was found (and not skipped), or
 * UsageError when --ticker named a ticker the inputs do not have or nothing was imported.
 */
export function finishImport(ctx: ImportContext): ImportResult {
  ctx.report.warnings = sortIssues(dedupeIssues(ctx.report.warnings));
  ctx.report.skipped = sortIssues(dedupeIssues(ctx.report.skipped));
  sortIssues(ctx.errors);
  if (ctx.errors.length) {
    const files = new Set(ctx.errors.map((e) => e.file)).size;
    throw new DataError(
      ctx.errors,
      `import --format ${ctx.format} failed: ${ctx.errors.length} problem(s) in ${files} file(s)` +
        (ctx.rowErrors ? ' (rerun with --skip-invalid to skip bad rows; they are counted)' : ''),
    );
  }
  const missing = [...(ctx.filter ?? [])].filter((t) => !ctx.seen.has(t));
  if (missing.length) throw new UsageError(`--ticker: ${missing.join(', ')} not found in the input`);
  if (ctx.bars.size === 0 && ctx.news.length === 0 && ctx.filings.length === 0)
    throw new UsageError(`nothing to import from ${ctx.opts.inputs.join(', ')}`);

  const calendar = chooseCalendar(ctx);
  const tz = calendar.timezone;
  const bars = new Map<string, Bars>();
  const tickers: Record<string, TickerMeta> = {};
  for (const t of [...ctx.bars.keys()].sort()) {
    const { bars: b, priceBasis } = ctx.bars.get(t)!;
    bars.set(t, b);
    tickers[t] = {
      priceBasis,
      hasOhlc: [b.open, b.high, b.low].every((col) => col.some((v) => Number.isFinite(v))),
      hasVolume: b.volume.some((v) => Number.isFinite(v)),
    };
  }
  // Bare dates resolve to the end of that day in the dataset's own time zone, known only now.
  const news = ctx.news.map((n) => ({ ...n, publishedMs: parseTimestamp(n.publishedAt, tz).ms }));
  news.sort((a, b) => a.publishedMs - b.publishedMs || byId(a.id, b.id));
  const filings = ctx.filings.map((f) => ({ ...f, filedMs: parseTimestamp(f.filedAt, tz).ms }));
  filings.sort((a, b) => a.filedMs - b.filedMs || byId(a.id, b.id));

  const skipped: Record<string, number> = {};
  for (const f of [...ctx.skippedRows.keys()].sort()) skipped[f] = ctx.skippedRows.get(f)!;
  return {
    dataset: {
      meta: {
        format: 'rlmf-dataset/1',
        name: ctx.opts.name ?? `${ctx.format}-import`,
        source: `${ctx.format}:${ctx.opts.inputs.join(',')}`,
        calendar,
        tickers,
        ...(Object.keys(skipped).length ? { skipped } : {}),
        provenance: {
          importer: `rlmf ${VERSION} data import --format ${ctx.format}`,
          inputs: ctx.opts.inputs,
          files: ctx.files,
          ...(ctx.opts.skipInvalid ? { skipInvalid: true } : {}),
          ...(ctx.notes.length ? { notes: ctx.notes } : {}),
        },
      },
      bars,
      news,
      filings,
      macro: new Map(),
      fundamentals: [],
    },
    report: ctx.report,
  };
}

/** A short headline from a long text: its first sentence, cut at a word boundary to at most `max` characters. */
export function headlineOf(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(t)?.[1] ?? t;
  if (sentence.length <= max) return sentence;
  const cut = sentence.slice(0, max - 1);
  const space = sentence[max - 1] === ' ' ? cut.length : cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
