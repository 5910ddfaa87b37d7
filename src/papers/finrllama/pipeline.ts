// `rlmf finrllama train --preset quick`: the whole FinRLlama pipeline on the embedded synthetic market with the
// built-in micro model, trained with the onnxruntime trainer (src/lm/ort/trainer.ts):
//   1. market (QUICK with FINRLLAMA_QUICK_MARKET, seed), the 70/30 split (defaultSplit), a byte-level BPE on the
//      headline corpus of the training period;
//   2. pretrain the micro model on the corpus (next-token loss)            -> variant `base`;
//   3. warm start: supervised fine-tuning on the word-list teacher's scores of the training dates -> variant `sft`;
//   4. REINFORCE from market feedback on the training dates but the validation slice (their last 20 %), several dates
//      per step -> `rlmf`. Estimator `expected` (default): for each (date, ticker) the policy's probabilities of the
//      2S+1 answers (candidateLogProbs), and the exact policy gradient of the expected reward over its most likely
//      answers (expectedGradientTerms; the expected reward is the baseline). `sampled`: k answers per (date, ticker)
//      from one prefill (sampleAnswers), with the baselines of train.ts (the paper's estimator). Reward
//      `signed-return` with a position penalty, on the forward return in excess of the tickers' mean (`rewardBasis`);
//      optional KL to the SFT model (exact over the answers, reference log-probs cached per prompt);
//   5. score the held-out dates and the validation slice with every variant (expected score Σ v·p(v) over the 21
//      answers, candidateLogProbs; or greedy) and write RUN/config.json, RUN/scores/<variant>.jsonl,
//      RUN/models/{base,sft,rlmf}/ (checkpoint directories), RUN/training_log.jsonl, RUN/summary.json and
//      RUN/report.html (report.ts). Beside them the `ridge` yardstick (ridge.ts, held-out only): the teacher plus a
//      ridge regression of the REINFORCE dates' forward returns on headline words, λ chosen on the validation slice.
// Resume (`resume: true`, same settings): finished phases are loaded from RUN/models/, REINFORCE restarts from
// RUN/checkpoints/rl (parameters, Adam moments, progress) after its last finished epoch; every draw is a pure function
// of (seed, phase, epoch, date, ticker), so a resumed run ends identical to an uninterrupted one.
// REINFORCE through the ort graph: its loss is Σ_t w_t·CE_t / Σ_t w_t over token weights w ≥ 0, so the policy
// gradient ∇(−(1/n) Σ_i A_i log π(c_i | p_i)) is formed from two weighted calls: samples with A > 0 (weights A_i on
// their completion tokens) and with A < 0 (weights |A_i|), each gradient rescaled by its Σ w / n, the second negated.
// Determinism: every draw comes from createRng(seed) forks; ort runs single-threaded. LoRA: not here (the micro model
// trains in full; LoRA trains on the tfjs path).
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../../data/dataset.ts';
import { DataError, UsageError } from '../../data/errors.ts';
import { closeDecisionTime } from '../../data/pit.ts';
import { generateMarket, QUICK_SYNTH_CONFIG, type SynthConfigInput } from '../../data/synth/index.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { builtinFromModel } from '../../lm/builtin/backend.ts';
import { loadCheckpoint, saveArraysCheckpoint } from '../../lm/builtin/checkpoint.ts';
import { initParams, type LlamaConfig, type ParamArrays, presetConfig } from '../../lm/builtin/config.ts';
import { decodeTokens, sampleToken } from '../../lm/builtin/generate.ts';
import {
  disposeCache,
  disposeModel,
  type KvCache,
  type Model,
  modelFromArrays,
  newCache,
  stepLogits,
} from '../../lm/builtin/model.ts';
import { initTf, tf } from '../../lm/builtin/tf.ts';
import { sampleWindows } from '../../lm/builtin/train.ts';
import { createOrtTrainer, type OrtTrainer } from '../../lm/ort/trainer.ts';
import { continuationText, fromHfTokenizerJson, trainBpe } from '../../lm/tokenizer/index.ts';
import type { Tokenizer } from '../../lm/tokenizer/types.ts';
import type { LanguageModel } from '../../lm/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import { createRng } from '../../util/rng.ts';
import { VERSION } from '../../version.ts';
import { evaluateScores, type VariantEvaluation } from './evaluate.ts';
import { parseScore } from './parse.ts';
import { headlinesFromPrompt, type PromptOptions, scoreScale } from './prompt.ts';
import { writeFinrllamaReport } from './report.ts';
import { forwardReturns, type RewardMode, tickerReward } from './reward.ts';
import { ridgeYardstick } from './ridge.ts';
import {
  defaultSplit,
  type FinrllamaPreset,
  PRESET_MARKET,
  parseRunConfig,
  readRunConfig,
  validationSplit,
  writeRunConfig,
  writeScores,
} from './run.ts';
import {
  decisionDates,
  expectedScore,
  newsPairsAt,
  type ScoreRecord,
  scoreNews,
  seedFor,
  teacherModel,
} from './score.ts';
import { teacherScore } from './teacher.ts';
import { advantages, type BaselineKind, type BaselineState, type Credit, NEW_BASELINE } from './train.ts';

