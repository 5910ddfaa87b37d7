// `rlmf lm pretrain | sft | eval | import`: the built-in model's training commands (docs/lm-builtin.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataError, UsageError } from '../../data/errors.ts';
import { generateMarket } from '../../data/synth/generate.ts';
import {
  loadCheckpoint,
  saveArraysCheckpoint,
  type TrainableSpec,
  type TrainingStateJson,
} from '../../lm/builtin/checkpoint.ts';
import { countParams, initParams, presetConfig } from '../../lm/builtin/config.ts';
import { createEngine, type EngineName, parseEngine, type TrainEngine } from '../../lm/builtin/engine.ts';
import { loadWeights } from '../../lm/builtin/load.ts';
import { disposeModel, lossFn, modelFromArrays } from '../../lm/builtin/model.ts';
import { effectiveParams } from '../../lm/builtin/session.ts';
import { initTf, tf } from '../../lm/builtin/tf.ts';
import { loadTokenizerFor } from '../../lm/builtin/tokenizer.ts';
import { type Batch, type SftExample, sampleSft, sampleWindows } from '../../lm/builtin/train.ts';
import { loadTokenizer, trainBpe } from '../../lm/tokenizer/index.ts';
import type { Tokenizer } from '../../lm/tokenizer/types.ts';
import { parseNumberOption, printJson, progress } from '../common.ts';

/** Documents -> one token stream: BOS doc EOS BOS doc EOS ... */
export function tokenizeCorpus(tok: Tokenizer, docs: string[], bos: number, eos: number): Int32Array {
  const out: number[] = [];
  for (const d of docs) if (d.trim()) out.push(bos, ...tok.encode(d), eos);
  return Int32Array.from(out);
}

