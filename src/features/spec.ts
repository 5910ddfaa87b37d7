// Indicator specs as written on the command line ("sma:20,macd:12:26:9,obv") and the columns they produce.
// Column naming: `<output>_<params joined by _>` with every parameter resolved (defaults included), e.g. `sma_20`,
// `macd_signal_12_26_9`, `bbands_upper_20_2`; an indicator without parameters is just its name (`obv`).
import { UsageError } from '../data/errors.ts';
import * as ind from './indicators.ts';

/** The price columns an indicator can read. */
export interface PriceColumns {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}
export type PriceField = keyof PriceColumns;

interface ParamDef {
  name: string;
  default: number;
  /** Integer >= 1 unless `real` (finite >= 0) or `min` says otherwise. */
  real?: boolean;
  min?: number;
}

export interface IndicatorDef {
  name: string;
  description: string;
  params: ParamDef[];
  inputs: PriceField[];
  /** Output column prefixes, in column order. */
  outputs: string[];
  compute(p: PriceColumns, args: number[]): Float64Array[];
}

const P = (name: string, def: number, extra: Partial<ParamDef> = {}): ParamDef => ({ name, default: def, ...extra });
const HLC: PriceField[] = ['high', 'low', 'close'];

export const INDICATORS: readonly IndicatorDef[] = [
  {
    name: 'sma',
    description: 'simple moving average of close',
    params: [P('period', 20)],
    inputs: ['close'],
    outputs: ['sma'],
    compute: (p, [n]) => [ind.sma(p.close, n)],
  },
  {
    name: 'ema',
    description: 'exponential moving average of close (SMA seed)',
    params: [P('period', 20)],
    inputs: ['close'],
    outputs: ['ema'],
    compute: (p, [n]) => [ind.ema(p.close, n)],
  },
  {
    name: 'wma',
    description: 'linearly weighted moving average of close',
    params: [P('period', 20)],
    inputs: ['close'],
    outputs: ['wma'],
    compute: (p, [n]) => [ind.wma(p.close, n)],
  },
  {
    name: 'vwma',
    description: 'volume-weighted moving average of close',
    params: [P('period', 20)],
    inputs: ['close', 'volume'],
    outputs: ['vwma'],
    compute: (p, [n]) => [ind.vwma(p.close, p.volume, n)],
  },
  {
    name: 'macd',
    description: 'MACD line, signal and histogram (TA-Lib seeding)',
    params: [P('fast', 12), P('slow', 26), P('signal', 9)],
    inputs: ['close'],
    outputs: ['macd', 'macd_signal', 'macd_hist'],
    compute: (p, [f, s, g]) => {
      const r = ind.macd(p.close, f, s, g);
      return [r.macd, r.signal, r.hist];
    },
  },
  {
    name: 'rsi',
    description: 'relative strength index (Wilder)',
    params: [P('period', 14)],
    inputs: ['close'],
    outputs: ['rsi'],
    compute: (p, [n]) => [ind.rsi(p.close, n)],
  },
  {
    name: 'bbands',
    description: 'Bollinger bands: SMA +/- k population std',
    params: [P('period', 20), P('k', 2, { real: true })],
    inputs: ['close'],
    outputs: ['bbands_upper', 'bbands_middle', 'bbands_lower'],
    compute: (p, [n, k]) => {
      const r = ind.bbands(p.close, n, k);
      return [r.upper, r.middle, r.lower];
    },
  },
  {
    name: 'zscore',
    description: 'rolling z-score of close (population std)',
    params: [P('period', 20, { min: 2 })],
    inputs: ['close'],
    outputs: ['zscore'],
    compute: (p, [n]) => [ind.zscore(p.close, n)],
  },
  {
    name: 'atr',
    description: 'average true range (Wilder)',
    params: [P('period', 14)],
    inputs: HLC,
    outputs: ['atr'],
    compute: (p, [n]) => [ind.atr(p.high, p.low, p.close, n)],
  },
  {
    name: 'adx',
    description: 'average directional index (Wilder)',
    params: [P('period', 14, { min: 2 })],
    inputs: HLC,
    outputs: ['adx'],
    compute: (p, [n]) => [ind.adx(p.high, p.low, p.close, n)],
  },
  {
    name: 'adxr',
    description: 'ADX rating: (ADX_t + ADX_{t-n+1})/2',
    params: [P('period', 14, { min: 2 })],
    inputs: HLC,
    outputs: ['adxr'],
    compute: (p, [n]) => [ind.adxr(p.high, p.low, p.close, n)],
  },
  {
    name: 'plus_di',
    description: '+DI (Wilder)',
    params: [P('period', 14, { min: 2 })],
    inputs: HLC,
    outputs: ['plus_di'],
    compute: (p, [n]) => [ind.dmi(p.high, p.low, p.close, n).plusDi],
  },
  {
    name: 'minus_di',
    description: '-DI (Wilder)',
    params: [P('period', 14, { min: 2 })],
    inputs: HLC,
    outputs: ['minus_di'],
    compute: (p, [n]) => [ind.dmi(p.high, p.low, p.close, n).minusDi],
  },
  {
    name: 'cci',
    description: 'commodity channel index',
    params: [P('period', 14)],
    inputs: HLC,
    outputs: ['cci'],
    compute: (p, [n]) => [ind.cci(p.high, p.low, p.close, n)],
  },
  {
    name: 'willr',
    description: 'Williams %R',
    params: [P('period', 14)],
    inputs: HLC,
    outputs: ['willr'],
    compute: (p, [n]) => [ind.willr(p.high, p.low, p.close, n)],
  },
  {
    name: 'mfi',
    description: 'money flow index',
    params: [P('period', 14)],
    inputs: ['high', 'low', 'close', 'volume'],
    outputs: ['mfi'],
    compute: (p, [n]) => [ind.mfi(p.high, p.low, p.close, p.volume, n)],
  },
  {
    name: 'obv',
    description: 'on-balance volume',
    params: [],
    inputs: ['close', 'volume'],
    outputs: ['obv'],
    compute: (p) => [ind.obv(p.close, p.volume)],
  },
  {
    name: 'roc',
    description: 'rate of change of close, percent',
    params: [P('period', 10)],
    inputs: ['close'],
    outputs: ['roc'],
    compute: (p, [n]) => [ind.roc(p.close, n)],
  },
  {
    name: 'kdj',
    description: 'KDJ stochastic (K, D, J)',
    params: [P('period', 9), P('k_smoothing', 3), P('d_smoothing', 3)],
    inputs: HLC,
    outputs: ['kdj_k', 'kdj_d', 'kdj_j'],
    compute: (p, [n, m1, m2]) => {
      const r = ind.kdj(p.high, p.low, p.close, n, m1, m2);
      return [r.k, r.d, r.j];
    },
  },
  {
    name: 'pvo',
    description: 'percentage volume oscillator, signal and histogram',
    params: [P('fast', 12), P('slow', 26), P('signal', 9)],
    inputs: ['volume'],
    outputs: ['pvo', 'pvo_signal', 'pvo_hist'],
    compute: (p, [f, s, g]) => {
      const r = ind.pvo(p.volume, f, s, g);
      return [r.pvo, r.signal, r.hist];
    },
  },
  {
    name: 'ichimoku',
    description: 'Ichimoku conversion, base, span A, span B (displacement 0 = unshifted)',
    params: [P('conversion', 9), P('base', 26), P('span_b', 52), P('displacement', 0, { min: 0 })],
    inputs: ['high', 'low'],
    outputs: ['ichimoku_conversion', 'ichimoku_base', 'ichimoku_span_a', 'ichimoku_span_b'],
    compute: (p, [c, b, s, d]) => {
      const r = ind.ichimoku(p.high, p.low, { conversion: c, base: b, spanB: s, displacement: d });
      return [r.conversion, r.base, r.spanA, r.spanB];
    },
  },
];

