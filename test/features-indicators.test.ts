// Hand-computed indicator values (arithmetic in the comments), warm-up lengths, input checks and point-in-time
// behaviour. Needs nothing outside the repository.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../src/data/errors.ts';
import * as ind from '../src/features/indicators.ts';
import { computeIndicators, INDICATORS, type PriceColumns, parseIndicatorSpecs } from '../src/features/spec.ts';
import { createRng } from '../src/util/rng.ts';

const N = Number.NaN;
const f = (xs: number[]) => Float64Array.from(xs);

function near(actual: ArrayLike<number>, expected: number[], tol = 1e-12, label = '') {
  assert.equal(actual.length, expected.length, `${label} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${label}[${i}]: expected ${e}, got ${a}`);
  }
}

function randomPrices(n: number, seed: number): PriceColumns {
  const rng = createRng(seed);
  const close = new Float64Array(n);
  const open = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const volume = new Float64Array(n);
  let p = 50;
  for (let i = 0; i < n; i++) {
    open[i] = p * (1 + 0.003 * rng.normal());
    p = open[i] * (1 + 0.015 * rng.normal());
    close[i] = p;
    high[i] = Math.max(open[i], close[i]) * (1 + 0.004 * Math.abs(rng.normal()));
    low[i] = Math.min(open[i], close[i]) * (1 - 0.004 * Math.abs(rng.normal()));
    volume[i] = Math.round(1e5 * (1 + rng.next()));
  }
  return { open, high, low, close, volume };
}

test('SMA, EMA (both seeds), WMA by hand', () => {
  near(ind.sma(f([1, 2, 3, 4, 5]), 3), [N, N, 2, 3, 4]);
  // EMA(3), k = 0.5. SMA seed: mean(2,4,6) = 4; 4 + .5(8-4) = 6; 6 + .5(12-6) = 9.
  near(ind.ema(f([2, 4, 6, 8, 12]), 3), [N, N, 4, 6, 9]);
  // First-value seed: 2; 2+.5(4-2) = 3; 3+.5(6-3) = 4.5; 4.5+.5(8-4.5) = 6.25; 6.25+.5(12-6.25) = 9.125.
  near(ind.ema(f([2, 4, 6, 8, 12]), 3, { seed: 'first' }), [2, 3, 4.5, 6.25, 9.125]);
  // WMA(3): (1*1 + 2*2 + 3*3)/6 = 14/6; (1*2 + 2*3 + 3*4)/6 = 20/6.
  near(ind.wma(f([1, 2, 3, 4]), 3), [N, N, 14 / 6, 20 / 6]);
  // VWMA(2): (10*1 + 20*3)/4 = 17.5; (20*3 + 30*1)/4 = 22.5.
  near(ind.vwma(f([10, 20, 30]), f([1, 3, 1]), 2), [N, 17.5, 22.5]);
});

test('MACD with TA-Lib seeding: late-seeded fast EMA, line reported from slow+signal-2', () => {
  const x = f([1, 2, 4, 8, 16, 32]);
  // fast=2 (k=2/3), slow=3 (k=1/2), signal=2 (k=2/3). Both EMAs start at bar slow-1 = 2:
  // slow: mean(1,2,4) = 7/3; (7/3+8)/2 = 31/6; (31/6+16)/2 = 127/12; (127/12+32)/2 = 511/24.
  // fast: mean(x[1..2]) = 3 (NOT the EMA from bar 1); 3 + 2/3(8-3) = 19/3; 19/3 + 2/3(16-19/3) = 115/9;
  //       115/9 + 2/3(32-115/9) = 691/27.
  // line: 2/3, 7/6, 79/36, 929/216; signal: mean(2/3, 7/6) = 11/12 at bar 3; 11/12 + 2/3(79/36-11/12) = 191/108;
  //       191/108 + 2/3(929/216-191/108) = 280/81.
  const r = ind.macd(x, 2, 3, 2);
  near(r.macd, [N, N, N, 7 / 6, 79 / 36, 929 / 216]);
  near(r.signal, [N, N, N, 11 / 12, 191 / 108, 280 / 81]);
  near(r.hist, [N, N, N, 7 / 6 - 11 / 12, 79 / 36 - 191 / 108, 929 / 216 - 280 / 81]);
  // Seed 'sma' (technicalindicators): fast EMA from bar 1 = mean(1,2) = 1.5; 1.5 + 2/3(4-1.5) = 19/6 at bar 2.
  const s = ind.macd(x, 2, 3, 2, { seed: 'sma' });
  near(s.macd.subarray(0, 3), [N, N, 19 / 6 - 7 / 3]);
  // PVO on the same series: 100*(fast-slow)/slow; at bar 3: 100*(7/6)/(31/6) = 700/31; signal = mean(bar 2, bar 3).
  const p = ind.pvo(x, 2, 3, 2);
  near(p.pvo, [N, N, N, 700 / 31, (100 * 79) / 36 / (127 / 12), (100 * 929) / 216 / (511 / 24)]);
  assert.ok(Math.abs(p.signal[3] - (200 / 7 + 700 / 31) / 2) < 1e-12);
});

