import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fitFeedbackRidge,
  headlineTerms,
  RIDGE_LAMBDAS,
  type RidgeExample,
  solveRidge,
} from '../src/papers/finrllama/ridge.ts';
import { teacherScore } from '../src/papers/finrllama/teacher.ts';
import { createRng } from '../src/util/rng.ts';

test('solveRidge: (A + λI) w = v, checked by multiplying back', () => {
  const A = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
  const v = Float64Array.from([1, -2, 3]);
  const w = solveRidge(A, v, 3, 0.5);
  for (let i = 0; i < 3; i++) {
    let s = 0.5 * w[i];
    for (let j = 0; j < 3; j++) s += A[i * 3 + j] * w[j];
    assert.ok(Math.abs(s - v[i]) < 1e-12, `row ${i}: ${s} vs ${v[i]}`);
  }
  // a singular A (a word that never occurs) is fine with λ > 0, and refused without
  assert.deepEqual([...solveRidge(new Float64Array(4), Float64Array.from([0, 0]), 2, 1)], [0, 0]);
  assert.throws(() => solveRidge(new Float64Array(4), Float64Array.from([0, 0]), 2, 0), /positive definite/);
});

test('headlineTerms: lower-cased words and adjacent pairs, never a pair across two headlines', () => {
  assert.deepEqual(headlineTerms(['Acme DENIES layoffs', 'No deal']).sort(), [
    'acme',
    'acme denies',
    'deal',
    'denies',
    'denies layoffs',
    'layoffs',
    'no',
    'no deal',
  ]);
});

/**
 * A planted market: "X announces layoffs" falls 2 %, "X denies layoffs" rises 1 % (the word-list teacher scores both
 * negative), "X wins contract" rises 2 %, "X holds meeting" does nothing; noise N(0, 1 %).
 */
function planted(n: number, seed: number): RidgeExample[] {
  const rng = createRng(seed);
  const kinds: [string, number][] = [
    ['announces layoffs', -0.02],
    ['denies layoffs', 0.01],
    ['wins contract', 0.02],
    ['holds meeting', 0],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [text, mu] = kinds[i % kinds.length];
    const headlines = [`Company${i % 7} ${text}`];
    return {
      date: `2021-01-${String(1 + (i % 28)).padStart(2, '0')}`,
      ticker: `T${i % 7}`,
      headlines,
      teacher: teacherScore(headlines),
      d: mu + 0.01 * rng.normal(),
    };
  });
}

test('fitFeedbackRidge: learns from the feedback where the teacher is wrong, keeps it where it is right', () => {
  const fit = fitFeedbackRidge(planted(400, 1), planted(80, 2), { signalStrength: 10 });
  const score = (h: string) => fit.score({ headlines: [h], teacher: teacherScore([h]) });
  assert.ok(teacherScore(['Acme denies layoffs']) < 0, 'the teacher is wrong on the denial');
  assert.ok(score('Acme denies layoffs') > 0, `denial: ${score('Acme denies layoffs')}`);
  assert.ok(score('Acme announces layoffs') < -3);
  assert.ok(score('Acme wins contract') > 3);
  assert.ok(Math.abs(score('Acme holds meeting')) < 3);
  for (const h of ['Acme announces layoffs', 'Acme wins contract', 'Acme denies layoffs'])
    assert.ok(Math.abs(score(h)) <= 10);
  // λ: the value with the best validation IC, every λ tried and reported
  assert.deepEqual(Object.keys(fit.validationIc), RIDGE_LAMBDAS.map(String));
  const best = Math.max(...Object.values(fit.validationIc));
  assert.equal(fit.validationIc[String(fit.lambda)], best);
  // same inputs -> same fit
  const again = fitFeedbackRidge(planted(400, 1), planted(80, 2), { signalStrength: 10 });
  assert.equal(again.score({ headlines: ['Acme denies layoffs'], teacher: -4 }), score('Acme denies layoffs'));
});

test('fitFeedbackRidge: no validation slice -> the strongest shrinkage; no feedback at all -> refused', () => {
  const fit = fitFeedbackRidge(planted(100, 3), [], { signalStrength: 10 });
  assert.equal(fit.lambda, RIDGE_LAMBDAS[RIDGE_LAMBDAS.length - 1]);
  const noReturns = planted(10, 4).map((x) => ({ ...x, d: Number.NaN }));
  assert.throws(() => fitFeedbackRidge(noReturns, [], { signalStrength: 10 }), /no fit example/);
});
