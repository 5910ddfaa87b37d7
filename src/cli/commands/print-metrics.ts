import type { StrategyRun } from '../../backtest/types.ts';

const COLUMNS: [string, string, 'pct' | 'num'][] = [
  ['cumulative_return', 'CumRet', 'pct'],
  ['annual_return', 'AnnRet', 'pct'],
  ['annual_volatility', 'AnnVol', 'pct'],
  ['sharpe_ratio', 'Sharpe', 'num'],
  ['sortino_ratio', 'Sortino', 'num'],
  ['max_drawdown', 'MaxDD', 'pct'],
  ['hit_rate', 'Hit', 'pct'],
  ['turnover', 'Turn', 'pct'],
];

/** A plain-text metrics table for the terminal. */
export function printMetricsTable(runs: readonly StrategyRun[]): void {
  const width = Math.max(10, ...runs.map((r) => r.name.length)) + 2;
  const fmt = (v: number | null | undefined, kind: 'pct' | 'num') =>
    v === null || v === undefined ? '—' : kind === 'pct' ? `${(v * 100).toFixed(2)}%` : v.toFixed(3);
  console.log(`${'strategy'.padEnd(width)}${COLUMNS.map(([, h]) => h.padStart(10)).join('')}`);
  for (const r of runs)
    console.log(
      `${r.name.padEnd(width)}${COLUMNS.map(([k, , kind]) => fmt(r.metrics?.[k], kind).padStart(10)).join('')}`,
    );
}
