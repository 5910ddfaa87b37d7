// `rlmf finrllama train --preset quick`: the whole FinRLlama pipeline on the embedded synthetic market with the
// built-in micro model, trained with the onnxruntime trainer (src/lm/ort/trainer.ts):
//   1. market (QUICK, seed), the 70/30 split (defaultSplit), a byte-level BPE on the headline corpus;
//   2. pretrain the micro model on the corpus (next-token loss)            -> variant `base`;
//   3. warm start: supervised fine-tuning on the word-list teacher's scores of the training dates -> variant `sft`;
//   4. REINFORCE from market feedback on the training dates but the validation slice (their last 20 %): k answers per
//      (date, ticker) from one prefill (sampleAnswers), reward `signed-return`, leave-one-out advantages -> `rlmf`;
//   5. score the held-out dates and the validation slice with every variant (expected score Σ v·p(v) over the 21
//      answers, candidateLogProbs; or greedy) and write RUN/config.json, RUN/scores/<variant>.jsonl,
//      RUN/training_log.jsonl and RUN/summary.json.
// REINFORCE through the ort graph: its loss is Σ_t w_t·CE_t / Σ_t w_t over token weights w ≥ 0, so the policy
// gradient ∇(−(1/n) Σ_i A_i log π(c_i | p_i)) is formed from two weighted calls: samples with A > 0 (weights A_i on
// their completion tokens) and with A < 0 (weights |A_i|), each gradient rescaled by its Σ w / n, the second negated.
// Determinism: every draw comes from createRng(seed) forks; ort runs single-threaded. Not done here: checkpoints and
// resume, the KL penalty (needs the reference log-probs through the ort graph), LoRA (the micro model trains in full).
import { join } from 'node:path';
import { closeDecisionTime, createMarketView } from '../../data/pit.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../../data/synth/index.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { builtinFromModel } from '../../lm/builtin/backend.ts';
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
import { trainBpe } from '../../lm/tokenizer/index.ts';
import type { Tokenizer } from '../../lm/tokenizer/types.ts';
import type { LanguageModel } from '../../lm/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import { createRng } from '../../util/rng.ts';
import { evaluateScores, type VariantEvaluation } from './evaluate.ts';
import { parseScore } from './parse.ts';
import { buildPrompt, headlinesAt, type PromptOptions, scoreScale } from './prompt.ts';
import { forwardReturn, type RewardMode, tickerReward } from './reward.ts';
import { defaultSplit, writeRunConfig, writeScores } from './run.ts';
import { decisionDates, type ScoreRecord, scoreDistribution, scoreNews, seedFor, teacherModel } from './score.ts';
import { teacherScore } from './teacher.ts';
import { advantages, type BaselineKind, type BaselineState, type Credit, NEW_BASELINE } from './train.ts';