test('RSI (Wilder, SMA seed) by hand; flat series gives 0', () => {
  // RSI(2) on 1,2,1,3,2: changes +1,-1,+2,-1. Bar 2: gain (1+0)/2 = .5, loss (0+1)/2 = .5 -> 50.
  // Bar 3: gain (.5+2)/2 = 1.25, loss (.5+0)/2 = .25 -> 100*1.25/1.5. Bar 4: gain .625, loss .625 -> 50.
  near(ind.rsi(f([1, 2, 1, 3, 2]), 2), [N, N, 50, 250 / 3, 50]);
  near(ind.rsi(f([5, 5, 5, 5]), 2), [N, N, 0, 0]);
  near(ind.rsi(f([1, 2, 3, 4]), 2), [N, N, 100, 100]);
});

test('Bollinger bands (population std), stddev, z-score', () => {
  // The classic 2,4,4,4,5,5,7,9: mean 5, population std 2, sample std sqrt(32/7).
  const x = f([2, 4, 4, 4, 5, 5, 7, 9]);
  const b = ind.bbands(x, 8, 2);
  assert.equal(b.middle[7], 5);
  assert.ok(Math.abs(b.upper[7] - 9) < 1e-12 && Math.abs(b.lower[7] - 1) < 1e-12);
  assert.ok(Number.isNaN(b.upper[6]));
  assert.ok(Math.abs(ind.stddev(x, 8, { ddof: 1 })[7] - Math.sqrt(32 / 7)) < 1e-12);
  assert.ok(Math.abs(ind.zscore(x, 8)[7] - 2) < 1e-12); // (9-5)/2
  // Rolling: window [1,2,3] -> std sqrt(2/3); window [3,4,10]: mean 17/3, squared deviations (64+25+169)/9,
  // variance 258/27. The sliding update must match these two-pass values.
  near(ind.stddev(f([1, 2, 3, 4, 10]), 3), [N, N, Math.sqrt(2 / 3), Math.sqrt(2 / 3), Math.sqrt(258 / 27)]);
  near(ind.zscore(f([3, 3, 3]), 2), [N, 0, 0]); // zero std -> 0
});

// h, l, c of six bars used by the ATR and DMI cases; TR from bar 1: 2, 2, 3.5, 3, 2.
const H = f([10, 11, 12, 11.5, 12, 12, 13]);
const L = f([7, 9, 10, 8, 11, 10, 9]);
const C = f([9, 10, 11, 9, 11.5, 10.5, 12]);

test('true range and ATR, both seeds', () => {
  near(ind.trueRange(H, L, C), [N, 2, 2, 3.5, 3, 2, 4]);
  // TA-Lib: bar 2 = mean(TR1, TR2) = 2; (2*1 + 3.5)/2 = 2.75; (2.75 + 3)/2 = 2.875; (2.875+2)/2 = 2.4375; (2.4375+4)/2.
  near(ind.atr(H, L, C, 2), [N, N, 2, 2.75, 2.875, 2.4375, 3.21875]);
  // Tulip/ta: bar 1 = mean(h0-l0 = 3, TR1 = 2) = 2.5; (2.5+2)/2 = 2.25; (2.25+3.5)/2 = 2.875; ...
  near(ind.atr(H, L, C, 2, { seed: 'tulip' }), [N, 2.5, 2.25, 2.875, 2.9375, 2.46875, 3.234375]);
});

