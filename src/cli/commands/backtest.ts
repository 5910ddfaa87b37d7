import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.ts';
import { UsageError } from '../../data/errors.ts';
import { tradingDates } from '../../data/pit.ts';
import { type BacktestConfigInput, parseBacktestConfig, runBacktestJob } from '../../pipeline/backtest.ts';
import { oracleFactory } from '../../pipeline/oracle.ts';
import { writeRunDir } from '../../report/run-dir.ts';
import { writeReport } from '../../report/write.ts';
import { parseNumberOption, printJson } from '../common.ts';
import { printMetricsTable } from './print-metrics.ts';

interface BacktestFlags {
  data: string;
  strategy?: string[];
  config?: string;
  from?: string;
  to?: string;
  tickers?: string;
  preset?: string;
  fill?: string;
  commissionBps?: string;
  slippageBps?: string;
  capital?: string;
  short: boolean;
  rebalance?: string;
  price?: string;
  seed?: string;
  periodsPerYear?: string;
  riskFree?: string;
  riskFreeAnnual?: boolean;
  out?: string;
  report?: boolean;
  json?: boolean;
}

function readConfigFile(file: string): BacktestConfigInput {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--config ${file}: ${(e as Error).message}`);
  }
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description(
      'backtest strategies on a dataset and print their metrics (optionally write a run directory and report)',
    )
    .requiredOption('--data <dir>', 'dataset directory (rlmf data synth | import)')
    .option(
      '--strategy <specs...>',
      'strategies, comma-separated: buy-and-hold, sma-crossover[:fast:slow], momentum[:days], random, oracle',
    )
    .option('--config <file>', 'JSON config (the fields of BacktestConfigSchema); flags override it')
    .option('--from <date>', 'first trading date (YYYY-MM-DD)')
    .option('--to <date>', 'last trading date (YYYY-MM-DD)')
    .option('--tickers <list>', 'comma-separated tickers (default: all)')
    .option('--preset <name>', 'metric conventions: default | investorbench | trading-r1 | finrl-contest | llmoe')
    .option('--fill <when>', 'next-open | next-close | same-close (default: next-open; investorbench: same-close)')
    .option('--commission-bps <n>', 'commission, basis points of traded notional')
    .option('--slippage-bps <n>', 'fill price moved against the trade, basis points')
    .option('--capital <n>', 'starting capital')
    .option('--no-short', 'disallow short positions')
    .option('--rebalance <mode>', 'on-change | every-decision')
    .option('--price <basis>', 'adjusted | raw')
    .option('--seed <n>', 'seed for the random strategy')
    .option('--periods-per-year <n>', 'annualisation factor (default 252)')
    .option('--risk-free <r>', 'risk-free rate per period (annual with --risk-free-annual)')
    .option('--risk-free-annual', '--risk-free is an annual rate')
    .option('--out <dir>', 'write a run directory (returns, positions, trades, metrics, run.json)')
    .option('--report', 'also write report.html and charts into --out')
    .option('--json', 'print one JSON object')
    .action((f: BacktestFlags) => {
      const { dataset } = loadDataset(f.data);
      const base: BacktestConfigInput = f.config ? readConfigFile(f.config) : { strategies: [] };
      const num = (name: string, v: string | undefined) => parseNumberOption(name, v);
      const input: BacktestConfigInput = {
        ...base,
        strategies: f.strategy ? f.strategy.flatMap((s) => s.split(',')).filter(Boolean) : base.strategies,
        ...(f.from !== undefined && { from: f.from }),
        ...(f.to !== undefined && { to: f.to }),
        ...(f.tickers !== undefined && { tickers: f.tickers.split(',').filter(Boolean) }),
        ...(f.preset !== undefined && { preset: f.preset as BacktestConfigInput['preset'] }),
        ...(f.fill !== undefined && { fill: f.fill as BacktestConfigInput['fill'] }),
        ...(f.commissionBps !== undefined && { commissionBps: num('commission-bps', f.commissionBps) }),
        ...(f.slippageBps !== undefined && { slippageBps: num('slippage-bps', f.slippageBps) }),
        ...(f.capital !== undefined && { capital: num('capital', f.capital) }),
        ...(f.short === false && { allowShort: false }),
        ...(f.rebalance !== undefined && { rebalance: f.rebalance as BacktestConfigInput['rebalance'] }),
        ...(f.price !== undefined && { price: f.price as BacktestConfigInput['price'] }),
        ...(f.seed !== undefined && { seed: parseNumberOption('seed', f.seed, { integer: true, min: 0 }) }),
        ...(f.periodsPerYear !== undefined && { periodsPerYear: num('periods-per-year', f.periodsPerYear) }),
        ...(f.riskFree !== undefined && { riskFree: num('risk-free', f.riskFree) }),
        ...(f.riskFreeAnnual && { riskFreeIsAnnual: true }),
      };
      if (!input.strategies?.length) input.strategies = ['buy-and-hold'];
      const config = parseBacktestConfig(input, dataset);
      const result = runBacktestJob(
        dataset,
        config,
        oracleFactory(f.data, () => tradingDates(dataset), config.allowShort),
      );
      const meta = {
        config: { data: f.data, ...config },
        seed: config.seed,
        versions: result.versions,
        dataset: { name: dataset.meta.name, source: dataset.meta.source },
      };
      if (f.out) {
        writeRunDir(f.out, { meta, runs: result.runs });
        if (f.report) writeReport(f.out, { title: `Backtest: ${dataset.meta.name}`, ...meta, runs: result.runs });
      } else if (f.report) throw new UsageError('--report needs --out <dir>');
      const strategies = Object.fromEntries(result.runs.map((r) => [r.name, r.metrics]));
      if (f.json) {
        printJson({
          ...(result.runs.length === 1 && { strategy: result.runs[0].name, metrics: result.runs[0].metrics }),
          strategies,
          trades: Object.fromEntries(result.runs.map((r) => [r.name, r.trades.length])),
          period: { from: result.runs[0].dates[0], to: result.runs[0].dates.at(-1), days: result.runs[0].dates.length },
          ...meta,
          ...(f.out && { run_dir: f.out }),
        });
      } else {
        printMetricsTable(result.runs);
        if (f.out) console.log(`run written to ${f.out}${f.report ? ' (report.html)' : ''}`);
      }
    });
}