function corpusDocs(file: string | undefined, seed: number): string[] {
  if (!file)
    return generateMarket({ seed, days: 63 })
      .corpus.split('\n')
      .filter((l) => l.trim());
  if (!existsSync(file)) throw new UsageError(`--corpus: ${file} does not exist`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
}

interface LoopOptions {
  steps: number;
  batch: number;
  seq: number;
  accum: number;
  saveEvery: number;
  /** Stop this invocation after this many steps (0 = run to `steps`); the checkpoint can be resumed. */
  stopAfter: number;
  quiet?: boolean;
  title: string;
}

/** Run the engine to `steps` total optimizer steps, checkpointing every saveEvery and at the end. */
async function trainLoop(
  eng: TrainEngine,
  o: LoopOptions,
  nextBatch: () => Batch,
  save: () => void,
): Promise<{ finalLoss: number; tokensPerSecond: number; seconds: number }> {
  const end = o.stopAfter > 0 ? Math.min(o.steps, eng.step + o.stopAfter) : o.steps;
  const bar = progress(`${o.title} (${eng.name})`, end - eng.step, o.quiet);
  let finalLoss = Number.NaN;
  let tokens = 0;
  const t0 = performance.now();
  while (eng.step < end) {
    const micro = Array.from({ length: o.accum }, nextBatch);
    const r = await eng.trainStep(micro);
    tokens += micro.reduce((s, b) => s + b.inputs.length * (b.inputs[0]?.length ?? 0), 0);
    finalLoss = r.loss;
    const tps = tokens / ((performance.now() - t0) / 1000);
    bar.tick(1, `loss ${r.loss.toFixed(3)} lr ${r.lr.toExponential(2)} ${tps.toFixed(0)} tok/s`);
    if (o.saveEvery > 0 && eng.step % o.saveEvery === 0 && eng.step < end) save();
  }
  bar.done();
  save();
  const seconds = (performance.now() - t0) / 1000;
  return { finalLoss, tokensPerSecond: tokens / seconds, seconds };
}

interface CommonTrainOpts {
  out: string;
  steps: string;
  seed?: string;
  batch?: string;
  seq?: string;
  lr?: string;
  warmup?: string;
  accum?: string;
  saveEvery?: string;
  stopAfter?: string;
  weightDecay?: string;
  clip?: string;
  resume?: boolean;
  quiet?: boolean;
  engine?: string;
  threads?: string;
}

function numbers(o: CommonTrainOpts) {
  const int = (n: string, v: string | undefined, d: number, min = 1) =>
    parseNumberOption(n, v, { integer: true, min }) ?? d;
  const steps = int('steps', o.steps, 100);
  return {
    steps,
    seed: int('seed', o.seed, 0, 0),
    batch: int('batch', o.batch, 8),
    seq: int('seq', o.seq, 64),
    accum: int('accum', o.accum, 1),
    saveEvery: int('save-every', o.saveEvery, 0, 0),
    stopAfter: int('stop-after', o.stopAfter, 0, 0),
    lr: parseNumberOption('lr', o.lr, { min: 0 }) ?? 1e-3,
    warmup: int('warmup', o.warmup, Math.min(100, Math.ceil(steps / 10)), 0),
    weightDecay: parseNumberOption('weight-decay', o.weightDecay, { min: 0 }) ?? 0.1,
    clip: parseNumberOption('clip', o.clip, { min: 0 }) ?? 1,
    threads: int('threads', o.threads, 1),
  };
}

/** --resume with a saved run in `out`? Says so on stderr when there is nothing to resume (a new run starts). */
function resumable(o: CommonTrainOpts): boolean {
  if (!o.resume) return false;
  if (existsSync(join(o.out, 'training_state.json'))) return true;
  if (!o.quiet)
    process.stderr.write(`rlmf: nothing to resume in ${o.out} (no training_state.json): starting a new run\n`);
  return false;
}

/** On resume the saved run's settings win: schedule length, accumulation, batch shape, seed. */
function applySaved(n: ReturnType<typeof numbers>, state: TrainingStateJson): void {
  n.steps = state.optim.totalSteps;
  n.accum = state.optim.accumSteps;
  const run = state.run ?? {};
  for (const k of ['batch', 'seq', 'seed'] as const) if (typeof run[k] === 'number') n[k] = run[k] as number;
}

export interface PretrainOptions extends CommonTrainOpts {
  preset: string;
  corpus?: string;
  tokenizer?: string;
  vocab?: string;
}

export async function pretrainCommand(o: PretrainOptions): Promise<Record<string, unknown>> {
  const n = numbers(o);
  const spec: TrainableSpec = { mode: 'full', freezeLayers: 0 };
  const engineName: EngineName = parseEngine(o.engine, spec);
  if (engineName === 'tfjs') await initTf();
  let tokenizer: Tokenizer;
  let eng: TrainEngine;
  const ck = resumable(o) ? loadCheckpoint(o.out) : undefined;
  let corpus = o.corpus;
  if (ck?.training) {
    applySaved(n, ck.training.state);
    const saved = ck.training.state.run?.corpus;
    corpus = typeof saved === 'string' ? saved : undefined;
  }
  const docs = corpusDocs(corpus, n.seed);
  const optim = {
    lr: n.lr,
    warmupSteps: n.warmup,
    totalSteps: n.steps,
    accumSteps: n.accum,
    weightDecay: n.weightDecay,
    clipNorm: n.clip,
  };
  if (ck) {
    tokenizer = loadTokenizer(o.out);
    eng = await createEngine(engineName, {
      config: ck.config,
      params: ck.params,
      spec,
      optim,
      seed: n.seed,
      resume: ck,
      threads: n.threads,
    });
  } else {
    const preset = presetConfig(o.preset);
    const vocab = parseNumberOption('vocab', o.vocab, { integer: true, min: 16 }) ?? preset.vocab_size;
    tokenizer = o.tokenizer ? loadTokenizer(o.tokenizer) : trainBpe(docs.join('\n'), vocab);
    const config = presetConfig(o.preset, tokenizer.vocabSize);
    config.bos_token_id = tokenizer.bosId ?? 1;
    config.eos_token_id = tokenizer.eosId ?? 2;
    config.max_position_embeddings = Math.max(config.max_position_embeddings, n.seq);
    const params = initParams(config, n.seed);
    eng = await createEngine(engineName, { config, params, spec, optim, seed: n.seed, threads: n.threads });
  }
  const config = eng.config;
  const stream = tokenizeCorpus(tokenizer, docs, config.bos_token_id, config.eos_token_id);
  const run = {
    command: 'pretrain',
    preset: o.preset,
    corpus: corpus ?? null, // null = the synthetic headline corpus of `seed`
    seed: n.seed,
    batch: n.batch,
    seq: n.seq,
    engine: engineName,
  };
  const r = await trainLoop(
    eng,
    { ...n, title: 'pretrain', quiet: o.quiet },
    () => sampleWindows(stream, n.batch, n.seq, eng.rng),
    () => eng.save(o.out, { tokenizerJson: tokenizer.toJSON(), run }),
  );
  const summary = {
    out: o.out,
    engine: engineName,
    params: countParams(config),
    vocab: config.vocab_size,
    corpusTokens: stream.length,
    steps: eng.step,
    finalLoss: r.finalLoss,
    tokensPerSecond: Math.round(r.tokensPerSecond),
    seconds: Math.round(r.seconds * 10) / 10,
  };
  await eng.close();
  return summary;
}

export interface SftOptions extends CommonTrainOpts {
  model: string;
  tokenizer?: string;
  data: string;
  lora?: boolean;
  loraRank?: string;
  loraAlpha?: string;
  loraDropout?: string;
  loraTargets?: string;
  freezeLayers?: string;
}

/** Read prompt/completion JSONL: one {"prompt": string, "completion": string} per line. */
export function readSftJsonl(file: string): { prompt: string; completion: string }[] {
  if (!existsSync(file)) throw new UsageError(`--data: ${file} does not exist`);
  const issues: { file: string; line: number; field?: string; reason: string }[] = [];
  const out: { prompt: string; completion: string }[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch (e) {
        issues.push({ file, line: i + 1, reason: `not JSON: ${(e as Error).message}` });
        return;
      }
      const r = o as { prompt?: unknown; completion?: unknown };
      for (const k of ['prompt', 'completion'] as const) {
        if (typeof r[k] !== 'string') issues.push({ file, line: i + 1, field: k, reason: 'missing or not a string' });
      }
      if (typeof r.prompt === 'string' && typeof r.completion === 'string')
        out.push({ prompt: r.prompt, completion: r.completion });
    });
  if (issues.length) throw new DataError(issues);
  if (!out.length) throw new DataError([{ file, reason: 'no examples' }]);
  return out;
}