test('DMI, ADX and ADXR with TA-Lib seeding, by hand (n = 2)', () => {
  // +DM/-DM from bar 1: (1,0), (1,0), (0,2), (.5,0), (0,1), tie up=down=1 -> (0,0). TR: 2, 2, 3.5, 3, 2, 4.
  // Seeds (bars 1..n-1): P=1, M=0, T=2. Then S = S - S/2 + x:
  // bar 2: P=1.5 M=0 T=3  -> +DI 50, -DI 0, DX 100
  // bar 3: P=.75 M=2 T=5  -> +DI 15, -DI 40, DX 100*25/55 = 500/11;  ADX = mean(100, 500/11) = 800/11
  // bar 4: P=.875 M=1 T=5.5 -> DX = 100*.125/1.875 = 20/3; ADX = (800/11 + 20/3)/2 = 1310/33
  // bar 5: P=.4375 M=1.5 T=4.75 -> DX = 100*1.0625/1.9375 = 1700/31; ADX = (1310/33 + 1700/31)/2
  // bar 6: P=.21875 M=.75 T=6.375 -> DX = 100*.53125/.96875 = 1700/31
  const r = ind.dmi(H, L, C, 2);
  near(r.plusDi, [N, N, 50, 15, 87.5 / 5.5, 43.75 / 4.75, 21.875 / 6.375]);
  near(r.minusDi, [N, N, 0, 40, 100 / 5.5, 150 / 4.75, 75 / 6.375]);
  near(r.dx, [N, N, 100, 500 / 11, 20 / 3, 1700 / 31, 1700 / 31]);
  const a5 = (1310 / 33 + 1700 / 31) / 2;
  near(r.adx, [N, N, N, 800 / 11, 1310 / 33, a5, (a5 + 1700 / 31) / 2]);
  near(ind.adx(H, L, C, 2), [N, N, N, 800 / 11, 1310 / 33, a5, (a5 + 1700 / 31) / 2]);
  // ADXR(2) from bar 3n-2 = 4: (ADX_t + ADX_{t-1})/2.
  near(ind.adxr(H, L, C, 2), [
    N,
    N,
    N,
    N,
    (1310 / 33 + 800 / 11) / 2,
    (a5 + 1310 / 33) / 2,
    ((a5 + 1700 / 31) / 2 + a5) / 2,
  ]);
});

test('CCI, Williams %R, MFI, OBV, ROC, KDJ by hand', () => {
  // CCI(3) with h=l=c so TP = 1,2,3,4,2: windows (1,2,3) (2,3,4): avg 2/3, MD 2/3 -> 1/(.015*2/3) = 100;
  // (3,4,2): avg 3, MD 2/3, (2-3)/.01 = -100. A flat window gives 0.
  const tp = f([1, 2, 3, 4, 2]);
  near(ind.cci(tp, tp, tp, 3), [N, N, 100, 100, -100], 1e-9);
  near(ind.cci(f([5, 5, 5]), f([5, 5, 5]), f([5, 5, 5]), 2), [N, 0, 0]);
  // %R(3): HH 5, LL 1, c 4 -> -25; HH 5, LL 2, c 2.5 -> -100*2.5/3.
  const h = f([3, 4, 5, 4]);
  const l = f([1, 2, 3, 2]);
  const c = f([2, 3, 4, 2.5]);
  near(ind.willr(h, l, c, 3), [N, N, -25, -250 / 3]);
  // MFI(2), TP = 10, 11, 10.5, 12, volume 100..400: flows +2200 (bar 1), -3150 (bar 2), +4800 (bar 3).
  const m = f([10, 11, 10.5, 12]);
  near(ind.mfi(m, m, m, f([100, 200, 300, 400]), 2), [N, N, (100 * 2200) / 5350, (100 * 4800) / 7950]);
  near(ind.mfi(f([5, 5, 5]), f([5, 5, 5]), f([5, 5, 5]), f([1, 1, 1]), 2), [N, N, 0]); // no flow -> 0
  // OBV starts at volume[0]; equal close adds nothing.
  near(ind.obv(f([1, 2, 2, 1, 3]), f([10, 20, 30, 40, 50])), [10, 30, 30, -10, 40]);
  // ROC(2) percent: 12/10 -> 20; 9/11 -> -18.18...
  near(ind.roc(f([10, 11, 12, 9]), 2), [N, N, 20, (9 / 11 - 1) * 100]);
  // KDJ(3,3,3): RSV 100*(4-1)/(5-1) = 75; K = 2/3*50 + 75/3 = 175/3; D = 2/3*50 + K/3 = 475/9; J = 3K - 2D.
  // Next: RSV = 100*(2.5-2)/3 = 50/3; K = 2/3*175/3 + 50/9 = 400/9; D = 2/3*475/9 + 400/27 = 50; J = 400/3 - 100.
  const k = ind.kdj(h, l, c, 3, 3, 3);
  near(k.k, [N, N, 175 / 3, 400 / 9]);
  near(k.d, [N, N, 475 / 9, 50]);
  near(k.j, [N, N, 175 - 950 / 9, 400 / 3 - 100]);
});

