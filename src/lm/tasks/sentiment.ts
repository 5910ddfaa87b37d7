// Real-language check of the training stack (issue 3 item 8): the built-in `small` Llama model, trained from scratch
// with the onnxruntime trainer, as a 3-class financial sentiment classifier. The classifier is a language model:
// prompt `<s>{sentence}\nSentiment:` with completion ` positive|negative|neutral`, loss on the completion tokens only;
// the predicted class is the completion with the highest summed log-probability (forward pass only). Evaluated on a
// held-out Financial PhraseBank split next to the Loughran-McDonald word-list baseline. See docs/lm-sentiment.md.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { formatCsv } from '../../data/csv.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import { createRng } from '../../util/rng.ts';
import {
  configJson,
  countParams,
  initParams,
  type LlamaConfig,
  type ParamArrays,
  paramShapes,
  presetConfig,
} from '../builtin/config.ts';
import { writeSafetensors } from '../formats/safetensors.ts';
import type { Tensor } from '../formats/types.ts';
import { createOrtTrainer, type OrtTrainer } from '../ort/trainer.ts';
import { trainBpe } from '../tokenizer/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import { type ClassificationReport, classificationReport } from './metrics.ts';
import {
  type LabeledSentence,
  type LoadReport,
  lmBaseline,
  loadLoughranMcDonald,
  loadPhraseBank,
  loadSentFin,
  loadUnlabeledText,
  SENTIMENT_LABELS,
  type SentimentLabel,
  sentenceKey,
  shuffleInPlace,
  splitPhraseBank,
} from './sentiment-data.ts';

export const PROMPT_SUFFIX = '\nSentiment:';

export interface SentimentCheckOptions {
  /** The ../shared directory. */
  sharedDir: string;
  seed?: number;
  /** Fine-tuning steps (batches; default 1500). */
  steps?: number;
  /** Language-model pretraining steps on unlabeled FNSPID news before fine-tuning (default 0 = none). */
  pretrainSteps?: number;
  /** Examples (fine-tuning) or 96-token rows (pretraining) per step (default 16). */
  batchSize?: number;
  /** Peak learning rate (default 1e-3; linear warmup over 5% of a phase's steps, cosine decay to 10%). */
  lr?: number;
  /** onnxruntime threads. */
  threads?: number;
  preset?: 'micro' | 'small';
  /** Overrides of the preset's shape (tests use a tiny model). */
  modelOverrides?: Partial<Omit<LlamaConfig, 'vocab_size'>>;
  vocabSize?: number;
  /** Fraction of PhraseBank held out for testing. */
  testFraction?: number;
  /** Use SEntFiN headlines in training (default true). */
  sentfin?: boolean;
  /** Caps for quick runs (tests): at most this many training / test examples (seeded subsample). */
  maxTrain?: number;
  maxTest?: number;
  /** Characters of unlabeled text for the tokenizer and pretraining (default 1.6M = all of the FNSPID sample). */
  unlabeledChars?: number;
  /** Write sentiment-check.json, predictions.csv and model/ (config.json, model.safetensors, tokenizer.json) here. */
  out?: string;
  /** Called every `logEvery` steps. */
  onLog?: (e: {
    phase: 'pretrain' | 'finetune';
    step: number;
    steps: number;
    loss: number;
    tokensPerSecond: number;
  }) => void;
  logEvery?: number;
}

export interface SentimentCheckResult {
  seed: number;
  data: {
    phrasebank: LoadReport & { train: number; test: number; testAllAgree: number; split: string };
    sentfin?: LoadReport;
    unlabeledLines: number;
    trainExamples: number;
    trainLabels: Record<string, number>;
    testLabels: Record<string, number>;
  };
  model: { preset: string; params: number; config: LlamaConfig; tokenizerVocab: number; maxLen: number };
  training: {
    steps: number;
    pretrainSteps: number;
    batchSize: number;
    lr: number;
    threads: number;
    tokensSeen: number;
    /** Padded tokens through forward+backward per wall-clock second of training steps. */
    tokensPerSecond: number;
    pretrainTokensPerSecond?: number;
    trainSeconds: number;
    pretrainSeconds: number;
    /** Mean completion loss per log window: [step, loss]. */
    lossCurve: [number, number][];
    pretrainLossCurve: [number, number][];
  };
  evaluation: {
    model: ClassificationReport;
    baseline: ClassificationReport;
    modelAllAgree: ClassificationReport;
    baselineAllAgree: ClassificationReport;
    evalSeconds: number;
  };
  wallSeconds: number;
  machine: { cpu: string; cores: number; node: string };
}

/** Length buckets (tokens per row): each batch is padded to the smallest bucket that fits its longest row. */
const BUCKETS = [32, 64, 96];

