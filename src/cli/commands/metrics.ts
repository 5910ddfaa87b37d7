// `rlmf metrics`: performance metrics of a return series (CSV with a `return` column, or a JSON array).
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import { computeMetrics, type Metrics, PRESET_NAMES, PRESETS, type PresetName } from '../../metrics/presets.ts';
import { readReturnsFile } from '../../metrics/returns-file.ts';
import { parseNumberOption, printJson } from '../common.ts';

export interface MetricsCommandOptions {
  returns: string;
  periodsPerYear?: string;
  riskFree?: string;
  riskFreeAnnual?: boolean;
  requiredReturn?: string;
  preset?: string;
  investorbenchSr252?: boolean;
}

export interface MetricsCommandResult {
  metrics: Metrics;
  /** Notes for stderr (never mixed into the JSON). */
  notes: string[];
}

/** Everything `rlmf metrics` does except printing. */
export function runMetricsCommand(o: MetricsCommandOptions): MetricsCommandResult {
  const preset = o.preset ?? 'default';
  if (!(PRESET_NAMES as readonly string[]).includes(preset))
    throw new UsageError(`--preset: unknown preset "${preset}"; choose one of ${PRESET_NAMES.join(', ')}`);
  const periodsPerYear = parseNumberOption('periods-per-year', o.periodsPerYear);
  if (periodsPerYear !== undefined && !(periodsPerYear > 0))
    throw new UsageError(`--periods-per-year: must be positive, got ${periodsPerYear}`);
  const riskFree = parseNumberOption('risk-free', o.riskFree);
  if (o.riskFreeAnnual && riskFree === undefined) throw new UsageError('--risk-free-annual needs --risk-free');
  const requiredReturn = parseNumberOption('required-return', o.requiredReturn);
  const series = readReturnsFile(o.returns);
  const notes: string[] = [];
  if (preset === 'investorbench' && !series.logRewards)
    notes.push(
      'note: no log_reward column; INVESTOR-BENCH rewards taken as ln(1 + return), exact for a long-or-flat single asset',
    );
  const metrics = computeMetrics(series, {
    preset: preset as PresetName,
    periodsPerYear,
    riskFree,
    riskFreeIsAnnual: o.riskFreeAnnual ?? false,
    requiredReturn,
    investorbenchSr252: o.investorbenchSr252 ?? false,
  });
  return { metrics, notes };
}

/** A two-column table; values are fractions as in the JSON, `n/a` where undefined. */
export function formatMetricsTable(metrics: Metrics): string {
  const keys = Object.keys(metrics);
  const width = Math.max(...keys.map((k) => k.length));
  const lines = keys.map((k) => {
    const v = metrics[k];
    const s = v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(6);
    return `${k.padEnd(width)}  ${s.padStart(12)}`;
  });
  return `${lines.join('\n')}\n`;
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('performance metrics of a return series (fractions; undefined values are null)')
    .requiredOption('--returns <file>', 'CSV with a "return" column (empty cell = missing), or a JSON array of numbers')
    .option('--periods-per-year <n>', "annualisation factor (default: the preset's, 252; use 365 for crypto)")
    .option('--risk-free <r>', 'risk-free return for the Sharpe ratio, per period (see --risk-free-annual)')
    .option('--risk-free-annual', '--risk-free is an annual rate; per period = rate / periods-per-year')
    .option('--required-return <r>', 'minimum acceptable return per period for Sortino and downside risk')
    .option('--preset <name>', `conventions of a paper: ${PRESET_NAMES.join(', ')}`, 'default')
    .option(
      '--investorbench-sr-252',
      'investorbench: annualise SR with 252 even when periods-per-year is 365 (FLAG-TRADER BTC)',
    )
    .option('--json', 'print one JSON object')
    .action((o: MetricsCommandOptions & { json?: boolean }) => {
      const { metrics, notes } = runMetricsCommand(o);
      for (const n of notes) process.stderr.write(`${n}\n`);
      if (o.json) printJson(metrics);
      else {
        const p = PRESETS[(o.preset ?? 'default') as PresetName];
        process.stdout.write(`preset ${p.name}: ${p.reproduces}\n${formatMetricsTable(metrics)}`);
      }
    });
}