export async function sftCommand(o: SftOptions): Promise<Record<string, unknown>> {
  const n = numbers(o);
  const resume = resumable(o);
  const src = resume ? o.out : o.model;
  const w = loadWeights(src);
  let spec: TrainableSpec = {
    mode: o.lora ? 'lora' : 'full',
    freezeLayers: parseNumberOption('freeze-layers', o.freezeLayers, { integer: true, min: 0 }) ?? 0,
  };
  if (o.lora) {
    spec.lora = {
      rank: parseNumberOption('lora-rank', o.loraRank, { integer: true, min: 1 }) ?? 8,
      alpha: parseNumberOption('lora-alpha', o.loraAlpha, { min: 0 }) ?? 16,
      dropout: parseNumberOption('lora-dropout', o.loraDropout, { min: 0 }) ?? 0,
      targets: (o.loraTargets ?? 'q_proj,v_proj').split(',').map((s) => s.trim()),
      seed: n.seed,
    };
  }
  let data = o.data;
  const ck = resume ? w.checkpoint! : undefined;
  if (ck) {
    applySaved(n, ck.training!.state);
    if (typeof ck.training!.state.run?.data === 'string') data = ck.training!.state.run.data;
    spec = ck.training!.state.trainable;
  }
  const engineName = parseEngine(o.engine, spec);
  // tfjs is needed for the tfjs engine and for merging a LoRA base checkpoint's adapter into its weights.
  if (engineName === 'tfjs' || w.checkpoint?.adapter) await initTf();
  const tokenizer = await loadTokenizerFor(src, w, resume ? undefined : o.tokenizer);
  const bos = tokenizer.bosId ?? w.config.bos_token_id;
  const eos = tokenizer.eosId ?? w.config.eos_token_id;
  const optim = {
    lr: n.lr,
    warmupSteps: n.warmup,
    totalSteps: n.steps,
    accumSteps: n.accum,
    weightDecay: n.weightDecay,
    clipNorm: n.clip,
  };
  const eng = await createEngine(engineName, {
    config: w.config,
    params: ck ? ck.params : w.checkpoint ? effectiveParams(w.checkpoint) : w.params,
    spec,
    optim,
    seed: n.seed,
    resume: ck,
    threads: n.threads,
    padId: eos,
  });
  const examples: SftExample[] = readSftJsonl(data).map((e) => ({
    prompt: [bos, ...tokenizer.encode(e.prompt)],
    completion: [...tokenizer.encode(e.completion), eos],
  }));
  const run = { command: 'sft', data, base: o.model, seed: n.seed, batch: n.batch, seq: n.seq, engine: engineName };
  const r = await trainLoop(
    eng,
    { ...n, title: 'sft', quiet: o.quiet },
    () => sampleSft(examples, n.batch, n.seq, eos, eng.rng),
    () => eng.save(o.out, { tokenizerJson: tokenizer.toJSON(), run }),
  );
  const summary = {
    out: o.out,
    engine: engineName,
    mode: spec.mode,
    examples: examples.length,
    steps: eng.step,
    finalLoss: r.finalLoss,
    tokensPerSecond: Math.round(r.tokensPerSecond),
  };
  await eng.close();
  return summary;
}

