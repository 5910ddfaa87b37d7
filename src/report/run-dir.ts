// The run directory: what `rlmf backtest --out RUN` and `rlmf demo` write, and what `rlmf report --run RUN` reads.
//   RUN/run.json                          RunMeta: title?, config, seed?, versions, dataset, notes?, strategies (order)
//   RUN/metrics.json                      MetricsFile
//   RUN/strategies/<slug>/returns.csv     date,return,equity,log_reward,turnover
//   RUN/strategies/<slug>/positions.csv   date,<ticker weights...>
//   RUN/strategies/<slug>/ticker_pnl.csv  date,<ticker...>
//   RUN/strategies/<slug>/trades.csv      date,decision_date,ticker,side,quantity,fill_price,notional,commission
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { StrategyRun, Trade } from '../backtest/types.ts';
import { type CsvTable, columnIndex, formatCsv, readCsv } from '../data/csv.ts';
import { DataError, type DataIssue, UsageError } from '../data/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { uniqueSlug } from './format.ts';
import { defaultTitle, metricsFile, type ReportInput, type RunMeta } from './types.ts';

const RunJson = z.object({
  title: z.string().optional(),
  config: z.unknown(),
  seed: z.number().optional(),
  versions: z.record(z.string(), z.string()),
  dataset: z.object({ name: z.string(), source: z.string() }),
  notes: z.array(z.string()).optional(),
  strategies: z.array(z.object({ name: z.string(), dir: z.string(), tickers: z.array(z.string()) })).min(1),
});

/** Arrays of a run that must have one entry per date; a mismatch is a bug in the producer, not bad user data. */
function checkShape(r: StrategyRun): void {
  const n = r.dates.length;
  const bad = (what: string) => {
    throw new Error(`writeRunDir: strategy "${r.name}": ${what} (dates has ${n})`);
  };
  for (const [k, a] of [
    ['returns', r.returns],
    ['equity', r.equity],
    ['logRewards', r.logRewards],
    ['turnover', r.turnover],
  ] as const)
    if (a.length !== n) bad(`${k} has ${a.length} entries`);
  if (r.weights.length !== r.tickers.length || r.tickerPnl.length !== r.tickers.length)
    bad(`${r.tickers.length} tickers but ${r.weights.length} weight and ${r.tickerPnl.length} P&L series`);
  for (const [k, series] of r.weights.entries())
    if (series.length !== n) bad(`weights[${k}] has ${series.length} entries`);
  for (const [k, series] of r.tickerPnl.entries())
    if (series.length !== n) bad(`tickerPnl[${k}] has ${series.length} entries`);
}

/**
 * Write a run directory (layout above). Strategy names must be unique; each strategy's directory is its name made
 * file-name safe (uniqueSlug). Every file is written atomically, run.json last.
 */
