// Yahoo Finance / yfinance daily price CSVs -> Dataset.
// Two layouts:
// - plain: `Date,Open,High,Low,Close,Adj Close,Volume` (Yahoo's web download, old yfinance, most mirrors; column
//   order and case vary, `Adj Close` may be absent, a `Name`/`Ticker`/`Symbol` column may name the ticker);
// - yfinance >= 0.2.51 multi-level header: row 1 `Price,Adj Close,Close,...`, row 2 `Ticker,AAPL,AAPL,...`, row 3
//   `Date,,,...` (rows 1 and 2 swap with group_by='ticker'); a file may hold several tickers.
// Dates may carry a time and offset (`2020-01-02 00:00:00-05:00`); the date part is the bar's date.
// Prices are raw (as traded, split-adjusted at download time) with `Adj Close` as the adjusted series: basis 'raw'.
import { statSync } from 'node:fs';
import { type CsvRow, type CsvTable, parseCsv } from '../csv.ts';
import { UsageError } from '../errors.ts';
import {
  addBars,
  createContext,
  dateOfCell,
  finishImport,
  guard,
  type ImportContext,
  type ImportOptions,
  type ImportResult,
  listFiles,
  readText,
  reject,
  resolveTicker,
  tickerFromFileName,
  warn,
} from './common.ts';

const CANONICAL = ['date', 'open', 'high', 'low', 'close', 'adj_close', 'volume'] as const;
type Canonical = (typeof CANONICAL)[number];

/** Canonical bar column for a source header (`Adj Close`, `adj_close`, `Adj close` -> adj_close). */
function canonicalColumn(h: string): Canonical | 'ticker' | undefined {
  const k = h.toLowerCase().replace(/[\s_]+/g, '');
  if (k === 'date' || k === 'datetime') return 'date';
  if (k === 'adjclose' || k === 'adjustedclose') return 'adj_close';
  if (k === 'name' || k === 'ticker' || k === 'symbol') return 'ticker';
  return (CANONICAL as readonly string[]).includes(k) ? (k as Canonical) : undefined;
}

interface TickerTable {
  ticker: string;
  table: CsvTable;
}

/** Build one canonical table (date first) from picked source columns. */
function canonicalTable(file: string, hadBom: boolean, cols: Map<Canonical, number>, rows: CsvRow[]): CsvTable {
  const header = CANONICAL.filter((c) => cols.has(c));
  return {
    file,
    hadBom,
    header: [...header],
    rows: rows.map((r) => ({
      line: r.line,
      cells: header.map((c) => {
        const v = r.cells[cols.get(c)!] ?? '';
        return c === 'date' ? dateOfCell(v) : v;
      }),
    })),
  };
}

/** Rows whose cell count differs from the header's are reported (and left out of the returned list). */
function wellFormedRows(ctx: ImportContext, table: CsvTable, rows: CsvRow[], width: number): CsvRow[] {
  return rows.filter((r) => {
    if (r.cells.length === width) return true;
    reject(ctx, [
      { file: table.file, line: r.line, field: '*', reason: `expected ${width} cells, found ${r.cells.length}` },
    ]);
    return false;
  });
}

const isYfinanceMultiHeader = (t: CsvTable) => {
  const a = (t.header[0] ?? '').toLowerCase();
  const b = (t.rows[0]?.cells[0] ?? '').trim().toLowerCase();
  return (a === 'price' && b === 'ticker') || (a === 'ticker' && b === 'price');
};

/**
 * Split a Yahoo-style price CSV into one canonical table per ticker (the caller validates them with addBars).
 * The ticker comes from the file (a ticker column, or yfinance's row 2), else from --ticker or the file name.
 */
