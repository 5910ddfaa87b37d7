import type { Command } from 'commander';
import { readRunDir } from '../../report/run-dir.ts';
import { writeReport } from '../../report/write.ts';
import { printJson } from '../common.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write report.html, metrics.json and PNG charts for a run directory')
    .requiredOption('--run <dir>', 'a run directory (rlmf backtest --out, rlmf demo)')
    .option('--out <dir>', 'where to write the report (default: the run directory)')
    .option('--json', 'print the written files as JSON')
    .action((f: { run: string; out?: string; json?: boolean }) => {
      const written = writeReport(f.out ?? f.run, readRunDir(f.run));
      if (f.json) printJson(written);
      else
        console.log(`report: ${written.html}\nmetrics: ${written.metrics}\ncharts: ${written.charts.length} PNG files`);
    });
}
