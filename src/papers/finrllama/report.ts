// The FinRLlama report: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched) of a run
// directory (`rlmf finrllama report --run RUN`), and the FinRLlama section of the demo report.
//   (a) per variant (base, sft, rlmf, teacher, ridge, in that order; any other after, by name) the held-out numbers of
//       evaluateScores: rank IC (pooled, daily mean, n), the contest strategy's Sharpe, cumulative return, win rate and
//       max drawdown, the parse-failure rate, and a row for equal-weight buy-and-hold of the same tickers;
//   (b) the contest strategy's cumulative return (equity / capital − 1 at each held-out close) of every variant and of
//       buy-and-hold on one chart;
//   (c) the paper's figures 3-4: one chart per scored ticker (a ticker with at least one score in the held-out period)
//       with the per-ticker long/short view's cumulative return of base, teacher and rlmf and the ticker's own
//       buy-and-hold return (close_t / first close − 1);
//   (d) training curves from RUN/training_log.jsonl (x = step): pretrain / SFT loss, REINFORCE mean reward, mean
//       |advantage| and gradient norm (and KL when logged), running equity;
//   (e) the run's settings (config.json) and the seconds per phase (summary.json).
// Colours are fixed per variant name, so a variant has the same colour in every chart and table. Same run -> same
// bytes (no timestamp; chart ids renamed per chart; PNG text uses the system's fonts, see docs/report.md).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BACKTEST } from '../../backtest/engine.ts';
import { pricePanel } from '../../backtest/run.ts';
import { DataError, UsageError } from '../../data/errors.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { finiteOrNull, type Metrics } from '../../metrics/presets.ts';
import {
  datesMs,
  type LineInput,
  lineChart,
  MAX_POINTS,
  MAX_POINTS_SMALL,
  PALETTE,
  percentLabel,
  renderSvg,
  svgToPng,
} from '../../report/charts.ts';
import { escapeHtml as esc, formatMetric, groupThousands, uniqueSlug } from '../../report/format.ts';
import { notesList, reportPage, swatchOf } from '../../report/html.ts';
import type { ReportSection } from '../../report/write.ts';
import { writeFileAtomic } from '../../util/fs.ts';
import { VERSION } from '../../version.ts';
import { type EvaluateOptions, evaluateScores, type ScoredSignal, type VariantEvaluation } from './evaluate.ts';
import { scoreScale } from './prompt.ts';
import { loadSource, type RunConfig, readJsonFile, readJsonLines, readRunConfig, readRunScores } from './run.ts';

/** The fixed display order of the known variants. */
export const VARIANT_ORDER = ['base', 'sft', 'rlmf', 'teacher', 'ridge'] as const;
/** The variants of the per-ticker charts (the paper's figures 3-4: base vs FinRLlama, with the teacher beside). */
export const TICKER_CHART_VARIANTS = ['base', 'teacher', 'rlmf'] as const;

const VARIANT_COLOR: Record<string, string> = {
  base: PALETTE[0],
  sft: PALETTE[1],
  rlmf: PALETTE[2],
  teacher: PALETTE[3],
  ridge: PALETTE[4],
};
const BUY_AND_HOLD = 'buy-and-hold';
const BUY_AND_HOLD_COLOR = '#79706e';

const VARIANT_NOTE: Record<string, string> = {
  base: 'pretrained on headlines only',
  sft: 'supervised on the word-list teacher (warm start)',
  rlmf: 'REINFORCE from market feedback',
  teacher: 'word-list sentiment teacher',
  ridge: 'yardstick: teacher + ridge regression of the same market feedback on headline words (no language model)',
};

export interface VariantReport {
  name: string;
  /** Its contest_curve is the contest chart's line. */
  evaluation: VariantEvaluation;
}

export interface TickerReport {
  ticker: string;
  /** Scored (date, ticker) pairs in the period (the largest count over the variants). */
  scored: number;
  /** close_t / first close − 1 at each close of `dates` (NaN before the ticker's first close). */
  buyAndHoldCurve: number[];
}

