// A gym-style trading environment for reinforcement learning: reset() / step(action), one step per trading day.
// The agent acts at the close of day i; the step fills the order by the execution timing, advances to the close
// of day i+1 and pays the reward of that interval. Observations are built only from prices up to the decision
// close; `view()` gives the full point-in-time MarketView (news, filings, macro) and `render()` the state as text
// for an LLM prompt.
import { closeDecisionTime, createMarketView, type MarketView } from '../data/pit.ts';
import type { Dataset, IsoDate } from '../data/types.ts';
import {
  type BacktestOptions,
  createLedger,
  DEFAULT_BACKTEST,
  equityAtMarks,
  type Ledger,
  markClose,
  markTo,
  rebalance,
} from './engine.ts';
import { type PriceBasisChoice, pricePanel, type Window } from './run.ts';

export interface EnvConfig extends Window {
  basis: PriceBasisChoice;
  backtest: BacktestOptions;
  /** Days of log returns in each observation. */
  window: number;
  /**
   * - 'weights': the action is a target weight per ticker.
   * - 'discrete': the action is -1 (sell = short), 0 (hold = flat) or +1 (buy = long) per ticker, each 1/K of equity
   *   (FLAG-TRADER's action set).
   */
  actions: 'weights' | 'discrete';
  /**
   * - 'log-return': ln(equity_t / equity_{t-1}) (costs included).
   * - 'return': equity_t / equity_{t-1} - 1.
   * - 'log-reward': position x ln(P_t / P_{t-1}), INVESTOR-BENCH's reward (costs excluded).
   */
  reward: 'log-return' | 'return' | 'log-reward';
  /** Renders the state as text for an LLM prompt (default: `defaultRenderState`). */
  renderState?: (state: EnvState) => string;
}

/** What a prompt renderer gets: the portfolio, the recent closes, and the point-in-time view (news, filings, macro). */
export interface EnvState {
  decisionDate: IsoDate;
  equity: number;
  cash: number;
  tickers: readonly string[];
  /** Weight of each ticker at the decision close. */
  weights: number[];
  /** The last `window` closes of each ticker, oldest first, up to the decision close. */
  closes: number[][];
  view: MarketView;
}

export function defaultRenderState(s: EnvState): string {
  const lines = [
    `Date: ${s.decisionDate} (decision at the close)`,
    `Equity: ${s.equity.toFixed(2)}  Cash: ${s.cash.toFixed(2)}`,
  ];
  s.tickers.forEach((t, k) => {
    const hist = s.closes[k].map((c) => c.toFixed(2));
    lines.push(
      `${t}: position ${(s.weights[k] * 100).toFixed(1)}% of equity; last ${hist.length} closes: ${hist.join(', ')}`,
    );
  });
  return lines.join('\n');
}

export const DEFAULT_ENV: EnvConfig = {
  basis: 'adjusted',
  backtest: { ...DEFAULT_BACKTEST, timing: { decision: 'close', fill: 'same-close' } },
  window: 10,
  actions: 'discrete',
  reward: 'log-return',
};

export interface StepResult {
  /** [window x K log returns up to the decision close (oldest first, ticker-major within a day), K weights, cash weight].
   *  The buffer is reused by the next step: copy it to keep it. */
  observation: Float64Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: { date: IsoDate; equity: number; turnover: number };
}

export interface TradingEnv {
  readonly tickers: readonly string[];
  readonly dates: readonly IsoDate[];
  readonly observationSize: number;
  /** Start at the first day that has `window` returns of history inside the run's range. */
  reset(): StepResult;
  step(action: ArrayLike<number>): StepResult;
  /** The decision date of the current step (the close the next action is decided at). */
  decisionDate(): IsoDate;
  /** The point-in-time view at the current decision close. */
  view(): MarketView;
  /** The state as plain text, for an LLM prompt. */
  render(): string;
}

