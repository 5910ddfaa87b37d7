// FinRLlama training by REINFORCE on the built-in model (docs/papers/finrllama.md, "Training").
// One step = one decision date (as the code): for each ticker with news that date, sample `maxTokens` (5) tokens at
// temperature 1 from the policy, parse the score, reward it with tickerReward against the forward return, then
//   loss = -(1/n) Σ_i A_i · log π(c_i | p_i)
// where log π(c | p) is the differentiable sum of the sampled tokens' log-probabilities and A_i the advantage:
// - credit 'per-ticker' (default): r_i = ticker i's own reward; 'step-sum' (as coded): every ticker gets R = Σ_j r_j.
// - baseline 'moving-average' (default): A = r − b, b initialised to the first step's mean reward, then
//   b ← β·b + (1 − β)·mean(step rewards) after each step (β = 0.9); 'none' (as coded): A = r;
//   'per-prompt' (leave-one-out, k ≥ 2 samples of the same prompt): A_ij = r_ij − mean_{j'≠j} r_ij', so each
//   (date, ticker) is its own credit unit and the forward return's noise, shared by its k samples, cancels.
// - KL to the starting model (klCoef > 0): each reward becomes r − klCoef·(log π(c|p) − log π_ref(c|p)) (the
//   sampled-token estimate, detached), so the policy is pulled back towards the reference.
// The update is the builtin trainer's AdamW (applyAdamW: its schedule, clipping and moments).

import type { Bars, Dataset, IsoDate } from '../../data/types.ts';
import type { BuiltinModel } from '../../lm/builtin/backend.ts';
import { decodeTokens } from '../../lm/builtin/generate.ts';
import { tf } from '../../lm/builtin/tf.ts';
import { applyAdamW, type Trainer } from '../../lm/builtin/train.ts';
import { continuationText } from '../../lm/tokenizer/index.ts';
import { parseScore } from './parse.ts';
import { type PromptOptions, scoreScale } from './prompt.ts';
import { forwardReturn, type RewardMode, tickerReward } from './reward.ts';
import { newsPairsAt, seedFor } from './score.ts';

export type BaselineKind = 'moving-average' | 'none' | 'per-prompt';
export type Credit = 'per-ticker' | 'step-sum';

export interface ReinforceOptions {
  baseline?: BaselineKind;
  /** Moving-average weight of the old baseline (default 0.9). */
  baselineBeta?: number;
  credit?: Credit;
  /** 'per-prompt' baseline: consecutive groups of this many samples share a prompt (default 1 = no group). */
  groupSize?: number;
  /** KL penalty coefficient (default 0 = off; needs each sample's refLogProb). */
  klCoef?: number;
}

export interface BaselineState {
  value: number;
  initialized: boolean;
}

export const NEW_BASELINE: BaselineState = { value: 0, initialized: false };

/** Advantages of one step's rewards and the baseline after the step (see the module header). */
export function advantages(
  rewards: readonly number[],
  b: BaselineState,
  o: ReinforceOptions = {},
): { adv: number[]; baseline: BaselineState } {
  if (rewards.length === 0) return { adv: [], baseline: b };
  const credited =
    (o.credit ?? 'per-ticker') === 'step-sum' ? rewards.map(() => rewards.reduce((a, x) => a + x, 0)) : [...rewards];
  const mean = credited.reduce((a, x) => a + x, 0) / credited.length;
  if ((o.baseline ?? 'moving-average') === 'none') return { adv: credited, baseline: b };
  if (o.baseline === 'per-prompt') return { adv: leaveOneOut(credited, o.groupSize ?? 1), baseline: b };
  const base = b.initialized ? b.value : mean;
  const beta = o.baselineBeta ?? 0.9;
  return {
    adv: credited.map((r) => r - base),
    baseline: { value: beta * base + (1 - beta) * mean, initialized: true },
  };
}

/**
 * Leave-one-out advantages: consecutive groups of k values; A_j = x_j − mean of the other k − 1 of its group
 * (0 when k = 1: a lone sample has no comparison).
 */
export function leaveOneOut(x: readonly number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 1 || x.length % k !== 0)
    throw new RangeError(`leaveOneOut: ${x.length} values do not split into groups of ${k}`);
  const out = new Array<number>(x.length).fill(0);
  if (k === 1) return out;
  for (let g = 0; g < x.length; g += k) {
    let sum = 0;
    for (let j = g; j < g + k; j++) sum += x[j];
    for (let j = g; j < g + k; j++) out[j] = x[j] - (sum - x[j]) / (k - 1);
  }
  return out;
}

export interface PolicySample {
  promptIds: number[];
  completionIds: number[];
  reward: number;
  /** log π_ref(completion | prompt) of the reference (starting) model; needed when klCoef > 0. */
  refLogProb?: number;
}

export interface ReinforceStepResult {
  loss: number;
  gradNorm: number;
  lr: number;
  meanReward: number;
  baseline: BaselineState;
}