/** Everything the FinRLlama charts and table show about a held-out period. */
export interface FinrllamaEvaluation {
  from: IsoDate;
  to: IsoDate;
  dates: IsoDate[];
  signalStrength: number;
  lookahead: number;
  /** When the contest strategy's orders fill. */
  fill: 'next-open' | 'next-close' | 'same-close';
  /** In display order (VARIANT_ORDER, then other names sorted). */
  variants: VariantReport[];
  /** Equal-weight buy-and-hold of the same tickers, same execution (the same for every variant). */
  buyAndHold: { metrics: Metrics; curve: number[] };
  /** Tickers with at least one score in the period, sorted. */
  tickers: TickerReport[];
}

/** Variant names in display order: the known ones first (VARIANT_ORDER), then the others sorted. */
export function orderVariants(names: Iterable<string>): string[] {
  const all = [...names];
  const known: string[] = VARIANT_ORDER.filter((v) => all.includes(v));
  return [...known, ...all.filter((v) => !known.includes(v)).sort()];
}

function colorOf(name: string, order: readonly string[]): string {
  const extra = order.filter((v) => !(v in VARIANT_COLOR));
  return VARIANT_COLOR[name] ?? PALETTE[(5 + extra.indexOf(name)) % PALETTE.length];
}

/** Evaluate every variant's scores on [o.from, o.to] (evaluateScores) and add the per-ticker buy-and-hold curves. */
export function evaluateFinrllama(
  ds: Dataset,
  scores: ReadonlyMap<string, readonly ScoredSignal[]>,
  o: EvaluateOptions,
): FinrllamaEvaluation {
  if (scores.size === 0) throw new UsageError('no scored variant to report');
  const names = orderVariants(scores.keys());
  const variants = names.map((name) => ({ name, evaluation: evaluateScores(ds, scores.get(name)!, o) }));
  // the dates and buy-and-hold are the same for every variant (same panel, same execution)
  const same = variants[0].evaluation;
  const panel = pricePanel(
    ds,
    { from: o.from, to: o.to, tickers: o.tickers ? [...o.tickers] : undefined },
    o.basis ?? 'adjusted',
  );
  const tickers: TickerReport[] = [];
  panel.tickers.forEach((t, k) => {
    let scored = 0;
    for (const s of scores.values())
      scored = Math.max(scored, s.filter((x) => x.ticker === t && x.date >= o.from && x.date <= o.to).length);
    if (scored === 0) return;
    const c = panel.close[k];
    const first = c.findIndex(Number.isFinite);
    tickers.push({
      ticker: t,
      scored,
      buyAndHoldCurve: Array.from(c, (x, i) => (first >= 0 && i >= first ? x / c[first] - 1 : Number.NaN)),
    });
  });
  return {
    from: o.from,
    to: o.to,
    dates: same.dates,
    signalStrength: o.signalStrength ?? 10,
    lookahead: o.lookahead ?? 3,
    fill: o.backtest?.timing?.fill ?? DEFAULT_BACKTEST.timing.fill,
    variants,
    buyAndHold: { metrics: same.buy_and_hold, curve: same.buy_and_hold_curve },
    tickers: tickers.sort((a, b) => (a.ticker < b.ticker ? -1 : 1)),
  };
}

