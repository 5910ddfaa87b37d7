// The oracle: a strategy that knows the synthetic market's hidden news impacts (DIR/hidden/impacts.jsonl). It is an
// upper bound for what reading the news can earn, not a strategy: it is only available on synthetic markets and
// it deliberately reads the future. It lives here, above the strategies, because no agent may import it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../data/errors.ts';
import { HIDDEN_IMPACTS_FILE, type HiddenEvent, loadHiddenImpacts } from '../data/synth/hidden.ts';
import type { IsoDate } from '../data/types.ts';
import type { Strategy, TargetWeights } from '../strategies/types.ts';
import type { StrategyFactory } from './backtest.ts';

/** Hidden log-return impact landing on each (ticker, session). */
export function impactBySession(events: readonly HiddenEvent[], dates: readonly IsoDate[]): Map<string, Float64Array> {
  const pos = new Map(dates.map((d, i) => [d, i]));
  const out = new Map<string, Float64Array>();
  for (const e of events) {
    const start = pos.get(e.firstImpactDate);
    if (start === undefined) continue;
    for (const t of e.tickers) {
      const a = out.get(t) ?? new Float64Array(dates.length);
      out.set(t, a);
      e.impactPath.forEach((f, j) => {
        if (start + j < dates.length) a[start + j] += e.impact * f;
      });
    }
  }
  return out;
}

/**
 * At the close of day d, hold each ticker in the direction of the hidden impact landing over the next `horizon`
 * sessions (long if positive, short if negative and shorting is allowed), 1/K of equity each.
 */
export function oracleStrategy(
  events: readonly HiddenEvent[],
  dates: readonly IsoDate[],
  horizon = 1,
  allowShort = true,
): Strategy {
  const impact = impactBySession(events, dates);
  const pos = new Map(dates.map((d, i) => [d, i]));
  return {
    name: 'oracle',
    decide: ({ decisionDate, tickers }) => {
      const i = pos.get(decisionDate)!;
      const w: TargetWeights = {};
      for (const t of tickers) {
        const a = impact.get(t);
        let s = 0;
        for (let j = i + 1; a && j <= Math.min(i + horizon, dates.length - 1); j++) s += a[j];
        w[t] = (s > 1e-12 ? 1 : s < -1e-12 && allowShort ? -1 : 0) / tickers.length;
      }
      return w;
    },
  };
}

/** A StrategyFactory that builds `oracle[:horizon]` from the dataset directory's hidden impacts. */
export function oracleFactory(dataDir: string, dates: () => readonly IsoDate[], allowShort: boolean): StrategyFactory {
  return (spec) => {
    const [name, h] = spec.split(':');
    if (name !== 'oracle') return undefined;
    if (!existsSync(join(dataDir, HIDDEN_IMPACTS_FILE)))
      throw new UsageError(`strategy "oracle" needs a synthetic market's ${HIDDEN_IMPACTS_FILE} in ${dataDir}`);
    const horizon = h === undefined ? 1 : Number(h);
    if (!Number.isInteger(horizon) || horizon < 1)
      throw new UsageError(`oracle: horizon "${h}" is not a positive integer`);
    return oracleStrategy(loadHiddenImpacts(dataDir), dates(), horizon, allowShort);
  };
}
