import { join } from 'node:path';
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.ts';
import { tradingDates } from '../../data/pit.ts';
import { DEFAULT_SYNTH_CONFIG, parseSynthConfig, QUICK_SYNTH_CONFIG } from '../../data/synth/config.ts';
import { generateMarket, writeSyntheticMarket } from '../../data/synth/generate.ts';
import { FINRLLAMA_DEMO_MODEL, finrllamaDemo, formatDemoNumbers } from '../../papers/finrllama/demo.ts';
import { parseBacktestConfig, runBacktestJob } from '../../pipeline/backtest.ts';
import { oracleFactory } from '../../pipeline/oracle.ts';
import { writeRunDir } from '../../report/run-dir.ts';
import { writeReport } from '../../report/write.ts';
import { parseNumberOption, printJson, progress } from '../common.ts';
import { printMetricsTable } from './print-metrics.ts';

export const DEMO_STRATEGIES = ['buy-and-hold', 'sma-crossover:20:50', 'momentum:60', 'random', 'oracle'];

interface DemoFlags {
  quick?: boolean;
  seed: string;
  out: string;
  finrllama: boolean;
  finrllamaModel?: string;
  json?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('generate the embedded synthetic market, backtest the baselines and write an HTML report (offline)')
    .option('--quick', 'a smaller market (6 tickers x 2 years); skips FinRLlama (its scoring takes about a minute)')
    .option('--seed <n>', 'seed of the synthetic market and the random baseline', '7')
    .option('--out <dir>', 'output directory', 'rlmf-demo')
    .option('--no-finrllama', 'leave out the FinRLlama section (trained news-sentiment model vs its teacher)')
    .option('--finrllama-model <dir>', 'the FinRLlama model pair to score (default: models/finrllama-quick)')
    .option('--json', 'print one JSON object')
    .action(async (f: DemoFlags) => {
      const seed = parseNumberOption('seed', f.seed, { integer: true, min: 0 })!;
      const withFinrllama = f.finrllama && !f.quick;
      const steps = progress('demo', withFinrllama ? 5 : 3, f.json);
      const synthConfig = parseSynthConfig({ ...(f.quick ? QUICK_SYNTH_CONFIG : DEFAULT_SYNTH_CONFIG), seed });
      const dataDir = join(f.out, 'data');
      writeSyntheticMarket(dataDir, generateMarket(synthConfig));
      steps.tick(1, 'market generated');
      const { dataset } = loadDataset(dataDir);
      const config = parseBacktestConfig(
        { strategies: DEMO_STRATEGIES, seed, commissionBps: 2, slippageBps: 3, allowShort: true },
        dataset,
      );
      const result = runBacktestJob(
        dataset,
        config,
        oracleFactory(dataDir, () => tradingDates(dataset), true),
      );
      steps.tick(1, 'backtests done');
      const meta = {
        title: `rlmf demo: baselines on the synthetic market (seed ${seed}${f.quick ? ', quick' : ''})`,
        config: { synth: synthConfig, backtest: config },
        seed,
        versions: result.versions,
        dataset: { name: dataset.meta.name, source: dataset.meta.source },
        notes: [
          'The oracle reads the synthetic market’s hidden news impacts: it is an upper bound on what reading the news can earn, not a strategy.',
          `Decisions at each close; orders fill ${{ 'next-open': 'at the next open', 'next-close': 'at the next close', 'same-close': 'at the same close' }[config.fill]}; costs ${config.commissionBps} bps commission + ${config.slippageBps} bps slippage.`,
        ],
      };
      writeRunDir(f.out, { meta, runs: result.runs });
      const finrllama = withFinrllama
        ? await finrllamaDemo(f.finrllamaModel ?? FINRLLAMA_DEMO_MODEL, {
            label: f.finrllamaModel ?? 'models/finrllama-quick',
            onStep: (label) => steps.tick(1, label),
          })
        : {
            skipped: `FinRLlama section skipped (${f.quick ? '--quick; run without it to include it' : '--no-finrllama'})`,
          };
      const fr = 'section' in finrllama ? finrllama : undefined;
      const skipped = 'skipped' in finrllama ? finrllama.skipped : undefined;
      if (!fr && withFinrllama) {
        steps.tick(2, 'finrllama skipped');
        console.error(skipped);
      }
      const written = writeReport(
        f.out,
        { ...meta, title: meta.title, runs: result.runs },
        fr && { sections: [fr.section], metrics: { finrllama: fr.numbers } },
      );
      steps.tick(1, 'report written');
      steps.done();
      if (f.json)
        printJson({
          report: join(f.out, 'report.html'),
          metrics: join(f.out, 'metrics.json'),
          strategies: Object.fromEntries(result.runs.map((r) => [r.name, r.metrics])),
          finrllama: fr ? fr.numbers : { skipped },
          files: written,
        });
      else {
        printMetricsTable(result.runs);
        if (fr) console.log(`\n${formatDemoNumbers(fr.numbers)}`);
        else if (f.quick && f.finrllama) console.error(skipped);
        console.log(`\nreport: ${join(f.out, 'report.html')}\nmetrics: ${join(f.out, 'metrics.json')}`);
      }
    });
}
