// writeReport: report.html, metrics.json and the PNG charts of a run. Same input -> same bytes.
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.ts';
import { drawdownChart, equityChart, renderSvg, svgToPng, tickerPnlChart } from './charts.ts';
import { uniqueSlug } from './format.ts';
import { renderReportHtml } from './html.ts';
import { metricsFile, type ReportInput } from './types.ts';

/** Extra content of a report page: a section of trusted HTML and its PNG charts (file name -> bytes, in order). */
export interface ReportSection {
  html: string;
  pngs: ReadonlyMap<string, Uint8Array>;
}

export interface WrittenReport {
  html: string;
  metrics: string;
  /** PNG files, in the order written. */
  charts: string[];
}

/**
 * Write `report.html`, `metrics.json` and `charts/equity.png`, `charts/drawdown.png`, `charts/tickers-<strategy>.png`
 * (strategy names made file-name safe, see uniqueSlug) into `outDir`. Each file is written atomically.
 * `extra.sections` are added to the page (before the configuration) and their PNGs to `charts/`; `extra.metrics` are
 * top-level keys added to metrics.json (e.g. the demo's `finrllama`).
 */
export function writeReport(
  outDir: string,
  input: ReportInput,
  extra: { sections?: readonly ReportSection[]; metrics?: Record<string, unknown> } = {},
): WrittenReport {
  const equity = equityChart(input.runs);
  const drawdown = drawdownChart(input.runs);
  const tickers = input.runs.map(tickerPnlChart);
  const equitySvg = renderSvg(equity, 'eq');
  const drawdownSvg = renderSvg(drawdown, 'dd');
  const tickerSvgs = tickers.map((spec, i) => renderSvg(spec, `tk${i}`));

  const html = join(outDir, 'report.html');
  const metrics = join(outDir, 'metrics.json');
  const charts: string[] = [];
  const writeRaw = (name: string, png: Uint8Array) => {
    const path = join(outDir, 'charts', name);
    writeFileAtomic(path, png);
    charts.push(path);
  };
  const writePng = (name: string, svg: string) => writeRaw(name, svgToPng(svg));
  writePng('equity.png', equitySvg);
  writePng('drawdown.png', drawdownSvg);
  const taken = new Set<string>();
  input.runs.forEach((run, i) => {
    writePng(`tickers-${uniqueSlug(run.name, taken)}.png`, tickerSvgs[i]);
  });
  const sections = extra.sections ?? [];
  for (const s of sections) for (const [name, png] of s.pngs) writeRaw(name, png);
  writeJsonAtomic(metrics, { ...metricsFile(input), ...extra.metrics });
  writeFileAtomic(
    html,
    renderReportHtml(
      input,
      {
        equity: equitySvg,
        drawdown: drawdownSvg,
        tickers: tickerSvgs,
        downsampled: equity.downsampled || drawdown.downsampled || tickers.some((t) => t.downsampled),
      },
      sections.map((s) => s.html),
    ),
  );
  return { html, metrics, charts };
}
