// The FinRLlama report of a run directory and the FinRLlama section of `rlmf demo`, on one tiny quick run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import { evaluateScores, type VariantEvaluation } from '../src/papers/finrllama/evaluate.ts';
import { trainQuick } from '../src/papers/finrllama/pipeline.ts';
import {
  finrllamaReport,
  finrllamaReportInput,
  readTrainingLog,
  writeFinrllamaReport,
} from '../src/papers/finrllama/report.ts';
import { loadSource, readRunConfig, readRunScores } from '../src/papers/finrllama/run.ts';
import { formatMetric } from '../src/report/format.ts';
import { NEEDS_CHROMIUM, openInChromium } from './helpers/chromium.ts';

const root = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'finrllama-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const run = join(tmp, 'run');
const model = join(tmp, 'model');
const COLORS = { base: '#4e79a7', rlmf: '#e15759', teacher: '#59a14f', 'buy-and-hold': '#79706e' };

before(async () => {
  await trainQuick({
    seed: 4,
    out: run,
    pretrainSteps: 3,
    sftSteps: 2,
    rlEpochs: 1,
    rlDays: 2,
    datesPerStep: 2,
    testDays: 6,
    validationFraction: 0.01,
  });
  // the demo's model directory: base/, rlmf/ and run.json, as the lead commits models/finrllama-quick
  const cfg = readRunConfig(run);
  for (const v of ['base', 'rlmf']) cpSync(join(run, 'models', v), join(model, v), { recursive: true });
  if (!('synth' in cfg.data)) throw new Error('expected a synthetic run');
  writeFileSync(
    join(model, 'run.json'),
    JSON.stringify({ seed: cfg.seed, market: cfg.data.synth.config, split: cfg.split }),
  );
});

/** Every held-out evaluation of the run, computed here independently of the report. */
function evaluations(): Record<string, VariantEvaluation> {
  const cfg = readRunConfig(run);
  const ds = loadSource(cfg.data);
  const out: Record<string, VariantEvaluation> = {};
  for (const [name, recs] of readRunScores(run))
    out[name] = evaluateScores(ds, recs, {
      from: cfg.split.testFrom,
      to: cfg.split.testTo,
      signalStrength: cfg.signalStrength,
      lookahead: cfg.lookahead,
    });
  return out;
}

/** The rows of a table: [header cell, ...data cells] as shown. */
function tableRows(html: string, id: string): string[][] {
  const at = html.indexOf(`<table id="${id}">`);
  assert.ok(at >= 0, `table ${id}`);
  const body = html.slice(html.indexOf('<tbody>', at), html.indexOf('</tbody>', at));
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [
    (/<th scope="row">(?:<span[^>]*><\/span>)?([^<]*)<\/th>/.exec(m[1]) ?? [])[1],
    ...[...m[1].matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]),
  ]);
}

