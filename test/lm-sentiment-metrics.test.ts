import assert from 'node:assert/strict';
import test from 'node:test';
import { accuracy, classificationReport, confusionMatrix, macroF1 } from '../src/lm/tasks/metrics.ts';
import { encodeExample, lrSchedule, toRows } from '../src/lm/tasks/sentiment.ts';
import { lmBaseline, lmWords } from '../src/lm/tasks/sentiment-data.ts';
import { trainBpe } from '../src/lm/tokenizer/index.ts';

const L = ['positive', 'negative', 'neutral'];

test('confusion matrix, accuracy and macro-F1 on a hand case', () => {
  const truth = ['positive', 'positive', 'negative', 'neutral', 'neutral', 'neutral'];
  const pred = ['positive', 'neutral', 'negative', 'neutral', 'positive', 'neutral'];
  assert.deepEqual(confusionMatrix(L, truth, pred), [
    [1, 0, 1],
    [0, 1, 0],
    [1, 0, 2],
  ]);
  assert.equal(accuracy(truth, pred), 4 / 6);
  // positive: P = 1/2, R = 1/2, F1 = 0.5; negative: 1, 1, 1; neutral: P = 2/3, R = 2/3, F1 = 2/3
  const r = classificationReport(L, truth, pred);
  assert.deepEqual(
    r.perClass.map((c) => [c.label, c.support, c.precision, c.recall]),
    [
      ['positive', 2, 0.5, 0.5],
      ['negative', 1, 1, 1],
      ['neutral', 3, 2 / 3, 2 / 3],
    ],
  );
  assert.ok(Math.abs(r.macroF1 - (0.5 + 1 + 2 / 3) / 3) < 1e-12);
  assert.equal(macroF1(L, truth, pred), r.macroF1);
});

test('macro-F1 counts a never-predicted class as F1 0', () => {
  const truth = ['positive', 'negative', 'neutral', 'neutral'];
  const pred = ['neutral', 'neutral', 'neutral', 'neutral'];
  // neutral: P = 2/4, R = 1 -> F1 = 2/3; the others 0
  assert.ok(Math.abs(macroF1(L, truth, pred) - 2 / 9) < 1e-12);
  assert.equal(accuracy(truth, pred), 0.5);
  assert.throws(() => confusionMatrix(L, ['bullish'], ['neutral']), /bullish/);
  assert.throws(() => accuracy(['neutral'], []), /1 true labels vs 0/);
});

test('word-list baseline: positive minus negative count, 0 -> neutral', () => {
  const lists = { positive: new Set(['GAIN', 'STRONG', 'IMPROVED']), negative: new Set(['LOSS', 'WEAK', "DIDN'T"]) };
  assert.deepEqual(lmWords("Net loss didn't narrow; 3 gains"), ['NET', 'LOSS', "DIDN'T", 'NARROW', 'GAINS']);
  assert.deepEqual(lmBaseline('Strong sales and an improved margin', lists), {
    label: 'positive',
    positive: 2,
    negative: 0,
  });
  assert.deepEqual(lmBaseline('A strong quarter, but a loss on weak demand', lists), {
    label: 'negative',
    positive: 1,
    negative: 2,
  });
  assert.equal(lmBaseline('The gain offsets the loss', lists).label, 'neutral');
  assert.equal(lmBaseline('The company is based in Espoo', lists).label, 'neutral');
});

test('examples: loss mask covers exactly the completion tokens; long sentences are cut, not the prompt suffix', () => {
  const tok = trainBpe('profit rose\nSentiment: positive\nloss widened\nSentiment: negative\n'.repeat(5), 300);
  const ex = encodeExample(tok, 'profit rose', 'positive', 64);
  const comp = tok.encode(' positive');
  assert.deepEqual(ex.ids.slice(ex.promptLen), comp);
  assert.equal(ex.ids[0], tok.bosId);
  assert.equal(tok.decode(ex.ids.slice(1)), 'profit rose\nSentiment: positive');
  const { inputs, targets, masks } = toRows([ex], 32, 2);
  const n = ex.ids.length - 1;
  assert.deepEqual([...(inputs[0] as Int32Array).slice(0, n)], ex.ids.slice(0, n));
  assert.deepEqual([...(targets[0] as Int32Array).slice(0, n)], ex.ids.slice(1));
  const maskedTargets = [...(targets[0] as Int32Array)].filter((_, t) => (masks[0] as Int32Array)[t] === 1);
  assert.deepEqual(maskedTargets, comp);
  assert.equal((inputs[0] as Int32Array)[31], 2); // right padding
  const long = encodeExample(tok, 'profit rose '.repeat(40), 'negative', 32);
  assert.equal(long.ids.length, 32);
  assert.equal(tok.decode(long.ids.slice(1)).endsWith('\nSentiment: negative'), true);
});

test('learning-rate schedule: linear warmup to the peak, cosine down to a tenth', () => {
  const f = lrSchedule(1e-3, 100); // warmup 5 steps
  assert.ok(Math.abs(f(1) - 2e-4) < 1e-15);
  assert.ok(Math.abs(f(5) - 1e-3) < 1e-15);
  assert.ok(Math.abs(f(100) - 1e-4) < 1e-15);
  assert.ok(f(50) < f(20) && f(50) > f(100));
});