interface Encoded {
  /** BOS + prompt + completion. */
  ids: number[];
  /** Number of leading tokens that are prompt (BOS included); the rest is completion. */
  promptLen: number;
}

/** Encode one example; the sentence is cut from the end (keeping its beginning) so the row fits `maxLen` tokens. */
export function encodeExample(tok: Tokenizer, text: string, completion: string, maxLen: number): Encoded {
  const bos = tok.bosId ?? 0;
  const suffix = tok.encode(PROMPT_SUFFIX);
  const comp = tok.encode(` ${completion}`);
  let body = tok.encode(text);
  const room = maxLen - 1 - suffix.length - comp.length;
  if (room < 1) throw new Error(`maxLen ${maxLen} leaves no room for the sentence`);
  if (body.length > room) body = body.slice(0, room);
  const prompt = [bos, ...body, ...suffix];
  return { ids: [...prompt, ...comp], promptLen: prompt.length };
}

/** Rows for the trainer: inputs ids[0..n-2], targets ids[1..n-1], mask on completion targets; right-padded to T. */
export function toRows(examples: readonly Encoded[], T: number, pad: number) {
  const inputs: Int32Array[] = [];
  const targets: Int32Array[] = [];
  const masks: Int32Array[] = [];
  for (const ex of examples) {
    const n = ex.ids.length - 1;
    if (n > T) throw new Error(`row of ${n} tokens does not fit T=${T}`);
    const inp = new Int32Array(T).fill(pad);
    const tgt = new Int32Array(T).fill(pad);
    const msk = new Int32Array(T);
    for (let t = 0; t < n; t++) {
      inp[t] = ex.ids[t] as number;
      tgt[t] = ex.ids[t + 1] as number;
      msk[t] = t + 1 >= ex.promptLen ? 1 : 0;
    }
    inputs.push(inp);
    targets.push(tgt);
    masks.push(msk);
  }
  return { inputs, targets, masks };
}

function bucketFor(len: number): number {
  for (const b of BUCKETS) if (len <= b) return b;
  return BUCKETS[BUCKETS.length - 1] as number;
}

/** Warmup (5% of steps, at least 1) then cosine decay from `peak` to peak/10. */
export function lrSchedule(peak: number, steps: number): (step: number) => number {
  const warm = Math.max(1, Math.round(steps * 0.05));
  return (s) => {
    if (s <= warm) return (peak * s) / warm;
    const p = Math.min(1, (s - warm) / Math.max(1, steps - warm));
    return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * p)));
  };
}

function counts(xs: readonly LabeledSentence[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const l of SENTIMENT_LABELS) c[l] = 0;
  for (const x of xs) c[x.label] = (c[x.label] ?? 0) + 1;
  return c;
}

/**
 * Summed log-probability of each completion after `<s>{text}\nSentiment:` — one forward pass per completion
 * (trainer.loss with the mask on the completion: sum log p = −mean loss × completion length).
 */
export async function completionLogProbs(
  trainer: OrtTrainer,
  tok: Tokenizer,
  text: string,
  completions: readonly string[],
  maxLen: number,
  pad: number,
): Promise<number[]> {
  const out: number[] = [];
  for (const c of completions) {
    const ex = encodeExample(tok, text, c, maxLen);
    const T = bucketFor(ex.ids.length - 1);
    const { inputs, targets, masks } = toRows([ex], T, pad);
    const meanNll = await trainer.loss(inputs, targets, masks);
    out.push(-meanNll * (ex.ids.length - ex.promptLen));
  }
  return out;
}

/** Predicted class = argmax of the completions' summed log-probabilities (ties: first in SENTIMENT_LABELS). */
export async function classify(
  trainer: OrtTrainer,
  tok: Tokenizer,
  text: string,
  maxLen: number,
  pad: number,
): Promise<{ label: SentimentLabel; logProbs: number[] }> {
  const lp = await completionLogProbs(trainer, tok, text, SENTIMENT_LABELS, maxLen, pad);
  let best = 0;
  for (let i = 1; i < lp.length; i++) if ((lp[i] as number) > (lp[best] as number)) best = i;
  return { label: SENTIMENT_LABELS[best] as SentimentLabel, logProbs: lp };
}

function subsample<T>(xs: T[], n: number | undefined, rng: { int(n: number): number }): T[] {
  if (n === undefined || n >= xs.length) return xs;
  return shuffleInPlace([...xs], rng).slice(0, n);
}