const BY_NAME = new Map(INDICATORS.map((d) => [d.name, d]));

export interface IndicatorSpec {
  def: IndicatorDef;
  args: number[];
  /** As written in the spec, for messages. */
  text: string;
  /** One column name per output. */
  columns: string[];
}

/** `2` -> "2", `2.5` -> "2.5": the parameter as it appears in a column name. */
function paramText(v: number): string {
  return String(v);
}

/**
 * Parse a comma-separated indicator list (`sma:20,macd:12:26:9,obv`). Omitted trailing parameters take their
 * defaults. Throws UsageError naming the offending item: unknown indicator, bad or extra parameter, duplicate column.
 */
export function parseIndicatorSpecs(text: string, optionName = '--indicators'): IndicatorSpec[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${optionName}: no indicators given`);
  const specs: IndicatorSpec[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const [rawName, ...rawArgs] = item.split(':').map((s) => s.trim());
    const name = rawName.toLowerCase();
    const def = BY_NAME.get(name);
    if (!def)
      throw new UsageError(
        `${optionName}: unknown indicator "${rawName}" in "${item}"; known: ${INDICATORS.map((d) => d.name).join(', ')}`,
      );
    if (rawArgs.length > def.params.length)
      throw new UsageError(
        `${optionName}: "${item}": ${name} takes ${def.params.length} parameter(s)` +
          (def.params.length ? ` (${def.params.map((p) => p.name).join(':')})` : '') +
          `, got ${rawArgs.length}`,
      );
    const args = def.params.map((p, i) => {
      const raw = rawArgs[i];
      if (raw === undefined || raw === '') {
        if (raw === '') throw new UsageError(`${optionName}: "${item}": empty ${p.name} parameter`);
        return p.default;
      }
      const v = Number(raw);
      const min = p.min ?? (p.real ? 0 : 1);
      if (!Number.isFinite(v) || (!p.real && !Number.isInteger(v)) || v < min)
        throw new UsageError(
          `${optionName}: "${item}": ${name} ${p.name} "${raw}" must be ${p.real ? 'a number' : 'an integer'} >= ${min}`,
        );
      return v;
    });
    if (name === 'macd' || name === 'pvo') {
      if (args[0] >= args[1])
        throw new UsageError(`${optionName}: "${item}": fast period ${args[0]} must be below slow period ${args[1]}`);
    }
    const suffix = args.map(paramText).join('_');
    const columns = def.outputs.map((o) => (suffix ? `${o}_${suffix}` : o));
    for (const c of columns) {
      if (seen.has(c)) throw new UsageError(`${optionName}: "${item}" repeats column ${c}`);
      seen.add(c);
    }
    specs.push({ def, args, text: item, columns });
  }
  return specs;
}

/** Compute every spec over the price columns; returns columns in spec order. */
export function computeIndicators(prices: PriceColumns, specs: readonly IndicatorSpec[]): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const s of specs) {
    const values = s.def.compute(prices, s.args);
    s.columns.forEach((c, i) => {
      out.set(c, values[i]);
    });
  }
  return out;
}
