// Labels: pandas-equivalent building blocks, Trading-R1 Algorithm S1 (both directions) and forward returns,
// with hand-computed values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  forwardLogReturns,
  forwardReturns,
  pandasEwmMean,
  quantileLinear,
  rollingSampleStd,
  TRADING_R1_CLASSES,
  tradingR1Labels,
} from '../src/features/labels.ts';
import { createRng } from '../src/util/rng.ts';

const N = Number.NaN;

function near(actual: ArrayLike<number>, expected: number[], tol = 1e-12) {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) assert.ok(Number.isNaN(actual[i]), `[${i}] expected NaN, got ${actual[i]}`);
    else assert.ok(Math.abs(actual[i] - e) <= tol, `[${i}] expected ${e}, got ${actual[i]}`);
  });
}

function walk(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const p = new Float64Array(n);
  let x = 100;
  for (let i = 0; i < n; i++) {
    x *= Math.exp(0.0004 + 0.015 * rng.normal());
    p[i] = x;
  }
  return p;
}

test('pandas equivalents: ewm(span) adjust=True/False, rolling std ddof 1, linear quantile', () => {
  // span 3 -> alpha 1/2. adjust=True: 1; (2 + .5*1)/1.5; (3 + .5*2 + .25*1)/1.75.
  near(pandasEwmMean([1, 2, 3], 3), [1, 2.5 / 1.5, 4.25 / 1.75]);
  near(pandasEwmMean([1, 2, 3], 3, false), [1, 1.5, 2.25]);
  near(rollingSampleStd([1, 2, 3, 4], 3), [N, N, 1, 1]);
  near(rollingSampleStd([1, N, 3, 4, 5], 2), [N, N, N, Math.SQRT1_2, Math.SQRT1_2]);
  assert.equal(quantileLinear([4, 1, 3, 2], 0.5), 2.5);
  assert.ok(Math.abs(quantileLinear([1, 2, 3, 4, N], 0.03) - 1.09) < 1e-12); // pos .03*3 = .09
  assert.ok(Number.isNaN(quantileLinear([N], 0.5)));
});

test('Trading-R1 labels by hand on a small configuration (span 1, one horizon, window 2)', () => {
  // EMA with span 1 is the price itself. Prices 64,128,64,128,64: forward R_1 = 1, -.5, 1, -.5, NaN (exact).
  // V = rolling(2).std() = |R_t - R_{t-1}|/sqrt 2 = 1.5/sqrt 2 from t = 1; S = R/V: -a, b, -a with
  // a = sqrt2/3, b = 2 sqrt2/3.
  const p = [64, 128, 64, 128, 64];
  const small = { emaSpan: 1, horizons: [1], weights: [1], volWindow: 2 };
  const r = tradingR1Labels(p, small);
  const a = Math.SQRT2 / 3;
  const b = (2 * Math.SQRT2) / 3;
  near(r.signal, [N, -a, b, -a, N], 1e-12);
  // Sorted valid signal (-a, -a, b): q.03 and q.15 -> -a; q.53 -> -a + (a+b)*.06; q.85 -> -a + (a+b)*.7.
  near(r.thresholds, [-a, -a, -a + (a + b) * 0.06, -a + (a + b) * 0.7], 1e-12);
  assert.deepEqual(r.labels, [null, 'HOLD', 'STRONG_BUY', 'HOLD', null]);
  near(r.classIndex, [N, 0, 2, 0, N]);
  // Trailing: R_1 = NaN, 1, -.5, 1, -.5 -> S from t = 2: -a, b, -a.
  near(tradingR1Labels(p, { ...small, direction: 'trailing' }).signal, [N, N, -a, b, -a], 1e-12);
  // Fixed cut-offs instead of quantiles: -a = -.47 is SELL under (-.6, -.3, 0, .5).
  const fixed = tradingR1Labels(p, { ...small, thresholds: [-0.6, -0.3, 0, 0.5] });
  assert.deepEqual(fixed.labels, [null, 'SELL', 'STRONG_BUY', 'SELL', null]);
});

test('Trading-R1 defaults: EMA span 3, horizons 3/7/15, weights .3/.5/.2, window 20 match a direct computation', () => {
  const p = walk(120, 3);
  const r = tradingR1Labels(p);
  assert.equal(r.direction, 'forward');
  const e = pandasEwmMean(p, 3);
  // Day 40 by hand from the definitions (forward): S_tau = R_tau(t) / std(R_tau(t-19..t), ddof 1).
  const t = 40;
  let w = 0;
  for (const [tau, wt] of [
    [3, 0.3],
    [7, 0.5],
    [15, 0.2],
  ]) {
    const R = (s: number) => (e[s + tau] - e[s]) / e[s];
    const xs = Array.from({ length: 20 }, (_, k) => R(t - 19 + k));
    const m = xs.reduce((a, b) => a + b, 0) / 20;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / 19);
    w += wt * (R(t) / sd);
  }
  assert.ok(Math.abs(r.signal[t] - w) < 1e-12);
  // Valid from t = 19 (window) to n-1-15 (longest horizon); trailing from 15+19 = 34 to the end.
  const valid = (a: Float64Array) => [a.findIndex((v) => !Number.isNaN(v)), a.findLastIndex((v) => !Number.isNaN(v))];
  assert.deepEqual(valid(r.signal), [19, 120 - 1 - 15]);
  assert.deepEqual(valid(tradingR1Labels(p, { direction: 'trailing' }).signal), [34, 119]);
});

test('trailing is the forward signal shifted by the horizon (one horizon); class mix follows the quantiles', () => {
  const p = walk(600, 11);
  const fwd = tradingR1Labels(p, { horizons: [5], weights: [1] });
  const trl = tradingR1Labels(p, { horizons: [5], weights: [1], direction: 'trailing' });
  for (let t = 5; t < 600; t++) {
    const a = trl.signal[t];
    const b = fwd.signal[t - 5];
    assert.ok((Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) < 1e-9, `t=${t}`);
  }
  const r = tradingR1Labels(p);
  const counts = TRADING_R1_CLASSES.map((c) => r.labels.filter((l) => l === c).length);
  const total = counts.reduce((a, b) => a + b, 0);
  const share = counts.map((c) => c / total);
  [0.03, 0.12, 0.38, 0.32, 0.15].forEach((want, i) => {
    assert.ok(Math.abs(share[i] - want) < 0.01, `${TRADING_R1_CLASSES[i]} share ${share[i]}`);
  });
});

test('forward labels look ahead: changing a later price changes the forward signal but not the trailing one', () => {
  const p = walk(200, 5);
  const q = Float64Array.from(p);
  q[150] *= 1.2;
  const t = 140;
  assert.notEqual(tradingR1Labels(p).signal[t], tradingR1Labels(q).signal[t]);
  assert.equal(
    tradingR1Labels(p, { direction: 'trailing' }).signal[t],
    tradingR1Labels(q, { direction: 'trailing' }).signal[t],
  );
});

test('forward returns and log returns', () => {
  near(forwardReturns([10, 11, 12.1, 9.68], 1), [0.1, 0.1, 9.68 / 12.1 - 1, N], 1e-12);
  near(forwardReturns([10, 11, 12.1], 2), [0.21, N, N], 1e-12);
  near(forwardLogReturns([10, 11, 12.1], 2), [Math.log(1.21), N, N], 1e-12);
  assert.throws(() => forwardReturns([1, 2], 0), RangeError);
  assert.throws(() => tradingR1Labels([1, 0, 2]), /price\[1\] is 0/);
});
