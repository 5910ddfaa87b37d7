// `rlmf features`: technical indicators, the LLMoE feature set and labels for one ticker's daily bars, as CSV.
// See docs/features.md for every formula, warm-up length and column name.
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { type CsvTable, formatCsv, readCsv } from '../../data/csv.ts';
import { barsFromTable, loadDataset, type ReadReport } from '../../data/dataset.ts';
import { DataError, type DataIssue, UsageError } from '../../data/errors.ts';
import type { Bars } from '../../data/types.ts';
import { forwardLogReturns, forwardReturns, tradingR1Labels } from '../../features/labels.ts';
import { LLMOE_FEATURES, llmoeDailyFeatures, llmoeWindowColumns, llmoeWindowMatrix } from '../../features/llmoe.ts';
import { computeIndicators, type PriceColumns, type PriceField, parseIndicatorSpecs } from '../../features/spec.ts';
import { writeFileAtomic } from '../../util/fs.ts';

export interface FeaturesOptions {
  bars?: string;
  data?: string;
  ticker?: string;
  indicators?: string;
  set?: string;
  labels?: string;
  price: string;
  out: string;
}

const SETS = ['llmoe', 'llmoe-window'] as const;
type FeatureSet = (typeof SETS)[number];

/** Bars plus, for each bar, the file and line it came from (for error messages). */
interface SourcedBars {
  bars: Bars;
  file: string;
  lines: number[];
}

function loadBars(opts: FeaturesOptions): SourcedBars {
  if (opts.bars && opts.data)
    throw new UsageError('features: give either --bars FILE or --data DIR --ticker T, not both');
  if (opts.bars) {
    if (opts.ticker) throw new UsageError('features: --ticker goes with --data, not with --bars');
    const table = readCsv(opts.bars);
    const report: ReadReport = { skipped: [], warnings: [] };
    const ticker = basename(opts.bars, extname(opts.bars));
    const { bars, errors } = barsFromTable(table, ticker, {}, report);
    if (errors.length) throw new DataError(errors, `${opts.bars}: ${errors.length} problem(s)`);
    for (const w of report.warnings) process.stderr.write(`rlmf: warning: ${w.file}:${w.line}: ${w.reason}\n`);
    return { bars, file: opts.bars, lines: table.rows.map((r) => r.line) };
  }
  if (opts.data) {
    const { dataset } = loadDataset(opts.data);
    const tickers = [...dataset.bars.keys()];
    let ticker = opts.ticker;
    if (!ticker) {
      if (tickers.length !== 1)
        throw new UsageError(`features: --ticker is required with --data (tickers: ${tickers.join(', ') || 'none'})`);
      ticker = tickers[0];
    }
    const bars = dataset.bars.get(ticker);
    if (!bars)
      throw new UsageError(`features: ticker "${ticker}" is not in ${opts.data} (tickers: ${tickers.join(', ')})`);
    const file = join(opts.data, 'bars', `${ticker}.csv`);
    const table: CsvTable = readCsv(file);
    return { bars, file, lines: table.rows.map((r) => r.line) };
  }
  throw new UsageError('features: give the input with --bars FILE or --data DIR --ticker T');
}

const MAX_ISSUES = 200;

/** Issues for every missing (NaN) value of `col`, each naming file, line, field and who needs it. */
function missing(src: SourcedBars, col: ArrayLike<number>, field: string, neededBy: string, into: DataIssue[]): void {
  for (let i = 0; i < col.length && into.length < MAX_ISSUES; i++)
    if (Number.isNaN(col[i]))
      into.push({ file: src.file, line: src.lines[i], field, reason: `missing value, needed by ${neededBy}` });
}

/** OHLC on the requested basis: 'adjusted' scales open/high/low by adj_close/close and uses adj_close as close. */
function priceColumns(src: SourcedBars, basis: 'adjusted' | 'raw'): { prices: PriceColumns; note?: string } {
  const b = src.bars;
  const raw: PriceColumns = { open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
  if (basis === 'raw') return { prices: raw };
  if (b.adjClose.every((v) => Number.isNaN(v)))
    return { prices: raw, note: `${src.file} has no adj_close values; using raw prices` };
  const issues: DataIssue[] = [];
  missing(src, b.adjClose, 'adj_close', '--price adjusted (use --price raw to ignore it)', issues);
  if (issues.length) throw new DataError(issues, `${src.file}: adj_close is incomplete`);
  const n = b.close.length;
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = b.adjClose[i] / b.close[i];
    open[i] = b.open[i] * f;
    high[i] = b.high[i] * f;
    low[i] = b.low[i] * f;
  }
  return { prices: { open, high, low, close: b.adjClose, volume: b.volume } };
}

interface LabelSpec {
  kind: 'trading-r1' | 'trading-r1-trailing' | 'fwd' | 'fwdlog';
  k?: number;
  columns: string[];
}

