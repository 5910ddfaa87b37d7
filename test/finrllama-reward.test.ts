import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScore } from '../src/papers/finrllama/parse.ts';
import { forwardReturn, forwardReturns, LOOKAHEAD, stepReward, tickerReward } from '../src/papers/finrllama/reward.ts';
import { handDataset } from './finrllama-fixture.ts';

test('parse: first number after the anchor, in the whole text or the completion alone', () => {
  assert.deepEqual(parseScore('SENTIMENT SCORE: 7'), { score: 7, failed: false, clamped: false });
  assert.deepEqual(parseScore(' 7'), { score: 7, failed: false, clamped: false });
  assert.deepEqual(parseScore(' -8\nNews'), { score: -8, failed: false, clamped: false });
  assert.deepEqual(parseScore('\n\n 6 because'), { score: 6, failed: false, clamped: false });
  assert.deepEqual(parseScore(' 3.5'), { score: 3.5, failed: false, clamped: false });
  assert.deepEqual(parseScore(' 7 or 8'), { score: 7, failed: false, clamped: false });
  // the prompt's examples say "Sentiment Score:" (not the anchor), so a full echo parses the answer
  const echoed = '"Company X announces layoffs." Sentiment Score: -8\n...\nSENTIMENT SCORE: 4\n';
  assert.equal(parseScore(echoed).score, 4);
});

test('parse: clamped to [-S, S]; no number -> 0 and a failure', () => {
  assert.deepEqual(parseScore(' 12'), { score: 10, failed: false, clamped: true });
  assert.deepEqual(parseScore(' -15'), { score: -10, failed: false, clamped: true });
  assert.deepEqual(parseScore(' 12', 12), { score: 12, failed: false, clamped: false });
  assert.deepEqual(parseScore(' positive'), { score: 0, failed: true, clamped: false });
  assert.deepEqual(parseScore(''), { score: 0, failed: true, clamped: false });
  assert.deepEqual(parseScore(' +5'), { score: 0, failed: true, clamped: false }, 'the code regex takes no plus sign');
  assert.deepEqual(parseScore(' - 5'), { score: 0, failed: true, clamped: false });
  assert.ok(Object.is(parseScore(' -0').score, 0), 'no negative zero');
});

test('reward, long branch (both modes): thresholds 2 % and 0, high confidence s > 6', () => {
  for (const mode of ['fixed', 'as-coded'] as const) {
    const r = (s: number, d: number) => tickerReward(s, d, { mode });
    assert.equal(r(7, 0.03), 2);
    assert.equal(r(5, 0.03), 1);
    assert.equal(r(3, 0.021), 1, 's = T goes long');
    assert.equal(r(7, -0.01), -2);
    assert.equal(r(3, -0.01), -1);
    assert.equal(r(8, 0.01), 0.5);
    assert.equal(r(4, 0), 0.1, 'd = 0 is neither up nor down');
    assert.equal(r(6, 0.02), 0.1, 'd = 2 % exactly is not strong; s = 6 is not high confidence');
    assert.equal(r(2.9, 0.5), -0.001, 'below T: no position');
  }
});

test('reward, short branch fixed: mirrors the long one', () => {
  const r = (s: number, d: number) => tickerReward(s, d);
  assert.equal(r(-7, -0.03), 2);
  assert.equal(r(-3, -0.03), 1);
  assert.equal(r(-8, 0.01), -2);
  assert.equal(r(-5, 0.01), -1);
  assert.equal(r(-7, -0.01), 0.5);
  assert.equal(r(-4, 0), 0.1);
  assert.equal(r(-4, -0.02), 0.1, 'd = -2 % exactly is not strong');
  assert.equal(r(-6, -0.05), 1, 's = -6 is not high confidence');
  assert.equal(r(-2, -0.5), -0.001);
  assert.equal(r(0, 0.1), -0.001);
});

test('reward, short branch as coded: -1 when d < 2 %, +1 when d >= 2 % (a short is paid when the price rises)', () => {
  const r = (s: number, d: number) => tickerReward(s, d, { mode: 'as-coded' });
  assert.equal(r(-7, -0.03), -1, 'a correct, confident short is punished');
  assert.equal(r(-3, -0.03), -1);
  assert.equal(r(-5, 0.01), -1);
  assert.equal(r(-9, 0.0199), -1);
  assert.equal(r(-5, 0.02), 1, 'd = 2 % skips the first branch and lands in `d > 0`');
  assert.equal(r(-9, 0.05), 1, 'no high-confidence bonus: s > 6 is never true for a short');
  assert.equal(r(-2, 0.05), -0.001);
  assert.equal(tickerReward(-3, 0.03, { mode: 'as-coded', threshold: 4 }), -0.001, 'T is a parameter');
  assert.throws(() => r(-5, Number.NaN), RangeError);
});

