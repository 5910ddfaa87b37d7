// `rlmf finrllama report --run RUN [--out FILE]`: the FinRLlama report of a run directory (src/papers/finrllama/report.ts):
// held-out table, contest and per-ticker charts, training curves, settings; PNG copies in charts/ beside the HTML.
import type { Command } from 'commander';
import { writeFinrllamaReport } from '../../papers/finrllama/report.ts';
import { printJson } from '../common.ts';

export function registerFinrllamaReport(cmd: Command): void {
  cmd
    .command('report')
    .description('write report.html (held-out metrics, contest and per-ticker charts, training curves) for a run')
    .requiredOption('--run <dir>', 'a finrllama run directory (rlmf finrllama train --out)')
    .option('--out <file>', 'the HTML file to write (default: RUN/report.html); PNG charts go to charts/ beside it')
    .option('--json', 'print the written files as JSON')
    .action((f: { run: string; out?: string; json?: boolean }) => {
      const written = writeFinrllamaReport(f.run, f.out);
      if (f.json) printJson(written);
      else console.log(`report: ${written.html}\ncharts: ${written.charts.length} PNG files`);
    });
}
