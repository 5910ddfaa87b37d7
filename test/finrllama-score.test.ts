import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeDecisionTime, createMarketView } from '../src/data/pit.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import { createFakeModel } from '../src/lm/fake.ts';
import type { LanguageModel } from '../src/lm/types.ts';
import { headlinesAt, headlinesFromPrompt } from '../src/papers/finrllama/prompt.ts';
import { decisionDates, scoreDistribution, scoreNews, seedFor, teacherModel } from '../src/papers/finrllama/score.ts';
import { teacherScore } from '../src/papers/finrllama/teacher.ts';
import { handDataset } from './finrllama-fixture.ts';

const dates = ['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05'];
const ds = handDataset(dates, { AAA: [100, 101, 102, 103], BBB: [50, 51, 52, 53], CCC: [9, 9, 9, 9] }, [
  { id: '1', at: '2024-01-02T10:00:00-05:00', tickers: ['AAA'], headline: 'AAA beats estimates' },
  { id: '2', at: '2024-01-02T11:00:00-05:00', tickers: ['BBB'], headline: 'BBB hit with lawsuit' },
  { id: '3', at: '2024-01-03T17:00:00-05:00', tickers: ['AAA', 'BBB'], headline: 'AAA and BBB face probe' },
  { id: '4', at: '2024-01-05T10:00:00-05:00', tickers: ['CCC'], headline: 'CCC cafeteria wins award' },
]);

test('only (date, ticker) pairs with news in the decision session are scored, in date then ticker order', async () => {
  const recs = await scoreNews(teacherModel(), ds, dates);
  assert.deepEqual(
    recs.map((r) => [r.date, r.ticker, r.score, r.failed, r.headlines]),
    [
      ['2024-01-02', 'AAA', 4, false, 1],
      ['2024-01-02', 'BBB', -4, false, 1],
      ['2024-01-04', 'AAA', -4, false, 1], // published after the 01-03 close: counts for 01-04
      ['2024-01-04', 'BBB', -4, false, 1],
      ['2024-01-05', 'CCC', 4, false, 1],
    ],
  );
  assert.equal(recs[0].completion, ' 4');
});

test('scripted model: answers parsed, failures counted as 0; prompts carry only visible news', async () => {
  const prompts: string[] = [];
  const model = createFakeModel({
    script: (p) => {
      prompts.push(p);
      return p.includes('Stock: AAA') ? ' 9 points' : p.includes('Stock: BBB') ? ' -12' : ' neutral';
    },
  });
  const recs = await scoreNews(model, ds, dates);
  assert.deepEqual(
    recs.map((r) => [r.ticker, r.score, r.failed]),
    [
      ['AAA', 9, false],
      ['BBB', -10, false],
      ['AAA', 9, false],
      ['BBB', -10, false],
      ['CCC', 0, true],
    ],
  );
  assert.equal(recs[0].completion, ' 9 po', 'maxTokens 5 (the fake counts characters)');
  assert.deepEqual(headlinesFromPrompt(prompts[0]), ['AAA beats estimates']);
  assert.equal(model.calls.generate, 5);
});

test('fake bigram model: deterministic greedy and seeded sampling; seeds depend on (seed, date, ticker) only', async () => {
  const m = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 11, days: 80 }).dataset;
  const d = decisionDates(m).slice(20, 60);
  const a = await scoreNews(createFakeModel({ seed: 1 }), m, d, { temperature: 1, seed: 5 });
  const b = await scoreNews(createFakeModel({ seed: 1 }), m, d, { temperature: 1, seed: 5 });
  assert.ok(a.length > 10);
  assert.deepEqual(a, b);
  for (const r of a) {
    assert.equal(r.seed, seedFor(5, r.date, r.ticker));
    assert.ok(r.score >= -10 && r.score <= 10);
    if (r.failed) assert.equal(r.score, 0);
  }
  assert.notEqual(seedFor(5, '2024-01-02', 'AAA'), seedFor(5, '2024-01-02', 'BBB'));
  assert.notEqual(seedFor(5, '2024-01-02', 'AAA'), seedFor(6, '2024-01-02', 'AAA'));
  // a sub-range gives the same records for its dates (no hidden state across calls)
  const sub = await scoreNews(createFakeModel({ seed: 1 }), m, d.slice(10, 20), { temperature: 1, seed: 5 });
  assert.deepEqual(
    sub,
    a.filter((r) => r.date >= d[10] && r.date <= d[19]),
  );
});

test('expected score from log-probabilities: softmax over " -S".." S" answers', async () => {
  const { values, probs } = scoreDistribution(
    Array.from({ length: 7 }, (_, i) => (i === 4 ? Math.log(3) : i === 6 ? 0 : -Infinity)),
    3,
  );
  assert.deepEqual(values, [-3, -2, -1, 0, 1, 2, 3]);
  assert.ok(Math.abs(probs[4] - 0.75) < 1e-12 && Math.abs(probs[6] - 0.25) < 1e-12);
  // the teacher through the logprob path gives its own score
  const viaLogprobs = await scoreNews(teacherModel(), ds, dates, { method: 'expected' });
  assert.deepEqual(
    viaLogprobs.map((r) => r.score),
    [4, -4, -4, -4, 4],
  );
  // a model whose log-probs favour " 2\n" 3:1 over " -2\n" -> expected 1
  const asked: string[][] = [];
  const stub = {
    ...createFakeModel(),
    async logProbs(_p: string, cs: string[]) {
      asked.push(cs);
      return cs.map((c) => (c === ' 2\n' ? Math.log(3) : c === ' -2\n' ? 0 : -1e9));
    },
  } as LanguageModel;
  const recs = await scoreNews(stub, ds, dates.slice(0, 1), { method: 'expected' });
  assert.ok(Math.abs(recs[0].score - 1) < 1e-9);
  assert.equal(recs[0].completion, ' 2');
  assert.equal(asked[0].length, 21);
  assert.equal(asked[0][0], ' -10\n');
  const noLogprobs = { ...createFakeModel(), capabilities: { ...createFakeModel().capabilities, logprobs: false } };
  await assert.rejects(scoreNews(noLogprobs, ds, dates, { method: 'expected' }), /logprobs/);
});

test('teacher as a model agrees with the teacher on the synthetic market', async () => {
  const m = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 2, days: 63 }).dataset;
  const recs = await scoreNews(teacherModel(), m, decisionDates(m), { prompt: { variant: 'compact' } });
  assert.ok(recs.length > 20);
  for (const r of recs) {
    const view = createMarketView(m, closeDecisionTime(m, r.date));
    const heads = headlinesAt(view, r.ticker, r.date).map((n) => n.headline);
    assert.equal(heads.length, r.headlines);
    assert.equal(r.score, teacherScore(heads), `${r.date} ${r.ticker}`);
  }
  assert.ok(recs.some((r) => r.score !== 0) && recs.some((r) => r.score < 0));
});