test('Ichimoku: unshifted and displaced spans, rolling extremes', () => {
  const h = f([10, 12, 11, 13, 9, 14]);
  const l = f([8, 9, 7, 10, 6, 11]);
  near(ind.rollingMax(h, 3), [N, N, 12, 13, 13, 14]);
  near(ind.rollingMin(l, 3), [N, N, 7, 7, 6, 6]);
  // conversion(2): (12+8)/2, (12+7)/2, (13+7)/2, (13+6)/2, (14+6)/2; base(3) from bar 2; spanB(4) from bar 3.
  const r = ind.ichimoku(h, l, { conversion: 2, base: 3, spanB: 4 });
  near(r.conversion, [N, 10, 9.5, 10, 9.5, 10]);
  near(r.base, [N, N, 9.5, 10, 9.5, 10]);
  near(r.spanA, [N, N, 9.5, 10, 9.5, 10]);
  near(r.spanB, [N, N, N, 10, 9.5, 10]);
  // Displacement 1: the cloud under bar t is what was computed at t-1.
  const d = ind.ichimoku(h, l, { conversion: 2, base: 3, spanB: 4, displacement: 1 });
  near(d.spanA, [N, N, N, 9.5, 10, 9.5]);
  near(d.spanB, [N, N, N, N, 10, 9.5]);
  near(d.conversion, r.conversion as unknown as number[]);
});

test('every indicator: full-length output, warm-up = lookback, and point in time (prefix gives the same values)', () => {
  const full = randomPrices(400, 7);
  const cut = 250;
  const prefix: PriceColumns = {
    open: full.open.slice(0, cut),
    high: full.high.slice(0, cut),
    low: full.low.slice(0, cut),
    close: full.close.slice(0, cut),
    volume: full.volume.slice(0, cut),
  };
  const specs = parseIndicatorSpecs(INDICATORS.map((d) => d.name).join(','));
  const a = computeIndicators(full, specs);
  const b = computeIndicators(prefix, specs);
  for (const [name, col] of a) {
    assert.equal(col.length, 400, name);
    const p = b.get(name)!;
    for (let i = 0; i < cut; i++)
      assert.ok(Object.is(col[i], p[i]) || col[i] === p[i], `${name}[${i}] depends on bars after ${i}`);
    const first = col.findIndex((v) => !Number.isNaN(v));
    for (let i = first; i < col.length; i++) assert.ok(Number.isFinite(col[i]), `${name}[${i}] not finite`);
  }
  const first = (name: string) => a.get(name)!.findIndex((v) => !Number.isNaN(v));
  assert.equal(first('sma_20'), ind.lookback.sma(20));
  assert.equal(first('ema_20'), ind.lookback.ema(20));
  assert.equal(first('macd_12_26_9'), ind.lookback.macd(26, 9));
  assert.equal(first('macd_12_26_9'), 33);
  assert.equal(first('macd_signal_12_26_9'), 33);
  assert.equal(first('pvo_12_26_9'), 33);
  assert.equal(first('rsi_14'), 14);
  assert.equal(first('atr_14'), 14);
  assert.equal(first('adx_14'), 27);
  assert.equal(first('adxr_14'), 40);
  assert.equal(first('plus_di_14'), 14);
  assert.equal(first('cci_14'), 13);
  assert.equal(first('willr_14'), 13);
  assert.equal(first('mfi_14'), 14);
  assert.equal(first('obv'), 0);
  assert.equal(first('roc_10'), 10);
  assert.equal(first('bbands_upper_20_2'), 19);
  assert.equal(first('zscore_20'), 19);
  assert.equal(first('kdj_k_9_3_3'), 8);
  assert.equal(first('ichimoku_span_b_9_26_52_0'), 51);
  assert.equal(first('ichimoku_span_a_9_26_52_0'), 25);
});

