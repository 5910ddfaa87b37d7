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
import { columnIndex, formatCsv, readCsv } from '../data/csv.ts';
import { DataError, type DataIssue } from '../data/errors.ts';
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

export function writeRunDir(runDir: string, run: { meta: RunMeta; runs: StrategyRun[] }): void {
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

function numberColumn(
  file: string,
  rows: { line: number; cells: string[] }[],
  col: number,
  field: string,
  issues: DataIssue[],
) {
  return Float64Array.from(rows, (r) => {
    const s = (r.cells[col] ?? '').trim();
    const v = s === '' ? Number.NaN : Number(s);
    if (s !== '' && !Number.isFinite(v)) issues.push({ file, line: r.line, field, reason: `not a number: "${s}"` });
    return v;
  });
}

/** Read a run directory back into a report input. Throws DataError naming file, line and field of bad content. */
export function readRunDir(runDir: string): ReportInput {
  const runFile = join(runDir, 'run.json');
  if (!existsSync(runFile))
    throw new DataError([{ file: runFile, reason: 'not a run directory: run.json is missing' }]);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(runFile, 'utf8'));
  } catch (e) {
    throw new DataError([{ file: runFile, reason: `invalid JSON: ${(e as Error).message}` }]);
  }
  const p = RunJson.safeParse(raw);
  if (!p.success)
    throw new DataError(
      p.error.issues.map((i) => ({ file: runFile, field: i.path.join('.') || '*', reason: i.message })),
    );
  const meta = p.data;
  const metrics = existsSync(join(runDir, 'metrics.json'))
    ? (JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8')).strategies as Record<
        string,
        Record<string, number | null>
      >)
    : {};
  const issues: DataIssue[] = [];
  const runs: StrategyRun[] = meta.strategies.map(({ name, dir, tickers }) => {
    const base = join(runDir, 'strategies', dir);
    const ret = readCsv(join(base, 'returns.csv'));
    const ri = columnIndex(ret, ['date', 'return', 'equity', 'log_reward', 'turnover']);
    const dates = ret.rows.map((r) => r.cells[ri.date]);
    const perTicker = (fileName: string) => {
      const t = readCsv(join(base, fileName));
      const idx = columnIndex(t, ['date', ...tickers]);
      if (t.rows.length !== dates.length)
        issues.push({ file: t.file, reason: `${t.rows.length} rows, returns.csv has ${dates.length}` });
      return tickers.map((tk) => numberColumn(t.file, t.rows, idx[tk], tk, issues));
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
    const num = (k: string) => numberColumn(tr.file, tr.rows, ti[k], k, issues);
    const [q, fp, no, co] = [num('quantity'), num('fill_price'), num('notional'), num('commission')];
    const trades: Trade[] = tr.rows.map((r, i) => {
      const side = r.cells[ti.side];
      if (side !== 'buy' && side !== 'sell')
        issues.push({ file: tr.file, line: r.line, field: 'side', reason: `"${side}" is not buy or sell` });
      return {
        date: r.cells[ti.date],
        decisionDate: r.cells[ti.decision_date],
        ticker: r.cells[ti.ticker],
        side: side as Trade['side'],
        quantity: q[i],
        fillPrice: fp[i],
        notional: no[i],
        commission: co[i],
      };
    });
    return {
      name,
      tickers,
      dates,
      returns: numberColumn(ret.file, ret.rows, ri.return, 'return', issues),
      equity: numberColumn(ret.file, ret.rows, ri.equity, 'equity', issues),
      logRewards: numberColumn(ret.file, ret.rows, ri.log_reward, 'log_reward', issues),
      turnover: numberColumn(ret.file, ret.rows, ri.turnover, 'turnover', issues),
      weights: perTicker('positions.csv'),
      tickerPnl: perTicker('ticker_pnl.csv'),
      trades,
      metrics: metrics[name],
    };
  });
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