export function writeRunDir(runDir: string, run: { meta: RunMeta; runs: StrategyRun[] }): void {
  const names = new Set<string>();
  for (const r of run.runs) {
    if (names.has(r.name)) throw new UsageError(`two strategies are named "${r.name}"; names must be unique`);
    names.add(r.name);
    checkShape(r);
  }
  const taken = new Set<string>();
  const index = run.runs.map((r) => ({ name: r.name, dir: uniqueSlug(r.name, taken), tickers: r.tickers }));
  run.runs.forEach((r, s) => {
    const dir = join(runDir, 'strategies', index[s].dir);
    writeFileAtomic(
      join(dir, 'returns.csv'),
      formatCsv(
        ['date', 'return', 'equity', 'log_reward', 'turnover'],
        r.dates.map((d, i) => [d, r.returns[i], r.equity[i], r.logRewards[i], r.turnover[i]]),
      ),
    );
    writeFileAtomic(
      join(dir, 'positions.csv'),
      formatCsv(
        ['date', ...r.tickers],
        r.dates.map((d, i) => [d, ...r.weights.map((w) => w[i])]),
      ),
    );
    writeFileAtomic(
      join(dir, 'ticker_pnl.csv'),
      formatCsv(
        ['date', ...r.tickers],
        r.dates.map((d, i) => [d, ...r.tickerPnl.map((p) => p[i])]),
      ),
    );
    writeFileAtomic(
      join(dir, 'trades.csv'),
      formatCsv(
        ['date', 'decision_date', 'ticker', 'side', 'quantity', 'fill_price', 'notional', 'commission'],
        r.trades.map((t) => [
          t.date,
          t.decisionDate,
          t.ticker,
          t.side,
          t.quantity,
          t.fillPrice,
          t.notional,
          t.commission,
        ]),
      ),
    );
  });
  const title = run.meta.title ?? defaultTitle(run.meta.dataset);
  writeJsonAtomic(
    join(runDir, 'metrics.json'),
    metricsFile({ title, dataset: run.meta.dataset, seed: run.meta.seed, runs: run.runs }),
  );
  // run.json last: its presence marks a complete run directory
  writeJsonAtomic(join(runDir, 'run.json'), { ...run.meta, strategies: index });
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading. Every problem found is collected (file, line, field, reason) and thrown together as one DataError.

type Issues = DataIssue[];

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A calendar date `YYYY-MM-DD` that exists. */
function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Rows whose cell count differs from the header's are reported (and read as far as they go). */
function checkWidths(t: CsvTable, issues: Issues): void {
  for (const r of t.rows)
    if (r.cells.length !== t.header.length)
      issues.push({ file: t.file, line: r.line, reason: `${r.cells.length} cells, the header has ${t.header.length}` });
}

/**
 * A numeric column: decimal numbers; an empty cell is NaN (how formatCsv writes a missing value) unless `required`.
 */
function numberColumn(t: CsvTable, col: number, field: string, issues: Issues, required = false): Float64Array {
  return Float64Array.from(t.rows, (r) => {
    const s = (r.cells[col] ?? '').trim();
    if (s === '') {
      if (required) issues.push({ file: t.file, line: r.line, field, reason: 'empty; a number is required' });
      return Number.NaN;
    }
    const v = Number(s);
    if (!DECIMAL.test(s) || !Number.isFinite(v))
      issues.push({ file: t.file, line: r.line, field, reason: `not a number: "${s}"` });
    return v;
  });
}

/** The date column of returns.csv: valid dates, strictly ascending. */
function dateColumn(t: CsvTable, col: number, issues: Issues): string[] {
  let prev = '';
  return t.rows.map((r) => {
    const d = (r.cells[col] ?? '').trim();
    if (!isIsoDate(d))
      issues.push({ file: t.file, line: r.line, field: 'date', reason: `"${d}" is not a YYYY-MM-DD date` });
    else if (prev !== '' && d <= prev)
      issues.push({ file: t.file, line: r.line, field: 'date', reason: `${d} does not come after ${prev}` });
    else prev = d;
    return d;
  });
}

/** A per-day file must have returns.csv's dates, row by row. */
function checkSameDates(t: CsvTable, col: number, dates: readonly string[], issues: Issues): void {
  if (t.rows.length !== dates.length)
    issues.push({ file: t.file, reason: `${t.rows.length} rows, returns.csv has ${dates.length}` });
  const n = Math.min(t.rows.length, dates.length);
  for (let i = 0; i < n; i++) {
    const d = (t.rows[i].cells[col] ?? '').trim();
    if (d !== dates[i])
      issues.push({
        file: t.file,
        line: t.rows[i].line,
        field: 'date',
        reason: `"${d}" where returns.csv has ${dates[i]} (same row)`,
      });
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError([{ file, reason: `cannot read file: ${(e as Error).message}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError([{ file, reason: `invalid JSON: ${(e as Error).message}` }]);
  }
}

const MetricsJson = z.object({
  strategies: z.record(z.string(), z.record(z.string(), z.number().nullable())),
});

/** metrics.json's per-strategy metrics (absent file: none). Names must be strategies of run.json. */
function readMetrics(runDir: string, names: readonly string[], issues: Issues) {
  const file = join(runDir, 'metrics.json');
  if (!existsSync(file)) return {};
  const p = MetricsJson.safeParse(readJson(file));
  if (!p.success) {
    for (const i of p.error.issues) issues.push({ file, field: i.path.join('.') || '*', reason: i.message });
    return {};
  }
  for (const name of Object.keys(p.data.strategies))
    if (!names.includes(name))
      issues.push({ file, field: `strategies.${name}`, reason: 'not a strategy listed in run.json' });
  return p.data.strategies;
}

function readStrategy(
  runDir: string,
  entry: { name: string; dir: string; tickers: string[] },
  metrics: Record<string, number | null> | undefined,
  issues: Issues,
): StrategyRun {
  const { name, dir, tickers } = entry;
  const base = join(runDir, 'strategies', dir);

  const ret = readCsv(join(base, 'returns.csv'));
  const ri = columnIndex(ret, ['date', 'return', 'equity', 'log_reward', 'turnover']);
  checkWidths(ret, issues);
  const dates = dateColumn(ret, ri.date, issues);

  const perTicker = (fileName: string) => {
    const t = readCsv(join(base, fileName));
    const idx = columnIndex(t, ['date', ...tickers]);
    checkWidths(t, issues);
    checkSameDates(t, idx.date, dates, issues);
    return tickers.map((tk) => numberColumn(t, idx[tk], tk, issues));
  };

  const tr = readCsv(join(base, 'trades.csv'));
  const ti = columnIndex(tr, [
    'date',
    'decision_date',
    'ticker',
    'side',
    'quantity',
    'fill_price',
    'notional',
    'commission',
  ]);
  checkWidths(tr, issues);
  const num = (k: string) => numberColumn(tr, ti[k], k, issues, true);
  const [quantity, fillPrice, notional, commission] = [
    num('quantity'),
    num('fill_price'),
    num('notional'),
    num('commission'),
  ];
  const trades: Trade[] = tr.rows.map((r, i) => {
    const cell = (k: string) => (r.cells[ti[k]] ?? '').trim();
    const at = (field: string, reason: string) => issues.push({ file: tr.file, line: r.line, field, reason });
    for (const k of ['date', 'decision_date']) if (!isIsoDate(cell(k))) at(k, `"${cell(k)}" is not a YYYY-MM-DD date`);
    if (cell('decision_date') > cell('date'))
      at('decision_date', `${cell('decision_date')} is after the fill date ${cell('date')}`);
    if (!tickers.includes(cell('ticker')))
      at('ticker', `"${cell('ticker')}" is not a ticker of this strategy (${tickers.join(', ')})`);
    const side = cell('side');
    if (side !== 'buy' && side !== 'sell') at('side', `"${side}" is not buy or sell`);
    if (quantity[i] <= 0) at('quantity', `${quantity[i]} is not positive`);
    return {
      date: cell('date'),
      decisionDate: cell('decision_date'),
      ticker: cell('ticker'),
      side: side as Trade['side'],
      quantity: quantity[i],
      fillPrice: fillPrice[i],
      notional: notional[i],
      commission: commission[i],
    };
  });

  const run: StrategyRun = {
    name,
    tickers,
    dates,
    returns: numberColumn(ret, ri.return, 'return', issues, true),
    equity: numberColumn(ret, ri.equity, 'equity', issues, true),
    logRewards: numberColumn(ret, ri.log_reward, 'log_reward', issues),
    turnover: numberColumn(ret, ri.turnover, 'turnover', issues),
    weights: perTicker('positions.csv'),
    tickerPnl: perTicker('ticker_pnl.csv'),
    trades,
  };
  if (metrics) run.metrics = metrics;
  return run;
}

/** A directory name inside strategies/: one plain path segment. */
function isPlainSegment(dir: string): boolean {
  return dir !== '' && dir !== '.' && dir !== '..' && !/[/\\\0]/.test(dir);
}

/**
 * Read a run directory back into a report input, validating every file: dates (valid, ascending, the same in every
 * per-day file), numbers, cell counts, trades (side, ticker, dates, positive quantity), metrics.json. Throws one
 * DataError listing every problem with its file, line and field. Empty numeric cells read as NaN, except where a
 * number is required (return, equity and every trade number).
 */
export function readRunDir(runDir: string): ReportInput {
  const runFile = join(runDir, 'run.json');
  if (!existsSync(runFile))
    throw new DataError([{ file: runFile, reason: 'not a run directory: run.json is missing' }]);
  const p = RunJson.safeParse(readJson(runFile));
  if (!p.success)
    throw new DataError(
      p.error.issues.map((i) => ({ file: runFile, field: i.path.join('.') || '*', reason: i.message })),
    );
  const meta = p.data;
  const issues: Issues = [];
  const seenNames = new Set<string>();
  const seenDirs = new Set<string>();
  meta.strategies.forEach((s, i) => {
    const at = (field: string, reason: string) =>
      issues.push({ file: runFile, field: `strategies.${i}.${field}`, reason });
    if (seenNames.has(s.name)) at('name', `duplicate strategy name "${s.name}"`);
    if (!isPlainSegment(s.dir)) at('dir', `"${s.dir}" is not a plain directory name`);
    else if (seenDirs.has(s.dir.toLowerCase())) at('dir', `duplicate directory "${s.dir}"`);
    if (s.tickers.length === 0) at('tickers', 'no tickers');
    if (new Set(s.tickers).size !== s.tickers.length) at('tickers', 'duplicate ticker');
    seenNames.add(s.name);
    seenDirs.add(s.dir.toLowerCase());
  });
  if (issues.length) throw new DataError(issues, `run directory ${runDir}: ${issues.length} problem(s)`);

  const metrics = readMetrics(
    runDir,
    meta.strategies.map((s) => s.name),
    issues,
  );
  const runs = meta.strategies.map((s) => readStrategy(runDir, s, metrics[s.name], issues));
  if (issues.length) throw new DataError(issues, `run directory ${runDir}: ${issues.length} problem(s)`);
  return {
    title: meta.title ?? defaultTitle(meta.dataset),
    config: meta.config,
    seed: meta.seed,
    versions: meta.versions,
    dataset: meta.dataset,
    runs,
    notes: meta.notes,
  };
}
