// FinRLlama for frozen backends (llama-cpp, openai-compatible): the language model stays frozen and a small head on
// its answer distribution is trained by REINFORCE with the same rewards and baselines as the full model
// (docs/papers/finrllama-head.md).
//
// Conventions:
// - Pairs: every (decision date, ticker with a bar that date and at least one visible headline), the prompt built
//   from createMarketView(ds, closeDecisionTime(ds, date)) exactly as scoreNews does (point in time).
// - Answers: the K = 2S + 1 integers v = -S..S, as the continuations ` v` + suffix (default "\n") of
//   scoreNews(method: 'expected').
// - Features φ of a pair, computed ONCE per (model, kind, prompt) and cached in memory and in RUN/head_features.jsonl:
//   `logprobs` (default): φ_k = log p(v_k) = l_k − logsumexp(l), l = model.logProbs(prompt, answers), floored at
//   LOGP_FLOOR; `embedding`: φ = e / ‖e‖, e = model.embed([prompt])[0].
// - Head: π(v_k | φ) = softmax(W·φ + b)_k. Init: `logprobs` W = I, b = 0, so π = the model's own answer distribution;
//   `embedding` W = 0, b = 0 (a uniform answer prior: expected score 0, no position until trained).
// - Training: one REINFORCE step per training date (as the paper): for each pair with a finite forward return, draw
//   `samples` answers a ~ π (inverse CDF, u from a per-step fork of createRng(seed)), reward r = tickerReward(v_a, d),
//   advantages A by `advantages` of train.ts (moving-average / none / per-prompt with groups of `samples`), and minimise
//     L(θ) = −(1/n) Σ_i A_i · log π(a_i | φ_i) + (anchor / 2) · ‖θ − θ0‖²      (θ = [W, b], θ0 = the init)
//   with ∂ log π(a | φ) / ∂z_k = 1[k = a] − π_k, z = W·φ + b (analytic), by Adam (β1 0.9, β2 0.999, ε 1e-8),
//   optionally after clipping the gradient norm.
// - Scores: `expected` Σ v·π(v) (default) or `greedy` argmax_v π(v) (first of ties) → ScoreRecord[].
// - Checkpoint RUN/head.json (θ, Adam moments, rng state, step, epoch, baseline, running equity) after every epoch;
//   a run restarted on the same directory resumes from it and ends bit-identical to an uninterrupted run.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, UsageError } from '../../data/errors.ts';
import { closeDecisionTime, createMarketView } from '../../data/pit.ts';
import type { Bars, Dataset, IsoDate } from '../../data/types.ts';
import { CapabilityError, type LanguageModel } from '../../lm/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import { createRng, fromState, type Rng } from '../../util/rng.ts';
import { type PromptOptions, promptInputs, renderPrompt, scoreScale } from './prompt.ts';
import { forwardReturn, type RewardMode, tickerReward } from './reward.ts';
import { type RunConfig, readJsonFile } from './run.ts';
import { decisionDates, type ScoreRecord, scoreDistribution, seedFor } from './score.ts';
import { advantages, type BaselineKind, type BaselineState, type Credit, NEW_BASELINE } from './train.ts';

export type HeadFeatureKind = 'logprobs' | 'embedding';
export type HeadScoring = 'expected' | 'greedy';

/** Normalised log-probabilities below this are raised to it (p < 2e-22: invisible next to the largest p ≥ 1/K). */
export const LOGP_FLOOR = -50;

export const HEAD_FILES = { features: 'head_features.jsonl', checkpoint: 'head.json', log: 'training_log.jsonl' };

// ---------------------------------------------------------------------------------------------------------------
// Pairs and prompts

export interface HeadPair {
  date: IsoDate;
  ticker: string;
  prompt: string;
  /** Headlines in the prompt. */
  headlines: number;
  /** seedFor(seed, date, ticker), as scoreNews. */
  seed: number;
}

