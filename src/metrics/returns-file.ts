// Reading a return series from a file, for `rlmf metrics`.
// - CSV with a header that has a `return` column (an empty cell = missing) and optionally a `log_reward` column
//   (INVESTOR-BENCH rewards); other columns (e.g. `date`) are ignored.
// - JSON: an array of numbers, null = missing.
// Values are fractions (0.01 = +1 %). Every bad value is reported with file:line (CSV) or file [index] (JSON).
import { readFileSync } from 'node:fs';
import { columnIndex, parseCsv } from '../data/csv.ts';
import { DataError, type DataIssue } from '../data/errors.ts';

export interface ReturnSeries {
  returns: Float64Array;
  /** Present when the CSV has a `log_reward` column. */
  logRewards?: Float64Array;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function checkValue(v: number, issue: Omit<DataIssue, 'reason'>, issues: DataIssue[], isReturn: boolean): void {
  if (isReturn && v < -1)
    issues.push({ ...issue, reason: `return ${v} is below -1 (a loss of more than 100 %); returns must be fractions` });
}

function parseCell(cell: string, issue: Omit<DataIssue, 'reason'>, issues: DataIssue[], isReturn: boolean): number {
  const s = cell.trim();
  if (s === '') return Number.NaN;
  if (!DECIMAL.test(s)) {
    const hint = s.endsWith('%')
      ? ' (write fractions: 0.012, not 1.2%)'
      : ' (leave the cell empty for a missing value)';
    issues.push({ ...issue, reason: `"${s}" is not a number${hint}` });
    return Number.NaN;
  }
  const v = Number(s);
  checkValue(v, issue, issues, isReturn);
  return v;
}

function fromCsv(text: string, file: string): ReturnSeries {
  const table = parseCsv(text, file);
  const idx = columnIndex(table, ['return'], ['log_reward']);
  const issues: DataIssue[] = [];
  const n = table.rows.length;
  const returns = new Float64Array(n);
  const logRewards = idx.log_reward >= 0 ? new Float64Array(n) : undefined;
  table.rows.forEach((row, i) => {
    if (row.cells.length !== table.header.length) {
      issues.push({
        file,
        line: row.line,
        reason: `row has ${row.cells.length} cell(s), the header has ${table.header.length}`,
      });
      returns[i] = Number.NaN;
      if (logRewards) logRewards[i] = Number.NaN;
      return;
    }
    returns[i] = parseCell(row.cells[idx.return], { file, line: row.line, field: 'return' }, issues, true);
    if (logRewards)
      logRewards[i] = parseCell(
        row.cells[idx.log_reward],
        { file, line: row.line, field: 'log_reward' },
        issues,
        false,
      );
  });
  if (issues.length) throw new DataError(issues, `${issues.length} bad value(s) in ${file}`);
  return logRewards ? { returns, logRewards } : { returns };
}

function fromJson(text: string, file: string): ReturnSeries {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DataError([{ file, reason: `not valid JSON: ${(e as Error).message}` }]);
  }
  if (!Array.isArray(data))
    throw new DataError([{ file, reason: 'expected a JSON array of numbers (null = missing)' }]);
  const issues: DataIssue[] = [];
  const returns = new Float64Array(data.length);
  data.forEach((v, i) => {
    const where = { file, field: `[${i}]` };
    if (v === null) returns[i] = Number.NaN;
    else if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({ ...where, reason: `${JSON.stringify(v)} is not a number (use null for a missing value)` });
      returns[i] = Number.NaN;
    } else {
      checkValue(v, where, issues, true);
      returns[i] = v;
    }
  });
  if (issues.length) throw new DataError(issues, `${issues.length} bad value(s) in ${file}`);
  return { returns };
}

/** Parse a return series from text; `file` names it in errors. Throws DataError when empty or any value is bad. */
export function parseReturns(text: string, file: string): ReturnSeries {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new DataError([{ file, reason: 'empty file' }]);
  const series = /^[[{]/.test(text.trimStart()) ? fromJson(text, file) : fromCsv(text, file);
  if (series.returns.length === 0) throw new DataError([{ file, reason: 'no returns (the file has no data rows)' }]);
  if (series.returns.every((v) => Number.isNaN(v)))
    throw new DataError([{ file, reason: `all ${series.returns.length} returns are missing` }]);
  return series;
}

export function readReturnsFile(file: string): ReturnSeries {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError([{ file, reason: `cannot read file: ${(e as Error).message}` }]);
  }
  return parseReturns(text, file);
}
