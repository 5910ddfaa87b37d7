import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import { readRunDir, writeRunDir } from '../src/report/run-dir.ts';
import { writeReport } from '../src/report/write.ts';
import { smallInput } from './report-fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-report-w-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('writeReport: html, metrics.json and valid PNGs; byte-identical on rerun', () => {
  const input = smallInput();
  const a = writeReport(join(tmp, 'a'), input);
  const b = writeReport(join(tmp, 'b'), smallInput());
  const html = readFileSync(a.html, 'utf8');
  assert.equal(html, readFileSync(b.html, 'utf8'));
  assert.equal(readFileSync(a.metrics, 'utf8'), readFileSync(b.metrics, 'utf8'));
  assert.equal(a.charts.length, 2 + input.runs.length);
  for (const [i, png] of a.charts.entries()) {
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], png);
    assert.ok(bytes.length > 1000);
    assert.deepEqual(bytes, readFileSync(b.charts[i]));
  }
  // no external resources, values shown, text escaped
  assert.doesNotMatch(html, /(src|href)=["']?https?:/);
  assert.match(html, /12\.34%/);
  // the metrics table: labelled columns, percentages, ratios, "—" for null, the trades count
  const table = html.slice(html.indexOf('<table id="metrics">'), html.indexOf('</table>'));
  for (const label of [
    'Strategy',
    'Trades',
    'Cumulative return',
    'Annual vol',
    'Sharpe',
    'Sortino',
    'Max drawdown',
    'Hit rate',
  ])
    assert.match(table, new RegExp(`>${label}</th>`), label);
  const firstRow = table.slice(
    table.indexOf('buy &amp; hold'),
    table.indexOf('</tr>', table.indexOf('buy &amp; hold')),
  );
  assert.deepEqual(
    [...firstRow.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]),
    [String(input.runs[0].trades.length), '12.34%', '5.67%', '20.00%', '1.23', '—', '-7.89%', '55.00%'],
  );
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&lt;script&gt;alert/);
  assert.doesNotMatch(html, /<img src=x/);
  const metrics = JSON.parse(readFileSync(a.metrics, 'utf8'));
  assert.equal(metrics.seed, 42);
  assert.equal(metrics.strategies['buy & hold'].sortino, null);
});

test('run directory: write then read gives the same runs; bad content names file and line', () => {
  const input = smallInput();
  const dir = join(tmp, 'run');
  writeRunDir(dir, {
    meta: {
      title: input.title,
      config: input.config,
      seed: input.seed,
      versions: input.versions!,
      dataset: input.dataset,
      notes: input.notes,
    },
    runs: input.runs,
  });
  const back = readRunDir(dir);
  assert.equal(back.title, input.title);
  assert.deepEqual(back.config, input.config);
  assert.equal(back.runs.length, 2);
  for (const [s, run] of input.runs.entries()) {
    const r = back.runs[s];
    assert.equal(r.name, run.name);
    assert.deepEqual(r.dates, run.dates);
    assert.deepEqual([...r.returns], [...run.returns]);
    assert.deepEqual([...r.equity], [...run.equity]);
    assert.deepEqual(
      r.weights.map((w) => [...w]),
      run.weights.map((w) => [...w]),
    );
    assert.deepEqual(
      r.tickerPnl.map((w) => [...w]),
      run.tickerPnl.map((w) => [...w]),
    );
    assert.deepEqual(r.trades, run.trades);
  }
  const returns = join(dir, 'strategies', 'buy___hold', 'returns.csv');
  const lines = readFileSync(returns, 'utf8').split('\n');
  lines[3] = lines[3].replace(/^([^,]+),[^,]+/, '$1,abc');
  writeFileSync(returns, lines.join('\n'));
  assert.throws(
    () => readRunDir(dir),
    (e: unknown) =>
      e instanceof DataError &&
      e.issues.some((i) => i.line === 4 && i.field === 'return' && /not a number/.test(i.reason)),
  );
});
