// report.html: one self-contained page (inline CSS and SVG, no script, no external resource).
import type { StrategyRun } from '../backtest/types.ts';
import { MAX_POINTS, MAX_POINTS_SMALL, PALETTE } from './charts.ts';
import { escapeHtml as esc, formatAmount, formatMetric, groupThousands, metricColumns } from './format.ts';
import type { ReportInput } from './types.ts';

export interface RenderedCharts {
  equity: string;
  drawdown: string;
  /** One per run, in run order. */
  tickers: string[];
  downsampled: boolean;
}

/** The report's style sheet (shared by every rlmf report page). */
export const REPORT_CSS = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f6f7f9;color:#1f2328;font:15px/1.55 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif}
main{max-width:1040px;margin:0 auto;padding:32px 24px 48px}
h1{font-size:26px;line-height:1.25;margin:0 0 6px}
h2{font-size:19px;margin:36px 0 6px;padding-bottom:4px;border-bottom:1px solid #d8dce1}
p{margin:6px 0}
.meta{color:#57606a;margin:0 0 4px}
.meta b{color:#1f2328;font-weight:600}
.hint{color:#57606a;font-size:13.5px;margin:0 0 10px}
.notes{background:#fff8e1;border:1px solid #f0d98c;border-radius:6px;padding:10px 14px 10px 32px;margin:18px 0 0}
.notes li{margin:2px 0}
.card{background:#fff;border:1px solid #d8dce1;border-radius:6px;padding:6px;margin:10px 0}
.card svg{display:block;width:100%;height:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:12px}
.grid .card{margin:0}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d8dce1;border-radius:6px;margin:10px 0}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:6px 10px;border-bottom:1px solid #eaecef;white-space:nowrap}
thead th{background:#f0f2f5;font-weight:600;text-align:right;vertical-align:bottom}
thead th:first-child,tbody th{text-align:left}
tbody th{font-weight:600}
td{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:last-child th,tbody tr:last-child td{border-bottom:0}
tbody tr:hover{background:#f6f8fa}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:7px;vertical-align:baseline}
pre{background:#fff;border:1px solid #d8dce1;border-radius:6px;padding:12px 14px;overflow-x:auto;font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;margin:10px 0}
dl.versions{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0;font-size:14px}
dl.versions dt{color:#57606a}
dl.versions dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
footer{color:#57606a;font-size:13px;margin-top:40px}
`;

function swatch(i: number): string {
  return swatchOf(PALETTE[i % PALETTE.length]);
}

/** The colour square shown before a series name in a table. */
export function swatchOf(color: string): string {
  return `<span class="swatch" style="background:${color}"></span>`;
}

function dateRange(runs: readonly StrategyRun[]): string {
  let first = '';
  let last = '';
  for (const r of runs) {
    if (r.dates.length === 0) continue;
    const a = r.dates[0];
    const b = r.dates[r.dates.length - 1];
    if (first === '' || a < first) first = a;
    if (last === '' || b > last) last = b;
  }
  return first === '' ? '—' : `${first} to ${last}`;
}

function metricsTable(runs: readonly StrategyRun[]): string {
  const cols = metricColumns(runs.map((r) => r.metrics));
  const head = [
    '<th scope="col">Strategy</th>',
    '<th scope="col" title="number of fills">Trades</th>',
    ...cols.map((c) => `<th scope="col" title="${esc(c.key)}">${esc(c.label)}</th>`),
  ].join('');
  const rows = runs.map((r, i) => {
    const cells = cols.map((c) => `<td>${esc(formatMetric(r.metrics?.[c.key], c.format))}</td>`).join('');
    return `<tr><th scope="row">${swatch(i)}${esc(r.name)}</th><td>${groupThousands(String(r.trades.length))}</td>${cells}</tr>`;
  });
  return `<div class="table-wrap"><table id="metrics"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function tradesTable(runs: readonly StrategyRun[]): string {
  const rows = runs.map((r, i) => {
    let buys = 0;
    let notional = 0;
    let commission = 0;
    for (const t of r.trades) {
      if (t.side === 'buy') buys++;
      notional += t.notional;
      commission += t.commission;
    }
    const first = r.trades.length ? r.trades[0].date : '—';
    const last = r.trades.length ? r.trades[r.trades.length - 1].date : '—';
    return (
      `<tr><th scope="row">${swatch(i)}${esc(r.name)}</th><td>${groupThousands(String(r.trades.length))}</td>` +
      `<td>${groupThousands(String(buys))}</td><td>${groupThousands(String(r.trades.length - buys))}</td>` +
      `<td>${formatAmount(notional)}</td><td>${formatAmount(commission)}</td><td>${esc(first)}</td><td>${esc(last)}</td></tr>`
    );
  });
  const head =
    '<th scope="col">Strategy</th><th scope="col">Trades</th><th scope="col">Buys</th><th scope="col">Sells</th>' +
    '<th scope="col">Traded notional</th><th scope="col">Commission</th><th scope="col">First fill</th><th scope="col">Last fill</th>';
  return `<div class="table-wrap"><table id="trades"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** Notes under a title: one list item each (escaped), or '' when there are none. */
export function notesList(notes: readonly string[] | undefined): string {
  return notes?.length ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
}

/**
 * The page shell of every rlmf report: head (title, REPORT_CSS inline, an empty icon so nothing is fetched), header
 * (the title, the `meta` line, the notes), the `body` sections and a footer naming the rlmf `version` (when known).
 * `title`, `notes` and `version` are escaped here; `meta` and `body` are trusted HTML.
 */
export function reportPage(page: {
  title: string;
  meta: string;
  notes?: readonly string[];
  body: string;
  version?: string;
}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(page.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(page.title)}</h1>
<p class="meta">${page.meta}</p>
${notesList(page.notes)}
</header>

${page.body}

<footer>Generated by rlmf${page.version ? ` ${esc(page.version)}` : ''}. This file is self-contained: it loads nothing from the network.</footer>
</main>
</body>
</html>
`;
}

/**
 * The whole report page. Every text from the input is escaped; charts are the SVG strings from charts.ts. `sections`
 * (trusted HTML, e.g. the FinRLlama section of the demo) go after the trades, before the configuration.
 */
export function renderReportHtml(input: ReportInput, charts: RenderedCharts, sections: readonly string[] = []): string {
  const { runs } = input;
  const seed = input.seed === undefined ? '—' : String(input.seed);
  const versions = Object.entries(input.versions ?? {});
  const versionList = versions.length
    ? `<dl class="versions">${versions.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
    : '<p class="hint">No versions recorded.</p>';
  const config = input.config === undefined ? '(none)' : JSON.stringify(input.config, null, 2);
  const sampling = charts.downsampled
    ? `Series longer than ${MAX_POINTS} points (${MAX_POINTS_SMALL} in the per-ticker charts) are downsampled for display with LTTB (largest-triangle-three-buckets); tables use every day.`
    : `Every day is plotted (series longer than ${MAX_POINTS} points would be downsampled with LTTB).`;
  const tickerCharts = charts.tickers.map((svg) => `<div class="card">${svg}</div>`).join('\n');

  return reportPage({
    title: input.title,
    meta: `Dataset <b>${esc(input.dataset.name)}</b> (${esc(input.dataset.source)}) · ${esc(dateRange(runs))} · seed <b>${esc(seed)}</b> · ${runs.length} ${runs.length === 1 ? 'strategy' : 'strategies'}`,
    notes: input.notes,
    body: `<section id="summary">
<h2>Metrics</h2>
<p class="hint">Fractions are shown as percentages; “—” marks a metric that is undefined for the run. Hover a column header for its key in metrics.json.</p>
${metricsTable(runs)}
</section>

<section id="equity">
<h2>Equity</h2>
<p class="hint">Portfolio value at each close. ${esc(sampling)}</p>
<div class="card">${charts.equity}</div>
</section>

<section id="drawdown">
<h2>Drawdown</h2>
<p class="hint">Equity relative to its running peak, minus one.</p>
<div class="card">${charts.drawdown}</div>
</section>

<section id="tickers">
<h2>Per-ticker P&amp;L</h2>
<p class="hint">Cumulative profit of each ticker as a fraction of starting capital, one chart per strategy.</p>
<div class="grid">
${tickerCharts}
</div>
</section>

<section id="trading">
<h2>Trades</h2>
${tradesTable(runs)}
</section>

${sections.map((x) => `${x}\n\n`).join('')}<section id="config">
<h2>Configuration</h2>
<pre>${esc(config)}</pre>
${versionList}
</section>`,
    version: input.versions?.rlmf,
  });
}
