// Golden values from empyrical's own test suite: quantopian/empyrical, empyrical/tests/test_stats.py at commit
// 0a9fa5848a3ed519be0f514df9e3a04fb7b37ad3 (DECIMAL_PLACES = 8 there; we assert 1e-8 too). Series are the ones defined
// at the top of TestStats; `period` DAILY = 252, WEEKLY = 52, MONTHLY = 12.
// Exception, the weekly/monthly Sortino rows: at that commit sortino_ratio called downside_risk without `period`, so
// its downside was always annualised with 252 (expected 0.5069 weekly). Later empyrical fixed it; those rows come from
// the later suite (a vendored copy in anfederico/gemini@b324416ccce6586710cb09e051cb521b072a81b0,
// empyrical/tests/test_stats.py): weekly 1.1158901056866439, monthly 0.53605626741889756.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  cumulativeLogReturn,
  cumulativeReturn,
  downsideRisk,
  maxDrawdown,
  sharpeRatio,
  sortinoRatio,
} from '../src/metrics/metrics.ts';

const pct = (xs: number[]) => Float64Array.from(xs, (x) => x / 100);
const simpleBenchmark = pct([0, 1, 0, 1, 0, 1, 0, 1, 0]);
const positiveReturns = pct([1, 2, 1, 1, 1, 1, 1, 1, 1]);
const negativeReturns = pct([0, -6, -7, -1, -9, -2, -6, -8, -5]);
const mixedReturns = pct([Number.NaN, 1, 10, -4, 2, 3, 2, 1, -10]);
const weeklyReturns = pct([0, 1, 10, -4, 2, 3, 2, 1, -10]); // same numbers as monthly_returns
const oneReturn = pct([1]);
const empty = new Float64Array(0);
const flatLine1 = new Float64Array(1000).fill(0.01);
const dfOne = [-0.00171614, 0.01322056, 0.03063862, -0.01422057, -0.00489779, 0.01268925, -0.03357711, 0.01797036];
const dfTwo = [0.01846232, 0.00793951, -0.01448395, 0.00422537, -0.00339611, 0.03756813, 0.0151531, 0.03549769];

function close(actual: number, expected: number, tol = 1e-8) {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
}

test('cumulative return (test_cum_returns_final, 4 decimals)', () => {
  close(cumulativeReturn(mixedReturns), 0.03893, 1e-4);
  close(cumulativeReturn(negativeReturns), -0.3659, 1e-4);
  close(cumulativeReturn(oneReturn), 0.01);
  assert.ok(Number.isNaN(cumulativeReturn(empty)));
  // Σ ln(1+r) is the log of the compounded growth
  close(cumulativeLogReturn(mixedReturns), Math.log1p(cumulativeReturn(mixedReturns)), 1e-12);
});

test('max drawdown (test_max_drawdown), as a positive fraction', () => {
  assert.ok(Number.isNaN(maxDrawdown(empty)));
  close(maxDrawdown(oneReturn), 0);
  close(maxDrawdown(simpleBenchmark), 0);
  close(maxDrawdown(mixedReturns), 0.1);
  close(maxDrawdown(positiveReturns), 0);
  close(maxDrawdown(negativeReturns), 0.365907303498736);
  close(maxDrawdown(pct([10, -10, 10])), 0.1);
});

test('max drawdown counts a loss on the first period (curve starts at 1; empyrical would give 0 here)', () => {
  close(maxDrawdown(pct([-10])), 0.1, 1e-15);
  close(maxDrawdown(pct([-10, 5])), 0.1, 1e-15);
});

test('annual return (test_annual_ret): n counts the missing period too', () => {
  close(annualReturn(mixedReturns, 252), 1.9135925373194231);
  close(annualReturn(weeklyReturns, 52), 0.24690830513998208);
  close(annualReturn(weeklyReturns, 12), 0.052242061386048144);
});

