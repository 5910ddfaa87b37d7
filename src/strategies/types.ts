import type { MarketView } from '../data/pit.ts';
import type { IsoDate } from '../data/types.ts';

/** What a strategy sees when it decides: the date whose close it decides at, and a point-in-time view. */
export interface DecisionContext {
  /** The trading date; the decision is made at its close. */
  decisionDate: IsoDate;
  /** The tickers this run trades (a subset of view.tickers). */
  tickers: readonly string[];
  view: MarketView;
}

/** Target weights by ticker (fraction of equity; negative = short). Tickers left out keep their holdings. */
export type TargetWeights = Record<string, number>;

export interface Strategy {
  name: string;
  /** Decide at the close of ctx.decisionDate. null = no new decision (keep holdings). */
  decide(ctx: DecisionContext): TargetWeights | null;
}
