// Pure pieces of the report: LTTB downsampling, drawdowns, metric formatting, escaping, file-name slugs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawdownChart, drawdownSeries, equityChart, renderSvg } from '../src/report/charts.ts';
import { lttbIndices } from '../src/report/downsample.ts';
import { escapeHtml, formatMetric, metricColumn, metricColumns, uniqueSlug } from '../src/report/format.ts';
import { syntheticRun } from './report-fixture.ts';

test('lttbIndices: keeps first, last and the point of largest triangle per bucket', () => {
  const xs = Float64Array.from({ length: 10 }, (_, i) => i);
  // one bucket (1..8) between the ends; the next bucket's mean is (9, 0); triangle area = 9 |y_j| -> the spike at 3
  assert.deepEqual(lttbIndices(xs, [0, 0, 0, 10, 0, 0, 0, 0, 0, 0], 3), [0, 3, 9]);
  // two buckets: [1, 5) and [5, 9); the dip at 6 wins the second bucket
  assert.deepEqual(lttbIndices(xs, [0, 1, 0, 0, 0, 0, -8, 0, 0, 0], 4), [0, 1, 6, 9]);
  // NaN is never chosen while the bucket has a number
  assert.deepEqual(lttbIndices(xs, [0, 0, 0, Number.NaN, 0, 0, 0, 5, 0, 0], 3), [0, 7, 9]);
  // short series untouched
  assert.deepEqual(lttbIndices(xs, Array.from(xs), 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(
    lttbIndices(
      new Float64Array(5000).map((_, i) => i),
      new Float64Array(5000),
      1500,
    ).length,
    1500,
  );
});

test('drawdownSeries: equity / running peak - 1; NaN leaves the peak alone', () => {
  const dd = drawdownSeries([100, 110, 99, 121, Number.NaN, 110]);
  assert.deepEqual([...dd.subarray(0, 4)], [0, 0, 99 / 110 - 1, 0]);
  assert.ok(Number.isNaN(dd[4]));
  assert.equal(dd[5], 110 / 121 - 1);
});

test('formatMetric: percentages with 2 decimals, ratios, counts, "—" for null', () => {
  assert.equal(formatMetric(0.1234, 'percent'), '12.34%');
  assert.equal(formatMetric(-0.07891, 'percent'), '-7.89%');
  assert.equal(formatMetric(-0.00001, 'percent'), '0.00%');
  assert.equal(formatMetric(1.23456, 'ratio'), '1.23');
  assert.equal(formatMetric(1234567, 'count'), '1,234,567');
  assert.equal(formatMetric(null, 'ratio'), '—');
  assert.equal(formatMetric(undefined, 'percent'), '—');
  assert.equal(formatMetric(Number.NaN, 'percent'), '—');
  assert.equal(formatMetric(Number.POSITIVE_INFINITY, 'ratio'), '∞');
  assert.equal(formatMetric(0.123456, 'number'), '0.1235');
});

test('metricColumn: known keys in any case style, unknown keys by their words', () => {
  assert.deepEqual(metricColumn('max_drawdown'), { key: 'max_drawdown', label: 'Max drawdown', format: 'percent' });
  assert.deepEqual(metricColumn('annualVol'), { key: 'annualVol', label: 'Annual vol', format: 'percent' });
  assert.deepEqual(metricColumn('sharpe'), { key: 'sharpe', label: 'Sharpe', format: 'ratio' });
  assert.deepEqual(metricColumn('omegaRatio'), { key: 'omegaRatio', label: 'Omega ratio', format: 'ratio' });
  assert.deepEqual(metricColumn('excess_return'), { key: 'excess_return', label: 'Excess return', format: 'percent' });
  assert.deepEqual(metricColumn('mystery'), { key: 'mystery', label: 'Mystery', format: 'number' });
  assert.deepEqual(
    metricColumns([{ sharpe: 1, hitRate: 0.5 }, undefined, { calmar: 2, sharpe: 0 }]).map((c) => c.key),
    ['sharpe', 'hitRate', 'calmar'],
  );
});

test('escapeHtml and uniqueSlug', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const taken = new Set<string>();
  assert.equal(uniqueSlug('buy & hold', taken), 'buy___hold');
  assert.equal(uniqueSlug('buy ? hold', taken), 'buy___hold-2');
  assert.equal(uniqueSlug('BUY___HOLD', taken), 'BUY___HOLD-3');
  assert.equal(uniqueSlug('../etc', taken), '_._etc');
  assert.equal(uniqueSlug('', taken), '_');
});

test('charts: long series are downsampled, ids are per chart, the same input gives the same SVG', () => {
  const runs = [syntheticRun('a', ['X'], 2000, 1), syntheticRun('b', ['X'], 2000, 2)];
  const spec = equityChart(runs);
  assert.equal(spec.downsampled, true);
  const series = (spec.option as { series: { data: unknown[] }[] }).series;
  assert.deepEqual(
    series.map((s) => s.data.length),
    [1500, 1500],
  );
  assert.equal(drawdownChart([syntheticRun('c', ['X'], 1500, 3)]).downsampled, false);
  const one = renderSvg(equityChart(runs), 'eq');
  const two = renderSvg(equityChart(runs), 'eq');
  assert.equal(one, two);
  assert.doesNotMatch(one, /zr\d+-/);
  assert.doesNotMatch(one, /<style/);
  assert.match(one, /^<svg [^>]*viewBox=/);
});