test('annual volatility (test_annual_volatility)', () => {
  close(annualVolatility(flatLine1, 252), 0);
  close(annualVolatility(mixedReturns, 252), 0.9136465399704637);
  close(annualVolatility(weeklyReturns, 52), 0.38851569394870583);
  close(annualVolatility(weeklyReturns, 12), 0.18663690238892558);
});

test('calmar (test_calmar)', () => {
  assert.ok(Number.isNaN(calmarRatio(empty)));
  assert.ok(Number.isNaN(calmarRatio(oneReturn)));
  close(calmarRatio(mixedReturns, 252), 19.135925373194233);
  close(calmarRatio(weeklyReturns, 52), 2.4690830513998208);
  close(calmarRatio(weeklyReturns, 12), 0.52242061386048144);
});

test('sharpe (test_sharpe_ratio)', () => {
  assert.ok(Number.isNaN(sharpeRatio(empty)));
  assert.ok(Number.isNaN(sharpeRatio(oneReturn)));
  close(sharpeRatio(mixedReturns, 0), 1.7238613961706866);
  close(sharpeRatio(positiveReturns, 0), 52.915026221291804);
  close(sharpeRatio(negativeReturns, 0), -24.406808633910085);
  // constant excess returns: std = 0 -> undefined
  assert.ok(Number.isNaN(sharpeRatio(flatLine1, 0)));
});

test('downside risk (test_downside_risk)', () => {
  assert.ok(Number.isNaN(downsideRisk(empty)));
  close(downsideRisk(oneReturn, 0), 0);
  close(downsideRisk(mixedReturns, 0, 252), 0.60448325038829653);
  close(downsideRisk(mixedReturns, 0.1, 252), 1.7161730681956295);
  close(downsideRisk(weeklyReturns, 0, 52), 0.25888650451930134);
  close(downsideRisk(weeklyReturns, 0.1, 52), 0.7733045971672482);
  close(downsideRisk(weeklyReturns, 0, 12), 0.1243650540411842);
  close(downsideRisk(weeklyReturns, 0.1, 12), 0.37148351242013422);
  close(downsideRisk(dfOne, 0, 252), 0.20671788246185202);
  close(downsideRisk(dfTwo, 0, 252), 0.083495680595704475);
  close(downsideRisk(dfOne, 0, 52), 0.093902996054410062);
  close(downsideRisk(dfTwo, 0, 12), 0.018220251263412916);
});

test('sortino (test_sortino)', () => {
  assert.ok(Number.isNaN(sortinoRatio(empty)));
  assert.ok(Number.isNaN(sortinoRatio(oneReturn)));
  close(sortinoRatio(mixedReturns, 0, 252), 2.605531251673693);
  // empyrical passes flat_line_1 (0.01 every day) as required_return: the same as the scalar 0.01
  close(sortinoRatio(mixedReturns, 0.01, 252), -1.3934779588919977);
  assert.equal(sortinoRatio(positiveReturns, 0, 252), Number.POSITIVE_INFINITY);
  close(sortinoRatio(negativeReturns, 0, 252), -13.532743075043401);
  assert.equal(sortinoRatio(simpleBenchmark, 0, 252), Number.POSITIVE_INFINITY);
  close(sortinoRatio(weeklyReturns, 0, 52), 1.1158901056866439);
  close(sortinoRatio(weeklyReturns, 0, 12), 0.53605626741889756);
  close(sortinoRatio(dfOne, 0, 252), 3.0639640966566306);
  close(sortinoRatio(dfTwo, 0, 252), 38.090963117002495);
  close(sortinoRatio(dfOne, 0, 52), 1.3918264112070571);
  close(sortinoRatio(dfTwo, 0, 52), 17.303077589064618);
  close(sortinoRatio(dfOne, 0, 12), 0.6686117809312383);
  close(sortinoRatio(dfTwo, 0, 12), 8.3121296084492844);
});

test('number[] input gives the same as Float64Array', () => {
  close(sharpeRatio(Array.from(mixedReturns), 0), 1.7238613961706866);
});
