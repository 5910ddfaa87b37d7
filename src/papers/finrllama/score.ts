// The scoring loop: for each decision date (decided at its close) and each ticker with news visible for it, build the
// FinRLlama prompt from a point-in-time view, ask a LanguageModel for the score and parse it.
// Two methods:
// - `generate` (the paper): maxTokens 5, greedy by default (temperature 0; the paper's eval sampled with the
//   checkpoint's generation config, see docs/papers/finrllama.md), parsed by parseScore; failures are counted.
// - `expected`: for backends with log-probabilities, p(v) ∝ exp(logProbs(prompt, " v" + suffix)) over the integers
//   v in [-S, S]; score = Σ v·p(v). Never a parse failure. The suffix (default "\n") ends the answer, so " 1" does not
//   also count the probability of " 10".
// Determinism: the sampling seed of (date, ticker) is derived from (seed, date, ticker) only, so the same call gives
// the same scores and a response cache keyed on (prompt, seed) hits on a re-run.
import { closeDecisionTime, createMarketView, type MarketView, tradingDates } from '../../data/pit.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { CapabilityError, type LanguageModel } from '../../lm/types.ts';
import { createRng } from '../../util/rng.ts';
import { parseScore } from './parse.ts';
import { buildPrompt, headlinesAt, headlinesFromPrompt, type PromptOptions, scoreScale } from './prompt.ts';
import { type TeacherOptions, teacherScore } from './teacher.ts';

export type ScoreMethod = 'generate' | 'expected';

export interface ScoreRecord {
  date: IsoDate;
  ticker: string;
  /** In [-S, S]; 0 on a parse failure. */
  score: number;
  failed: boolean;
  /** The model's continuation (generate) or the most likely answer (expected). */
  completion: string;
  headlines: number;
  seed: number;
}