export interface QuickTrainOptions {
  seed: number;
  out: string;
  /** Continue the run in `out` (written with the same settings) from its last checkpoint. */
  resume?: boolean;
  /**
   * The SFT teacher: the word-list scorer (default) or any LanguageModel (distillation: its scores of the training
   * prompts, rounded to integers; answers it fails to give are left out and counted). It is also the `teacher` variant.
   */
  teacher?: { model: LanguageModel; method?: 'generate' | 'expected' };
  /** A dataset directory (loadDataset) instead of the synthetic market; the corpus is its training-period news. */
  data?: string;
  /** `quick` (default) or `full`: the synthetic market (PRESET_MARKET); the model and every setting are the same. */
  preset?: FinrllamaPreset;
  /** Synthetic market fields over QUICK_SYNTH_CONFIG + the preset's market. */
  market?: SynthConfigInput;
  vocabSize?: number;
  pretrainSteps?: number;
  sftSteps?: number;
  /** Passes over the REINFORCE dates (default 2). */
  rlEpochs?: number;
  /** `expected` (default): exact gradient over the likely answers; `sampled`: k sampled answers (the paper). */
  estimator?: 'expected' | 'sampled';
  /** Decision dates per REINFORCE step (default 4; the paper: 1). */
  datesPerStep?: number;
  /** `expected`: answers kept per prompt until they hold this probability mass (default 0.95) ... */
  topMass?: number;
  /** ... and at most this many (default 5). */
  maxAnswers?: number;
  /** `sampled`: answers per (date, ticker) (the code: 1; default 4). */
  samplesPerPrompt?: number;
  pretrainLr?: number;
  sftLr?: number;
  rlLr?: number;
  /** Learning-rate schedule of SFT: `cosine` (default; 20 warm-up steps, then cosine to 0) or `constant`. */
  sftSchedule?: LrSchedule;
  /** Learning-rate schedule of REINFORCE over all its steps: `constant` (default) or `cosine` (to 0). */
  rlSchedule?: LrSchedule;
  reward?: RewardMode;
  /** Forward return of the reward: `excess` over the tickers' equal-weight mean (default) or `raw`. */
  rewardBasis?: 'excess' | 'raw';
  /** λ of `signed-return` (default 0.5 for signed-return, else unused). */
  positionPenalty?: number;
  /**
   * onnxruntime intra-op threads of the training phases (default min(2, cores)). Results do not depend on it: seed 0's
   * quick run gave bit-identical weights, scores and log with 1 and 2 threads.
   */
  threads?: number;
  /** REINFORCE trains only the top N transformer layers and the final norm (default: every parameter). */
  topLayers?: number;
  /** KL penalty to the SFT model (default 0; `expected` estimator only). */
  klCoef?: number;
  baseline?: BaselineKind;
  credit?: Credit;
  lookahead?: number;
  temperature?: number;
  /** Held-out scoring: `expected` (default; Σ v·p(v) over the score answers) or `greedy` (5 tokens, parsed). */
  scoring?: 'expected' | 'greedy';
  /** Fraction of the training dates, at their end, kept out of REINFORCE and evaluated as a validation slice. */
  validationFraction?: number;
  /** Only the first N training dates in REINFORCE (default all; for tests). */
  rlDays?: number;
  /** Only the first N held-out dates (default all; the written split ends there; for tests). */
  testDays?: number;
  onLog?: (line: Record<string, unknown>) => void;
}

export type LrSchedule = 'constant' | 'cosine';

/** The learning rate of step s (1-based) of n: constant, or `warmup` linear steps then a cosine to 0 at step n. */
export function scheduledLr(lr: number, schedule: LrSchedule, n: number, warmup = 0): (s: number) => number {
  if (schedule === 'constant') return () => lr;
  return (s) => lr * Math.min(1, s / Math.max(1, warmup)) * 0.5 * (1 + Math.cos((Math.PI * (s - 1)) / Math.max(1, n)));
}

/** Fixed batch shapes, so the ort trainer builds one graph per phase. */
const SEQ = 64;
const BATCH = 8;
const RL_ROWS = 4;
const RL_LR = 1e-4;

interface Policy {
  config: LlamaConfig;
  tok: Tokenizer;
  bos: number;
  eos: number;
  pad: number;
  /** Longest prompt + completion the model takes. */
  maxLen: number;
}

function promptIdsOf(p: Policy, prompt: string, room: number): number[] {
  const ids = p.tok.encode(prompt);
  const keep = p.maxLen - room - 1;
  return [p.bos, ...(ids.length > keep ? ids.slice(ids.length - keep) : ids)];
}

/** Rows of a fixed length T: inputs ids[0..T), targets ids[1..T], weight w on completion targets, 0 on padding. */
function paddedRow(p: Policy, promptIds: number[], completion: number[], w: number, T: number) {
  const ids = [...promptIds, ...completion].slice(-(T + 1));
  const nCompletion = Math.min(completion.length, ids.length - 1);
  const inputs = ids.slice(0, -1);
  const targets = ids.slice(1);
  const mask = targets.map((_, i) => (i >= targets.length - nCompletion ? w : 0));
  while (inputs.length < T) {
    inputs.push(p.pad);
    targets.push(p.pad);
    mask.push(0);
  }
  return { inputs, targets, mask };
}

const addScaled = (acc: ParamArrays, g: ParamArrays, k: number) => {
  for (const [n, a] of g) {
    let t = acc.get(n);
    if (!t) {
      t = new Float32Array(a.length);
      acc.set(n, t);
    }
    for (let i = 0; i < a.length; i++) t[i] += k * a[i];
  }
};

