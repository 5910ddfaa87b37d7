// FNSPID (Dong, Fan & Peng, KDD 2024) CSV samples -> Dataset.
// Each CSV is classified by its header:
// - prices (`Date,Open,High,Low,Close,Adj Close,Volume`, any order/case; `price_raw/` and
//   `price_with_gpt_sentiment/`, whose dates read `2022-06-03 00:00:00+00:00` and whose model-made sentiment columns
//   are not imported): read like Yahoo files, basis 'raw';
// - news (`Date,Url,...` with optional `Text` / `New_text` body): one item per article, headline = the title in the
//   URL slug, source 'nasdaq'. Timestamps:
//   * Nasdaq's own `January 25, 2024 — 03:33 am EST` / `FEB 2, 2024 9:32AM EST` -> that wall clock with the stated
//     offset (EST -05:00, EDT -04:00);
//   * `DEC 18, 2023` -> the bare date (end of that day in the market time zone);
//   * FNSPID's preprocessed `2024-01-17 03:52:00+00:00`: NOT UTC. The pipeline shifted the US Eastern wall clock the
//     wrong way (08:52 EST became 03:52 "+00:00", see data_processor.md), so the true instant is the label plus
//     twice the Eastern offset (10 h in winter, 8 h in summer); it is written as Eastern time with its offset;
//   * relative dates (`5 DAYS AGO`) and stray values are errors (skippable).
// Ticker: the file name up to the first `_`, upper-cased (`aapl_nasdaq_articles.csv` -> AAPL), unless --ticker.
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { type CsvTable, columnIndex, parseCsv } from '../csv.ts';
import { UsageError } from '../errors.ts';
import { isIsoDate, zonedParts } from '../time.ts';
import {
  addBars,
  createContext,
  finishImport,
  guard,
  type ImportContext,
  type ImportOptions,
  type ImportResult,
  readText,
  reject,
  resolveTicker,
  tickerFromFileName,
  timestampError,
  warn,
} from './common.ts';
import { yahooTables } from './yahoo.ts';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const pad = (n: number) => String(n).padStart(2, '0');

/** 1-12 for `Jan`, `JAN`, `January` (3-letter abbreviation or the full name, any case); undefined otherwise. */
function monthNumber(name: string): number | undefined {
  const k = name.toLowerCase();
  const i = MONTHS.findIndex((m) => m === k || m.slice(0, 3) === k);
  return i < 0 ? undefined : i + 1;
}

/**
 * The timestamp of an FNSPID / Nasdaq date cell, as an ISO string with offset or a bare date; or an error.
 * Conventions in the header comment of this file.
 */
