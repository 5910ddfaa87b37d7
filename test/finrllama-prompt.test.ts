import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeDecisionTime, createMarketView } from '../src/data/pit.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import {
  buildPrompt,
  headlinesAt,
  headlinesFromPrompt,
  PAPER_EXAMPLES,
  SCORE_ANCHOR,
  scoreScale,
} from '../src/papers/finrllama/prompt.ts';
import { handDataset } from './finrllama-fixture.ts';

// Tue 2024-01-02 .. Fri 2024-01-05; New York is UTC-5 in January, the close is 21:00 UTC.
const dates = ['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05'];
const ds = handDataset(dates, { AAA: [100, 101.5, 777.77, 99], BBB: [50, 51, 52, 53] }, [
  { id: 'd1-noon', at: '2024-01-02T12:00:00-05:00', tickers: ['AAA'], headline: 'AAA old news from Tuesday noon' },
  { id: 'd1-eve', at: '2024-01-02T17:00:00-05:00', tickers: ['AAA'], headline: 'AAA beats estimates after the bell' },
  { id: 'd2-am', at: '2024-01-03T10:00:00-05:00', tickers: ['AAA', 'BBB'], headline: 'AAA and BBB sign a deal' },
  { id: 'planted', at: '2024-01-03T16:30:00-05:00', tickers: ['AAA'], headline: 'PLANTED AAA news after the close' },
  { id: 'next-day', at: '2024-01-04T09:00:00-05:00', tickers: ['AAA'], headline: 'PLANTED AAA news next morning' },
]);
const decision = '2024-01-03';
const view = createMarketView(ds, closeDecisionTime(ds, decision));

test('S and T: T = floor(S / 3)', () => {
  assert.deepEqual(scoreScale(), { signalStrength: 10, threshold: 3 });
  assert.deepEqual(scoreScale(12), { signalStrength: 12, threshold: 4 });
  assert.deepEqual(scoreScale(5), { signalStrength: 5, threshold: 1 });
  assert.throws(() => scoreScale(2.5), RangeError);
});

test('headlines: the decision session by default, a calendar lookback on request; never after the decision', () => {
  assert.deepEqual(
    headlinesAt(view, 'AAA', decision).map((n) => n.id),
    ['d1-eve', 'd2-am'],
  );
  assert.deepEqual(
    headlinesAt(view, 'BBB', decision).map((n) => n.id),
    ['d2-am'],
  );
  assert.deepEqual(
    headlinesAt(view, 'AAA', decision, { lookbackDays: 2 }).map((n) => n.id),
    ['d1-noon', 'd1-eve', 'd2-am'],
  );
  assert.deepEqual(
    headlinesAt(view, 'AAA', decision, { lookbackDays: 2, maxHeadlines: 1 }).map((n) => n.id),
    ['d2-am'],
  );
});

test('a prompt built at decision time t contains no headline published after t, and no later price', () => {
  for (const variant of ['paper', 'compact'] as const)
    for (const news of [undefined, { lookbackDays: 30 }]) {
      const p = buildPrompt(view, 'AAA', decision, { variant, news, priceDays: 10 });
      assert.ok(!p.includes('PLANTED'), `${variant}: ${p}`);
      assert.ok(p.includes('AAA beats estimates after the bell | AAA and BBB sign a deal'));
      // prices: up to the decision day's bar (close 101.50); the next day's close 777.77 is never shown
      if (variant === 'paper')
        assert.ok(p.includes('Date: 2024-01-03, Open: 101.50, High: 101.50, Low: 101.50, Close: 101.50'));
      else assert.ok(p.includes('Close: 100.00, 101.50\n'));
      assert.ok(!p.includes('777.77') && !p.includes('2024-01-04'));
      assert.ok(p.endsWith(SCORE_ANCHOR));
      assert.equal(p.indexOf(SCORE_ANCHOR), p.length - SCORE_ANCHOR.length, 'the anchor appears once, at the end');
    }
  // one day later, the planted items are visible (the filter is the decision time, not the item)
  const later = createMarketView(ds, closeDecisionTime(ds, '2024-01-04'));
  assert.ok(buildPrompt(later, 'AAA', '2024-01-04').includes('PLANTED AAA news after the close'));
});