test('reward, signed-return: (s / S) · d · 100, no threshold', () => {
  const r = (s: number, d: number, S?: number) => tickerReward(s, d, { mode: 'signed-return', signalStrength: S });
  assert.ok(Math.abs(r(5, 0.02) - 1) < 1e-12); // half size long, +2 % -> +1
  assert.ok(Math.abs(r(-10, 0.03) - -3) < 1e-12); // full short, +3 % -> -3
  assert.ok(Math.abs(r(2, -0.01) - -0.2) < 1e-12); // below T still counts: 0.2 long, -1 %
  assert.equal(r(0, 0.05), 0);
  assert.ok(Math.abs(r(-3, -0.04, 6) - 2) < 1e-12); // S = 6: -0.5 × -4 %
  assert.throws(() => r(1, Number.NaN), /finite/);
});

test('reward, signed-return with a position penalty λ: w·d·100 − λ·w², best at w = 50·d/λ', () => {
  const r = (s: number, d: number, l: number) =>
    tickerReward(s, d, { mode: 'signed-return', signalStrength: 10, positionPenalty: l });
  assert.ok(Math.abs(r(5, 0.02, 1) - (1 - 0.25)) < 1e-12);
  assert.ok(Math.abs(r(-10, 0.03, 2) - (-3 - 2)) < 1e-12);
  assert.equal(r(0, 0.05, 3), 0);
  // expected move +1 %, λ = 1: the best answer on the −10..10 grid is w = 0.5 (s = 5)
  const best = Array.from({ length: 21 }, (_, i) => i - 10).reduce((a, s) => (r(s, 0.01, 1) > r(a, 0.01, 1) ? s : a));
  assert.equal(best, 5);
  // nothing expected: no position is best
  const flat = Array.from({ length: 21 }, (_, i) => i - 10).reduce((a, s) => (r(s, 0, 1) > r(a, 0, 1) ? s : a));
  assert.equal(flat, 0);
});

test('forward returns of every ticker and their excess over the equal-weight mean', () => {
  const ds = handDataset(['2024-01-02', '2024-01-03', '2024-01-04'], {
    A: [10, 11, 12],
    B: [20, 20, 19],
    C: [5, 5, 5],
  });
  const { raw, excess } = forwardReturns(ds.bars, '2024-01-02', 2);
  assert.ok(Math.abs(raw.get('A')! - 0.2) < 1e-15);
  assert.ok(Math.abs(raw.get('B')! - -0.05) < 1e-15);
  const mean = (0.2 - 0.05 + 0) / 3;
  assert.ok(Math.abs(excess.get('A')! - (0.2 - mean)) < 1e-15);
  assert.ok(Math.abs(excess.get('C')! - -mean) < 1e-15);
  const end = forwardReturns(ds.bars, '2024-01-03', 2);
  assert.ok([...end.raw.values(), ...end.excess.values()].every(Number.isNaN), 'past the end: NaN, not 0');
});

test('step reward: the sum over tickers; unknown forward returns are listed, not scored', () => {
  const scores = { A: 7, B: -5, C: 0, D: 4 };
  const fwd = { A: 0.03, B: -0.05, C: 0.5, D: Number.NaN };
  const fixed = stepReward(scores, fwd);
  assert.equal(fixed.reward, 2 + 1 - 0.001);
  assert.deepEqual(fixed.perTicker, { A: 2, B: 1, C: -0.001 });
  assert.deepEqual(fixed.missing, ['D']);
  const coded = stepReward(scores, fwd, { mode: 'as-coded' });
  assert.equal(coded.reward, 2 - 1 - 0.001);
  assert.deepEqual(stepReward({ E: 5 }, {}).missing, ['E']);
});

test('forward return: close[t + L] / close[t] - 1 from the decision close, adjusted by default', () => {
  const ds = handDataset(['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-08'], {
    A: [10, 11, 12, 9, 10],
  });
  const b = ds.bars.get('A')!;
  assert.ok(Math.abs(forwardReturn(b, '2024-01-02', 3) - -0.1) < 1e-15);
  assert.ok(Math.abs(forwardReturn(b, '2024-01-03', 1) - (12 / 11 - 1)) < 1e-15);
  assert.ok(Number.isNaN(forwardReturn(b, '2024-01-04', 3)), 'past the end');
  assert.ok(Number.isNaN(forwardReturn(b, '2024-01-06', 1)), 'not a bar date');
  b.adjClose[4] = 20; // adjusted and raw differ on the last day
  assert.equal(forwardReturn(b, '2024-01-02', 4), 1);
  assert.equal(forwardReturn(b, '2024-01-02', 4, 'raw'), 0);
  assert.throws(() => forwardReturn(b, '2024-01-02', 0), RangeError);
  assert.deepEqual(LOOKAHEAD, { paper: 3, asCodedEnv: 14 });
});
