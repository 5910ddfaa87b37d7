// INVESTORBENCH raw JSON (`raw_json/<asset>.json`) -> Dataset.
// Source shape: `{ "YYYY-MM-DD": { "prices": number, "news": [string], "10k": [string], "10q": [string] } }`.
// - prices: an ADJUSTED close only -> priceBasis 'adjusted-only', close = adj_close = price, no OHLC/volume;
// - news: one item per string, stamped with the bare date (= end of that day in the market time zone, since the
//   hour is unknown); headline = first sentence of the text, body = the whole text;
// - 10k / 10q: one filing each (form 10-K / 10-Q) filed on that date (bare date), summary = the text.
// Ticker: the file name upper-cased (`msft.json` -> MSFT) unless --ticker names it.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CsvRow } from '../csv.ts';
import type { DataIssue } from '../errors.ts';
import { UsageError } from '../errors.ts';
import { isIsoDate } from '../time.ts';
import {
  addBars,
  createContext,
  finishImport,
  guard,
  headlineOf,
  type ImportContext,
  type ImportOptions,
  type ImportResult,
  listFiles,
  readText,
  reject,
  resolveTicker,
  stripBom,
  tickerFromFileName,
  warn,
} from './common.ts';
import { parseJsonWithLine, scanJsonLines } from './json-lines.ts';

const KNOWN_KEYS = ['prices', 'news', '10k', '10q'];
const FORMS: Record<string, string> = { '10k': '10-K', '10q': '10-Q' };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Read one asset file and add its bars, news and filings. */
export function importInvestorbenchFile(ctx: ImportContext, file: string): void {
  const text = guard(ctx, () => readText(ctx, file));
  if (text === undefined) return;
  const body = stripBom(ctx, file, text);
  if (!body.trim()) {
    ctx.errors.push({ file, reason: 'empty file' });
    return;
  }
  const parsed = parseJsonWithLine(body);
  if (parsed.error) {
    ctx.errors.push({ file, line: parsed.line, reason: `invalid JSON: ${parsed.error}` });
    return;
  }
  if (!isPlainObject(parsed.value)) {
    ctx.errors.push({ file, line: 1, reason: 'expected a JSON object keyed by date ({"YYYY-MM-DD": {...}})' });
    return;
  }
  const ticker = resolveTicker(ctx, tickerFromFileName(file));
  if (!ticker) return;
  const root = parsed.value;
  const where = scanJsonLines(body, 3);

  // Duplicate keys: JSON.parse keeps only the last value, so every occurrence is rejected.
  const linesOf = new Map<string, number[]>();
  for (const { key, line } of where.topKeys) linesOf.set(key, [...(linesOf.get(key) ?? []), line]);
  for (const [key, lines] of linesOf)
    if (lines.length > 1)
      for (const line of lines)
        reject(ctx, [
          {
            file,
            line,
            field: key,
            reason: `date ${key} appears ${lines.length} times (lines ${lines.join(', ')}); JSON keeps only the last`,
          },
        ]);

  const rows: CsvRow[] = [];
  const unknownKeys = new Set<string>();
  let prevDate: string | undefined;
  for (const { key: date, line } of where.topKeys) {
    if (linesOf.get(date)!.length > 1) continue; // reported above
    const issues: DataIssue[] = [];
    const at = (field: string, reason: string, l = line) => issues.push({ file, line: l, field, reason });
    const day = root[date];
    if (!isIsoDate(date)) at('date', `not a YYYY-MM-DD date: "${date}"`);
    else if (prevDate !== undefined && date < prevDate) at('date', `dates not ascending: ${date} after ${prevDate}`);
    if (!isPlainObject(day)) at(date, 'expected an object {"prices": ..., "news": [...]}');
    else {
      for (const k of Object.keys(day)) if (!KNOWN_KEYS.includes(k)) unknownKeys.add(k);
      const price = day.prices;
      const pl = where.lineOf([date, 'prices']) ?? line;
      if (!('prices' in day)) at('prices', 'missing value');
      else if (price === null)
        at(
          'prices',
          'null value (the source has no price on this day; rerun with --skip-invalid to skip such rows)',
          pl,
        );
      else if (typeof price !== 'number') at('prices', `not a number: ${JSON.stringify(price)}`, pl);
      else if (!(price > 0)) at('prices', `non-positive price ${price}`, pl);
      for (const k of ['news', '10k', '10q']) {
        const list = day[k];
        if (list === undefined) continue;
        const kl = where.lineOf([date, k]) ?? line;
        if (!Array.isArray(list)) {
          at(k, `expected an array of strings, found ${JSON.stringify(list).slice(0, 40)}`, kl);
          continue;
        }
        list.forEach((s, i) => {
          const il = where.lineOf([date, k, i]) ?? kl;
          if (typeof s !== 'string') at(`${k}[${i}]`, `expected a string, found ${JSON.stringify(s).slice(0, 40)}`, il);
          else if (!s.trim()) at(`${k}[${i}]`, 'empty text', il);
        });
      }
    }
    if (issues.length) {
      reject(ctx, issues);
      continue;
    }
    prevDate = date;
    const d = day as Record<string, unknown>;
    rows.push({ line, cells: [date, String(d.prices), String(d.prices)] });
    const news = (d.news as string[] | undefined) ?? [];
    news.forEach((s, i) => {
      ctx.news.push({
        id: `investorbench-${ticker}-${date}-${String(i).padStart(4, '0')}`,
        publishedAt: date,
        publishedMs: Number.NaN, // resolved in finishImport, once the calendar is known
        tickers: [ticker],
        headline: headlineOf(s),
        body: s,
        source: 'investorbench',
      });
    });
    for (const k of ['10k', '10q']) {
      const list = (d[k] as string[] | undefined) ?? [];
      list.forEach((s, i) => {
        ctx.filings.push({
          id: `investorbench-${ticker}-${FORMS[k]}-${date}-${i}`,
          ticker,
          form: FORMS[k],
          filedAt: date,
          filedMs: Number.NaN,
          periodEnd: undefined,
          summary: s,
        });
      });
    }
  }
  if (unknownKeys.size)
    warn(ctx, {
      file,
      reason: `key(s) not imported: ${[...unknownKeys].sort().join(', ')} (known: prices, news, 10k, 10q)`,
    });
  if (where.topKeys.length === 0) {
    ctx.errors.push({ file, line: 1, reason: 'no dates in file' });
    return;
  }
  addBars(ctx, { file, header: ['date', 'close', 'adj_close'], rows, hadBom: false }, ticker, 'adjusted-only');
}

/** Import INVESTORBENCH asset files (a file, a `raw_json/` directory, or the dataset root holding `raw_json/`). */
export function importInvestorbench(opts: ImportOptions): ImportResult {
  const ctx = createContext('investorbench', opts);
  ctx.notes.push(
    'prices are adjusted closes only (close = adj_close); news and filings carry a date only and are stamped at the end of that day in the market time zone',
  );
  for (const input of opts.inputs) {
    let files = [input];
    if (statSync(input).isDirectory()) {
      const dir = existsSync(join(input, 'raw_json')) ? join(input, 'raw_json') : input;
      files = listFiles(dir, ['.json']);
      if (files.length === 0) throw new UsageError(`--in: no .json files in ${dir}`);
    }
    for (const f of files) importInvestorbenchFile(ctx, f);
  }
  return finishImport(ctx);
}
