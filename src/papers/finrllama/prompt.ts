// The FinRLlama prompt (Grover 2025, Algorithm 1; `task2_signal.py`), as a template with the signal strength S and the
// threshold T = floor(S / 3) as parameters, filled ONLY from a point-in-time MarketView. See docs/papers/finrllama.md.
//
// Conventions:
// - The decision is taken at view.decisionTime (in this module: the close of `decisionDate`).
// - Headlines: by default the news that counts for the decision session (view.newsForSession: published after the
//   previous session's close, up to this session's close); `news: { lookbackDays }` instead takes everything published
//   in the last `lookbackDays` calendar days up to the decision time (view.news). Newest `maxHeadlines` kept, in
//   publication order. Never anything published after the decision time (the view cannot return it).
// - Prices: the ticker's visible bars up to the decision (view.bars; the last is the decision day's own bar, whose
//   close is known at the decision). The paper's code shows the same day's row with `future_close` dropped; we never
//   compute a future close here at all.
// - Variants: `paper` (Algorithm 1's five tagged parts, the full price row) and `compact` (the same five parts in a
//   line each, the examples in a few words, closes only: about 100 tokens plus the headlines with a small BPE, for
//   the built-in models' 256 positions).
// - The prompt ends with the anchor `SENTIMENT SCORE:`, which appears nowhere else in upper case (the examples use
//   "Sentiment Score:"), so the parser's regex finds the answer whether it sees the prompt + completion or not.
import type { MarketView } from '../../data/pit.ts';
import type { IsoDate, NewsItem } from '../../data/types.ts';

export const SCORE_ANCHOR = 'SENTIMENT SCORE:';

export type PromptVariant = 'paper' | 'compact';

export interface ScoreScale {
  /** Signal strength S: scores lie in [-S, S]. FinRLlama: 10. */
  signalStrength: number;
  /** Threshold T = floor(S / 3) (FinRLlama: 3): long when score >= T, short when <= -T. */
  threshold: number;
}

/** S and T = floor(S / 3), as `task2_config.py`. */
export function scoreScale(signalStrength = 10): ScoreScale {
  if (!Number.isInteger(signalStrength) || signalStrength < 3)
    throw new RangeError(`signal strength must be an integer >= 3, got ${signalStrength}`);
  return { signalStrength, threshold: Math.floor(signalStrength / 3) };
}

/** The paper's three scored examples (Algorithm 1, lines 14-16). */
export const PAPER_EXAMPLES: readonly { headline: string; score: number }[] = [
  { headline: 'Company X announces layoffs amid economic downturn.', score: -8 },
  { headline: 'Company Y reports record revenue growth in Q1.', score: 7 },
  { headline: "Market responds positively to Company Z's new product launch.", score: 5 },
];

export interface NewsWindow {
  /** Calendar days back from the decision time (view.news). Absent: the decision session's news (newsForSession). */
  lookbackDays?: number;
  /** Keep the newest this many headlines (default 5). */
  maxHeadlines?: number;
  /** Cut each headline (whitespace collapsed) to at most this many characters (default: no cut). */
  maxChars?: number;
}

export interface PromptOptions {
  signalStrength?: number;
  variant?: PromptVariant;
  news?: NewsWindow;
  /** Visible daily bars shown (default 1: the decision day's own bar, as the paper's code). */
  priceDays?: number;
}

/** The same three examples in a few words each (the `compact` variant, for tiny models). */
export const COMPACT_EXAMPLES: readonly { headline: string; score: number }[] = [
  { headline: 'layoffs amid downturn', score: -8 },
  { headline: 'record revenue growth', score: 7 },
  { headline: 'new product well received', score: 5 },
];

/** What goes into one prompt: everything is read from the view, so it is stamped at or before the decision. */
export interface PromptInputs {
  ticker: string;
  decisionDate: IsoDate;
  headlines: NewsItem[];
  /** One line per visible bar, oldest first (paper variant). */
  priceLines: string[];
  /** The visible closes of the same bars (compact variant). */
  closes: number[];
}

const DAY_MS = 86_400_000;

/** The headlines about `ticker` visible at the decision (see the conventions above). */
export function headlinesAt(view: MarketView, ticker: string, decisionDate: IsoDate, w: NewsWindow = {}): NewsItem[] {
  const max = w.maxHeadlines ?? 5;
  const items =
    w.lookbackDays === undefined
      ? view.newsForSession(decisionDate, { ticker })
      : view.news({ ticker, since: view.decisionTime - w.lookbackDays * DAY_MS });
  return items.slice(Math.max(0, items.length - max));
}

const num = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'NA');