/** The continuations of the K = 2S + 1 answers ` -S` + suffix .. ` S` + suffix (as scoreNews `expected`). */
export function answerCandidates(signalStrength: number, suffix = '\n'): string[] {
  return Array.from({ length: 2 * signalStrength + 1 }, (_, i) => ` ${i - signalStrength}${suffix}`);
}

/** Every (date, ticker with a bar that date and a visible headline), its point-in-time prompt; tickers sorted. */
export function headPairs(
  ds: Dataset,
  dates: readonly IsoDate[],
  o: { prompt?: PromptOptions; tickers?: readonly string[]; seed?: number } = {},
): HeadPair[] {
  const tickers = o.tickers ?? [...ds.bars.keys()].sort();
  const out: HeadPair[] = [];
  for (const date of dates) {
    const view = createMarketView(ds, closeDecisionTime(ds, date));
    for (const ticker of tickers) {
      if (view.lastBarDate(ticker) !== date) continue;
      // = buildPrompt(view, ticker, date, o.prompt), with the headlines read once
      const inputs = promptInputs(view, ticker, date, o.prompt);
      if (inputs.headlines.length === 0) continue;
      out.push({
        date,
        ticker,
        prompt: renderPrompt(inputs, o.prompt),
        headlines: inputs.headlines.length,
        seed: seedFor(o.seed ?? 0, date, ticker),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Feature cache: RUN/head_features.jsonl, one line per (kind, model, prompt):
//   {"key": sha256, "date", "ticker", "kind", "model": modelId, "x": [...]}   (x: raw log-probs or the embedding;
//   a -Infinity log-prob is written as null)

export interface FeatureRow {
  key: string;
  date: IsoDate;
  ticker: string;
  kind: HeadFeatureKind;
  model: string;
  x: number[];
}

export interface FeatureStore {
  /** Where the store is saved (none: memory only). */
  file?: string;
  rows: Map<string, FeatureRow>;
  /** Rows added since the last save. */
  unsaved: number;
}

/** Cache key of a pair's features: sha256 of (kind, model id, prompt, answer continuations). */
export function featureKey(kind: HeadFeatureKind, modelId: string, prompt: string, candidates: readonly string[]) {
  return createHash('sha256')
    .update(JSON.stringify([kind, modelId, prompt, kind === 'logprobs' ? candidates : null]))
    .digest('hex');
}

/** Open (read, validate) the feature store at `file`; empty when the file does not exist. */
export function openFeatureStore(file?: string): FeatureStore {
  const rows = new Map<string, FeatureRow>();
  if (file && existsSync(file)) {
    const issues: { file: string; line: number; field?: string; reason: string }[] = [];
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (text.trim() === '') return;
        const line = i + 1;
        let v: Record<string, unknown>;
        try {
          v = JSON.parse(text);
        } catch (e) {
          issues.push({ file, line, reason: `not JSON: ${(e as Error).message}` });
          return;
        }
        for (const f of ['key', 'date', 'ticker', 'model'])
          if (typeof v?.[f] !== 'string') issues.push({ file, line, field: f, reason: 'expected a string' });
        if (v?.kind !== 'logprobs' && v?.kind !== 'embedding')
          issues.push({ file, line, field: 'kind', reason: 'expected "logprobs" or "embedding"' });
        const x = v?.x;
        if (!Array.isArray(x) || x.some((n) => n !== null && typeof n !== 'number'))
          issues.push({ file, line, field: 'x', reason: 'expected an array of numbers (null = -Infinity)' });
        if (issues.length) return;
        const row = v as unknown as FeatureRow;
        rows.set(row.key, { ...row, x: (x as (number | null)[]).map((n) => (n === null ? -Infinity : n)) });
      });
    if (issues.length) throw new DataError(issues);
  }
  return { file, rows, unsaved: 0 };
}

/** Write the store (atomic), rows sorted by (date, ticker, kind, model, key) so the file does not depend on history. */
export function saveFeatureStore(store: FeatureStore): void {
  if (!store.file) return;
  const rows = [...store.rows.values()].sort(
    (a, b) =>
      cmp(a.date, b.date) ||
      cmp(a.ticker, b.ticker) ||
      cmp(a.kind, b.kind) ||
      cmp(a.model, b.model) ||
      cmp(a.key, b.key),
  );
  const text = rows
    .map((r) => `${JSON.stringify({ ...r, x: r.x.map((n) => (Number.isFinite(n) ? n : null)) })}\n`)
    .join('');
  writeFileAtomic(store.file, text);
  store.unsaved = 0;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The raw features (log-probs of the answers, or the embedding) of each pair, from the store when known, else from
 * the model (one logProbs / embed call per unknown pair), saved every `flushEvery` new rows and at the end.
 */
export async function pairFeatures(
  model: LanguageModel,
  store: FeatureStore,
  pairs: readonly HeadPair[],
  kind: HeadFeatureKind,
  o: { signalStrength?: number; candidateSuffix?: string; flushEvery?: number; onProgress?: (done: number) => void },
): Promise<{ x: number[][]; computed: number; reused: number }> {
  const candidates = answerCandidates(o.signalStrength ?? 10, o.candidateSuffix);
  if (kind === 'logprobs' && !model.capabilities.logprobs) throw new CapabilityError(model.backend, 'logprobs');
  if (kind === 'embedding' && !model.capabilities.embeddings) throw new CapabilityError(model.backend, 'embeddings');
  const out: number[][] = [];
  let computed = 0;
  let reused = 0;
  try {
    for (const [i, p] of pairs.entries()) {
      const key = featureKey(kind, model.modelId, p.prompt, candidates);
      let row = store.rows.get(key);
      if (row) reused++;
      else {
        const x =
          kind === 'logprobs'
            ? await model.logProbs(p.prompt, candidates)
            : Array.from((await model.embed([p.prompt]))[0]);
        if (kind === 'logprobs' && x.length !== candidates.length)
          throw new Error(`${model.backend}: ${x.length} log-probs for ${candidates.length} answers`);
        row = { key, date: p.date, ticker: p.ticker, kind, model: model.modelId, x };
        store.rows.set(key, row);
        store.unsaved++;
        computed++;
        if (store.unsaved >= (o.flushEvery ?? 64)) saveFeatureStore(store);
      }
      out.push(row.x);
      o.onProgress?.(i + 1);
    }
  } finally {
    if (store.unsaved > 0) saveFeatureStore(store);
  }
  return { x: out, computed, reused };
}

/** φ of raw answer log-probs: log p = l − logsumexp(l), floored at LOGP_FLOOR. */
export function logProbFeatures(logps: readonly number[]): Float64Array {
  const max = Math.max(...logps);
  if (!Number.isFinite(max)) throw new RangeError('every answer has log-probability -Infinity');
  let sum = 0;
  for (const l of logps) sum += Math.exp(l - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logps, (l) => Math.max(LOGP_FLOOR, l - lse));
}

/** φ of an embedding: e / ‖e‖ (a zero vector stays zero). */
export function embeddingFeatures(e: readonly number[]): Float64Array {
  let n = 0;
  for (const v of e) n += v * v;
  n = Math.sqrt(n) || 1;
  return Float64Array.from(e, (v) => v / n);
}

// ---------------------------------------------------------------------------------------------------------------
// The head: θ = [W (K × D, row-major), b (K)]

export interface Head {
  /** Answers (2S + 1). */
  K: number;
  /** Feature width (K for logprobs, the embedding width otherwise). */
  D: number;
  theta: Float64Array;
  /** Feature centre μ (the mean φ of the training pairs): z = W·(φ − μ) + b. */
  mu: Float64Array;
}

/**
 * The initial head with feature centre μ (default 0): logprobs W = I, b = μ, so z = φ and π = the model's own
 * distribution; embedding W = 0, b = 0 (a uniform answer prior).
 */
export function initHead(
  kind: HeadFeatureKind,
  K: number,
  D: number,
  mu: ArrayLike<number> = new Float64Array(D),
): Head {
  if (kind === 'logprobs' && D !== K) throw new RangeError(`logprobs head: feature width ${D} must equal K = ${K}`);
  if (mu.length !== D) throw new RangeError(`feature centre of width ${mu.length}, expected ${D}`);
  const theta = new Float64Array(K * D + K);
  if (kind === 'logprobs')
    for (let k = 0; k < K; k++) {
      theta[k * D + k] = 1;
      theta[K * D + k] = mu[k];
    }
  return { K, D, theta, mu: Float64Array.from(mu) };
}

/** The mean of the feature vectors (the head's centre μ); zeros when there are none. */
export function featureMean(phis: readonly ArrayLike<number>[], D: number): Float64Array {
  const mu = new Float64Array(D);
  for (const p of phis) for (let j = 0; j < D; j++) mu[j] += p[j];
  if (phis.length) for (let j = 0; j < D; j++) mu[j] /= phis.length;
  return mu;
}

/** π(· | φ) = softmax(W·(φ − μ) + b). */
export function headProbs(h: Head, phi: ArrayLike<number>): Float64Array {
  const { K, D, theta, mu } = h;
  const z = new Float64Array(K);
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let s = theta[K * D + k];
    for (let j = 0; j < D; j++) s += theta[k * D + j] * (phi[j] - mu[j]);
    z[k] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    z[k] = Math.exp(z[k] - max);
    sum += z[k];
  }
  for (let k = 0; k < K; k++) z[k] /= sum;
  return z;
}

/** ∂ log π(a | φ) / ∂θ: ∂/∂z_k = 1[k = a] − π_k, so ∂/∂W_kj = (1[k = a] − π_k)·(φ_j − μ_j), ∂/∂b_k = 1[k = a] − π_k. */
export function logPolicyGrad(h: Head, phi: ArrayLike<number>, a: number, probs = headProbs(h, phi)): Float64Array {
  const { K, D } = h;
  const g = new Float64Array(K * D + K);
  for (let k = 0; k < K; k++) {
    const dz = (k === a ? 1 : 0) - probs[k];
    for (let j = 0; j < D; j++) g[k * D + j] = dz * (phi[j] - h.mu[j]);
    g[K * D + k] = dz;
  }
  return g;
}

export interface HeadSample {
  phi: ArrayLike<number>;
  /** Index of the sampled answer (v = a − S). */
  a: number;
  advantage: number;
}

/** L(θ) = −(1/n) Σ A_i log π(a_i | φ_i) + (anchor / 2)·‖θ − θ0‖² and its gradient (analytic). */
export function surrogateLoss(
  h: Head,
  batch: readonly HeadSample[],
  anchor = 0,
  theta0?: Float64Array,
): { loss: number; grad: Float64Array } {
  const n = batch.length;
  const grad = new Float64Array(h.theta.length);
  let loss = 0;
  for (const s of batch) {
    const p = headProbs(h, s.phi);
    loss -= (s.advantage / n) * Math.log(p[s.a]);
    const g = logPolicyGrad(h, s.phi, s.a, p);
    for (let i = 0; i < g.length; i++) grad[i] -= (s.advantage / n) * g[i];
  }
  if (anchor > 0) {
    if (!theta0) throw new RangeError('anchor > 0 needs theta0');
    let sq = 0;
    for (let i = 0; i < grad.length; i++) {
      const d = h.theta[i] - theta0[i];
      sq += d * d;
      grad[i] += anchor * d;
    }
    loss += (anchor / 2) * sq;
  }
  return { loss, grad };
}

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** Updates done. */
  t: number;
}

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

export function newAdam(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
}

/** One Adam update in place: m, v moments, bias-corrected, θ ← θ − lr·m̂ / (√v̂ + ε). */
export function adamUpdate(theta: Float64Array, grad: ArrayLike<number>, s: AdamState, lr: number): void {
  const { beta1, beta2, eps } = ADAM;
  s.t++;
  const c1 = 1 - beta1 ** s.t;
  const c2 = 1 - beta2 ** s.t;
  for (let i = 0; i < theta.length; i++) {
    s.m[i] = beta1 * s.m[i] + (1 - beta1) * grad[i];
    s.v[i] = beta2 * s.v[i] + (1 - beta2) * grad[i] * grad[i];
    theta[i] -= (lr * (s.m[i] / c1)) / (Math.sqrt(s.v[i] / c2) + eps);
  }
}

/** Index of an answer drawn from `probs` with u in [0, 1) (inverse CDF; the last index absorbs rounding). */
export function drawAnswer(probs: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let k = 0; k < probs.length; k++) {
    acc += probs[k];
    if (u < acc) return k;
  }
  return probs.length - 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Scores

function record(p: HeadPair, probs: ArrayLike<number>, S: number, scoring: HeadScoring): ScoreRecord {
  let score = 0;
  let best = 0;
  for (let k = 0; k < probs.length; k++) {
    score += probs[k] * (k - S);
    if (probs[k] > probs[best]) best = k;
  }
  if (scoring === 'greedy') score = best - S;
  return {
    date: p.date,
    ticker: p.ticker,
    score,
    failed: false,
    completion: ` ${best - S}`,
    headlines: p.headlines,
    seed: p.seed,
  };
}

/** The frozen model's expected scores from its raw answer log-probs: = scoreNews(model, ..., { method: 'expected' }). */
export function baseScores(
  pairs: readonly HeadPair[],
  logps: readonly number[][],
  signalStrength: number,
): ScoreRecord[] {
  return pairs.map((p, i) => record(p, scoreDistribution(logps[i], signalStrength).probs, signalStrength, 'expected'));
}

/** The head's scores: Σ v·π(v) (`expected`) or argmax (`greedy`). */
export function headScores(
  h: Head,
  pairs: readonly HeadPair[],
  phis: readonly ArrayLike<number>[],
  signalStrength: number,
  scoring: HeadScoring = 'expected',
): ScoreRecord[] {
  return pairs.map((p, i) => record(p, headProbs(h, phis[i]), signalStrength, scoring));
}

// ---------------------------------------------------------------------------------------------------------------
// Training run

export interface HeadTrainOptions {
  features?: HeadFeatureKind;
  prompt?: PromptOptions;
  tickers?: readonly string[];
  /** Passes over the training dates (default 3). */
  epochs?: number;
  /** Adam learning rate (default 0.01). */
  lr?: number;
  /** Default `signed-return`. */
  reward?: RewardMode;
  /** Default `moving-average`. */
  baseline?: BaselineKind;
  credit?: Credit;
  /** Answers drawn per pair and step (default 4 with the per-prompt baseline, else 1). */
  samples?: number;
  /** Forward-return horizon of the reward, trading days (default 3). */
  lookahead?: number;
  seed?: number;
  /** L2 pull of θ towards its init (default 0). */
  anchor?: number;
  /** Clip the gradient to this L2 norm (default 0 = off). */
  clipNorm?: number;
  /** Centre the features on their training mean μ (default true; false: μ = 0, the plain W·φ + b). */
  center?: boolean;
  scoring?: HeadScoring;
  candidateSuffix?: string;
  onProgress?: (phase: string, done: number, total: number) => void;
  onStep?: (s: HeadStepLog) => void;
  /** Called after each epoch's checkpoint is written. */
  onEpoch?: (epoch: number) => void;
}

export interface HeadStepLog {
  step: number;
  epoch: number;
  date: IsoDate;
  pairs: number;
  samples: number;
  meanReward: number;
  meanAbsAdvantage: number;
  loss: number;
  gradNorm: number;
  baseline: number;
  /** Equity compounded by the mean signed forward return of the sampled positions (|v| ≥ T), as train.ts. */
  runningEquity: number;
}

/** The settings a checkpoint must share with the run that resumes it (everything but the number of epochs). */
export interface HeadSettings {
  features: HeadFeatureKind;
  model: string;
  signalStrength: number;
  candidateSuffix: string;
  prompt: PromptOptions;
  tickers: string[] | null;
  trainFrom: IsoDate;
  trainTo: IsoDate;
  lr: number;
  reward: RewardMode;
  baseline: BaselineKind;
  credit: Credit;
  samples: number;
  lookahead: number;
  seed: number;
  anchor: number;
  clipNorm: number;
  center: boolean;
}

export interface HeadCheckpoint {
  format: 'rlmf-finrllama-head/1';
  settings: HeadSettings;
  epoch: number;
  step: number;
  K: number;
  D: number;
  mu: number[];
  theta: number[];
  adam: { m: number[]; v: number[]; t: number };
  rng: number[];
  baseline: BaselineState;
  runningEquity: number;
}

export interface HeadRunResult {
  settings: HeadSettings;
  head: Head;
  epochs: number;
  steps: number;
  /** Epochs taken from RUN/head.json instead of trained now. */
  resumedEpochs: number;
  /** Model calls made by this run (logProbs or embed, one per pair not in the feature cache). */
  modelCalls: number;
  featuresReused: number;
  trainPairs: number;
  testPairs: number;
  base?: ScoreRecord[];
  scores: ScoreRecord[];
  log: HeadStepLog[];
}

function readCheckpoint(file: string): HeadCheckpoint | undefined {
  if (!existsSync(file)) return undefined;
  const c = readJsonFile(file) as HeadCheckpoint;
  if (c?.format !== 'rlmf-finrllama-head/1')
    throw new DataError([{ file, field: 'format', reason: 'expected "rlmf-finrllama-head/1"' }]);
  return c;
}

function readLog(file: string, upToStep: number): HeadStepLog[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as HeadStepLog;
      } catch (e) {
        throw new DataError([{ file, line: i + 1, reason: `not JSON: ${(e as Error).message}` }]);
      }
    })
    .filter((s) => s.step <= upToStep);
}