/** The inline SVGs of the per-ticker grid. */
function tickerSvgs(html: string, idPrefix: string): string[] {
  const at = html.indexOf(`id="${idPrefix}-tickers"`);
  const grid = html.slice(html.indexOf('<div class="grid">', at), html.indexOf('\n</div>', at));
  return [...grid.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** The stroke colours of the plotted lines of an SVG (line paths: fill none, width 1.5), dashed ones marked. */
function seriesStrokes(svg: string): string[] {
  return [
    ...svg.matchAll(
      /<path d="M[^"]*L[^"]*" fill="none" stroke="(#[0-9a-f]{6})" stroke-width="1.5"( stroke-dasharray)?/g,
    ),
  ]
    .map((m) => `${m[1]}${m[2] ? ' dashed' : ''}`)
    .sort();
}

const ic = (v: number | null) => (v === null ? '—' : v.toFixed(3));

test('run report: the table is evaluateScores, one chart per scored ticker, training curves, same bytes twice', () => {
  const a = finrllamaReport(finrllamaReportInput(run));
  const b = finrllamaReport(finrllamaReportInput(run));
  assert.equal(a.html, b.html);
  assert.deepEqual([...a.pngs.keys()], [...b.pngs.keys()]);
  for (const [k, png] of a.pngs) assert.deepEqual(png, b.pngs.get(k), k);

  // (a) the table: every number equals evaluateScores' on the run's scores; order base, sft, rlmf, teacher, ridge
  const ev = evaluations();
  const rows = tableRows(a.html, 'heldout-table');
  assert.deepEqual(
    rows.map((r) => r[0]),
    ['base', 'sft', 'rlmf', 'teacher', 'ridge', 'buy-and-hold'],
  );
  for (const r of rows.slice(0, 5)) {
    const e = ev[r[0]];
    assert.deepEqual(
      r.slice(1),
      [
        ic(e.ic),
        ic(e.ic_detail.daily_mean),
        String(e.ic_detail.pooled_n),
        String(e.ic_detail.daily_n),
        formatMetric(e.sharpe_ratio, 'ratio'),
        formatMetric(e.cumulative_return, 'percent'),
        formatMetric(e.win_rate, 'percent'),
        formatMetric(e.contest.max_drawdown, 'percent'),
        formatMetric(e.parse_failure_rate, 'percent'),
        String(e.n_scored),
      ],
      r[0],
    );
  }
  const bh = ev.teacher.buy_and_hold;
  assert.deepEqual(rows[5].slice(5, 9), [
    formatMetric(bh.sharpe_ratio, 'ratio'),
    formatMetric(bh.cumulative_return, 'percent'),
    formatMetric(bh.finrl_contest_win_rate, 'percent'),
    formatMetric(bh.max_drawdown, 'percent'),
  ]);
  // (b) the contest curves end where evaluateScores' cumulative returns are
  const input = finrllamaReportInput(run);
  for (const v of input.evaluation.variants) {
    const c = v.evaluation.contest_curve;
    assert.ok(Math.abs(c[c.length - 1] - (ev[v.name].cumulative_return ?? Number.NaN)) < 1e-12, v.name);
  }
  const bhc = input.evaluation.buyAndHold.curve;
  assert.ok(Math.abs(bhc[bhc.length - 1] - (bh.cumulative_return ?? Number.NaN)) < 1e-12);

  // (c) one chart per scored ticker, each with base, teacher and rlmf (not sft) and the ticker's buy-and-hold
  const scored = [
    ...new Set(
      readRunScores(run)
        .get('teacher')!
        .map((x) => x.ticker),
    ),
  ].sort();
  assert.ok(scored.length >= 3);
  assert.deepEqual(
    [...a.pngs.keys()].filter((k) => k.startsWith('finrllama-ticker-')),
    scored.map((t) => `finrllama-ticker-${t}.png`),
  );
  const svgs = tickerSvgs(a.html, 'heldout');
  assert.equal(svgs.length, scored.length);
  svgs.forEach((svg, i) => {
    assert.deepEqual(
      seriesStrokes(svg),
      [COLORS.base, `${COLORS['buy-and-hold']} dashed`, COLORS.teacher, COLORS.rlmf].sort(),
      scored[i],
    );
    assert.match(svg, new RegExp(`>${scored[i]}</text>`));
    assert.doesNotMatch(svg, />sft</);
  });
  // the per-ticker B&H curve ends at evaluateScores' buy_and_hold_return of that ticker
  for (const t of input.evaluation.tickers) {
    const c = t.buyAndHoldCurve;
    assert.ok(Math.abs(c[c.length - 1] - (ev.base.per_ticker[t.ticker].buy_and_hold_return ?? Number.NaN)) < 1e-12);
  }

  // (d) training curves, (e) settings and seconds
  assert.deepEqual(
    [...a.pngs.keys()].filter((k) => k.startsWith('finrllama-training-')),
    ['loss', 'reward', 'advantage', 'equity'].map((k) => `finrllama-training-${k}.png`),
  );
  assert.match(a.html, /<dt>sftSteps<\/dt><dd>2<\/dd>/);
  assert.deepEqual(
    tableRows(a.html, 'seconds').map((r) => r[0]),
    ['setup', 'pretrain', 'sft', 'rl', 'evaluate', 'total'],
  );

  // self-contained: no script, no URL other than the SVG namespaces
  const urls = new Set(a.html.match(/https?:\/\/[^"'\s)]*/g));
  assert.deepEqual([...urls].sort(), ['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg']);
  assert.doesNotMatch(a.html, /<script|<img|<link rel="stylesheet"|url\((?!#)/);

  // the writer: the same page, its PNGs beside it
  const out = join(tmp, 'elsewhere', 'r.html');
  const w = writeFinrllamaReport(run, out);
  assert.equal(readFileSync(out, 'utf8'), a.html);
  assert.deepEqual(readdirSync(join(tmp, 'elsewhere', 'charts')).sort(), [...a.pngs.keys()].sort());
  assert.equal(w.charts.length, a.pngs.size);
});

test('training log: every bad line is named with its line and field', () => {
  const f = join(tmp, 'bad_log.jsonl');
  writeFileSync(
    f,
    [
      '{"phase":"pretrain","step":50,"loss":2.5}',
      '{"phase":"rl","epoch":1,"step":1,"mean_reward":"x","mean_abs_advantage":1,"grad_norm":1,"running_equity":1}',
      'not json',
      '{"phase":"head","step":3}',
      '',
    ].join('\n'),
  );
  assert.throws(
    () => readTrainingLog(f),
    (e: unknown) =>
      e instanceof DataError &&
      JSON.stringify(e.issues.map((i) => [i.line, i.field])) ===
        JSON.stringify([
          [2, 'mean_reward'],
          [3, undefined],
        ]) &&
      /bad_log\.jsonl:2 \[mean_reward\]/.test(e.message),
  );
});

function rlmf(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'rlmf.js'), ...args], { encoding: 'utf8', cwd: tmp });
}

test('demo: the FinRLlama section with a model pair (the run’s own numbers); one line and no section without', () => {
  const a = rlmf('demo', '--out', join(tmp, 'demo-a'), '--finrllama-model', model, '--json');
  assert.equal(a.status, 0, a.stderr);
  const out = JSON.parse(a.stdout);
  assert.deepEqual(Object.keys(out.finrllama.variants), ['base', 'rlmf', 'teacher', 'ridge']);
  // the demo rescoring the saved pair reproduces the training run's held-out numbers
  const ev = evaluations();
  for (const v of ['base', 'rlmf', 'teacher']) {
    assert.equal(out.finrllama.variants[v].ic, ev[v].ic, v);
    assert.equal(out.finrllama.variants[v].sharpe_ratio, ev[v].sharpe_ratio, v);
    assert.equal(out.finrllama.variants[v].n_scored, ev[v].n_scored, v);
  }
  const metrics = JSON.parse(readFileSync(join(tmp, 'demo-a', 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.finrllama, out.finrllama);
  assert.deepEqual(Object.keys(metrics.strategies), Object.keys(out.strategies));
  const html = readFileSync(join(tmp, 'demo-a', 'report.html'), 'utf8');
  assert.match(html, /<section id="finrllama">\n<h2>FinRLlama \(news sentiment, RLMF\)<\/h2>/);
  assert.deepEqual(
    tableRows(html, 'finrllama-table').map((r) => [r[0], r[1]]),
    [
      ...['base', 'rlmf', 'teacher'].map((v) => [v, ic(ev[v].ic)]),
      // the demo fits the yardstick on every training date but the validation slice (the test run used 3 of them)
      ['ridge', ic(out.finrllama.variants.ridge.ic)],
      ['buy-and-hold', '—'],
    ],
  );
  const scored = new Set(
    readRunScores(run)
      .get('teacher')!
      .map((x) => x.ticker),
  );
  const svgs = tickerSvgs(html, 'finrllama');
  assert.equal(svgs.length, scored.size);
  for (const svg of svgs) assert.equal(seriesStrokes(svg).filter((s) => !s.endsWith('dashed')).length, 3);
  assert.doesNotMatch(html, /id="heldout-|Training curves/, 'no training curves in the demo');
  for (const t of scored) assert.ok(existsSync(join(tmp, 'demo-a', 'charts', `finrllama-ticker-${t}.png`)), t);

  const b = rlmf('demo', '--out', join(tmp, 'demo-b'), '--finrllama-model', join(tmp, 'no-such-model'), '--json');
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(b.stderr.trim().split('\n'), [
    `FinRLlama section skipped: no trained model pair at ${join(tmp, 'no-such-model')} (missing the directory); see docs/papers/finrllama.md`,
  ]);
  assert.match(JSON.parse(b.stdout).finrllama.skipped, /no trained model pair/);
  assert.doesNotMatch(readFileSync(join(tmp, 'demo-b', 'report.html'), 'utf8'), /FinRLlama/);
  assert.equal(JSON.parse(readFileSync(join(tmp, 'demo-b', 'metrics.json'), 'utf8')).finrllama, undefined);
});

test('run report in Chromium: no console error, no network request, every chart drawn', {
  skip: NEEDS_CHROMIUM,
}, async () => {
  const { html } = writeFinrllamaReport(run, join(tmp, 'browser', 'report.html'));
  await openInChromium(html, async (page) => {
    const scored = new Set(
      readRunScores(run)
        .get('teacher')!
        .map((x) => x.ticker),
    );
    // the contest chart, one per scored ticker, four training charts
    assert.equal(await page.locator('svg').count(), 1 + scored.size + 4);
  });
});