/** ∇ of −(1/n) Σ A_i log π(c_i | p_i) through the ort graph (see the module header). */
async function policyGradient(
  tr: OrtTrainer,
  p: Policy,
  samples: { promptIds: number[]; completionIds: number[] }[],
  adv: number[],
  T: number,
): Promise<ParamArrays | null> {
  const n = samples.length;
  const grads: ParamArrays = new Map();
  let any = false;
  for (const sign of [1, -1]) {
    const idx = samples.map((_, i) => i).filter((i) => sign * adv[i] > 0 && samples[i].completionIds.length > 0);
    for (let c = 0; c < idx.length; c += RL_ROWS) {
      const chunk = idx.slice(c, c + RL_ROWS);
      const rows = chunk.map((i) => paddedRow(p, samples[i].promptIds, samples[i].completionIds, Math.abs(adv[i]), T));
      while (rows.length < RL_ROWS) rows.push(paddedRow(p, [p.bos], [], 0, T));
      const total = rows.reduce((s, r) => s + r.mask.reduce((a, x) => a + x, 0), 0);
      if (total <= 0) continue;
      const { grads: g } = await tr.lossAndGrads(
        rows.map((r) => r.inputs),
        rows.map((r) => r.targets),
        rows.map((r) => r.mask),
      );
      // g = ∇ Σ w·CE / total; CE = −log p, so −(1/n) Σ A log π = (1/n) Σ A·CE: scale by sign·total/n
      addScaled(grads, g, (sign * total) / n);
      any = true;
    }
  }
  return any ? grads : null;
}

/**
 * The headline corpus without the dataset headlines published after the training period: the corpus starts with every
 * dataset headline in publication order (docs/synthetic-market.md), then template fillers of random companies.
 */
export function trainingCorpus(corpus: string, ds: Dataset, lastTrainMs: number): string[] {
  const lines = corpus.split('\n').filter((l) => l.trim() !== '');
  const n = ds.news.length;
  for (let i = 0; i < n; i++)
    if (lines[i] !== ds.news[i].headline)
      throw new Error(`corpus line ${i + 1} is not the dataset's headline ${ds.news[i].id}: unexpected corpus layout`);
  return [...ds.news.filter((x) => x.publishedMs <= lastTrainMs).map((x) => x.headline), ...lines.slice(n)];
}

export interface QuickTrainResult {
  run: string;
  seconds: Record<string, number>;
  evaluation: Record<string, VariantEvaluation>;
  /** The same variants on the validation slice (empty when validationFraction is 0). */
  validation: Record<string, VariantEvaluation>;
}

/**
 * Score the held-out dates with a parameter set (greedy, compact prompt). Generation runs through tfjs with the
 * prompt prefilled in one pass (about 5x faster than the per-token JS decoder on 250-token prompts), on the same
 * left-truncated prompt ids as training.
 */
async function scoreWith(
  p: Policy,
  params: ParamArrays,
  id: string,
  ds: Dataset,
  dates: IsoDate[],
  prompt: PromptOptions,
  seed: number,
): Promise<ScoreRecord[]> {
  const model = modelFromArrays(p.config, params);
  try {
    const lm: LanguageModel = {
      ...builtinFromModel(model, p.tok, id),
      async generate(text, s) {
        const ids = promptIdsOf(p, text, s.maxTokens + 3);
        const r = decodeTokens(model, ids, { ...s, stopIds: [p.eos] }, (x) => continuationText(p.tok, x));
        return {
          text: r.text,
          finishReason: r.finishReason,
          usage: { promptTokens: ids.length, completionTokens: r.ids.length },
        };
      },
    };
    return await scoreNews(lm, ds, dates, { prompt, seed });
  } finally {
    disposeModel(model);
  }
}

/**
 * k sampled answers to one prompt from one prefill: each answer continues a branch of the prompt's KV cache,
 * drawing from createRng(seed).fork(`answer:j`) (temperature sampling, up to maxTokens tokens, stop at EOS).
 */
export function sampleAnswers(
  model: Model,
  promptIds: number[],
  k: number,
  o: { maxTokens: number; temperature: number; seed: number; eos: number },
): { ids: number[]; stopped: boolean }[] {
  const cache = newCache();
  const out: { ids: number[]; stopped: boolean }[] = [];
  try {
    const first = stepLogits(model, promptIds, cache);
    const rng = createRng(o.seed);
    for (let j = 0; j < k; j++) {
      const r = rng.fork(`answer:${j}`);
      const b = branchCache(cache);
      try {
        const ids: number[] = [];
        let logits = first;
        let stopped = false;
        while (ids.length < o.maxTokens) {
          const next = sampleToken(logits, { temperature: o.temperature }, r);
          if (next === o.eos) {
            stopped = true;
            break;
          }
          ids.push(next);
          if (ids.length >= o.maxTokens || b.length >= model.config.max_position_embeddings) break;
          logits = stepLogits(model, [next], b);
        }
        out.push({ ids, stopped });
      } finally {
        disposeCache(b);
      }
    }
  } finally {
    disposeCache(cache);
  }
  return out;
}

/** A branch of a KV cache: the same keys/values, owned separately (stepLogits disposes the tensors it replaces). */
function branchCache(c: KvCache): KvCache {
  return { k: c.k.map((x) => tf.keep(tf.clone(x))), v: c.v.map((x) => tf.keep(tf.clone(x))), length: c.length };
}

function logSoftmaxAt(logits: Float32Array, ids: readonly number[]): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) if (x > max) max = x;
  let z = 0;
  for (const x of logits) z += Math.exp(x - max);
  const lz = max + Math.log(z);
  return ids.map((i) => logits[i] - lz);
}

/**
 * log p(candidate | prompt) of every candidate token sequence, by one prefill of the prompt and one cached step per
 * inner node of the candidates' prefix tree (the candidates share their leading " " / " -" tokens).
 */