/** `Date: 2023-01-03, Open: 10.00, High: ..., Low: ..., Close: ..., Adj Close: ..., Volume: 1200` per visible bar. */
export function priceLinesAt(view: MarketView, ticker: string, days = 1): string[] {
  const b = view.bars(ticker, { lookback: days });
  return b.dates.map(
    (d, i) =>
      `Date: ${d}, Open: ${num(b.open[i], 2)}, High: ${num(b.high[i], 2)}, Low: ${num(b.low[i], 2)}, ` +
      `Close: ${num(b.close[i], 2)}, Adj Close: ${num(b.adjClose[i], 2)}, Volume: ${num(b.volume[i], 0)}`,
  );
}

export function promptInputs(
  view: MarketView,
  ticker: string,
  decisionDate: IsoDate,
  o: PromptOptions = {},
): PromptInputs {
  const days = o.priceDays ?? 1;
  return {
    ticker,
    decisionDate,
    headlines: headlinesAt(view, ticker, decisionDate, o.news),
    priceLines: priceLinesAt(view, ticker, days),
    closes: Array.from(view.bars(ticker, { lookback: days }).close),
  };
}

/** The prompt text for given inputs. Pure: same inputs, same text. */
export function renderPrompt(inp: PromptInputs, o: PromptOptions = {}): string {
  const { signalStrength: S, threshold: T } = scoreScale(o.signalStrength ?? 10);
  const cut = o.news?.maxChars ?? Number.POSITIVE_INFINITY;
  const headlines = inp.headlines.map((n) => n.headline.replace(/\s+/g, ' ').trim().slice(0, cut).trimEnd());
  const news = headlines.length === 0 ? '(none)' : headlines.join(' | ');
  const prices = inp.priceLines.length === 0 ? '(none)' : inp.priceLines.join('\n');
  if ((o.variant ?? 'paper') === 'compact') {
    const closes = inp.closes.length === 0 ? '(none)' : inp.closes.map((c) => num(c, 2)).join(', ');
    return [
      `Task: score the news for ${inp.ticker}.`,
      `Scale: ${-S} very bad, ${-T} bad, 0 neutral, ${T} good, ${S} very good.`,
      'Feedback: think of how prices moved after similar news.',
      `Examples: ${COMPACT_EXAMPLES.map((e) => `"${e.headline}" ${e.score}`).join('; ')}.`,
      `Output: one integer in [${-S}, ${S}].`,
      `News: "${news}"`,
      `Close: ${closes}`,
      SCORE_ANCHOR,
    ].join('\n');
  }
  return [
    '[CONTEXT]',
    "Task: Analyze the stock-related news headline and output a sentiment score reflecting the sentiment's potential " +
      'impact on stock performance.',
    '',
    '[SENTIMENT SCORING PARAMETERS]',
    `${-S}: Highly negative market sentiment`,
    `${-T}: Moderately negative market sentiment`,
    '0: Neutral market sentiment',
    `${T}: Moderately positive sentiment`,
    `${S}: Highly positive sentiment`,
    '',
    '[MARKET FEEDBACK CONSIDERATIONS]',
    'Past Market Responses: Incorporate past market responses to similar news events.',
    'Market Sentiment Alignment: Evaluate if the news aligns with or contradicts prevailing market sentiment.',
    'Historical Price Patterns: Analyze the historical impact of similar news on stock prices.',
    '',
    '[SENTIMENT SCORING EXAMPLES]',
    ...PAPER_EXAMPLES.map((e) => `"${e.headline}" Sentiment Score: ${e.score}`),
    '',
    '[OUTPUT]',
    `Integer sentiment score in range [${-S}, ${S}] based on analysis. Output only a single integer.`,
    '',
    `Stock: ${inp.ticker}`,
    `News headline: "${news}"`,
    `Price Data: "${prices}"`,
    '',
    SCORE_ANCHOR,
  ].join('\n');
}

/** Build the prompt for `ticker` at the view's decision time (the close of `decisionDate`). */
export function buildPrompt(view: MarketView, ticker: string, decisionDate: IsoDate, o: PromptOptions = {}): string {
  return renderPrompt(promptInputs(view, ticker, decisionDate, o), o);
}

/**
 * The headlines of a prompt built by renderPrompt (either variant): the text between the quotes of the
 * `News headline:` / `News:` line, split on ` | `. [] for `(none)` or when the line is absent.
 */
export function headlinesFromPrompt(prompt: string): string[] {
  const m = /^(?:News headline|News): "(.*)"$/m.exec(prompt);
  if (!m || m[1] === '(none)') return [];
  return m[1].split(' | ');
}