export async function runSentimentCheck(opts: SentimentCheckOptions): Promise<SentimentCheckResult> {
  const t0 = performance.now();
  const seed = opts.seed ?? 1;
  const steps = opts.steps ?? 1500;
  const pretrainSteps = opts.pretrainSteps ?? 0;
  const batchSize = opts.batchSize ?? 16;
  const lr = opts.lr ?? 1e-3;
  const threads = opts.threads ?? 1;
  const preset = opts.preset ?? 'small';
  const maxLen = BUCKETS[BUCKETS.length - 1] as number;
  const logEvery = opts.logEvery ?? 50;
  const rng = createRng(seed);

  // 1. data
  const pb = loadPhraseBank(opts.sharedDir);
  const split = splitPhraseBank(pb.items, seed, opts.testFraction ?? 0.2);
  const test = subsample(split.test, opts.maxTest, rng.fork('test-subsample'));
  const testKeys = new Set(split.test.map((t) => sentenceKey(t.text)));
  const sf = opts.sentfin === false ? undefined : loadSentFin(opts.sharedDir, testKeys);
  const train = subsample([...split.train, ...(sf?.items ?? [])], opts.maxTrain, rng.fork('train-subsample'));
  const unlabeled = loadUnlabeledText(opts.sharedDir, opts.unlabeledChars ?? 1_600_000);

  // 2. tokenizer: byte-level BPE on unlabeled news + the training prompts with their completions (never test text)
  const baseConfig = presetConfig(preset);
  const vocabSize = opts.vocabSize ?? baseConfig.vocab_size;
  const corpus = [...unlabeled, ...train.map((x) => `${x.text}${PROMPT_SUFFIX} ${x.label}`)].join('\n');
  const tok = trainBpe(corpus, vocabSize, { specialTokens: ['<s>', '</s>', '<pad>'] });
  const pad = tok.idOf('<pad>') ?? 0;
  const config: LlamaConfig = {
    ...baseConfig,
    ...opts.modelOverrides,
    vocab_size: tok.vocabSize,
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId ?? 1,
  };
  if (config.max_position_embeddings < maxLen) config.max_position_embeddings = maxLen;

  // One trainer for both phases; each phase has its own warmup + cosine schedule, counted from its first step.
  let phaseLr: (s: number) => number = () => lr;
  let phaseStart = 0;
  const trainer = createOrtTrainer(config, initParams(config, seed), {
    lr: (s) => phaseLr(s - phaseStart),
    weightDecay: 0.1,
    clip: 1,
    threads,
  });

  // 3. optional pretraining: next-token loss on unlabeled text packed into rows of maxLen tokens
  const pretrainLossCurve: [number, number][] = [];
  let pretrainSeconds = 0;
  let pretrainTokens = 0;
  if (pretrainSteps > 0) {
    const stream: number[] = [];
    for (const line of unlabeled) stream.push(tok.bosId ?? 0, ...tok.encode(line));
    const T = maxLen;
    const nRows = Math.floor((stream.length - 1) / T);
    const order = shuffleInPlace(
      Array.from({ length: nRows }, (_, i) => i),
      rng.fork('pretrain'),
    );
    phaseLr = lrSchedule(lr, pretrainSteps);
    phaseStart = 0;
    let acc = 0;
    let accN = 0;
    const ts = performance.now();
    for (let s = 1; s <= pretrainSteps; s++) {
      const inputs: Int32Array[] = [];
      const targets: Int32Array[] = [];
      for (let b = 0; b < batchSize; b++) {
        const r = order[((s - 1) * batchSize + b) % nRows] as number;
        inputs.push(Int32Array.from(stream.slice(r * T, r * T + T)));
        targets.push(Int32Array.from(stream.slice(r * T + 1, r * T + T + 1)));
      }
      const { loss } = await trainer.step(inputs, targets);
      pretrainTokens += batchSize * T;
      acc += loss;
      accN++;
      if (s % logEvery === 0 || s === pretrainSteps) {
        pretrainLossCurve.push([s, acc / accN]);
        const sec = (performance.now() - ts) / 1000;
        opts.onLog?.({
          phase: 'pretrain',
          step: s,
          steps: pretrainSteps,
          loss: acc / accN,
          tokensPerSecond: pretrainTokens / sec,
        });
        acc = 0;
        accN = 0;
      }
    }
    pretrainSeconds = (performance.now() - ts) / 1000;
  }

  // 4. fine-tuning: shuffled epochs over the labeled training set, batches formed within length buckets
  const encoded = train.map((x) => encodeExample(tok, x.text, x.label, maxLen));
  phaseStart = trainer.optimizerState().step;
  phaseLr = lrSchedule(lr, steps);
  const lossCurve: [number, number][] = [];
  const ftRng = rng.fork('finetune');
  const pending = new Map<number, Encoded[]>(BUCKETS.map((b) => [b, []]));
  let queue: number[] = [];
  const nextBatch = (): { rows: Encoded[]; T: number } => {
    for (;;) {
      if (!queue.length)
        queue = shuffleInPlace(
          Array.from({ length: encoded.length }, (_, i) => i),
          ftRng,
        );
      const ex = encoded[queue.pop() as number] as Encoded;
      const T = bucketFor(ex.ids.length - 1);
      const p = pending.get(T) as Encoded[];
      p.push(ex);
      if (p.length === batchSize) {
        pending.set(T, []);
        return { rows: p, T };
      }
    }
  };
  let tokensSeen = 0;
  let acc = 0;
  let accN = 0;
  const tf = performance.now();
  for (let s = 1; s <= steps; s++) {
    const { rows, T } = nextBatch();
    const { inputs, targets, masks } = toRows(rows, T, pad);
    const { loss } = await trainer.step(inputs, targets, masks);
    tokensSeen += batchSize * T;
    acc += loss;
    accN++;
    if (s % logEvery === 0 || s === steps) {
      lossCurve.push([s, acc / accN]);
      const sec = (performance.now() - tf) / 1000;
      opts.onLog?.({ phase: 'finetune', step: s, steps, loss: acc / accN, tokensPerSecond: tokensSeen / sec });
      acc = 0;
      accN = 0;
    }
  }
  const trainSeconds = (performance.now() - tf) / 1000;

  // 5. evaluation on the held-out PhraseBank split, next to the Loughran-McDonald baseline
  const te = performance.now();
  const lists = loadLoughranMcDonald(opts.sharedDir);
  const truth = test.map((x) => x.label);
  const modelPred: SentimentLabel[] = [];
  const basePred: SentimentLabel[] = [];
  const predRows: (string | number)[][] = [];
  for (const x of test) {
    const { label, logProbs } = await classify(trainer, tok, x.text, maxLen, pad);
    const base = lmBaseline(x.text, lists).label;
    modelPred.push(label);
    basePred.push(base);
    predRows.push([x.text, x.label, x.agreement ?? '', label, base, ...logProbs.map((v) => v.toFixed(4))]);
  }
  const evalSeconds = (performance.now() - te) / 1000;
  const allIdx = test.map((x, i) => (x.agreement === 'AllAgree' ? i : -1)).filter((i) => i >= 0);
  const pick = <T>(xs: T[]) => allIdx.map((i) => xs[i] as T);
  const labels = [...SENTIMENT_LABELS];
  const result: SentimentCheckResult = {
    seed,
    data: {
      phrasebank: {
        ...pb.report,
        train: split.train.length,
        test: test.length,
        testAllAgree: allIdx.length,
        split: `stratified by label, ${Math.round((opts.testFraction ?? 0.2) * 100)}% test, seed ${seed}`,
      },
      ...(sf ? { sentfin: sf.report } : {}),
      unlabeledLines: unlabeled.length,
      trainExamples: train.length,
      trainLabels: counts(train),
      testLabels: counts(test),
    },
    model: { preset, params: countParams(config), config, tokenizerVocab: tok.vocabSize, maxLen },
    training: {
      steps,
      pretrainSteps,
      batchSize,
      lr,
      threads,
      tokensSeen,
      tokensPerSecond: tokensSeen / trainSeconds,
      ...(pretrainSteps > 0 ? { pretrainTokensPerSecond: pretrainTokens / pretrainSeconds } : {}),
      trainSeconds,
      pretrainSeconds,
      lossCurve,
      pretrainLossCurve,
    },
    evaluation: {
      model: classificationReport(labels, truth, modelPred),
      baseline: classificationReport(labels, truth, basePred),
      modelAllAgree: classificationReport(labels, pick(truth), pick(modelPred)),
      baselineAllAgree: classificationReport(labels, pick(truth), pick(basePred)),
      evalSeconds,
    },
    wallSeconds: (performance.now() - t0) / 1000,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  };

  if (opts.out) {
    writeModelDir(join(opts.out, 'model'), config, trainer.params(), tok);
    const header = [
      'sentence',
      'label',
      'agreement',
      'model',
      'baseline',
      'logp_positive',
      'logp_negative',
      'logp_neutral',
    ];
    writeFileAtomic(join(opts.out, 'predictions.csv'), formatCsv(header, predRows));
    writeJsonAtomic(join(opts.out, 'sentiment-check.json'), result);
  }
  await trainer.close();
  return result;
}

/** The built-in checkpoint layout: config.json (HF LlamaConfig), model.safetensors (F32, HF names), tokenizer.json. */
export function writeModelDir(dir: string, config: LlamaConfig, params: ParamArrays, tok: Tokenizer): void {
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of paramShapes(config)) tensors.set(name, { shape, data: params.get(name) as Float32Array });
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(dir, 'config.json'), configJson(config));
  writeJsonAtomic(join(dir, 'tokenizer.json'), tok.toJSON());
}