export function candidateLogProbs(model: Model, promptIds: number[], candidates: readonly number[][]): number[] {
  const out = new Array<number>(candidates.length).fill(0);
  const walk = (cache: KvCache, logits: Float32Array, members: number[], depth: number) => {
    const byToken = new Map<number, number[]>();
    for (const m of members) {
      const t = candidates[m][depth];
      if (!byToken.has(t)) byToken.set(t, []);
      byToken.get(t)!.push(m);
    }
    const toks = [...byToken.keys()];
    const lps = logSoftmaxAt(logits, toks);
    toks.forEach((t, i) => {
      const group = byToken.get(t)!;
      for (const m of group) out[m] += lps[i];
      const deeper = group.filter((m) => candidates[m].length > depth + 1);
      const done = group.filter((m) => candidates[m].length === depth + 1);
      if (done.length > 0 && deeper.length > 0)
        throw new Error('candidateLogProbs: a candidate is a prefix of another');
      if (deeper.length === 0) return;
      const b = branchCache(cache);
      try {
        walk(b, stepLogits(model, [t], b), deeper, depth + 1);
      } finally {
        disposeCache(b);
      }
    });
  };
  const cache = newCache();
  try {
    walk(
      cache,
      stepLogits(model, promptIds, cache),
      candidates.map((_, i) => i),
      0,
    );
  } finally {
    disposeCache(cache);
  }
  return out;
}

/**
 * Expected scores of the held-out dates: p(v) ∝ p(" v" EOS | prompt) over v = −S..S (the answers SFT taught),
 * score = Σ v·p(v); never a parse failure, so the untrained base model gets a defined IC and Sharpe too.
 * `completion` holds the most likely answer.
 */
async function expectedScoresWith(
  p: Policy,
  params: ParamArrays,
  ds: Dataset,
  dates: IsoDate[],
  prompt: PromptOptions,
  seed: number,
): Promise<ScoreRecord[]> {
  const S = prompt.signalStrength ?? 10;
  const candidates = Array.from({ length: 2 * S + 1 }, (_, i) => [...p.tok.encode(` ${i - S}`), p.eos]);
  const model = modelFromArrays(p.config, params);
  const out: ScoreRecord[] = [];
  try {
    for (const date of dates)
      for (const x of newsPairsAt(ds, date, prompt)) {
        const ids = promptIdsOf(p, x.prompt, 8);
        const { score, best } = expectedScore(candidateLogProbs(model, ids, candidates), S);
        out.push({
          date,
          ticker: x.ticker,
          score,
          failed: false,
          completion: ` ${best}`,
          headlines: x.headlines,
          seed: seedFor(seed, date, x.ticker),
        });
      }
  } finally {
    disposeModel(model);
  }
  return out;
}

/** One scored (date, ticker) of REINFORCE: its prompt and the forward return its reward reads. */
interface RlPrompt {
  key: string;
  date: IsoDate;
  promptIds: number[];
  /** Forward return over the lookahead (raw or excess, per `rewardBasis`). */
  d: number;
}

/** The REINFORCE prompts of one decision date (tickers with news that session and a finite forward return). */
function rlPromptsAt(
  p: Policy,
  ds: Dataset,
  date: IsoDate,
  o: { prompt: PromptOptions; lookahead: number; basis: 'excess' | 'raw' },
): RlPrompt[] {
  const fr = forwardReturns(ds.bars, date, o.lookahead);
  const out: RlPrompt[] = [];
  for (const x of newsPairsAt(ds, date, o.prompt)) {
    const d = (o.basis === 'excess' ? fr.excess : fr.raw).get(x.ticker) ?? Number.NaN;
    if (!Number.isFinite(d)) continue;
    out.push({ key: `${date}|${x.ticker}`, date, promptIds: promptIdsOf(p, x.prompt, 8), d });
  }
  return out;
}

/** Log-probabilities of the 2S+1 answers renormalised over them (log p̃(v) = log p(v) − log Σ_u p(u)). */
function answerLogProbs(model: Model, promptIds: number[], answers: number[][]): number[] {
  const lp = candidateLogProbs(model, promptIds, answers);
  const max = Math.max(...lp);
  const lz = max + Math.log(lp.reduce((a, x) => a + Math.exp(x - max), 0));
  return lp.map((x) => x - lz);
}

/**
 * The answers of the expected estimator for one prompt: the most likely answers until they hold `topMass` of the
 * probability (at most `maxAnswers`, at least 2), their renormalised probabilities p̃ and coefficients
 * c_v = p̃(v)·(r(v) − Σ_u p̃(u) r(u)), so Σ_v c_v ∇log π(v) is the exact policy gradient of E_p̃[r] over that set.
 */
export function expectedGradientTerms(
  logp: readonly number[],
  reward: (i: number) => number,
  o: { topMass: number; maxAnswers: number },
): { index: number; coef: number }[] {
  const order = logp.map((_, i) => i).sort((a, b) => logp[b] - logp[a] || a - b);
  const top: number[] = [];
  let mass = 0;
  for (const i of order) {
    if (top.length >= o.maxAnswers || (top.length >= 2 && mass >= o.topMass)) break;
    top.push(i);
    mass += Math.exp(logp[i]);
  }
  const q = top.map((i) => Math.exp(logp[i]) / mass);
  const r = top.map(reward);
  const mean = q.reduce((a, x, j) => a + x * r[j], 0);
  return top.map((i, j) => ({ index: i, coef: q[j] * (r[j] - mean) }));
}

interface RlProgress {
  epoch: number;
  step: number;
  baseline: BaselineState;
  equity: number;
}

const copyParams = (m: ParamArrays): ParamArrays => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

function saveModel(
  dir: string,
  p: Policy,
  params: ParamArrays,
  training?: { progress: RlProgress; tr: OrtTrainer },
): void {
  const st = training?.tr.optimizerState();
  saveArraysCheckpoint(dir, {
    config: p.config,
    params,
    tokenizerJson: p.tok.toJSON(),
    training:
      training && st
        ? {
            state: {
              step: st.step,
              rng: [0, 0, 0, 0],
              optim: {
                lr: 0,
                minLr: 0,
                warmupSteps: 0,
                totalSteps: 0,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weightDecay: 0,
                clipNorm: 1,
                accumSteps: 1,
              },
              trainable: { mode: 'full', freezeLayers: 0 },
              run: { finrllama: training.progress },
            },
            m: st.m,
            v: st.v,
          }
        : undefined,
  });
}

