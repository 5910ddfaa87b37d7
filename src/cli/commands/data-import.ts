// `rlmf data import` (public sources -> dataset directory) and `rlmf data inspect` (validate and describe one).
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.ts';
import { DataError, type DataIssue, formatLocation, UsageError } from '../../data/errors.ts';
import { IMPORT_FORMATS, importDataset, isImportFormat, writeImportedDataset } from '../../data/import/index.ts';
import { formatSummary, summarizeDataset } from '../../data/import/summary.ts';
import { printJson } from '../common.ts';

interface ImportCliOptions {
  format: string;
  in: string[];
  out?: string;
  ticker?: string;
  calendar?: string;
  name?: string;
  skipInvalid?: boolean;
  force?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const issueLine = (i: DataIssue) => `${formatLocation(i)}: ${i.reason}`;

/** Print every issue of a DataError (its message shows only the first 20), then rethrow it with a one-line message. */
function reportDataError(e: DataError, json: boolean | undefined): never {
  const headline = e.message.split('\n')[0];
  if (json) printJson({ ok: false, error: headline, issues: e.issues });
  else for (const i of e.issues) process.stderr.write(`${issueLine(i)}\n`);
  e.message = `${headline}${json ? '' : ' (all listed above)'}`;
  throw e;
}

function runImport(o: ImportCliOptions): void {
  if (!isImportFormat(o.format))
    throw new UsageError(`--format: "${o.format}" is not one of ${IMPORT_FORMATS.join(', ')}`);
  if (o.in.length === 0) throw new UsageError('--in is required (a source file or directory; repeatable)');
  if (o.calendar !== undefined && o.calendar !== 'nyse' && o.calendar !== 'utc')
    throw new UsageError(`--calendar: "${o.calendar}" is not one of nyse, utc`);
  let result: ReturnType<typeof importDataset>;
  try {
    result = importDataset(o.format, {
      inputs: o.in,
      ticker: o.ticker,
      skipInvalid: o.skipInvalid,
      calendar: o.calendar as 'nyse' | 'utc' | undefined,
      name: o.name ?? (o.out ? basename(resolve(o.out)) : undefined),
    });
  } catch (e) {
    if (e instanceof DataError) reportDataError(e, o.json);
    throw e;
  }
  const { dataset, report } = result;
  const written = o.out ? writeImportedDataset(o.out, dataset, { force: o.force }) : dataset;
  const summary = summarizeDataset(written);
  if (o.json) {
    printJson({
      ok: true,
      format: o.format,
      out: o.out ?? null,
      summary,
      skipped: report.skipped,
      warnings: report.warnings,
    });
    return;
  }
  const lines = [
    o.out ? `imported ${o.format} -> ${o.out}` : `validated ${o.format} (no --out: nothing written)`,
    ...formatSummary(summary),
  ];
  if (report.skipped.length) {
    const rows = Object.values(written.meta.skipped ?? {}).reduce((a, b) => a + b, 0);
    lines.push(`skipped ${rows} row(s) (--skip-invalid), ${report.skipped.length} problem(s):`);
    for (const i of report.skipped) lines.push(`  ${issueLine(i)}`);
  }
  if (report.warnings.length) {
    lines.push(`warnings (${report.warnings.length}):`);
    for (const i of report.warnings) lines.push(`  ${issueLine(i)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function runInspect(o: { data: string; json?: boolean }): void {
  let loaded: ReturnType<typeof loadDataset>;
  try {
    loaded = loadDataset(o.data);
  } catch (e) {
    if (e instanceof DataError) reportDataError(e, o.json);
    throw e;
  }
  const summary = summarizeDataset(loaded.dataset);
  if (o.json) {
    printJson({ ok: true, data: o.data, summary, warnings: loaded.report.warnings });
    return;
  }
  const lines = formatSummary(summary);
  if (loaded.report.warnings.length) {
    lines.push(`warnings (${loaded.report.warnings.length}):`);
    for (const i of loaded.report.warnings) lines.push(`  ${issueLine(i)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Adds `import` and `inspect` to the `data` command. */
export function registerDataImport(data: Command): void {
  data
    .command('import')
    .description('import public data (Yahoo/yfinance CSV, INVESTORBENCH, FNSPID, StockNet) as an rlmf dataset')
    .requiredOption('--format <format>', `source format: ${IMPORT_FORMATS.join('|')}`)
    .option('--in <path>', 'source file or directory (repeatable)', collect, [])
    .option('--out <dir>', 'dataset directory to write (without it the input is only validated)')
    .option(
      '--ticker <tickers>',
      'comma-separated: names the ticker of a single input file, otherwise selects which tickers to import',
    )
    .option('--calendar <calendar>', 'nyse or utc (24-hour, crypto); default: utc when every ticker trades daily')
    .option('--name <name>', 'dataset name in dataset.json (default: the --out folder name)')
    .option('--skip-invalid', 'skip bad rows instead of failing; they are counted per file and listed')
    .option('--force', 'replace an existing dataset in --out')
    .option('--json', 'print the result as JSON')
    .action((o: ImportCliOptions) => runImport(o));
  data
    .command('inspect')
    .description('validate a dataset directory and describe it: tickers, date ranges, gaps, news and filings')
    .requiredOption('--data <dir>', 'dataset directory')
    .option('--json', 'print the result as JSON')
    .action((o: { data: string; json?: boolean }) => runInspect(o));
}