export function fnspidTimestamp(cell: string): { at?: string; error?: string } {
  const s = cell.trim();
  let m = /^([A-Za-z]+) (\d{1,2}), (\d{4})(?: —|,)? (\d{1,2}):(\d{2}) ?([AaPp][Mm]) (EST|EDT)$/.exec(s);
  if (m) {
    const mo = monthNumber(m[1]);
    const date = `${m[3]}-${pad(mo ?? 0)}-${pad(+m[2])}`;
    let h = +m[4];
    if (!mo || !isIsoDate(date) || h < 1 || h > 12 || +m[5] > 59) return { error: `not a valid date-time: "${s}"` };
    h = (h % 12) + (m[6].toLowerCase() === 'pm' ? 12 : 0);
    return { at: `${date}T${pad(h)}:${m[5]}:00${m[7] === 'EST' ? '-05:00' : '-04:00'}` };
  }
  m = /^([A-Za-z]+) (\d{1,2}), (\d{4})$/.exec(s);
  if (m) {
    const mo = monthNumber(m[1]);
    const date = `${m[3]}-${pad(mo ?? 0)}-${pad(+m[2])}`;
    if (!mo || !isIsoDate(date)) return { error: `not a valid date: "${s}"` };
    return { at: date };
  }
  m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})\+00:00$/.exec(s);
  if (m) {
    if (!isIsoDate(m[1]) || +m[2] > 23 || +m[3] > 59 || +m[4] > 59) return { error: `not a valid date-time: "${s}"` };
    return { at: correctShiftedEastern(Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`)) };
  }
  if (/\bago\b/i.test(s))
    return { error: `relative date "${s}" cannot be placed in time (the source gives no reference date)` };
  return { error: `unparseable date "${s}" (expected e.g. "January 25, 2024 — 03:33 am EST", "DEC 18, 2023")` };
}

/**
 * FNSPID's "UTC" label L is the Eastern wall clock W minus the Eastern offset h (5 or 4 hours), so W = L + h and the
 * instant is W + h = L + 2h. Of the two candidates, keep the one whose New York offset really is -h; if both or
 * neither fit (at a DST change), keep the later instant (never earlier than the truth).
 */
function correctShiftedEastern(labelMs: number): string {
  const H = 3_600_000;
  let chosen: { h: number; ms: number } | undefined;
  for (const h of [4, 5]) {
    const ms = labelMs + 2 * h * H;
    const wall = zonedParts(ms, 'America/New_York');
    const wallMs = Date.parse(`${wall.date}T00:00:00Z`) + Math.round(wall.minutes * 60) * 1000;
    const fits = Math.round((wallMs - ms) / H) === -h;
    if (fits && (!chosen || ms > chosen.ms)) chosen = { h, ms };
  }
  chosen ??= { h: 5, ms: labelMs + 10 * H };
  const wall = new Date(chosen.ms - chosen.h * H).toISOString().slice(0, 19);
  return `${wall}-0${chosen.h}:00`;
}

/** The article title Nasdaq puts in the URL slug (`.../articles/why-alcoa-stock-soared` -> `why alcoa stock soared`). */
export function titleFromUrl(url: string): string {
  const slug =
    url
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split('/')
      .pop() ?? '';
  let decoded = slug;
  try {
    decoded = decodeURIComponent(slug);
  } catch {
    // keep the raw slug when it is not valid percent-encoding
  }
  return decoded.replace(/[-_]+/g, ' ').trim();
}

function importNewsTable(ctx: ImportContext, table: CsvTable): void {
  const file = table.file;
  const idx = guard(ctx, () => columnIndex(table, ['date', 'url'], ['text', 'new_text', 'mark']));
  if (!idx) return;
  const bodyCol = idx.text >= 0 ? idx.text : idx.new_text;
  const used = new Set([idx.date, idx.url, bodyCol]);
  const ignored = table.header.filter((_, i) => !used.has(i));
  if (ignored.length) warn(ctx, { file, line: 1, reason: `column(s) not imported: ${ignored.join(', ')}` });
  if (table.hadBom) warn(ctx, { file, line: 1, reason: 'byte order mark (BOM) at start of file removed' });
  if (table.rows.length === 0) ctx.errors.push({ file, reason: 'no data rows after the header' });
  const ticker = resolveTicker(ctx, tickerFromFileName(file));
  if (!ticker) return;
  for (const row of table.rows) {
    const issues: { file: string; line: number; field: string; reason: string }[] = [];
    const at = (field: string, reason: string) => issues.push({ file, line: row.line, field, reason });
    if (row.cells.length !== table.header.length)
      at('*', `expected ${table.header.length} cells, found ${row.cells.length}`);
    const url = (row.cells[idx.url] ?? '').trim();
    const ts = fnspidTimestamp(row.cells[idx.date] ?? '');
    if (ts.error) at(table.header[idx.date], ts.error);
    else if (ts.at && timestampError(ts.at)) at(table.header[idx.date], timestampError(ts.at)!);
    const headline = titleFromUrl(url);
    if (!/^https?:\/\//.test(url)) at(table.header[idx.url], `not a URL: "${url.slice(0, 60)}"`);
    else if (!headline) at(table.header[idx.url], `no article title in URL "${url}"`);
    const id = `fnspid-${ticker}-${url.replace(/^https?:\/\/(www\.)?/, '')}`;
    const first = ctx.newsIds.get(id);
    if (first !== undefined) at(table.header[idx.url], `duplicate article (same Url as ${first})`);
    if (issues.length) {
      reject(ctx, issues);
      continue;
    }
    ctx.newsIds.set(id, `${file}:${row.line}`);
    // `Mark` 0 with `Text` "0": the scraper got no article text (a placeholder, not a body).
    let body = bodyCol >= 0 ? (row.cells[bodyCol] ?? '').trim() : '';
    if (body === '0' && (idx.mark < 0 || (row.cells[idx.mark] ?? '').trim() === '0')) body = '';
    ctx.news.push({
      id,
      publishedAt: ts.at!,
      publishedMs: Number.NaN,
      tickers: [ticker],
      headline,
      body: body || undefined,
      source: 'nasdaq',
    });
  }
}

/** Read one FNSPID CSV (prices or news, told apart by the header). */
export function importFnspidFile(ctx: ImportContext, file: string): void {
  const table = guard(ctx, () => parseCsv(readText(ctx, file), file));
  if (!table) return;
  const lower = table.header.map((h) => h.toLowerCase());
  if (lower.includes('url')) importNewsTable(ctx, table);
  else if (lower.includes('close'))
    for (const { ticker, table: t } of yahooTables(ctx, table)) addBars(ctx, t, ticker, 'raw');
  else
    ctx.errors.push({
      file,
      line: 1,
      reason: `neither a price file (needs Close) nor a news file (needs Url); header is: ${table.header.join(',')}`,
    });
}

function csvFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile() && extname(e.name).toLowerCase() === '.csv') out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** Import FNSPID CSV files, or every `*.csv` under a directory (recursively). */
export function importFnspid(opts: ImportOptions): ImportResult {
  const ctx = createContext('fnspid', opts);
  ctx.notes.push(
    'FNSPID "+00:00" news timestamps are US Eastern wall clock shifted the wrong way; corrected to label + 2 x Eastern offset',
    'model-made sentiment columns (Sentiment_gpt, News_flag, Scaled_sentiment) are not imported',
  );
  for (const input of opts.inputs) {
    const files = statSync(input).isDirectory() ? csvFilesUnder(input) : [input];
    if (files.length === 0) throw new UsageError(`--in: no .csv files under ${input}`);
    for (const f of files) importFnspidFile(ctx, f);
  }
  return finishImport(ctx);
}