/** One REINFORCE update of the trainer's parameters from `samples` (one step = one date). */
export function reinforceStep(
  tr: Trainer,
  lm: Pick<BuiltinModel, 'logProbTensor'>,
  samples: readonly PolicySample[],
  b: BaselineState,
  o: ReinforceOptions = {},
): ReinforceStepResult {
  if (samples.length === 0) throw new Error('reinforceStep: no samples');
  const kl = o.klCoef ?? 0;
  let rewards = samples.map((s) => s.reward);
  if (kl > 0) {
    rewards = samples.map((s) => {
      if (s.refLogProb === undefined) throw new Error('reinforceStep: klCoef > 0 needs refLogProb on every sample');
      const t = tf.tidy(() => lm.logProbTensor(s.promptIds, s.completionIds));
      const lp = t.dataSync()[0];
      t.dispose();
      return s.reward - kl * (lp - s.refLogProb);
    });
  }
  const { adv, baseline } = advantages(rewards, b, o);
  const names = [...tr.params.keys()];
  const vars = names.map((n) => tr.params.get(n)!);
  const { value, grads } = tf.tidy(() =>
    tf.variableGrads(() => {
      const terms = samples.map((s, i) =>
        tf.mul(lm.logProbTensor(s.promptIds, s.completionIds), -adv[i] / samples.length),
      );
      return tf.addN(terms) as tf.Scalar;
    }, vars),
  );
  const loss = value.dataSync()[0];
  value.dispose();
  const g = new Map(names.map((n, i) => [n, grads[vars[i].name]]));
  const { gradNorm, lr } = applyAdamW(tr, g);
  for (const t of g.values()) t.dispose();
  return { loss, gradNorm, lr, meanReward: samples.reduce((a, s) => a + s.reward, 0) / samples.length, baseline };
}

export interface SampledScore {
  promptIds: number[];
  completionIds: number[];
  text: string;
  score: number;
  failed: boolean;
}

/** Sample a completion (exact token ids) from the policy and parse it. */
export function sampleScore(
  lm: BuiltinModel,
  prompt: string,
  o: { maxTokens?: number; temperature?: number; seed: number; signalStrength?: number },
): SampledScore {
  const promptIds = lm.promptIds(prompt);
  const eos = lm.tokenizer.eosId ?? lm.config.eos_token_id;
  const r = decodeTokens(
    lm.model,
    promptIds,
    { maxTokens: o.maxTokens ?? 5, temperature: o.temperature ?? 1, seed: o.seed, stopIds: [eos] },
    (ids) => continuationText(lm.tokenizer, ids),
  );
  const p = parseScore(r.text, o.signalStrength ?? 10);
  return { promptIds, completionIds: r.ids, text: r.text, score: p.score, failed: p.failed };
}

export interface TrainOptions extends ReinforceOptions {
  prompt?: PromptOptions;
  reward?: RewardMode;
  /** Forward-return horizon of the reward, trading days (default 3; the code's env: 14). */
  lookahead?: number;
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  /** The frozen starting model, for the KL penalty. */
  reference?: BuiltinModel;
  onStep?: (p: TrainStepLog) => void;
}

export interface TrainStepLog {
  step: number;
  date: IsoDate;
  samples: number;
  meanReward: number;
  loss: number;
  gradNorm: number;
  lr: number;
  baseline: number;
  parseFailures: number;
  /** The env's running evaluation: equity compounded by the mean signed forward return of the positions taken. */
  runningEquity: number;
}

/**
 * REINFORCE over `dates` (one step per date with at least one scorable sample). Returns the per-step log and the
 * final baseline. Prompts are point-in-time; only the reward reads the forward return.
 */
export function trainReinforce(
  lm: BuiltinModel,
  tr: Trainer,
  ds: Dataset,
  dates: readonly IsoDate[],
  o: TrainOptions = {},
  start: { baseline: BaselineState; runningEquity: number } = { baseline: NEW_BASELINE, runningEquity: 1 },
): { log: TrainStepLog[]; baseline: BaselineState; runningEquity: number } {
  const { signalStrength: S, threshold: T } = scoreScale(o.prompt?.signalStrength ?? 10);
  const lookahead = o.lookahead ?? 3;
  let baseline = start.baseline;
  let equity = start.runningEquity;
  const log: TrainStepLog[] = [];
  for (const date of dates) {
    const samples: PolicySample[] = [];
    let failures = 0;
    const signed: number[] = [];
    for (const { ticker: t, prompt } of newsPairsAt(ds, date, o.prompt)) {
      const d = forwardReturn(ds.bars.get(t) as Bars, date, lookahead);
      if (!Number.isFinite(d)) continue;
      const s = sampleScore(lm, prompt, {
        maxTokens: o.maxTokens,
        temperature: o.temperature,
        seed: seedFor(o.seed ?? 0, date, t) + tr.state.step,
        signalStrength: S,
      });
      if (s.failed) failures++;
      if (s.score >= T) signed.push(d);
      else if (s.score <= -T) signed.push(-d);
      let refLogProb: number | undefined;
      if (o.reference && (o.klCoef ?? 0) > 0) refLogProb = refLogProbOf(o.reference, s);
      samples.push({
        promptIds: s.promptIds,
        completionIds: s.completionIds,
        reward: tickerReward(s.score, d, { mode: o.reward, threshold: T }),
        refLogProb,
      });
    }
    if (samples.length === 0) continue;
    const r = reinforceStep(tr, lm, samples, baseline, o);
    baseline = r.baseline;
    if (signed.length) equity *= 1 + signed.reduce((a, x) => a + x, 0) / signed.length;
    const entry: TrainStepLog = {
      step: tr.state.step,
      date,
      samples: samples.length,
      meanReward: r.meanReward,
      loss: r.loss,
      gradNorm: r.gradNorm,
      lr: r.lr,
      baseline: baseline.value,
      parseFailures: failures,
      runningEquity: equity,
    };
    log.push(entry);
    o.onStep?.(entry);
  }
  return { log, baseline, runningEquity: equity };
}

/** log π_ref(completion | prompt) of the reference model, synchronously (tfjs ops). */
function refLogProbOf(ref: BuiltinModel, s: SampledScore): number {
  const t = tf.tidy(() => ref.logProbTensor(s.promptIds, s.completionIds));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}
