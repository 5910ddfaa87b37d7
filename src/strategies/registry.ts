// Baseline strategies by name, with parameters after colons: `sma-crossover:20:50`, `momentum:60`, `random`.
import { UsageError } from '../data/errors.ts';
import { buyAndHold, momentum, randomStrategy, smaCrossover } from './baselines.ts';
import type { Strategy } from './types.ts';

export const BASELINE_NAMES = ['buy-and-hold', 'sma-crossover', 'momentum', 'random'] as const;

export interface StrategyContext {
  seed: number;
  allowShort: boolean;
}

function intParam(spec: string, s: string | undefined, fallback: number): number {
  if (s === undefined || s === '') return fallback;
  const v = Number(s);
  if (!Number.isInteger(v) || v <= 0)
    throw new UsageError(`strategy "${spec}": parameter "${s}" is not a positive integer`);
  return v;
}

/** Build a baseline from its spec. */
export function baselineStrategy(spec: string, ctx: StrategyContext): Strategy {
  const [name, ...p] = spec.trim().split(':');
  switch (name) {
    case 'buy-and-hold':
      return buyAndHold();
    case 'sma-crossover': {
      const s = smaCrossover(intParam(spec, p[0], 20), intParam(spec, p[1], 50), ctx.allowShort);
      return { ...s, name: spec.trim() === name ? name : spec.trim() };
    }
    case 'momentum': {
      const s = momentum(intParam(spec, p[0], 60), ctx.allowShort);
      return { ...s, name: spec.trim() === name ? name : spec.trim() };
    }
    case 'random':
      return randomStrategy(ctx.seed, ctx.allowShort);
    default:
      throw new UsageError(`unknown strategy "${name}"; choose from: ${[...BASELINE_NAMES, 'oracle'].join(', ')}`);
  }
}