test('input checks: NaN, short series, bad periods', () => {
  assert.throws(() => ind.sma(f([1, N, 3]), 2), /sma: x\[1\] is NaN/);
  assert.throws(() => ind.atr(f([1, 2]), f([1]), f([1, 2]), 1), /low has 1 values/);
  assert.throws(() => ind.ema(f([1, 2]), 0), RangeError);
  assert.throws(() => ind.sma(f([1, 2]), 1.5), RangeError);
  assert.throws(() => ind.macd(f([1, 2]), 26, 12, 9), /fast period 26 must be below/);
  assert.throws(() => ind.dmi(f([1, 2]), f([1, 2]), f([1, 2]), 1), RangeError);
  // Shorter than the warm-up: all NaN, same length.
  for (const out of [
    ind.sma(f([1, 2]), 3),
    ind.rsi(f([1, 2]), 3),
    ind.wma(f([1]), 2),
    ind.willr(f([1]), f([1]), f([1]), 3),
  ])
    assert.ok(out.every((v) => Number.isNaN(v)));
  assert.equal(ind.macd(new Float64Array(0)).macd.length, 0);
});

test('spec parsing: the documented column names, defaults, errors', () => {
  const specs = parseIndicatorSpecs(
    'sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14,adx:14,cci:14,willr:14,mfi:14,obv,roc:10',
  );
  assert.deepEqual(
    specs.flatMap((s) => s.columns),
    [
      'sma_20',
      'ema_20',
      'rsi_14',
      'macd_12_26_9',
      'macd_signal_12_26_9',
      'macd_hist_12_26_9',
      'bbands_upper_20_2',
      'bbands_middle_20_2',
      'bbands_lower_20_2',
      'atr_14',
      'adx_14',
      'cci_14',
      'willr_14',
      'mfi_14',
      'obv',
      'roc_10',
    ],
  );
  assert.deepEqual(
    parseIndicatorSpecs('rsi, bbands:10:2.5 ,ichimoku, kdj,pvo,zscore:75,atr:5').flatMap((s) => s.columns),
    [
      'rsi_14',
      'bbands_upper_10_2.5',
      'bbands_middle_10_2.5',
      'bbands_lower_10_2.5',
      'ichimoku_conversion_9_26_52_0',
      'ichimoku_base_9_26_52_0',
      'ichimoku_span_a_9_26_52_0',
      'ichimoku_span_b_9_26_52_0',
      'kdj_k_9_3_3',
      'kdj_d_9_3_3',
      'kdj_j_9_3_3',
      'pvo_12_26_9',
      'pvo_signal_12_26_9',
      'pvo_hist_12_26_9',
      'zscore_75',
      'atr_5',
    ],
  );
  const bad: [string, RegExp][] = [
    ['foo:3', /unknown indicator "foo"/],
    ['rsi:0', /rsi period "0" must be an integer >= 1/],
    ['sma:2.5', /sma period "2.5" must be an integer/],
    ['sma:x', /sma period "x"/],
    ['obv:3', /obv takes 0 parameter/],
    ['macd:26:12:9', /fast period 26 must be below slow period 12/],
    ['sma:20,sma:20', /repeats column sma_20/],
    ['sma:', /empty period/],
    ['bbands:20:-1', /bbands k "-1" must be a number >= 0/],
    [' , ', /no indicators/],
  ];
  for (const [text, re] of bad)
    assert.throws(
      () => parseIndicatorSpecs(text),
      (e: Error) => e instanceof UsageError && re.test(e.message),
      text,
    );
});
