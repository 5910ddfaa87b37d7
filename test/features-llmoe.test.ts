// LLMoE daily features and 5-day windows: hand-computed values, warm-up, window layout, point in time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LLMOE_FEATURES,
  LLMOE_FIRST_DAY,
  LLMOE_FIRST_WINDOW,
  LLMOE_VECTOR_SIZE,
  llmoeDailyFeatures,
  llmoeWindow,
  llmoeWindowColumns,
  llmoeWindowMatrix,
} from '../src/features/llmoe.ts';

/** close_t = 100 + t; adjusted = close/2; open = close - 1, high = close + 2, low = close - 3. */
function series(n: number) {
  const close = Float64Array.from({ length: n }, (_, t) => 100 + t);
  return {
    open: close.map((c) => c - 1),
    high: close.map((c) => c + 2),
    low: close.map((c) => c - 3),
    close,
    adjClose: close.map((c) => c / 2),
  };
}

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-14, `${a} vs ${b}`);

test('the 11 daily features by hand', () => {
  const f = llmoeDailyFeatures(series(40));
  near(f.z_open[0], 99 / 100 - 1);
  near(f.z_high[0], 102 / 100 - 1);
  near(f.z_low[0], 97 / 100 - 1);
  assert.ok(Number.isNaN(f.z_close[0]) && Number.isNaN(f.z_adj_close[0]));
  near(f.z_close[1], 101 / 100 - 1);
  near(f.z_adj_close[1], 50.5 / 50 - 1);
  // z_d5 at t = 4: mean(50, 50.5, 51, 51.5, 52) = 51, over adj_4 = 52.
  assert.ok(Number.isNaN(f.z_d5[3]));
  near(f.z_d5[4], 51 / 52 - 1);
  // z_d30 at t = 29: mean of adj 0..29 = (50 + 64.5)/2 = 57.25, over 64.5; at t = 30: (50.5 + 65)/2 over 65.
  assert.ok(Number.isNaN(f.z_d30[28]));
  near(f.z_d30[29], 57.25 / 64.5 - 1);
  near(f.z_d30[30], 57.75 / 65 - 1);
  near(f.z_d10[12], 53.75 / 56 - 1); // adj 3..12 = 51.5..56, mean 53.75, over adj_12 = 56
});

test('raw close change shows a split, adjusted change does not', () => {
  const s = series(6);
  // A 2:1 split at t = 3: raw prices halve, the adjusted series is continuous.
  for (const k of ['open', 'high', 'low', 'close'] as const) for (let t = 3; t < 6; t++) s[k][t] /= 2;
  const f = llmoeDailyFeatures(s);
  near(f.z_close[3], 103 / 2 / 102 - 1);
  near(f.z_adj_close[3], 51.5 / 51 - 1);
  near(f.z_open[3], 102 / 103 - 1); // same-day ratio, unaffected
});

test('55-vector: days t-4..t oldest first, 11 features per day; first full window at t = 33', () => {
  assert.equal(LLMOE_FEATURES.length, 11);
  assert.equal(LLMOE_VECTOR_SIZE, 55);
  assert.equal(LLMOE_FIRST_DAY, 29);
  assert.equal(LLMOE_FIRST_WINDOW, 33);
  const f = llmoeDailyFeatures(series(40));
  assert.equal(llmoeWindow(f, 32), null); // day 28 lacks z_d30
  const v = llmoeWindow(f, 33)!;
  assert.equal(v.length, 55);
  LLMOE_FEATURES.forEach((name, j) => {
    assert.equal(v[j], f[name][29], `day t-4 ${name}`);
    assert.equal(v[44 + j], f[name][33], `day t ${name}`);
  });
  const cols = llmoeWindowColumns();
  assert.equal(cols.length, 55);
  assert.equal(cols[0], 'z_open_lag4');
  assert.equal(cols[54], 'z_d30_lag0');
  const m = llmoeWindowMatrix(f);
  for (let j = 0; j < 55; j++) {
    assert.ok(Number.isNaN(m[j][32]));
    assert.equal(m[j][35], llmoeWindow(f, 35)![j]);
  }
});

test('point in time: features of day t do not change when later rows change', () => {
  const a = series(40);
  const b = series(40);
  for (const k of ['open', 'high', 'low', 'close', 'adjClose'] as const) for (let t = 35; t < 40; t++) b[k][t] *= 1.7;
  const fa = llmoeDailyFeatures(a);
  const fb = llmoeDailyFeatures(b);
  for (const name of LLMOE_FEATURES)
    for (let t = 0; t < 35; t++) assert.ok(Object.is(fa[name][t], fb[name][t]), `${name}[${t}]`);
  assert.deepEqual(llmoeWindow(fa, 34), llmoeWindow(fb, 34));
  assert.notDeepEqual(llmoeWindow(fa, 35), llmoeWindow(fb, 35));
});