function parseLabels(text: string): LabelSpec[] {
  const out: LabelSpec[] = [];
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, arg, ...rest] = item.split(':');
    if (name === 'trading-r1' || name === 'trading-r1-trailing') {
      if (arg !== undefined) throw new UsageError(`--labels: "${item}": ${name} takes no parameter`);
      const p = name === 'trading-r1' ? 'trading_r1' : 'trading_r1_trailing';
      out.push({ kind: name, columns: [`${p}_signal`, `${p}_label`] });
    } else if (name === 'fwd' || name === 'fwdlog') {
      const k = Number(arg);
      if (arg === undefined || rest.length || !Number.isInteger(k) || k < 1)
        throw new UsageError(`--labels: "${item}": expected ${name}:K with K an integer >= 1`);
      out.push({ kind: name, k, columns: [name === 'fwd' ? `fwd_ret_${k}` : `fwd_logret_${k}`] });
    } else
      throw new UsageError(
        `--labels: unknown label "${name}" in "${item}"; known: trading-r1, trading-r1-trailing, fwd:K, fwdlog:K`,
      );
  }
  if (out.length === 0) throw new UsageError('--labels: no labels given');
  return out;
}

type Cell = Float64Array | (string | null)[];

/** Compute the requested columns and write the CSV. Returns the columns written (without `date`). */
export function runFeatures(opts: FeaturesOptions): { columns: string[]; rows: number } {
  const basis = opts.price;
  if (basis !== 'adjusted' && basis !== 'raw') throw new UsageError(`--price: "${basis}" must be "adjusted" or "raw"`);
  if (!opts.indicators && !opts.set && !opts.labels)
    throw new UsageError('features: nothing to compute; give --indicators, --set and/or --labels');
  const specs = opts.indicators ? parseIndicatorSpecs(opts.indicators) : [];
  let set: FeatureSet | undefined;
  if (opts.set !== undefined) {
    if (!(SETS as readonly string[]).includes(opts.set))
      throw new UsageError(`--set: unknown feature set "${opts.set}"; known: ${SETS.join(', ')}`);
    set = opts.set as FeatureSet;
  }
  const labelSpecs = opts.labels ? parseLabels(opts.labels) : [];

  const src = loadBars(opts);
  const { prices, note } = priceColumns(src, basis);
  if (note && (specs.length || labelSpecs.length)) process.stderr.write(`rlmf: note: ${note}\n`);

  const issues: DataIssue[] = [];
  for (const s of specs)
    for (const field of new Set<PriceField>(s.def.inputs)) missing(src, prices[field], field, s.text, issues);
  const b = src.bars;
  const adjMissing = b.adjClose.every((v) => Number.isNaN(v));
  if (set) {
    for (const field of ['open', 'high', 'low', 'close'] as const)
      missing(src, b[field], field, `--set ${set}`, issues);
    if (!adjMissing) missing(src, b.adjClose, 'adj_close', `--set ${set}`, issues);
  }
  if (issues.length) throw new DataError(issues, `${src.file}: missing values for the requested features`);

  const columns = new Map<string, Cell>();
  const add = (name: string, values: Cell) => {
    if (columns.has(name)) throw new UsageError(`features: column ${name} requested twice`);
    columns.set(name, values);
  };
  for (const [name, values] of computeIndicators(prices, specs)) add(name, values);
  if (set) {
    if (adjMissing) process.stderr.write(`rlmf: note: ${src.file} has no adj_close; LLMoE uses close for it\n`);
    const daily = llmoeDailyFeatures({ ...b, adjClose: adjMissing ? b.close : b.adjClose });
    if (set === 'llmoe') for (const f of LLMOE_FEATURES) add(f, daily[f]);
    else {
      const names = llmoeWindowColumns();
      llmoeWindowMatrix(daily).forEach((col, i) => {
        add(names[i], col);
      });
    }
  }
  for (const l of labelSpecs) {
    if (l.kind === 'fwd') add(l.columns[0], forwardReturns(prices.close, l.k!));
    else if (l.kind === 'fwdlog') add(l.columns[0], forwardLogReturns(prices.close, l.k!));
    else {
      const r = tradingR1Labels(prices.close, { direction: l.kind === 'trading-r1' ? 'forward' : 'trailing' });
      add(l.columns[0], r.signal);
      add(l.columns[1], r.labels);
    }
  }
  if (labelSpecs.length)
    process.stderr.write(
      `rlmf: note: label columns (${labelSpecs.flatMap((l) => l.columns).join(', ')}) look ahead of their date ` +
        '(forward returns, or cut-offs from the whole series): training/evaluation targets only, never agent inputs\n',
    );

  const names = [...columns.keys()];
  const cols = [...columns.values()];
  const rows = b.dates.map((d, i) => [d, ...cols.map((c) => c[i])]);
  writeFileAtomic(opts.out, formatCsv(['date', ...names], rows));
  return { columns: names, rows: rows.length };
}

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description('compute technical indicators, LLMoE features and labels for one ticker (CSV out)')
    .option('--bars <file>', 'bars CSV: date,open,high,low,close,volume[,adj_close]')
    .option('--data <dir>', 'dataset directory (use with --ticker)')
    .option('--ticker <ticker>', 'ticker within --data')
    .option(
      '--indicators <spec>',
      'comma list of name[:param...], e.g. "sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14,obv"',
    )
    .option('--set <name>', `feature set: ${SETS.join(' | ')}`)
    .option('--labels <list>', 'comma list: trading-r1, trading-r1-trailing, fwd:K, fwdlog:K (forward-looking!)')
    .option('--price <basis>', 'adjusted | raw: price basis for indicators and labels', 'adjusted')
    .requiredOption('--out <file>', 'output CSV (written atomically)')
    .action((opts: FeaturesOptions) => {
      const r = runFeatures(opts);
      process.stderr.write(`rlmf: wrote ${opts.out}: ${r.rows} rows, date + ${r.columns.length} columns\n`);
    });
}