export function createTradingEnv(ds: Dataset, config: Partial<EnvConfig> = {}): TradingEnv {
  const cfg: EnvConfig = { ...DEFAULT_ENV, ...config };
  const panel = pricePanel(ds, cfg, cfg.basis);
  const { tickers, dates, close } = panel;
  const K = tickers.length;
  const n = dates.length;
  const W = cfg.window;
  if (n < W + 2) throw new RangeError(`the range has ${n} days; the env needs at least window + 2 = ${W + 2}`);
  const fill = cfg.backtest.timing.fill;
  if (fill === 'next-open' && panel.open!.some((o) => o.every(Number.isNaN)))
    throw new RangeError("fill 'next-open' needs open prices; this data has none (use next-close)");
  // log returns, day-major: lr[i*K + k] = ln(C_i / C_{i-1}) (0 when a price is missing)
  const lr = new Float64Array(n * K);
  for (let i = 1; i < n; i++)
    for (let k = 0; k < K; k++) {
      const r = Math.log(close[k][i] / close[k][i - 1]);
      lr[i * K + k] = Number.isFinite(r) ? r : 0;
    }
  const closeAt = (i: number) => Float64Array.from(close, (c) => c[i]);
  const closes = Array.from({ length: n }, (_, i) => closeAt(i));
  const opens = panel.open ? Array.from({ length: n }, (_, i) => Float64Array.from(panel.open!, (o) => o[i])) : [];
  const obs = new Float64Array(W * K + K + 1);
  const target = new Float64Array(K);
  let L: Ledger = createLedger(K, cfg.backtest.initialCapital);
  let i = W; // current decision day
  let pending: Float64Array | null = null;

  const observe = (reward: number, turnover: number): StepResult => {
    obs.set(lr.subarray((i - W + 1) * K, (i + 1) * K), 0);
    const eq = equityAtMarks(L);
    let invested = 0;
    for (let k = 0; k < K; k++) {
      const w = L.shares[k] !== 0 ? (L.shares[k] * L.mark[k]) / eq : 0;
      obs[W * K + k] = w;
      invested += w;
    }
    obs[W * K + K] = 1 - invested;
    const terminated = i >= n - 1 || eq <= 0;
    return { observation: obs, reward, terminated, truncated: false, info: { date: dates[i], equity: eq, turnover } };
  };

  const env: TradingEnv = {
    tickers,
    dates,
    observationSize: obs.length,
    reset() {
      L = createLedger(K, cfg.backtest.initialCapital);
      i = W;
      pending = null;
      markClose(L, closes[i]);
      L.prevEquity = equityAtMarks(L);
      return observe(0, 0);
    },
    step(action) {
      if (i >= n - 1) throw new RangeError('episode is over: call reset()');
      if (action.length !== K) throw new RangeError(`action must have ${K} entries (one per ticker)`);
      for (let k = 0; k < K; k++) {
        const a = action[k];
        target[k] = cfg.actions === 'discrete' ? (a > 0 ? 1 : a < 0 ? -1 : 0) / K : a;
      }
      let traded = 0;
      const before = L.prevEquity;
      if (fill === 'same-close') traded += rebalance(L, target, closes[i], cfg.backtest);
      else pending = target;
      i++;
      if (fill === 'next-open' && pending) {
        markTo(L, opens[i]);
        traded += rebalance(L, pending, opens[i], cfg.backtest);
      }
      const logReward = markClose(L, closes[i]);
      if (fill === 'next-close' && pending) traded += rebalance(L, pending, closes[i], cfg.backtest);
      pending = null;
      const eq = equityAtMarks(L);
      L.prevEquity = eq;
      const reward =
        cfg.reward === 'log-reward' ? logReward : cfg.reward === 'return' ? eq / before - 1 : Math.log(eq / before);
      return observe(reward, before > 0 ? traded / before : 0);
    },
    decisionDate: () => dates[i],
    view: () => createMarketView(ds, closeDecisionTime(ds, dates[i])),
    render() {
      const eq = equityAtMarks(L);
      const from = Math.max(0, i - W + 1);
      return (cfg.renderState ?? defaultRenderState)({
        decisionDate: dates[i],
        equity: eq,
        cash: L.cash,
        tickers,
        weights: Array.from(L.shares, (sh, k) => (sh !== 0 ? (sh * L.mark[k]) / eq : 0)),
        closes: close.map((c) => Array.from(c.subarray(from, i + 1))),
        view: env.view(),
      });
    },
  };
  return env;
}