export function yahooTables(ctx: ImportContext, table: CsvTable): TickerTable[] {
  const file = table.file;
  if (isYfinanceMultiHeader(table)) return multiHeaderTables(ctx, table);
  const cols = new Map<Canonical, number>();
  let tickerCol = -1;
  const ignored: string[] = [];
  table.header.forEach((h, i) => {
    const c = canonicalColumn(h);
    if (c === 'ticker') tickerCol = i;
    else if (c && !cols.has(c)) cols.set(c, i);
    else ignored.push(h);
  });
  const missing = (['date', 'close'] as const).filter((c) => !cols.has(c));
  if (missing.length) {
    ctx.errors.push({
      file,
      line: 1,
      reason: `missing column(s) ${missing.map((m) => `"${m === 'date' ? 'Date' : 'Close'}"`).join(', ')}; header is: ${table.header.join(',')}`,
    });
    return [];
  }
  if (ignored.length) warn(ctx, { file, line: 1, reason: `column(s) not imported: ${ignored.join(', ')}` });
  const rows = wellFormedRows(ctx, table, table.rows, table.header.length);
  if (tickerCol < 0) {
    const ticker = resolveTicker(ctx, tickerFromFileName(file));
    return ticker ? [{ ticker, table: canonicalTable(file, table.hadBom, cols, rows) }] : [];
  }
  // A ticker column: group rows by its value (the DJIA-30 files carry `Name`).
  const groups = new Map<string, CsvRow[]>();
  for (const r of rows) {
    const t = (r.cells[tickerCol] ?? '').trim().toUpperCase();
    if (!t) {
      reject(ctx, [{ file, line: r.line, field: table.header[tickerCol], reason: 'missing ticker' }]);
      continue;
    }
    if (!groups.has(t)) groups.set(t, []);
    groups.get(t)!.push(r);
  }
  const out: TickerTable[] = [];
  for (const [t, rs] of groups) {
    const ticker = resolveTicker(ctx, t, groups.size === 1);
    if (ticker) out.push({ ticker, table: canonicalTable(file, table.hadBom, cols, rs) });
  }
  return out;
}

function multiHeaderTables(ctx: ImportContext, table: CsvTable): TickerTable[] {
  const file = table.file;
  const priceFirst = table.header[0].toLowerCase() === 'price';
  const fields = priceFirst ? table.header : table.rows[0].cells.map((c) => c.trim());
  const tickers = priceFirst ? table.rows[0].cells.map((c) => c.trim()) : table.header;
  let data = table.rows.slice(1);
  // Row 3 is the index name (`Date,,,,,`).
  const third = data[0];
  if (third && /^(date|datetime)$/i.test(third.cells[0]?.trim() ?? '') && third.cells.slice(1).every((c) => !c.trim()))
    data = data.slice(1);
  else
    ctx.errors.push({
      file,
      line: third?.line ?? 3,
      reason: 'yfinance multi-level header: expected row 3 to be "Date,,,..." (the index name)',
    });
  const width = table.header.length;
  const perTicker = new Map<string, Map<Canonical, number>>();
  const ignored: string[] = [];
  for (let j = 1; j < width; j++) {
    const c = canonicalColumn(fields[j] ?? '');
    const t = (tickers[j] ?? '').trim().toUpperCase();
    if (!c || c === 'ticker' || c === 'date' || !t) {
      ignored.push(`${fields[j]}/${tickers[j]}`);
      continue;
    }
    if (!perTicker.has(t)) perTicker.set(t, new Map([['date', 0]]));
    const cols = perTicker.get(t)!;
    if (cols.has(c)) {
      ctx.errors.push({ file, line: 2, field: `${fields[j]}/${t}`, reason: 'column appears twice' });
      continue;
    }
    cols.set(c, j);
  }
  if (ignored.length) warn(ctx, { file, line: 1, reason: `column(s) not imported: ${ignored.join(', ')}` });
  if (perTicker.size === 0) {
    ctx.errors.push({ file, line: 2, reason: 'yfinance multi-level header names no ticker' });
    return [];
  }
  const rows = wellFormedRows(ctx, table, data, width);
  const out: TickerTable[] = [];
  for (const [t, cols] of perTicker) {
    if (!cols.has('close')) {
      ctx.errors.push({ file, line: 1, reason: `no Close column for ${t}` });
      continue;
    }
    const ticker = resolveTicker(ctx, t, perTicker.size === 1);
    if (ticker) out.push({ ticker, table: canonicalTable(file, table.hadBom, cols, rows) });
  }
  return out;
}

/** Read one Yahoo-style price file and add its tickers' bars. */
export function importYahooFile(ctx: ImportContext, file: string): void {
  const table = guard(ctx, () => parseCsv(readText(ctx, file), file));
  if (!table) return;
  for (const { ticker, table: t } of yahooTables(ctx, table)) addBars(ctx, t, ticker, 'raw');
}

/** Import Yahoo/yfinance CSV files (or every `*.csv` in a directory). */
export function importYahoo(opts: ImportOptions): ImportResult {
  const ctx = createContext('yahoo', opts);
  for (const input of opts.inputs) {
    const files = statSync(input).isDirectory() ? listFiles(input, ['.csv']) : [input];
    if (files.length === 0) throw new UsageError(`--in: no .csv files in ${input}`);
    for (const f of files) importYahooFile(ctx, f);
  }
  return finishImport(ctx);
}