/**
 * Perplexity of a text file: the file's documents (non-empty lines) tokenized as BOS doc EOS..., cut into
 * non-overlapping windows of `seq` + 1 tokens; ppl = exp(mean next-token NLL over all predicted tokens).
 */
export async function evalCommand(o: { model: string; tokenizer?: string; file: string; seq?: string }) {
  await initTf();
  const w = loadWeights(o.model);
  const tok = await loadTokenizerFor(o.model, w, o.tokenizer);
  const seq =
    parseNumberOption('seq', o.seq, { integer: true, min: 2 }) ?? Math.min(256, w.config.max_position_embeddings);
  if (!existsSync(o.file)) throw new UsageError(`--file: ${o.file} does not exist`);
  const docs = readFileSync(o.file, 'utf8').split('\n');
  const stream = tokenizeCorpus(tok, docs, tok.bosId ?? w.config.bos_token_id, tok.eosId ?? w.config.eos_token_id);
  const model = modelFromArrays(w.config, w.checkpoint ? effectiveParams(w.checkpoint) : w.params);
  let nll = 0;
  let count = 0;
  for (let s = 0; s + 1 < stream.length; s += seq) {
    const end = Math.min(s + seq, stream.length - 1);
    const inp = [Array.from(stream.subarray(s, end))];
    const tgt = [Array.from(stream.subarray(s + 1, end + 1))];
    const l = tf.tidy(() => lossFn(model, tf.tensor2d(inp, undefined, 'int32'), tf.tensor2d(tgt, undefined, 'int32')));
    nll += l.dataSync()[0] * (end - s);
    count += end - s;
    l.dispose();
  }
  disposeModel(model);
  if (count === 0) throw new DataError([{ file: o.file, reason: 'no tokens to evaluate' }]);
  return { model: o.model, file: o.file, tokens: count, nll: nll / count, perplexity: Math.exp(nll / count) };
}

/**
 * Convert a llama2.c .bin, a GGUF or a checkpoint directory (+ tokenizer) to a checkpoint directory holding only
 * config.json, model.safetensors (F32, or F16 with dtype 'f16') and tokenizer.json — no training state.
 */