export interface ScoreOptions {
  prompt?: PromptOptions;
  method?: ScoreMethod;
  /** Default 5 (the paper's max_new_tokens). */
  maxTokens?: number;
  /** Default 0 (greedy). */
  temperature?: number;
  topP?: number;
  /** Base seed of the per-(date, ticker) sampling seeds (default 0). */
  seed?: number;
  stop?: string[];
  /** Default: every ticker of the dataset. */
  tickers?: readonly string[];
  /** `expected` method: text after each candidate number (default "\n"). */
  candidateSuffix?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Sampling seed of one (date, ticker): a pure function of (seed, date, ticker). */
export function seedFor(seed: number, date: IsoDate, ticker: string): number {
  return createRng(`finrllama:${seed}:${date}:${ticker}`).int(2 ** 31);
}

/** Score distribution over the integers -S..S from candidate log-probabilities (softmax); returns [values, probs]. */
export function scoreDistribution(
  logps: readonly number[],
  signalStrength: number,
): { values: number[]; probs: number[] } {
  const values = Array.from({ length: 2 * signalStrength + 1 }, (_, i) => i - signalStrength);
  if (logps.length !== values.length) throw new RangeError(`expected ${values.length} log-probs, got ${logps.length}`);
  const max = Math.max(...logps);
  const w = logps.map((l) => Math.exp(l - max));
  const z = w.reduce((a, b) => a + b, 0);
  return { values, probs: w.map((x) => x / z) };
}

/** The expected score Σ v·p(v) of the answers' log-probabilities and the most likely answer v. */
export function expectedScore(logps: readonly number[], signalStrength: number): { score: number; best: number } {
  const { values, probs } = scoreDistribution(logps, signalStrength);
  let score = 0;
  let best = 0;
  probs.forEach((p, k) => {
    score += p * values[k];
    if (p > probs[best]) best = k;
  });
  return { score, best: values[best] };
}

/** The decision dates of the dataset in [from, to]. */
export function decisionDates(ds: Dataset, from?: IsoDate, to?: IsoDate): IsoDate[] {
  return tradingDates(ds).filter((d) => (!from || d >= from) && (!to || d <= to));
}

/** Score every (date, ticker with visible news) with `model`. Dates must be trading dates of the dataset. */
/** A (decision date, ticker) that gets a score: a bar that date and at least one visible headline. */
export interface NewsPair {
  date: IsoDate;
  ticker: string;
  /** The point-in-time view at the decision (the date's close). */
  view: MarketView;
  /** Visible headlines in the prompt. */
  headlines: number;
  /** The prompt, built from `view` only. */
  prompt: string;
}

/** The scored pairs of one decision date, tickers in sorted order (or `tickers`' order), with their prompts. */
export function newsPairsAt(
  ds: Dataset,
  date: IsoDate,
  prompt: PromptOptions = {},
  tickers: readonly string[] = [...ds.bars.keys()].sort(),
): NewsPair[] {
  const view = createMarketView(ds, closeDecisionTime(ds, date));
  const out: NewsPair[] = [];
  for (const ticker of tickers) {
    if (view.lastBarDate(ticker) !== date) continue;
    const headlines = headlinesAt(view, ticker, date, prompt.news).length;
    if (headlines === 0) continue;
    out.push({ date, ticker, view, headlines, prompt: buildPrompt(view, ticker, date, prompt) });
  }
  return out;
}

export async function scoreNews(
  model: LanguageModel,
  ds: Dataset,
  dates: readonly IsoDate[],
  o: ScoreOptions = {},
): Promise<ScoreRecord[]> {
  const S = scoreScale(o.prompt?.signalStrength ?? 10).signalStrength;
  const method = o.method ?? 'generate';
  if (method === 'expected' && !model.capabilities.logprobs) throw new CapabilityError(model.backend, 'logprobs');
  const tickers = o.tickers ?? [...ds.bars.keys()].sort();
  const suffix = o.candidateSuffix ?? '\n';
  const candidates = Array.from({ length: 2 * S + 1 }, (_, i) => ` ${i - S}${suffix}`);
  const out: ScoreRecord[] = [];
  for (const [i, date] of dates.entries()) {
    for (const { ticker, headlines: n, prompt } of newsPairsAt(ds, date, o.prompt, tickers)) {
      const seed = seedFor(o.seed ?? 0, date, ticker);
      if (method === 'expected') {
        const { score, best } = expectedScore(await model.logProbs(prompt, candidates), S);
        out.push({ date, ticker, score, failed: false, completion: ` ${best}`, headlines: n, seed });
      } else {
        const g = await model.generate(prompt, {
          maxTokens: o.maxTokens ?? 5,
          temperature: o.temperature ?? 0,
          topP: o.topP,
          seed,
          stop: o.stop,
        });
        const p = parseScore(g.text, S);
        out.push({ date, ticker, score: p.score, failed: p.failed, completion: g.text, headlines: n, seed });
      }
    }
    o.onProgress?.(i + 1, dates.length);
  }
  return out;
}

/**
 * The word-list teacher as a LanguageModel: it reads the headlines back from a FinRLlama prompt
 * (headlinesFromPrompt) and answers ` <score>`. logProbs gives 0 to a continuation that parses to its score and -1e9
 * to any other, so the `expected` method returns the teacher's score too. Other capabilities throw.
 */
export function teacherModel(o: TeacherOptions = {}): LanguageModel {
  const S = scoreScale(o.signalStrength ?? 10).signalStrength;
  const answer = (prompt: string) => teacherScore(headlinesFromPrompt(prompt), o);
  const id = `teacher:wordlist:S=${S}:perWord=${o.perWord ?? 'T+1'}:negation=${o.negation ? 'on' : 'off'}${o.lexicon ? ':custom-lexicon' : ''}`;
  return {
    backend: 'teacher',
    modelId: id,
    capabilities: { trainable: false, logprobs: true, embeddings: false, grammar: false },
    async generate(prompt, s) {
      const text = ` ${answer(prompt)}`.slice(0, Math.max(0, s.maxTokens));
      return { text, finishReason: 'stop', usage: { promptTokens: 0, completionTokens: text.length } };
    },
    async logProbs(prompt, continuations) {
      const a = answer(prompt);
      return continuations.map((c) => {
        const p = parseScore(c, S);
        return !p.failed && p.score === a ? 0 : -1e9;
      });
    },
    async nextTokens(prompt) {
      return [{ id: -1, text: ` ${answer(prompt)}`, logprob: 0 }];
    },
    async embed() {
      throw new CapabilityError('teacher', 'embeddings');
    },
    async structured() {
      throw new CapabilityError('teacher', 'structured output');
    },
    async countTokens(text) {
      return text.length;
    },
    async close() {},
  };
}
