// Indicator throughput: six indicators (SMA 20, EMA 20, RSI 14, MACD 12/26/9, Bollinger 20/2, ATR 14) over 1M bars,
// ours (src/features/indicators.ts) against the raw @ixjb94/indicators functions (Tulip conventions, JS arrays out).
import { IndicatorsSync } from '@ixjb94/indicators';
import { atr, bbands, ema, macd, rsi, sma } from '../src/features/indicators.ts';
import { createRng } from '../src/util/rng.ts';
import { type BenchResult, bestOfMs } from './types.ts';

const N = 1_000_000;

function randomBars(n: number, seed: number) {
  const rng = createRng(seed);
  const close = new Float64Array(n);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  let p = 100;
  for (let i = 0; i < n; i++) {
    p *= 1 + 0.01 * rng.normal();
    close[i] = p;
    high[i] = p * (1 + 0.005 * Math.abs(rng.normal()));
    low[i] = p * (1 - 0.005 * Math.abs(rng.normal()));
  }
  return { close, high, low };
}

const best = bestOfMs;

export async function bench(): Promise<BenchResult[]> {
  const { close, high, low } = randomBars(N, 42);
  const ours = best(() => {
    sma(close, 20);
    ema(close, 20);
    rsi(close, 14);
    macd(close, 12, 26, 9);
    bbands(close, 20, 2);
    atr(high, low, close, 14);
  });
  const ta = new IndicatorsSync();
  const c = close as unknown as number[];
  const h = high as unknown as number[];
  const l = low as unknown as number[];
  const raw = best(() => {
    ta.sma(c, 20);
    ta.ema(c, 20);
    ta.rsi(c, 14);
    ta.macd(c, 12, 26, 9);
    ta.bbands(c, 20, 2);
    ta.atr(h, l, c, 14);
  });
  return [
    {
      name: 'indicators: sma+ema+rsi+macd+bbands+atr over 1M bars (src/features)',
      value: ours,
      unit: 'ms',
      target: '<= 150',
      note: 'TA-Lib conventions, full-length Float64Array out, input finiteness checked',
    },
    {
      name: 'indicators: the same six in @ixjb94/indicators raw (comparison)',
      value: raw,
      unit: 'ms',
      note: 'Tulip conventions, compact JS arrays out',
    },
  ];
}