/** The numbers of the table, per variant (for metrics.json / --json): fractions, never percent; undefined -> null. */
export function finrllamaNumbers(ev: FinrllamaEvaluation): {
  period: { from: IsoDate; to: IsoDate };
  variants: Record<string, Record<string, number | null>>;
  buy_and_hold: Record<string, number | null>;
} {
  const n = (x: number | null | undefined) => (x === null || x === undefined ? null : finiteOrNull(x));
  return {
    period: { from: ev.from, to: ev.to },
    variants: Object.fromEntries(
      ev.variants.map(({ name, evaluation: e }) => [
        name,
        {
          ic: n(e.ic),
          ic_daily_mean: n(e.ic_detail.daily_mean),
          ic_n: e.ic_detail.pooled_n,
          ic_daily_n: e.ic_detail.daily_n,
          sharpe_ratio: n(e.sharpe_ratio),
          cumulative_return: n(e.cumulative_return),
          win_rate: n(e.win_rate),
          max_drawdown: n(e.contest.max_drawdown),
          parse_failure_rate: n(e.parse_failure_rate),
          n_scored: e.n_scored,
        },
      ]),
    ),
    buy_and_hold: {
      sharpe_ratio: n(ev.buyAndHold.metrics.sharpe_ratio),
      cumulative_return: n(ev.buyAndHold.metrics.cumulative_return),
      max_drawdown: n(ev.buyAndHold.metrics.max_drawdown),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// training log

const LossLine = z.object({ phase: z.enum(['pretrain', 'sft']), step: z.number().int().min(0), loss: z.number() });
const RlLine = z.object({
  phase: z.literal('rl'),
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  mean_reward: z.number(),
  mean_abs_advantage: z.number(),
  grad_norm: z.number(),
  running_equity: z.number(),
  kl: z.number().optional(),
});
const OtherLine = z.object({ phase: z.string().min(1) });
export type LossLogLine = z.output<typeof LossLine>;
export type RlLogLine = z.output<typeof RlLine>;
/** A line of training_log.jsonl; lines of phases other than pretrain / sft / rl keep only their phase. */
export type TrainingLogLine = LossLogLine | RlLogLine | { phase: string };

/**
 * RUN/training_log.jsonl: one JSON object per line. Lines of the phases `pretrain`, `sft` (step, loss) and `rl` (step,
 * mean_reward, mean_abs_advantage, grad_norm, running_equity, kl?) are checked; lines of other phases are kept (the
 * report counts them, it does not chart them). Every bad line is reported (file, line, field).
 */
export function readTrainingLog(file: string): TrainingLogLine[] {
  return readJsonLines<TrainingLogLine>(
    file,
    (v) => {
      const phase = (v as { phase?: unknown } | null)?.phase;
      return phase === 'pretrain' || phase === 'sft' ? LossLine : phase === 'rl' ? RlLine : OtherLine;
    },
    '(root)',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// rendering

type Tag = 'h2' | 'h3';

/** Numbers of the table with more digits than formatMetric's ratios: the IC (3 decimals). */
function formatIc(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const s = v.toFixed(3);
  return /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

const axisNumber = (v: number) => String(Number(v.toPrecision(4)));

function metricsTable(ev: FinrllamaEvaluation, id: string): string {
  const order = ev.variants.map((v) => v.name);
  const head = [
    ['Variant', ''],
    ['IC', 'rank IC (Spearman) of score vs forward return, pooled over every scored (date, ticker)'],
    ['IC daily mean', 'mean of the cross-sectional rank IC of each date with >= 3 scored tickers'],
    ['IC n', 'scored (date, ticker) pairs with a forward return'],
    ['IC days', 'dates in the daily mean'],
    ['Sharpe', 'contest strategy: sharpe_ratio'],
    ['Cumulative return', 'contest strategy: cumulative_return'],
    ['Win rate', 'contest strategy: win rate of closed round trips (finrl_contest_win_rate)'],
    ['Max drawdown', 'contest strategy: max_drawdown'],
    ['Parse failures', 'failed / scored'],
    ['Scored', 'scored (date, ticker) pairs'],
  ]
    .map(([l, t]) => `<th scope="col"${t ? ` title="${esc(t)}"` : ''}>${esc(l)}</th>`)
    .join('');
  const pct = (x: number | null | undefined) => esc(formatMetric(x, 'percent'));
  const rows = ev.variants.map(({ name, evaluation: e }) => {
    const cells = [
      formatIc(e.ic),
      formatIc(e.ic_detail.daily_mean),
      groupThousands(String(e.ic_detail.pooled_n)),
      groupThousands(String(e.ic_detail.daily_n)),
      esc(formatMetric(e.sharpe_ratio, 'ratio')),
      pct(e.cumulative_return),
      pct(e.win_rate),
      pct(e.contest.max_drawdown),
      pct(e.parse_failure_rate),
      groupThousands(String(e.n_scored)),
    ];
    return `<tr><th scope="row">${swatchOf(colorOf(name, order))}${esc(name)}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const m = ev.buyAndHold.metrics;
  const bh = [
    '—',
    '—',
    '—',
    '—',
    esc(formatMetric(m.sharpe_ratio, 'ratio')),
    pct(m.cumulative_return),
    pct(m.finrl_contest_win_rate),
    pct(m.max_drawdown),
    '—',
    '—',
  ];
  rows.push(
    `<tr><th scope="row">${swatchOf(BUY_AND_HOLD_COLOR)}${BUY_AND_HOLD}</th>${bh.map((c) => `<td>${c}</td>`).join('')}</tr>`,
  );
  return `<div class="table-wrap"><table id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

interface Chart {
  file: string;
  svg: string;
  downsampled: boolean;
}

function chart(spec: ReturnType<typeof lineChart>, idPrefix: string, file: string): Chart {
  return { file, svg: renderSvg(spec, idPrefix), downsampled: spec.downsampled };
}

function contestChart(ev: FinrllamaEvaluation): Chart {
  const xs = datesMs(ev.dates);
  const order = ev.variants.map((v) => v.name);
  const lines: LineInput[] = [
    ...ev.variants.map((v) => ({ name: v.name, xs, ys: v.evaluation.contest_curve })),
    { name: BUY_AND_HOLD, xs, ys: ev.buyAndHold.curve, dashed: true },
  ];
  const T = scoreScale(ev.signalStrength).threshold;
  return chart(
    lineChart({
      title: 'Contest strategy, held-out period',
      subtitle: `cumulative return at each close: top 3 scores > ${T} long, bottom 3 < −${T} short, 3-day cohorts`,
      lines,
      width: 960,
      height: 360,
      maxPoints: MAX_POINTS,
      yFormat: percentLabel,
      colors: [...order.map((n) => colorOf(n, order)), BUY_AND_HOLD_COLOR],
    }),
    'frc',
    'finrllama-contest.png',
  );
}

function tickerCharts(ev: FinrllamaEvaluation): Chart[] {
  const xs = datesMs(ev.dates);
  const order = ev.variants.map((v) => v.name);
  const shown = TICKER_CHART_VARIANTS.flatMap((n) => ev.variants.filter((v) => v.name === n));
  const taken = new Set<string>();
  return ev.tickers.map((t, i) => {
    const lines: LineInput[] = [
      ...shown.map((v) => ({ name: v.name, xs, ys: v.evaluation.per_ticker[t.ticker].curve })),
      { name: `${BUY_AND_HOLD} ${t.ticker}`, xs, ys: t.buyAndHoldCurve, dashed: true },
    ];
    return chart(
      lineChart({
        title: t.ticker,
        subtitle: `long/short cumulative return, ${t.scored} scored day${t.scored === 1 ? '' : 's'}`,
        lines,
        width: 480,
        height: 270,
        maxPoints: MAX_POINTS_SMALL,
        yFormat: percentLabel,
        colors: [...shown.map((v) => colorOf(v.name, order)), BUY_AND_HOLD_COLOR],
      }),
      `frt${i}`,
      `finrllama-ticker-${uniqueSlug(t.ticker, taken)}.png`,
    );
  });
}

function trainingCharts(log: readonly TrainingLogLine[]): Chart[] {
  const loss = (p: string) => log.filter((l): l is LossLogLine => l.phase === p && 'loss' in l);
  const pre = loss('pretrain');
  const sft = loss('sft');
  const rl = log.filter((l): l is RlLogLine => l.phase === 'rl');
  const line = <R extends { step: number }>(name: string, rows: R[], y: (r: R) => number): LineInput => ({
    name,
    xs: rows.map((r) => r.step),
    ys: rows.map(y),
  });
  const out: Chart[] = [];
  const make = (file: string, title: string, subtitle: string, lines: [LineInput, string][]) =>
    out.push(
      chart(
        lineChart({
          title,
          subtitle,
          lines: lines.map(([l]) => l),
          width: 480,
          height: 270,
          maxPoints: MAX_POINTS_SMALL,
          yFormat: axisNumber,
          xAxis: 'value',
          colors: lines.map(([, c]) => c),
        }),
        `frl${out.length}`,
        `finrllama-training-${file}.png`,
      ),
    );
  const losses: [LineInput, string][] = [];
  if (pre.length) losses.push([line('pretrain', pre, (r) => r.loss), PALETTE[0]]);
  if (sft.length) losses.push([line('sft', sft, (r) => r.loss), PALETTE[1]]);
  if (losses.length)
    make(
      'loss',
      'Pretraining and SFT loss',
      'cross-entropy (nats / token) at the logged steps; x = step of the phase',
      losses,
    );
  if (rl.length) {
    make('reward', 'REINFORCE: mean reward', 'mean reward over the step’s prompts; x = REINFORCE step', [
      [line('mean reward', rl, (r) => r.mean_reward), PALETTE[2]],
    ]);
    const kl = rl.filter((r) => r.kl !== undefined);
    make(
      'advantage',
      'REINFORCE: mean |advantage| and gradient norm',
      'gradient norm before clipping; x = REINFORCE step',
      [
        [line('mean |advantage|', rl, (r) => r.mean_abs_advantage), PALETTE[4]],
        [line('grad norm', rl, (r) => r.grad_norm), PALETTE[5]],
        ...(kl.length ? [[line('KL to SFT', kl, (r) => r.kl ?? Number.NaN), PALETTE[6]] as [LineInput, string]] : []),
      ],
    );
    make('equity', 'REINFORCE: running equity', 'the training environment’s running equity; x = REINFORCE step', [
      [line('running equity', rl, (r) => r.running_equity), PALETTE[3]],
    ]);
  }
  return out;
}

const cards = (charts: readonly Chart[]) => charts.map((c) => `<div class="card">${c.svg}</div>`).join('\n');

function samplingHint(charts: readonly Chart[]): string {
  return charts.some((c) => c.downsampled)
    ? ` Series longer than ${MAX_POINTS} points (${MAX_POINTS_SMALL} in the small charts) are downsampled for display with LTTB; tables use every day.`
    : '';
}

/**
 * The held-out part shared by the run report and the demo: (a) the table, (b) the contest chart, (c) the per-ticker
 * charts, under headings of level `tag`, with element ids prefixed by `id`.
 */
function heldOutParts(ev: FinrllamaEvaluation, tag: Tag, id: string): { html: string; charts: Chart[] } {
  const contest = contestChart(ev);
  const tickers = tickerCharts(ev);
  const T = scoreScale(ev.signalStrength).threshold;
  const present = ev.variants.map((v) => v.name).filter((n) => n in VARIANT_NOTE);
  const legend = present.map((n) => `<b>${esc(n)}</b>: ${esc(VARIANT_NOTE[n])}`).join('; ');
  const html = `<${tag} id="${id}-metrics">Held-out metrics</${tag}>
<p class="hint">Decisions ${esc(ev.from)} to ${esc(ev.to)} (${ev.dates.length} trading days). ${legend}. IC: Spearman rank correlation of the score with the ${ev.lookahead}-day forward return. Sharpe, cumulative return, win rate (of closed round trips) and max drawdown are those of the FinRL Contest strategy; buy-and-hold holds the same tickers in equal weights with the same execution.</p>
${metricsTable(ev, `${id}-table`)}
<${tag} id="${id}-contest">Contest strategy</${tag}>
<p class="hint">Each day a cohort of the 3 highest scores above ${T} (long) and the 3 lowest below −${T} (short), held 3 days; capital split equally across live cohorts; fills at the ${esc(ev.fill.replace('-', ' '))}.${samplingHint([contest])}</p>
<div class="card">${contest.svg}</div>
<${tag} id="${id}-tickers">Per ticker (the paper’s figures 3 and 4)</${tag}>
<p class="hint">Each ticker alone: +1 when the score is at least ${T}, −1 when at most −${T}, each signal held 3 days; cumulative return of ${TICKER_CHART_VARIANTS.filter((n) => ev.variants.some((v) => v.name === n)).join(', ')} and the ticker’s buy-and-hold (dashed). One chart per ticker with at least one score (${ev.tickers.length}).${samplingHint(tickers)}</p>
<div class="grid">
${cards(tickers)}
</div>`;
  return { html, charts: [contest, ...tickers] };
}

function pngs(charts: readonly Chart[]): Map<string, Uint8Array> {
  return new Map(charts.map((c) => [c.file, svgToPng(c.svg)]));
}

/** The demo's FinRLlama section (table, contest chart, per-ticker charts) and its PNGs. */
export function finrllamaSection(
  ev: FinrllamaEvaluation,
  o: { heading: string; intro: string; notes?: readonly string[] },
): ReportSection {
  const parts = heldOutParts(ev, 'h3', 'finrllama');
  return {
    html: `<section id="finrllama">
<h2>${esc(o.heading)}</h2>
<p class="hint">${esc(o.intro)}</p>
${notesList(o.notes)}
${parts.html}
</section>`,
    pngs: pngs(parts.charts),
  };
}

export interface FinrllamaReportInput {
  title: string;
  evaluation: FinrllamaEvaluation;
  /** Caveats shown under the title. */
  notes?: readonly string[];
  /** RUN/training_log.jsonl (no training section when absent or empty). */
  trainingLog?: readonly TrainingLogLine[];
  /** RUN/config.json. */
  config?: RunConfig;
  /** summary.json's seconds per phase. */
  seconds?: Record<string, number>;
}

function settingsHtml(config: RunConfig | undefined, seconds: Record<string, number> | undefined): string {
  const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const rows: [string, unknown][] = config
    ? [
        ['data', config.data],
        ['split', config.split],
        ['tickers', config.tickers ?? 'all'],
        ['signalStrength', config.signalStrength],
        ['lookahead', config.lookahead],
        ['seed', config.seed],
        ...Object.entries(config.extra ?? {}).filter(([, v]) => v !== undefined),
      ]
    : [];
  const list = rows.length
    ? `<dl class="versions">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(json(v))}</dd>`).join('')}</dl>`
    : '<p class="hint">No config.json.</p>';
  const secs = Object.entries(seconds ?? {});
  const table = secs.length
    ? `<div class="table-wrap"><table id="seconds"><thead><tr><th scope="col">Phase</th><th scope="col">Seconds</th></tr></thead><tbody>\n${secs
        .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${Number.isFinite(v) ? v.toFixed(1) : '—'}</td></tr>`)
        .join('\n')}\n</tbody></table></div>`
    : '<p class="hint">No summary.json (seconds per phase).</p>';
  return `${list}\n<h3>Seconds per phase</h3>\n${table}`;
}

/** The run report page and its PNG charts (file name -> bytes). Same input -> same bytes. */
export function finrllamaReport(input: FinrllamaReportInput): { html: string; pngs: Map<string, Uint8Array> } {
  const ev = input.evaluation;
  const held = heldOutParts(ev, 'h2', 'heldout');
  const log = input.trainingLog ?? [];
  const training = trainingCharts(log);
  const other = new Map<string, number>();
  for (const l of log)
    if (!['pretrain', 'sft', 'rl'].includes(l.phase)) other.set(l.phase, (other.get(l.phase) ?? 0) + 1);
  const otherNote = other.size
    ? ` Not charted: ${[...other].map(([p, n]) => `${n} line${n === 1 ? '' : 's'} of phase “${p}”`).join(', ')}.`
    : '';
  const trainingHtml = training.length
    ? `<p class="hint">From training_log.jsonl (x = step; pretraining and SFT log every few steps, REINFORCE every step).${esc(otherNote)}</p>
<div class="grid">
${cards(training)}
</div>`
    : `<p class="hint">No training log.${esc(otherNote)}</p>`;
  const seed = input.config ? String(input.config.seed) : '—';
  const html = reportPage({
    title: input.title,
    meta: `FinRLlama · held-out ${esc(ev.from)} to ${esc(ev.to)} · seed <b>${esc(seed)}</b> · ${ev.variants.length} variant${ev.variants.length === 1 ? '' : 's'}`,
    notes: input.notes,
    body: `<section id="heldout">
${held.html}
</section>

<section id="training">
<h2>Training curves</h2>
${trainingHtml}
</section>

<section id="settings">
<h2>Settings</h2>
${settingsHtml(input.config, input.seconds)}
</section>`,
    version: VERSION,
  });
  return { html, pngs: pngs([...held.charts, ...training]) };
}

const Summary = z.object({ seconds: z.record(z.string(), z.number()).optional() });

/** Read a run directory and build the report input (the held-out period of config.json, every scores/*.jsonl). */
export function finrllamaReportInput(runDir: string): FinrllamaReportInput {
  const config = readRunConfig(runDir);
  const scores = readRunScores(runDir);
  if (scores.size === 0) throw new UsageError(`--run ${runDir}: no scores/<variant>.jsonl to report`);
  const ds = loadSource(config.data);
  const evaluation = evaluateFinrllama(ds, scores, {
    from: config.split.testFrom,
    to: config.split.testTo,
    tickers: config.tickers,
    signalStrength: config.signalStrength,
    lookahead: config.lookahead,
    ...(config.fill && { backtest: { timing: { decision: 'close', fill: config.fill } } }),
  });
  const logFile = join(runDir, 'training_log.jsonl');
  const summaryFile = join(runDir, 'summary.json');
  let seconds: Record<string, number> | undefined;
  if (existsSync(summaryFile)) {
    const s = Summary.safeParse(readJsonFile(summaryFile));
    if (!s.success)
      throw new DataError(
        s.error.issues.map((i) => ({ file: summaryFile, field: i.path.join('.') || '(root)', reason: i.message })),
      );
    seconds = s.data.seconds;
  }
  const preset = typeof config.extra?.preset === 'string' ? ` (${config.extra.preset})` : '';
  return {
    title: `FinRLlama run${preset}: seed ${config.seed}`,
    evaluation,
    trainingLog: existsSync(logFile) ? readTrainingLog(logFile) : undefined,
    config,
    seconds,
    notes:
      'synth' in config.data
        ? ['Synthetic market: its misleading news kinds are built to fool the word-list teacher.']
        : undefined,
  };
}

/**
 * Write the report of a run directory: `out` (default RUN/report.html) and its PNG charts in `charts/` beside it.
 * Every file is written atomically. Returns the written paths.
 */
export function writeFinrllamaReport(
  runDir: string,
  out = join(runDir, 'report.html'),
): { html: string; charts: string[] } {
  const r = finrllamaReport(finrllamaReportInput(runDir));
  const charts: string[] = [];
  for (const [name, png] of r.pngs) {
    const path = join(dirname(out), 'charts', name);
    writeFileAtomic(path, png);
    charts.push(path);
  }
  writeFileAtomic(out, r.html);
  return { html: out, charts };
}