/**
 * Which parameters train when only the top `n` transformer layers do (FLAG-TRADER-style frozen bottom): those of
 * layers L − n .. L − 1 and the final norm; the embeddings (tied to the output head in the micro model) stay frozen.
 */
export function topLayersTrainable(config: LlamaConfig, n: number): (name: string) => boolean {
  const first = config.num_hidden_layers - n;
  if (!Number.isInteger(n) || n < 1 || first < 0)
    throw new UsageError(`--top-layers ${n}: the model has ${config.num_hidden_layers} layers`);
  return (name) => name === 'model.norm.weight' || Number(/^model\.layers\.(\d+)\./.exec(name)?.[1] ?? -1) >= first;
}

/** A saved variant of a quick run (RUN/models/<variant>): its parameters and tokenizer, for scoring. */
export function loadRunModel(dir: string): { config: LlamaConfig; params: ParamArrays; tok: Tokenizer } {
  const ck = loadCheckpoint(dir);
  if (ck.tokenizerJson === undefined) throw new DataError([{ file: join(dir, 'tokenizer.json'), reason: 'missing' }]);
  return { config: ck.config, params: ck.params, tok: fromHfTokenizerJson(ck.tokenizerJson) };
}

function policyOf(config: LlamaConfig, tok: Tokenizer): Policy {
  return {
    config,
    tok,
    bos: config.bos_token_id,
    eos: config.eos_token_id,
    pad: tok.idOf('<pad>') ?? config.eos_token_id,
    maxLen: config.max_position_embeddings,
  };
}

/**
 * Expected scores (Σ v·p(v) over the 2S+1 answers) of a saved quick-run model on `dates`: what `train` writes to
 * RUN/scores/<variant>.jsonl, recomputed from RUN/models/<variant> (the demo and `eval` use it).
 */
export async function scoreRunModel(
  dir: string,
  ds: Dataset,
  dates: IsoDate[],
  prompt: PromptOptions,
  seed: number,
): Promise<ScoreRecord[]> {
  const m = loadRunModel(dir);
  await initTf();
  return expectedScoresWith(policyOf(m.config, m.tok), m.params, ds, dates, prompt, seed);
}

