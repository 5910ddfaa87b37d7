// A small RFC 4180 CSV reader and writer that keeps line numbers, so every bad value can be reported as file:line.
import { readFileSync } from 'node:fs';
import { DataError } from './errors.ts';

export interface CsvRow {
  /** 1-based line number where the record starts in the file. */
  line: number;
  cells: string[];
}

export interface CsvTable {
  file: string;
  header: string[];
  rows: CsvRow[];
  /** True when the file started with a UTF-8 byte order mark (it is removed before parsing). */
  hadBom: boolean;
}

/** Parse CSV text. The first record is the header. Throws DataError on an empty file or an unterminated quote. */
export function parseCsv(text: string, file: string): CsvTable {
  const hadBom = text.charCodeAt(0) === 0xfeff;
  if (hadBom) text = text.slice(1);
  const records: CsvRow[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    let inQuotes = false;
    let quoteStartLine = line;
    for (; i < n; i++) {
      const ch = text[i];
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i++;
          } else inQuotes = false;
        } else {
          if (ch === '\n') line++;
          cell += ch;
        }
      } else if (ch === '"' && cell === '') {
        inQuotes = true;
        quoteStartLine = line;
      } else if (ch === ',') {
        cells.push(cell);
        cell = '';
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        i++;
        line++;
        break;
      } else cell += ch;
    }
    if (inQuotes) throw new DataError([{ file, line: quoteStartLine, reason: 'unterminated quoted field' }]);
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: startLine, cells });
  }
  if (records.length === 0) throw new DataError([{ file, reason: 'empty file (no header, no rows)' }]);
  const [head, ...rows] = records;
  return { file, header: head.cells.map((h) => h.trim()), rows, hadBom };
}

export function readCsv(file: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError([{ file, reason: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseCsv(text, file);
}

function quote(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Format rows as CSV text with a trailing newline. `null`, `undefined` and NaN become empty cells. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly (string | number | null | undefined)[]>) {
  const out: string[] = [header.map(quote).join(',')];
  for (const r of rows) {
    out.push(
      r
        .map((v) => {
          if (v === null || v === undefined) return '';
          if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : '';
          return quote(v);
        })
        .join(','),
    );
  }
  return `${out.join('\n')}\n`;
}

/** Shortest round-trip decimal form (deterministic across runs). */
export function formatNumber(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/** Index of each required column; throws DataError naming the missing ones. Column names match case-insensitively. */
export function columnIndex(table: CsvTable, required: readonly string[], optional: readonly string[] = []) {
  const lower = table.header.map((h) => h.toLowerCase());
  const idx: Record<string, number> = {};
  const missing: string[] = [];
  for (const c of required) {
    const k = lower.indexOf(c.toLowerCase());
    if (k < 0) missing.push(c);
    idx[c] = k;
  }
  for (const c of optional) idx[c] = lower.indexOf(c.toLowerCase());
  if (missing.length)
    throw new DataError([
      {
        file: table.file,
        line: 1,
        reason: `missing column(s) ${missing.map((m) => `"${m}"`).join(', ')}; header is: ${table.header.join(',')}`,
      },
    ]);
  return idx;
}