export interface QuickTrainOptions {
  seed: number;
  out: string;
  vocabSize?: number;
  pretrainSteps?: number;
  sftSteps?: number;
  /** Passes over the training dates (one REINFORCE step per date with samples). */
  rlEpochs?: number;
  /** Samples per (date, ticker) in REINFORCE (the code: 1). */
  samplesPerPrompt?: number;
  pretrainLr?: number;
  sftLr?: number;
  rlLr?: number;
  reward?: RewardMode;
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

function bytesText(tok: Tokenizer, ids: number[]): string {
  const parts = ids.map((i) => tok.tokenBytes(i));
  const all = new Uint8Array(parts.reduce((s, x) => s + x.length, 0));
  let at = 0;
  for (const x of parts) {
    all.set(x, at);
    at += x.length;
  }
  return new TextDecoder().decode(all);
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
        const r = decodeTokens(model, ids, { ...s, stopIds: [p.eos] }, (x) => bytesText(p.tok, x));
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
  const values = Array.from({ length: 2 * S + 1 }, (_, i) => i - S);
  const candidates = values.map((v) => [...p.tok.encode(` ${v}`), p.eos]);
  const model = modelFromArrays(p.config, params);
  const out: ScoreRecord[] = [];
  try {
    for (const date of dates) {
      const view = createMarketView(ds, closeDecisionTime(ds, date));
      for (const t of [...ds.bars.keys()].sort()) {
        if (view.lastBarDate(t) !== date) continue;
        const n = headlinesAt(view, t, date, prompt.news).length;
        if (n === 0) continue;
        const ids = promptIdsOf(p, buildPrompt(view, t, date, prompt), 8);
        const { probs } = scoreDistribution(candidateLogProbs(model, ids, candidates), S);
        let score = 0;
        let best = 0;
        probs.forEach((q, i) => {
          score += q * values[i];
          if (q > probs[best]) best = i;
        });
        out.push({
          date,
          ticker: t,
          score,
          failed: false,
          completion: ` ${values[best]}`,
          headlines: n,
          seed: seedFor(seed, date, t),
        });
      }
    }
  } finally {
    disposeModel(model);
  }
  return out;
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
  const log = (x: Record<string, unknown>) => {
    logLines.push(JSON.stringify(x));
    o.onLog?.(x);
  };
  const logLines: string[] = [];
  const rng = createRng(o.seed);
  const lookahead = o.lookahead ?? 3;
  const S = 10;
  const { threshold: T } = scoreScale(S);
  const prompt: PromptOptions = { variant: 'compact', signalStrength: S };
  const market = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: o.seed });
  const ds = market.dataset;
  const split = defaultSplit(ds, 0.7, lookahead);
  const trainDates = decisionDates(ds, split.trainFrom, split.trainTo);
  const testDates = decisionDates(ds, split.testFrom, split.testTo).slice(0, o.testDays ?? Number.POSITIVE_INFINITY);
  split.testTo = testDates[testDates.length - 1];
  const nVal = Math.floor(trainDates.length * (o.validationFraction ?? 0.2));
  const valDates = trainDates.slice(trainDates.length - nVal);
  const rlDates = trainDates.slice(0, trainDates.length - nVal).slice(0, o.rlDays ?? Number.POSITIVE_INFINITY);
  const corpus = trainingCorpus(market.corpus, ds, closeDecisionTime(ds, split.trainTo));
  const tok = trainBpe(corpus.join('\n'), o.vocabSize ?? 1024);
  const config: LlamaConfig = {
    ...presetConfig('micro', tok.vocabSize),
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId ?? 1,
  };
  const p: Policy = {
    config,
    tok,
    bos: config.bos_token_id,
    eos: config.eos_token_id,
    pad: tok.idOf('<pad>') ?? config.eos_token_id,
    maxLen: config.max_position_embeddings,
  };
  await initTf();
  lap('setup');

  // 2. pretrain on the headline corpus
  const stream: number[] = [];
  for (const line of corpus) stream.push(p.bos, ...tok.encode(line), p.eos);
  const tokens = Int32Array.from(stream);
  const pretrainSteps = o.pretrainSteps ?? 300;
  const pre = createOrtTrainer(config, initParams(config, o.seed), {
    lr: (s) => (o.pretrainLr ?? 3e-3) * Math.min(1, s / 20),
    weightDecay: 0.1,
    clip: 1,
  });
  const preRng = rng.fork('pretrain');
  for (let s = 1; s <= pretrainSteps; s++) {
    const b = sampleWindows(tokens, BATCH, SEQ, preRng);
    const r = await pre.step(b.inputs, b.targets);
    if (s % 50 === 0 || s === pretrainSteps) log({ phase: 'pretrain', step: s, loss: r.loss });
  }
  const baseParams = new Map([...pre.params()].map(([k, v]) => [k, Float32Array.from(v)]));
  await pre.close();
  lap('pretrain');

  // 3. SFT on the teacher's scores of the training dates: prompt -> " <score>" EOS
  const examples: { promptIds: number[]; completionIds: number[] }[] = [];
  for (const date of trainDates) {
    const view = createMarketView(ds, closeDecisionTime(ds, date));
    for (const t of view.tickers) {
      if (view.lastBarDate(t) !== date) continue;
      const heads = headlinesAt(view, t, date, prompt.news);
      if (heads.length === 0) continue;
      const score = teacherScore(
        heads.map((h) => h.headline),
        { signalStrength: S },
      );
      examples.push({
        promptIds: promptIdsOf(p, buildPrompt(view, t, date, prompt), 8),
        completionIds: [...tok.encode(` ${score}`), p.eos],
      });
    }
  }
  const sftSteps = o.sftSteps ?? 250;
  const sft = createOrtTrainer(config, baseParams, { lr: o.sftLr ?? 1e-3, weightDecay: 0, clip: 1 });
  const sftRng = rng.fork('sft');
  const L = p.maxLen - 1;
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
  const sftParams = new Map([...sft.params()].map(([k, v]) => [k, Float32Array.from(v)]));
  await sft.close();
  lap('sft');

  // 4. REINFORCE from market feedback
  const rl = createOrtTrainer(config, sftParams, { lr: o.rlLr ?? RL_LR, weightDecay: 0, clip: 1 });
  const live = rl.params();
  const rlRng = rng.fork('rl');
  let baseline: BaselineState = NEW_BASELINE;
  let equity = 1;
  let step = 0;
  const epochs = o.rlEpochs ?? 1;
  const k = o.samplesPerPrompt ?? 4;
  const baselineKind = o.baseline ?? 'per-prompt';
  const rewardMode = o.reward ?? 'signed-return';
  for (let e = 0; e < epochs; e++) {
    for (const date of rlDates) {
      const view = createMarketView(ds, closeDecisionTime(ds, date));
      const policy = modelFromArrays(config, live);
      const samples: { promptIds: number[]; completionIds: number[] }[] = [];
      const rewards: number[] = [];
      const signed: number[] = [];
      let failures = 0;
      for (const t of view.tickers) {
        if (view.lastBarDate(t) !== date || headlinesAt(view, t, date, prompt.news).length === 0) continue;
        const d = forwardReturn(ds.bars.get(t)!, date, lookahead);
        if (!Number.isFinite(d)) continue;
        const promptIds = promptIdsOf(p, buildPrompt(view, t, date, prompt), 8);
        const answers = sampleAnswers(policy, promptIds, k, {
          maxTokens: 5,
          temperature: o.temperature ?? 1,
          seed: (seedFor(o.seed, date, t) + 104729 * e + rlRng.int(1000)) >>> 0,
          eos: p.eos,
        });
        for (const [j, r] of answers.entries()) {
          const text = bytesText(tok, r.ids);
          const parsed = parseScore(text, S);
          if (parsed.failed) failures++;
          if (j === 0 && parsed.score >= T) signed.push(d);
          else if (j === 0 && parsed.score <= -T) signed.push(-d);
          // the EOS that ended the answer is part of the sampled action
          samples.push({ promptIds, completionIds: r.stopped ? [...r.ids, p.eos] : r.ids });
          rewards.push(tickerReward(parsed.score, d, { mode: rewardMode, threshold: T, signalStrength: S }));
        }
      }
      disposeModel(policy);
      if (samples.length === 0) continue;
      const a = advantages(rewards, baseline, { baseline: baselineKind, credit: o.credit, groupSize: k });
      baseline = a.baseline;
      const g = await policyGradient(rl, p, samples, a.adv, L);
      const gradNorm = g ? rl.apply(g) : 0;
      step++;
      if (signed.length) equity *= 1 + signed.reduce((x, y) => x + y, 0) / signed.length;
      log({
        phase: 'rl',
        step,
        date,
        samples: samples.length,
        mean_reward: rewards.reduce((x, y) => x + y, 0) / rewards.length,
        mean_abs_advantage: a.adv.reduce((x, y) => x + Math.abs(y), 0) / a.adv.length,
        baseline: baseline.value,
        grad_norm: gradNorm,
        parse_failures: failures,
        running_equity: equity,
      });
    }
  }
  const rlParams = new Map([...live].map(([kk, v]) => [kk, Float32Array.from(v)]));
  await rl.close();
  lap('rl');

  // 5. held-out scores and evaluation
  writeRunConfig(o.out, {
    format: 'rlmf-finrllama-run/1',
    data: { synth: { seed: o.seed, quick: true } },
    split,
    signalStrength: S,
    lookahead,
    seed: o.seed,
    extra: {
      preset: 'quick',
      model: 'micro',
      vocabSize: tok.vocabSize,
      prompt,
      pretrainSteps,
      sftSteps,
      rlEpochs: epochs,
      samplesPerPrompt: k,
      reward: rewardMode,
      baseline: baselineKind,
      scoring: o.scoring ?? 'expected',
      validation: valDates.length ? { from: valDates[0], to: valDates[valDates.length - 1] } : null,
      credit: o.credit ?? 'per-ticker',
      lr: { pretrain: o.pretrainLr ?? 3e-3, sft: o.sftLr ?? 1e-3, rl: o.rlLr ?? RL_LR },
    },
  });
  const scoreSet = (params: ParamArrays, id: string, dates: IsoDate[]) =>
    (o.scoring ?? 'expected') === 'expected'
      ? expectedScoresWith(p, params, ds, dates, prompt, o.seed)
      : scoreWith(p, params, id, ds, dates, prompt, o.seed);
  const scoreAll = async (dates: IsoDate[]): Promise<[string, ScoreRecord[]][]> => [
    ['base', await scoreSet(baseParams, 'finrllama-base', dates)],
    ['sft', await scoreSet(sftParams, 'finrllama-sft', dates)],
    ['rlmf', await scoreSet(rlParams, 'finrllama-rlmf', dates)],
    ['teacher', await scoreNews(teacherModel({ signalStrength: S }), ds, dates, { prompt, seed: o.seed })],
  ];
  const evaluation: Record<string, VariantEvaluation> = {};
  for (const [name, recs] of await scoreAll(testDates)) {
    writeScores(o.out, name, recs);
    evaluation[name] = evaluateScores(ds, recs, {
      from: split.testFrom,
      to: split.testTo,
      signalStrength: S,
      lookahead,
    });
  }
  // the validation slice: training-period dates that REINFORCE never saw (their forward returns end before the gap)
  const validation: Record<string, VariantEvaluation> = {};
  if (valDates.length > 0)
    for (const [name, recs] of await scoreAll(valDates))
      validation[name] = evaluateScores(ds, recs, {
        from: valDates[0],
        to: valDates[valDates.length - 1],
        signalStrength: S,
        lookahead,
      });
  lap('evaluate');
  seconds.total = (performance.now() - t0) / 1000;
  writeFileAtomic(join(o.out, 'training_log.jsonl'), logLines.map((l) => `${l}\n`).join(''));
  const headline = (ev: Record<string, VariantEvaluation>) =>
    Object.fromEntries(
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
  writeJsonAtomic(join(o.out, 'summary.json'), {
    seconds,
    variants: headline(evaluation),
    validation: valDates.length
      ? { from: valDates[0], to: valDates[valDates.length - 1], ...headline(validation) }
      : null,
  });
  return { run: o.out, seconds, evaluation, validation };
}