export async function importCommand(o: { from: string; tokenizer?: string; out: string; dtype?: string }) {
  const dtype = (o.dtype ?? 'f32').toLowerCase();
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype: "${o.dtype}" is not one of f32 | f16`);
  const w = loadWeights(o.from);
  if (w.checkpoint?.adapter) await initTf();
  const tok = await loadTokenizerFor(o.from, w, o.tokenizer);
  const params = w.checkpoint ? effectiveParams(w.checkpoint) : w.params;
  saveArraysCheckpoint(o.out, {
    config: w.config,
    params,
    tokenizerJson: tok.toJSON(),
    dtype: dtype === 'f16' ? 'F16' : 'F32',
  });
  return {
    from: o.from,
    out: o.out,
    dtype,
    params: countParams(w.config),
    vocab: w.config.vocab_size,
    sha256: w.sha256,
  };
}

function trainOptions(c: Command): Command {
  return c
    .requiredOption('--out <dir>', 'checkpoint directory to write')
    .option('--steps <n>', 'total optimizer steps', '100')
    .option('--seed <n>', 'seed (init, data sampling)', '0')
    .option('--batch <n>', 'sequences per micro-batch', '8')
    .option('--seq <n>', 'tokens per sequence', '64')
    .option('--accum <n>', 'micro-batches per optimizer step', '1')
    .option('--lr <x>', 'peak learning rate', '1e-3')
    .option('--warmup <n>', 'linear warmup steps (default: 10% of steps, at most 100)')
    .option('--weight-decay <x>', 'AdamW decoupled weight decay (matrices only)', '0.1')
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', '1')
    .option('--save-every <n>', 'also checkpoint every n steps', '0')
    .option('--stop-after <n>', 'stop this invocation after n steps (resume later with --resume)', '0')
    .option('--resume', 'continue the run saved in --out exactly where it stopped (same --steps)')
    .option(
      '--engine <name>',
      'ort (onnxruntime graph, ~4x faster; default) | tfjs (reference; the only engine with LoRA, default for --lora)',
    )
    .option('--threads <n>', 'onnxruntime intra-op threads (ort engine)', '1')
    .option('--quiet', 'no progress output');
}

export function registerLmTrain(lm: Command): void {
  trainOptions(
    lm
      .command('pretrain')
      .description('pretrain a built-in model (preset micro | small) on a text corpus, one document per line')
      .option('--preset <name>', 'micro (~1M params) | small (~5M)', 'micro')
      .option('--corpus <file>', 'text file (default: the synthetic market headline corpus, generated on the fly)')
      .option(
        '--tokenizer <path>',
        'tokenizer.json / tok512.bin to use (default: train a byte-level BPE on the corpus)',
      )
      .option('--vocab <n>', 'vocabulary size of the trained BPE (default: the preset’s)'),
  ).action(async (o: PretrainOptions) => printJson(await pretrainCommand(o)));

  trainOptions(
    lm
      .command('sft')
      .description('supervised fine-tuning on prompt/completion JSONL (loss on the completion only)')
      .requiredOption('--model <path>', 'base model: checkpoint dir, llama2.c .bin or .gguf')
      .option('--tokenizer <path>', 'tokenizer (needed for a llama2.c .bin)')
      .requiredOption('--data <file>', 'JSONL with {"prompt": ..., "completion": ...} per line')
      .option('--lora', 'train LoRA adapters instead of the full weights (tfjs engine only)')
      .option('--lora-rank <n>', 'LoRA rank', '8')
      .option('--lora-alpha <x>', 'LoRA alpha (scale = alpha/rank)', '16')
      .option('--lora-dropout <x>', 'LoRA input dropout', '0')
      .option('--lora-targets <list>', 'projections with adapters', 'q_proj,v_proj')
      .option('--freeze-layers <n>', 'freeze the bottom n layers (FLAG-TRADER split)', '0'),
  ).action(async (o: SftOptions) => printJson(await sftCommand(o)));

  lm.command('eval')
    .description('perplexity of a model on a text file (one document per line)')
    .requiredOption('--model <path>', 'checkpoint dir, llama2.c .bin or .gguf')
    .option('--tokenizer <path>', 'tokenizer (needed for a llama2.c .bin)')
    .requiredOption('--file <file>', 'text file')
    .option('--seq <n>', 'window length')
    .action(async (o) => printJson(await evalCommand(o)));

  lm.command('import')
    .description(
      'convert a llama2.c .bin, a GGUF (F32/F16) or a checkpoint dir to a checkpoint directory (weights only)',
    )
    .requiredOption('--from <path>', 'llama2.c .bin, .gguf or checkpoint directory')
    .option('--tokenizer <path>', 'tokenizer (needed for a llama2.c .bin)')
    .requiredOption('--out <dir>', 'checkpoint directory')
    .option('--dtype <t>', 'f32 | f16 storage of model.safetensors', 'f32')
    .action(async (o) => printJson(await importCommand(o)));
}
