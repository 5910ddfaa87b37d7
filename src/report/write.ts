// writeReport: report.html, metrics.json and the PNG charts of a run. Same input -> same bytes.
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { drawdownChart, equityChart, renderSvg, svgToPng, tickerPnlChart } from './charts.ts';
import { uniqueSlug } from './format.ts';
import { renderReportHtml } from './html.ts';
import { metricsFile, type ReportInput } from './types.ts';

export interface WrittenReport {
  html: string;
  metrics: string;
  /** PNG files, in the order written. */
  charts: string[];
}

/**
 * Write `report.html`, `metrics.json` and `charts/equity.png`, `charts/drawdown.png`, `charts/tickers-<strategy>.png`
 * (strategy names made file-name safe, see uniqueSlug) into `outDir`. Each file is written atomically.
 */
export function writeReport(outDir: string, input: ReportInput): WrittenReport {
  const equity = equityChart(input.runs);
  const drawdown = drawdownChart(input.runs);
  const tickers = input.runs.map(tickerPnlChart);
  const equitySvg = renderSvg(equity, 'eq');
  const drawdownSvg = renderSvg(drawdown, 'dd');
  const tickerSvgs = tickers.map((spec, i) => renderSvg(spec, `tk${i}`));

  const html = join(outDir, 'report.html');
  const metrics = join(outDir, 'metrics.json');
  const charts: string[] = [];
  const writePng = (name: string, svg: string) => {
    const path = join(outDir, 'charts', name);
    writeFileAtomic(path, svgToPng(svg));
    charts.push(path);
  };
  writePng('equity.png', equitySvg);
  writePng('drawdown.png', drawdownSvg);
  const taken = new Set<string>();
  input.runs.forEach((run, i) => {
    writePng(`tickers-${uniqueSlug(run.name, taken)}.png`, tickerSvgs[i]);
  });
  writeJsonAtomic(metrics, metricsFile(input));
  writeFileAtomic(
    html,
    renderReportHtml(input, {
      equity: equitySvg,
      drawdown: drawdownSvg,
      tickers: tickerSvgs,
      downsampled: equity.downsampled || drawdown.downsampled || tickers.some((t) => t.downsampled),
    }),
  );
  return { html, metrics, charts };
}