export async function trainQuick(o: QuickTrainOptions): Promise<QuickTrainResult> {
  const t0 = performance.now();
  const seconds: Record<string, number> = {};
  let mark = t0;
  const lap = (k: string) => {
    const now = performance.now();
    seconds[k] = (now - mark) / 1000;
    mark = now;
  };
  const logFile = join(o.out, 'training_log.jsonl');
  const resume = o.resume === true && existsSync(join(o.out, 'config.json'));
  // on resume, the old log's lines of each phase are kept only when that phase's state is loaded (below)
  const oldLog: Record<string, unknown>[] =
    resume && existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l))
      : [];
  const logLines: string[] = [];
  const keepOld = (keep: (x: Record<string, unknown>) => boolean) => {
    for (const x of oldLog) if (keep(x)) logLines.push(JSON.stringify(x));
  };
  const log = (x: Record<string, unknown>) => {
    logLines.push(JSON.stringify(x));
    o.onLog?.(x);
  };
  const flushLog = () => writeFileAtomic(logFile, logLines.map((l) => `${l}\n`).join(''));
  // one stream per phase, forked up front so a phase loaded on --resume does not shift the next phase's draws
  const rng = createRng(o.seed);
  const preRng = rng.fork('pretrain');
  const sftRng = rng.fork('sft');
  const lookahead = o.lookahead ?? 3;
  const S = 10;
  const { threshold: T } = scoreScale(S);
  // real data: two headlines of at most 120 characters keep the compact prompt inside the micro model's 256 positions
  const prompt: PromptOptions = o.data
    ? { variant: 'compact', signalStrength: S, news: { maxHeadlines: 2, maxChars: 120 } }
    : { variant: 'compact', signalStrength: S };
  const preset = o.preset ?? 'quick';
  const marketConfig = { ...PRESET_MARKET[preset], ...o.market };
  const market = o.data ? undefined : generateMarket({ ...QUICK_SYNTH_CONFIG, ...marketConfig, seed: o.seed });
  const ds = market?.dataset ?? loadDataset(o.data!).dataset;
  // real data: the dates from the first news item on (prices often start decades earlier)
  const newsFrom = o.data && ds.news.length ? new Date(ds.news[0].publishedMs).toISOString().slice(0, 10) : undefined;
  const split = defaultSplit(ds, 0.7, lookahead, newsFrom);
  const trainDates = decisionDates(ds, split.trainFrom, split.trainTo);
  const testDates = decisionDates(ds, split.testFrom, split.testTo).slice(0, o.testDays ?? Number.POSITIVE_INFINITY);
  split.testTo = testDates[testDates.length - 1];
  const { fit: fitDates, validation: valDates } = validationSplit(trainDates, o.validationFraction);
  const rlDates = fitDates.slice(0, o.rlDays ?? Number.POSITIVE_INFINITY);
  const lastTrainMs = closeDecisionTime(ds, split.trainTo);
  const corpus = market
    ? trainingCorpus(market.corpus, ds, lastTrainMs)
    : ds.news.filter((x) => x.publishedMs <= lastTrainMs).map((x) => x.headline.replace(/\s+/g, ' ').trim());
  if (corpus.length === 0) throw new UsageError(`${o.data}: no news published in the training period`);
  const tok = trainBpe(corpus.join('\n'), o.vocabSize ?? 1024);
  const config: LlamaConfig = {
    ...presetConfig('micro', tok.vocabSize),
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId ?? 1,
  };
  const p = policyOf(config, tok);
  const pretrainSteps = o.pretrainSteps ?? 300;
  const sftSteps = o.sftSteps ?? 500;
  const epochs = o.rlEpochs ?? 2;
  const estimator = o.estimator ?? 'expected';
  const k = o.samplesPerPrompt ?? 4;
  const baselineKind = o.baseline ?? 'per-prompt';
  const rewardMode = o.reward ?? 'signed-return';
  const rewardBasis = o.rewardBasis ?? 'excess';
  const positionPenalty = o.positionPenalty ?? (rewardMode === 'signed-return' ? 0.5 : 0);
  const klCoef = o.klCoef ?? 0;
  const threads = o.threads ?? Math.min(2, availableParallelism());
  const datesPerStep = o.datesPerStep ?? 4;
  const topMass = o.topMass ?? 0.95;
  const maxAnswers = o.maxAnswers ?? 5;
  const rlLr = o.rlLr ?? RL_LR;
  const sftSchedule = o.sftSchedule ?? 'cosine';
  const rlSchedule = o.rlSchedule ?? 'constant';
  if (klCoef > 0 && estimator !== 'expected')
    throw new UsageError("--kl needs --estimator expected (the KL term uses the answers' exact log-probabilities)");
  // data without opens (INVESTOR-BENCH: one price a day) fills at the next close
  const fill: 'next-close' | undefined = [...ds.bars.values()].some((b) => b.open.every(Number.isNaN))
    ? 'next-close'
    : undefined;
  const evalOpts = {
    signalStrength: S,
    lookahead,
    ...(fill && { backtest: { timing: { decision: 'close' as const, fill } } }),
  };
  const runConfig = {
    format: 'rlmf-finrllama-run/1' as const,
    fill,
    data: o.data ? { dir: o.data } : { synth: { seed: o.seed, quick: true, config: marketConfig } },
    split,
    signalStrength: S,
    lookahead,
    seed: o.seed,
    extra: {
      preset,
      model: 'micro',
      teacher: o.teacher
        ? { backend: o.teacher.model.backend, model: o.teacher.model.modelId, method: o.teacher.method ?? 'generate' }
        : 'word-list',
      // the run checks this on --resume, so a changed dataset is not resumed
      ...(o.data && { dataset: { name: ds.meta.name, news: ds.news.length, tickers: [...ds.bars.keys()].sort() } }),
      vocabSize: tok.vocabSize,
      prompt,
      pretrainSteps,
      sftSteps,
      rlEpochs: epochs,
      estimator,
      samplesPerPrompt: estimator === 'sampled' ? k : undefined,
      topMass: estimator === 'expected' ? topMass : undefined,
      maxAnswers: estimator === 'expected' ? maxAnswers : undefined,
      datesPerStep,
      reward: rewardMode,
      rewardBasis,
      positionPenalty,
      klCoef,
      topLayers: o.topLayers ?? 'all',
      baseline: estimator === 'sampled' ? baselineKind : 'exact (expected reward over the answers)',
      scoring: o.scoring ?? 'expected',
      validation: valDates.length ? { from: valDates[0], to: valDates[valDates.length - 1] } : null,
      credit: o.credit ?? 'per-ticker',
      lr: { pretrain: o.pretrainLr ?? 3e-3, sft: o.sftLr ?? 1e-3, rl: rlLr, sftSchedule, rlSchedule },
      versions: { node: process.version, rlmf: VERSION },
    },
  };
  if (resume) {
    const old = readRunConfig(o.out);
    if (JSON.stringify(old) !== JSON.stringify(parseRunConfig(runConfig, 'new')))
      throw new UsageError(
        `--resume: ${o.out}/config.json was written with other settings; resume with the same flags`,
      );
  } else writeRunConfig(o.out, runConfig);
  const modelDir = (v: string) => join(o.out, 'models', v);
  await initTf();
  lap('setup');

  // 2. pretrain on the headline corpus
  let baseParams: ParamArrays;
  if (resume && existsSync(join(modelDir('base'), 'model.safetensors'))) {
    baseParams = loadRunModel(modelDir('base')).params;
    keepOld((x) => x.phase === 'pretrain');
  } else {
    const stream: number[] = [];
    for (const line of corpus) stream.push(p.bos, ...tok.encode(line), p.eos);
    const tokens = Int32Array.from(stream);
    const pre = createOrtTrainer(config, initParams(config, o.seed), {
      threads,
      lr: (s) => (o.pretrainLr ?? 3e-3) * Math.min(1, s / 20),
      weightDecay: 0.1,
      clip: 1,
    });
    for (let s = 1; s <= pretrainSteps; s++) {
      const b = sampleWindows(tokens, BATCH, SEQ, preRng);
      const r = await pre.step(b.inputs, b.targets);
      if (s % 50 === 0 || s === pretrainSteps) log({ phase: 'pretrain', step: s, loss: r.loss });
    }
    baseParams = copyParams(pre.params());
    await pre.close();
    flushLog();
    saveModel(modelDir('base'), p, baseParams);
  }
  lap('pretrain');

  // 3. SFT on the teacher's scores of the training dates: prompt -> " <score>" EOS
  let sftParams: ParamArrays;
  const L = p.maxLen - 1;
  if (resume && existsSync(join(modelDir('sft'), 'model.safetensors'))) {
    sftParams = loadRunModel(modelDir('sft')).params;
    keepOld((x) => x.phase === 'teacher' || x.phase === 'sft');
  } else {
    let llmTeacher: Map<string, number> | undefined;
    if (o.teacher) {
      const recs = await scoreNews(o.teacher.model, ds, trainDates, {
        prompt,
        seed: o.seed,
        method: o.teacher.method,
      });
      llmTeacher = new Map(recs.filter((r) => !r.failed).map((r) => [`${r.date}|${r.ticker}`, Math.round(r.score)]));
      log({
        phase: 'teacher',
        teacher: o.teacher.model.modelId,
        scored: recs.length,
        failures: recs.length - llmTeacher.size,
      });
    }
    const examples: { promptIds: number[]; completionIds: number[] }[] = [];
    for (const date of trainDates)
      for (const x of newsPairsAt(ds, date, prompt)) {
        // the word-list teacher reads the headlines as the prompt shows them (teacherModel does the same)
        const score = llmTeacher
          ? llmTeacher.get(`${date}|${x.ticker}`)
          : teacherScore(headlinesFromPrompt(x.prompt), { signalStrength: S });
        if (score === undefined) continue;
        examples.push({
          promptIds: promptIdsOf(p, x.prompt, 8),
          completionIds: [...tok.encode(` ${score}`), p.eos],
        });
      }
    const sft = createOrtTrainer(config, baseParams, {
      threads,
      lr: scheduledLr(o.sftLr ?? 1e-3, sftSchedule, sftSteps, 20),
      weightDecay: 0,
      clip: 1,
    });
    for (let s = 1; s <= sftSteps; s++) {
      const rows = Array.from({ length: BATCH }, () => {
        const ex = examples[sftRng.int(examples.length)];
        return paddedRow(p, ex.promptIds, ex.completionIds, 1, L);
      });
      const r = await sft.step(
        rows.map((x) => x.inputs),
        rows.map((x) => x.targets),
        rows.map((x) => x.mask),
      );
      if (s % 25 === 0 || s === sftSteps) log({ phase: 'sft', step: s, loss: r.loss });
    }
    sftParams = copyParams(sft.params());
    await sft.close();
    flushLog();
    saveModel(modelDir('sft'), p, sftParams);
  }
  lap('sft');

  // 4. REINFORCE from market feedback; a checkpoint (parameters, Adam moments, progress) after every epoch
  const answers = Array.from({ length: 2 * S + 1 }, (_, i) => [...tok.encode(` ${i - S}`), p.eos]);
  const rlCkpt = join(o.out, 'checkpoints', 'rl');
  // the schedule counts every batch of dates (a batch without news makes no step, so a cosine ends just above 0)
  const rlSteps = epochs * Math.ceil(rlDates.length / datesPerStep);
  const rl = createOrtTrainer(config, sftParams, {
    threads,
    lr: scheduledLr(rlLr, rlSchedule, rlSteps),
    weightDecay: 0,
    clip: 1,
    ...(o.topLayers !== undefined && { trainable: topLayersTrainable(config, o.topLayers) }),
  });
  let progress: RlProgress = { epoch: 0, step: 0, baseline: NEW_BASELINE, equity: 1 };
  if (resume && existsSync(join(rlCkpt, 'training_state.json'))) {
    const ck = loadCheckpoint(rlCkpt);
    for (const [n, v] of ck.params) rl.params().get(n)!.set(v);
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [n, x] of ck.training!.moments) {
      if (n.startsWith('exp_avg_sq.')) v.set(n.slice('exp_avg_sq.'.length), x);
      else if (n.startsWith('exp_avg.')) m.set(n.slice('exp_avg.'.length), x);
    }
    rl.setOptimizerState({ step: ck.training!.state.step, m, v });
    progress = (ck.training!.state.run as { finrllama: RlProgress }).finrllama;
    keepOld((x) => x.phase === 'rl' && Number(x.step) <= progress.step);
  }
  const live = rl.params();
  const refLogp = new Map<string, number[]>();
  const refModel = klCoef > 0 ? modelFromArrays(config, sftParams) : undefined;
  const rewardOf = (score: number, d: number) =>
    tickerReward(score, d, { mode: rewardMode, threshold: T, signalStrength: S, positionPenalty });
  for (let e = progress.epoch; e < epochs; e++) {
    for (let b = 0; b < rlDates.length; b += datesPerStep) {
      const batchDates = rlDates.slice(b, b + datesPerStep);
      const items = batchDates.flatMap((date) => rlPromptsAt(p, ds, date, { prompt, lookahead, basis: rewardBasis }));
      if (items.length === 0) continue;
      const policy = modelFromArrays(config, live);
      const samples: { promptIds: number[]; completionIds: number[] }[] = [];
      const adv: number[] = [];
      const rewards: number[] = [];
      const signed: number[] = [];
      let failures = 0;
      let kl = 0;
      try {
        if (estimator === 'expected') {
          const terms: { promptIds: number[]; completionIds: number[]; coef: number }[] = [];
          for (const it of items) {
            const logp = answerLogProbs(policy, it.promptIds, answers);
            let ref = refLogp.get(it.key);
            if (refModel && !ref) {
              ref = answerLogProbs(refModel, it.promptIds, answers);
              refLogp.set(it.key, ref);
            }
            const shaped = (i: number) => rewardOf(i - S, it.d) - (ref ? klCoef * (logp[i] - ref[i]) : 0);
            for (const t of expectedGradientTerms(logp, shaped, { topMass, maxAnswers }))
              terms.push({ promptIds: it.promptIds, completionIds: answers[t.index], coef: t.coef });
            const score = logp.reduce((a, l, i) => a + Math.exp(l) * (i - S), 0);
            rewards.push(logp.reduce((a, l, i) => a + Math.exp(l) * rewardOf(i - S, it.d), 0));
            if (ref) kl += logp.reduce((a, l, i) => a + Math.exp(l) * (l - ref[i]), 0);
            if (score >= T) signed.push(it.d);
            else if (score <= -T) signed.push(-it.d);
          }
          // policyGradient forms −(1/n) Σ a_i log π; a_i = n·c_i / P gives −(1/P) Σ_prompts Σ_v c_v log π(v)
          for (const t of terms) {
            samples.push(t);
            adv.push((terms.length * t.coef) / items.length);
          }
        } else {
          for (const it of items) {
            const [date, t] = it.key.split('|');
            const drawn = sampleAnswers(policy, it.promptIds, k, {
              maxTokens: 5,
              temperature: o.temperature ?? 1,
              seed: (seedFor(o.seed, date, t) + 104729 * e) >>> 0,
              eos: p.eos,
            });
            for (const [j, r] of drawn.entries()) {
              const parsed = parseScore(continuationText(tok, r.ids), S);
              if (parsed.failed) failures++;
              if (j === 0 && parsed.score >= T) signed.push(it.d);
              else if (j === 0 && parsed.score <= -T) signed.push(-it.d);
              // the EOS that ended the answer is part of the sampled action
              samples.push({ promptIds: it.promptIds, completionIds: r.stopped ? [...r.ids, p.eos] : r.ids });
              rewards.push(rewardOf(parsed.score, it.d));
            }
          }
          const a = advantages(rewards, progress.baseline, { baseline: baselineKind, credit: o.credit, groupSize: k });
          progress.baseline = a.baseline;
          adv.push(...a.adv);
        }
      } finally {
        disposeModel(policy);
      }
      const g = await policyGradient(rl, p, samples, adv, L);
      const gradNorm = g ? rl.apply(g) : 0;
      progress.step++;
      if (signed.length) progress.equity *= 1 + signed.reduce((x, y) => x + y, 0) / signed.length;
      log({
        phase: 'rl',
        epoch: e + 1,
        step: progress.step,
        date: batchDates[0],
        prompts: items.length,
        rows: samples.length,
        mean_reward: rewards.reduce((x, y) => x + y, 0) / rewards.length,
        mean_abs_advantage: adv.reduce((x, y) => x + Math.abs(y), 0) / Math.max(1, adv.length),
        ...(estimator === 'sampled' && { baseline: progress.baseline.value, parse_failures: failures }),
        ...(refModel && { kl: kl / items.length }),
        grad_norm: gradNorm,
        running_equity: progress.equity,
      });
    }
    progress = { ...progress, epoch: e + 1 };
    flushLog();
    saveModel(rlCkpt, p, live, { progress, tr: rl });
  }
  if (refModel) disposeModel(refModel);
  const rlParams = copyParams(live);
  await rl.close();
  saveModel(modelDir('rlmf'), p, rlParams);
  lap('rl');

  // 5. held-out scores and evaluation
  const scoreSet = (params: ParamArrays, id: string, dates: IsoDate[]) =>
    (o.scoring ?? 'expected') === 'expected'
      ? expectedScoresWith(p, params, ds, dates, prompt, o.seed)
      : scoreWith(p, params, id, ds, dates, prompt, o.seed);
  // the validation slice compares RL settings: the untrained base is not scored there
  const scoreAll = async (dates: IsoDate[], withBase = true): Promise<[string, ScoreRecord[]][]> => [
    ...(withBase ? [['base', await scoreSet(baseParams, 'finrllama-base', dates)] as [string, ScoreRecord[]]] : []),
    ['sft', await scoreSet(sftParams, 'finrllama-sft', dates)],
    ['rlmf', await scoreSet(rlParams, 'finrllama-rlmf', dates)],
    [
      'teacher',
      await scoreNews(o.teacher?.model ?? teacherModel({ signalStrength: S }), ds, dates, {
        prompt,
        seed: o.seed,
        method: o.teacher?.method,
      }),
    ],
  ];
  // the `ridge` yardstick (ridge.ts): fit on the REINFORCE dates' feedback, λ chosen on the validation slice
  const ridge = ridgeYardstick(
    ds,
    { fit: rlDates, validation: valDates, test: testDates },
    { prompt, lookahead, basis: rewardBasis, seed: o.seed },
  );
  log({
    phase: 'ridge',
    lambda: ridge.fit.lambda,
    features: ridge.fit.features,
    validation_ic: ridge.fit.validationIc,
  });
  const evaluation: Record<string, VariantEvaluation> = {};
  for (const [name, recs] of [...(await scoreAll(testDates)), ['ridge', ridge.records] as [string, ScoreRecord[]]]) {
    writeScores(o.out, name, recs);
    evaluation[name] = evaluateScores(ds, recs, {
      from: split.testFrom,
      to: split.testTo,
      ...evalOpts,
    });
  }
  // the validation slice: training-period dates that REINFORCE never saw (their forward returns end before the gap)
  const validation: Record<string, VariantEvaluation> = {};
  if (valDates.length > 0)
    for (const [name, recs] of await scoreAll(valDates, false))
      validation[name] = evaluateScores(ds, recs, {
        from: valDates[0],
        to: valDates[valDates.length - 1],
        ...evalOpts,
      });
  lap('evaluate');
  seconds.total = (performance.now() - t0) / 1000;
  flushLog();
  writeJsonAtomic(join(o.out, 'summary.json'), {
    seconds,
    variants: headlineNumbers(evaluation),
    validation: valDates.length
      ? { from: valDates[0], to: valDates[valDates.length - 1], ...headlineNumbers(validation) }
      : null,
  });
  writeFinrllamaReport(o.out);
  return { run: o.out, seconds, evaluation, validation };
}

/** The five numbers `eval --json` prints per variant. */
export function headlineNumbers(ev: Record<string, VariantEvaluation>): Record<string, Record<string, number | null>> {
  return Object.fromEntries(
    Object.entries(ev).map(([kk, v]) => [
      kk,
      {
        ic: v.ic,
        sharpe_ratio: v.sharpe_ratio,
        cumulative_return: v.cumulative_return,
        win_rate: v.win_rate,
        parse_failure_rate: v.parse_failure_rate,
      },
    ]),
  );
}
