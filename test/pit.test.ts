import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LookAheadError } from '../src/data/errors.ts';
import { closeDecisionTime, createMarketView } from '../src/data/pit.ts';
import { marketOpenMs, parseTimestamp } from '../src/data/time.ts';
import { NYSE } from '../src/data/types.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

const ds = tinyDataset();
// decision at the close of Wednesday 2024-03-06 (16:00 New York = 21:00 UTC)
const t = closeDecisionTime(ds, '2024-03-06');
const view = createMarketView(ds, t);

test('decision time of a close is 16:00 New York', () => {
  assert.equal(new Date(t).toISOString(), '2024-03-06T21:00:00.000Z');
  // after the DST switch (2024-03-10) the close is 20:00 UTC
  assert.equal(new Date(closeDecisionTime(ds, '2024-03-11')).toISOString(), '2024-03-11T20:00:00.000Z');
});

test('bars: the bar of day t is visible at its close, not before; future bars are unreachable', () => {
  const b = view.bars('AAA');
  assert.deepEqual(b.dates, ['2024-03-04', '2024-03-05', '2024-03-06']);
  assert.deepEqual([...b.close], [100, 101, 102]);
  assert.equal(view.lastBarDate('AAA'), '2024-03-06');
  // a decision at the open of 03-06 does not see the 03-06 bar
  const atOpen = createMarketView(ds, marketOpenMs('2024-03-06', NYSE));
  assert.deepEqual(atOpen.bars('AAA').dates, ['2024-03-04', '2024-03-05']);
  // one millisecond before the close: still not visible
  assert.equal(createMarketView(ds, t - 1).lastBarDate('AAA'), '2024-03-05');
  assert.throws(() => view.bars('AAA', { to: '2024-03-07' }), LookAheadError);
  assert.deepEqual(view.bars('AAA', { to: '2024-03-05' }).dates, ['2024-03-04', '2024-03-05']);
  assert.deepEqual(view.bars('AAA', { lookback: 2 }).dates, ['2024-03-05', '2024-03-06']);
});

test('bars are copies: their buffers do not reach the future rows', () => {
  const b = view.bars('AAA');
  assert.equal(b.close.buffer.byteLength, 3 * 8);
  assert.ok(!new Float64Array(b.close.buffer).includes(103));
  b.close[0] = -1; // mutating a copy does not change the dataset
  assert.equal(view.bars('AAA').close[0], 100);
});

test('news: by publish time; planted future news is unreachable', () => {
  const ids = view.news().map((n) => n.id);
  assert.deepEqual(ids, ['n1', 'n2', 'n3']);
  assert.deepEqual(
    view.news({ ticker: 'BBB' }).map((n) => n.id),
    ['n2', 'n3'],
  );
  assert.throws(() => view.news({ until: '2024-03-07' }), LookAheadError);
  assert.throws(() => view.news({ until: t + 1 }), LookAheadError);
  assert.deepEqual(
    view.news({ since: '2024-03-06' }).map((n) => n.id),
    ['n3'],
  );
  for (const n of view.news()) assert.ok(n.publishedMs <= t);
});

test('news sessions: after the 16:00 cutoff counts for the next session', () => {
  assert.deepEqual(
    view.newsForSession('2024-03-05').map((n) => n.id),
    ['n1'],
  );
  assert.deepEqual(
    view.newsForSession('2024-03-06').map((n) => n.id),
    ['n2', 'n3'],
  );
  // the 03-07 session's window closes at 16:00 on 03-07: after the decision time
  assert.throws(() => view.newsForSession('2024-03-07'), LookAheadError);
  // a 15:00 cutoff moves n3 (15:59) to the next session
  const v = createMarketView(ds, closeDecisionTime(ds, '2024-03-07'));
  assert.deepEqual(
    v.newsForSession('2024-03-07', { cutoff: '15:00' }).map((n) => n.id),
    ['n3', 'n4'],
  );
});

test('bare dates count at the end of their day (conservative)', () => {
  const endOf0308 = parseTimestamp('2024-03-08', NYSE.timezone).ms;
  assert.equal(new Date(endOf0308).toISOString(), '2024-03-09T04:59:59.999Z');
  const atClose = createMarketView(ds, closeDecisionTime(ds, '2024-03-08'));
  assert.ok(!atClose.news().some((n) => n.id === 'n5'));
  assert.ok(!atClose.fundamentals({ ticker: 'AAA' }).some((f) => f.value === 99));
  assert.ok(
    !createMarketView(ds, closeDecisionTime(ds, '2024-03-07'))
      .filings()
      .some((f) => f.id === 'f2'),
  );
  assert.ok(
    createMarketView(ds, closeDecisionTime(ds, '2024-03-08'))
      .filings()
      .some((f) => f.id === 'f2'),
  );
});

test('filings by filing time; future filings unreachable', () => {
  assert.deepEqual(
    view.filings().map((f) => f.id),
    ['f1'],
  );
  assert.throws(() => view.filings({ until: '2024-03-08' }), LookAheadError);
});

test('macro by release date: the revision and the next print are invisible until released', () => {
  const cpi = view.macro('CPI');
  assert.deepEqual(
    cpi.map((o) => [o.date, o.value]),
    [
      ['2024-01-01', 3.1],
      ['2024-02-01', 3.2],
    ],
  );
  const later = createMarketView(ds, closeDecisionTime(ds, '2024-03-07')).macro('CPI');
  assert.deepEqual(
    later.map((o) => [o.date, o.value]),
    [
      ['2024-01-01', 3.1],
      ['2024-02-01', 9.9],
    ],
  );
  // before the first print of February, only January is known
  const early = createMarketView(ds, parseTimestamp('2024-03-05T08:29:00-05:00', NYSE.timezone).ms).macro('CPI');
  assert.deepEqual(
    early.map((o) => o.date),
    ['2024-01-01'],
  );
});

test('fundamentals by release date', () => {
  assert.deepEqual(
    view.fundamentals({ ticker: 'AAA' }).map((f) => f.value),
    [1.5],
  );
});

test('the view exposes no path to the dataset', () => {
  assert.ok(Object.isFrozen(view));
  const keys = Object.keys(view).sort();
  assert.deepEqual(keys, [
    'bars',
    'decisionTime',
    'filings',
    'fundamentals',
    'lastBarDate',
    'macro',
    'macroSeries',
    'news',
    'newsForSession',
    'tickers',
  ]);
  const n = view.news()[0];
  assert.ok(Object.isFrozen(n));
});