/** The first setting where a checkpoint's settings differ from this run's, as `name: old vs new`. */
function settingsDiff(a: HeadSettings, b: HeadSettings): string | undefined {
  for (const k of Object.keys(b) as (keyof HeadSettings)[]) {
    const x = JSON.stringify(a[k]);
    const y = JSON.stringify(b[k]);
    if (x !== y) return `${k}: ${x} vs ${y}`;
  }
  return undefined;
}

/**
 * Train a head on the frozen `model` over the split's training dates and score the held-out dates.
 * Writes into `out`: head_features.jsonl, head.json (after every epoch), training_log.jsonl. Resumes from head.json
 * when present (same settings; more epochs may be asked for). Returns the held-out scores of the head (and of the
 * frozen model as `base` when it has log-probabilities); the caller writes them (writeScores).
 */
export async function trainHead(
  model: LanguageModel,
  ds: Dataset,
  split: RunConfig['split'],
  out: string,
  o: HeadTrainOptions = {},
): Promise<HeadRunResult> {
  const kind = o.features ?? 'logprobs';
  const { signalStrength: S, threshold: T } = scoreScale(o.prompt?.signalStrength ?? 10);
  const K = 2 * S + 1;
  const baselineKind = o.baseline ?? 'moving-average';
  const samples = o.samples ?? (baselineKind === 'per-prompt' ? 4 : 1);
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`samples: ${samples} is not a positive integer`);
  if (baselineKind === 'per-prompt' && samples < 2)
    throw new UsageError('the per-prompt baseline needs at least 2 samples per pair');
  const epochs = o.epochs ?? 3;
  if (!Number.isInteger(epochs) || epochs < 0) throw new UsageError(`epochs: ${epochs} is not an integer >= 0`);
  const settings: HeadSettings = {
    features: kind,
    model: model.modelId,
    signalStrength: S,
    candidateSuffix: o.candidateSuffix ?? '\n',
    prompt: o.prompt ?? {},
    tickers: o.tickers ? [...o.tickers] : null,
    trainFrom: split.trainFrom,
    trainTo: split.trainTo,
    lr: o.lr ?? 0.01,
    reward: o.reward ?? 'signed-return',
    baseline: baselineKind,
    credit: o.credit ?? 'per-ticker',
    samples,
    lookahead: o.lookahead ?? 3,
    seed: o.seed ?? 0,
    anchor: o.anchor ?? 0,
    clipNorm: o.clipNorm ?? 0,
    center: o.center ?? true,
  };
  const progress = (phase: string, total: number) => (done: number) => o.onProgress?.(phase, done, total);

  // Pairs: training pairs with a finite forward return (the reward needs it), every held-out pair.
  const pairOpts = { prompt: o.prompt, tickers: o.tickers, seed: settings.seed };
  const fwd = (p: HeadPair) => forwardReturn(ds.bars.get(p.ticker) as Bars, p.date, settings.lookahead);
  const trainPairs = headPairs(ds, decisionDates(ds, split.trainFrom, split.trainTo), pairOpts).filter((p) =>
    Number.isFinite(fwd(p)),
  );
  const testPairs = headPairs(ds, decisionDates(ds, split.testFrom, split.testTo), pairOpts);

  // Features, once per pair (cached on disk).
  const store = openFeatureStore(join(out, HEAD_FILES.features));
  const fo = { signalStrength: S, candidateSuffix: settings.candidateSuffix };
  let calls = 0;
  let reused = 0;
  const features = async (pairs: HeadPair[], k: HeadFeatureKind, phase: string) => {
    const r = await pairFeatures(model, store, pairs, k, { ...fo, onProgress: progress(phase, pairs.length) });
    calls += r.computed;
    reused += r.reused;
    return r.x;
  };
  const phi = (x: number[]) => (kind === 'logprobs' ? logProbFeatures(x) : embeddingFeatures(x));
  const trainPhi = (await features(trainPairs, kind, `features (${kind}), training dates`)).map(phi);
  const testRaw = await features(testPairs, kind, `features (${kind}), held-out dates`);
  const testPhi = testRaw.map(phi);
  let base: ScoreRecord[] | undefined;
  if (kind === 'logprobs') base = baseScores(testPairs, testRaw, S);
  else if (model.capabilities.logprobs)
    base = baseScores(testPairs, await features(testPairs, 'logprobs', 'base (logprobs), held-out dates'), S);
  const D = kind === 'logprobs' ? K : (trainPhi[0] ?? testPhi[0])?.length;
  if (D === undefined) throw new UsageError('no (date, ticker) with news in the split: nothing to train or score');

  // State: fresh or from the checkpoint.
  const init = initHead(kind, K, D, settings.center ? featureMean(trainPhi, D) : undefined);
  const theta0 = init.theta;
  const head: Head = { ...init, theta: theta0.slice() };
  let adam = newAdam(theta0.length);
  let rng: Rng = createRng(`finrllama-head:${settings.seed}`);
  let baseline: BaselineState = NEW_BASELINE;
  let equity = 1;
  let step = 0;
  let epoch = 0;
  const ckptFile = join(out, HEAD_FILES.checkpoint);
  const logFile = join(out, HEAD_FILES.log);
  let log: HeadStepLog[] = [];
  const ckpt = readCheckpoint(ckptFile);
  if (ckpt) {
    const diff = settingsDiff(ckpt.settings, settings);
    if (diff) throw new UsageError(`${ckptFile} was trained with other settings (${diff}): use a new --out`);
    if (ckpt.epoch > epochs)
      throw new UsageError(`${ckptFile} already holds ${ckpt.epoch} epochs, more than the ${epochs} asked for`);
    if (ckpt.K !== K || ckpt.D !== D || ckpt.theta.length !== theta0.length)
      throw new DataError([{ file: ckptFile, field: 'theta', reason: `expected a ${K} × ${D} head` }]);
    if (ckpt.mu.length !== D || ckpt.mu.some((x, j) => x !== head.mu[j]))
      throw new UsageError(
        `${ckptFile}: the training features changed since it was written (μ differs): use a new --out`,
      );
    head.theta = Float64Array.from(ckpt.theta);
    adam = { m: Float64Array.from(ckpt.adam.m), v: Float64Array.from(ckpt.adam.v), t: ckpt.adam.t };
    rng = fromState(ckpt.rng);
    baseline = ckpt.baseline;
    equity = ckpt.runningEquity;
    step = ckpt.step;
    epoch = ckpt.epoch;
    log = readLog(logFile, step);
  }
  const resumedEpochs = epoch;
  const writeCheckpoint = () =>
    writeJsonAtomic(ckptFile, {
      format: 'rlmf-finrllama-head/1',
      settings,
      epoch,
      step,
      K,
      D,
      mu: Array.from(head.mu),
      theta: Array.from(head.theta),
      adam: { m: Array.from(adam.m), v: Array.from(adam.v), t: adam.t },
      rng: rng.state(),
      baseline,
      runningEquity: equity,
    } satisfies HeadCheckpoint);

  // Training: one step per training date.
  const byDate = new Map<IsoDate, number[]>();
  trainPairs.forEach((p, i) => {
    const list = byDate.get(p.date);
    if (list) list.push(i);
    else byDate.set(p.date, [i]);
  });
  const rewardOpts = { mode: settings.reward, threshold: T, signalStrength: S };
  for (; epoch < epochs; ) {
    const e = epoch + 1;
    for (const [date, idx] of byDate) {
      const draw = rng.fork(`step:${step + 1}`);
      const batch: HeadSample[] = [];
      const rewards: number[] = [];
      const signed: number[] = [];
      for (const i of idx) {
        const probs = headProbs(head, trainPhi[i]);
        const d = fwd(trainPairs[i]);
        for (let j = 0; j < samples; j++) {
          const a = drawAnswer(probs, draw.next());
          const v = a - S;
          rewards.push(tickerReward(v, d, rewardOpts));
          if (v >= T) signed.push(d);
          else if (v <= -T) signed.push(-d);
          batch.push({ phi: trainPhi[i], a, advantage: 0 });
        }
      }
      const adv = advantages(rewards, baseline, {
        baseline: settings.baseline,
        credit: settings.credit,
        groupSize: samples,
      });
      baseline = adv.baseline;
      batch.forEach((s, i) => {
        s.advantage = adv.adv[i];
      });
      const { loss, grad } = surrogateLoss(head, batch, settings.anchor, theta0);
      let norm = 0;
      for (const g of grad) norm += g * g;
      norm = Math.sqrt(norm);
      if (settings.clipNorm > 0 && norm > settings.clipNorm)
        for (let i = 0; i < grad.length; i++) grad[i] *= settings.clipNorm / norm;
      adamUpdate(head.theta, grad, adam, settings.lr);
      step++;
      if (signed.length) equity *= 1 + signed.reduce((a, x) => a + x, 0) / signed.length;
      const entry: HeadStepLog = {
        step,
        epoch: e,
        date,
        pairs: idx.length,
        samples: batch.length,
        meanReward: rewards.reduce((a, x) => a + x, 0) / rewards.length,
        meanAbsAdvantage: adv.adv.reduce((a, x) => a + Math.abs(x), 0) / adv.adv.length,
        loss,
        gradNorm: norm,
        baseline: baseline.value,
        runningEquity: equity,
      };
      log.push(entry);
      o.onStep?.(entry);
    }
    epoch = e;
    // The log first, then the checkpoint: a crash in between leaves log lines past the checkpoint, dropped on resume.
    writeFileAtomic(logFile, log.map((x) => `${JSON.stringify(x)}\n`).join(''));
    writeCheckpoint();
    o.onEpoch?.(epoch);
  }
  if (!existsSync(ckptFile)) {
    // epochs = 0: the untrained head is still recorded, so the directory is complete.
    writeFileAtomic(logFile, '');
    writeCheckpoint();
  }
  return {
    settings,
    head,
    epochs: epoch,
    steps: step,
    resumedEpochs,
    modelCalls: calls,
    featuresReused: reused,
    trainPairs: trainPairs.length,
    testPairs: testPairs.length,
    base,
    scores: headScores(head, testPairs, testPhi, S, o.scoring ?? 'expected'),
    log,
  };
}