test('paper prompt: the five parts with S and T filled in, the three examples, the default price row', () => {
  const p = buildPrompt(view, 'BBB', decision, { signalStrength: 12 });
  const parts = [
    '[CONTEXT]',
    '[SENTIMENT SCORING PARAMETERS]',
    '[MARKET FEEDBACK CONSIDERATIONS]',
    '[SENTIMENT SCORING EXAMPLES]',
    '[OUTPUT]',
  ];
  const at = parts.map((s) => p.indexOf(s));
  assert.ok(
    at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
    `${at}`,
  );
  for (const line of [
    '-12: Highly negative market sentiment',
    '-4: Moderately negative market sentiment',
    '0: Neutral market sentiment',
    '4: Moderately positive sentiment',
    '12: Highly positive sentiment',
    '"Company X announces layoffs amid economic downturn." Sentiment Score: -8',
    '"Company Y reports record revenue growth in Q1." Sentiment Score: 7',
    `"Market responds positively to Company Z's new product launch." Sentiment Score: 5`,
    'Integer sentiment score in range [-12, 12] based on analysis. Output only a single integer.',
    'News headline: "AAA and BBB sign a deal"',
    'Price Data: "Date: 2024-01-03, Open: 51.00, High: 51.00, Low: 51.00, Close: 51.00, Adj Close: 51.00, Volume: 1000"',
  ])
    assert.ok(p.split('\n').includes(line), line);
  assert.deepEqual(
    PAPER_EXAMPLES.map((e) => e.score),
    [-8, 7, 5],
  );
});

test('compact prompt: the same five parts in a line each, closes only', () => {
  const paper = buildPrompt(view, 'AAA', decision);
  const compact = buildPrompt(view, 'AAA', decision, { variant: 'compact', priceDays: 2 });
  assert.ok(compact.length < paper.length * 0.4, `${compact.length} vs ${paper.length}`);
  assert.equal(
    compact,
    [
      'Task: score the news for AAA.',
      'Scale: -10 very bad, -3 bad, 0 neutral, 3 good, 10 very good.',
      'Feedback: think of how prices moved after similar news.',
      'Examples: "layoffs amid downturn" -8; "record revenue growth" 7; "new product well received" 5.',
      'Output: one integer in [-10, 10].',
      'News: "AAA beats estimates after the bell | AAA and BBB sign a deal"',
      'Close: 100.00, 101.50',
      'SENTIMENT SCORE:',
    ].join('\n'),
  );
});

test('headlinesFromPrompt reads the headlines back (both variants); none -> []', () => {
  for (const variant of ['paper', 'compact'] as const) {
    assert.deepEqual(headlinesFromPrompt(buildPrompt(view, 'AAA', decision, { variant })), [
      'AAA beats estimates after the bell',
      'AAA and BBB sign a deal',
    ]);
    const empty = createMarketView(ds, closeDecisionTime(ds, '2024-01-05'));
    assert.deepEqual(headlinesFromPrompt(buildPrompt(empty, 'BBB', '2024-01-05', { variant })), []);
  }
});

test('synthetic market: every headline in every prompt was published at or before the decision', () => {
  const ds2 = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 3, days: 120 }).dataset;
  const dates2 = ds2.bars.values().next().value!.dates;
  let checked = 0;
  for (const d of dates2.filter((_, i) => i % 3 === 0)) {
    const t = closeDecisionTime(ds2, d);
    const v = createMarketView(ds2, t);
    for (const tk of v.tickers) {
      for (const h of headlinesFromPrompt(buildPrompt(v, tk, d, { news: { lookbackDays: 7 } }))) {
        const items = ds2.news.filter((n) => n.headline === h && n.tickers.includes(tk));
        assert.ok(items.length > 0 && items.some((n) => n.publishedMs <= t), `${d} ${tk}: ${h}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 30, `only ${checked} headlines checked`);
});
