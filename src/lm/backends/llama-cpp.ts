// llama-cpp backend: node-llama-cpp on a local GGUF file, CPU only (getLlama({ gpu: false, build: 'never' })).
// Conventions: the prompt is tokenized as raw text (no chat template, no special-token parsing) and BOS is prepended
// when the model uses one; greedy = temperature 0; sampled decoding uses `seed` (default 0, so runs are reproducible).
// logProbs/nextTokens are computed from the raw logits (log-softmax in float64), not from sampler-adjusted values.
// All calls on one model are serialised (one context sequence). modelId = "sha256:<hex of the GGUF file>" (+ LoRA).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { UsageError } from '../../data/errors.ts';
import { writeJsonAtomic } from '../../util/fs.ts';
import { cutAtStop } from '../fake.ts';
import type { TokenScore } from '../serve.ts';
import { structuredOutput } from '../structured.ts';
import type { Generation, LanguageModel, SamplingOptions, StructuredResult, TokenProb } from '../types.ts';
import { CapabilityError } from '../types.ts';

export interface LlamaCppOptions {
  /** Path to a .gguf file. */
  modelPath: string;
  /** CPU threads (default min(cores, 4)). More threads than cores collapses throughput. */
  threads?: number;
  /** Context window in tokens (default min(2048, the model's training context)). */
  contextSize?: number;
  /** LoRA adapters (GGUF) applied to the context. */
  lora?: { path: string; scale?: number }[];
  /** Where the file-hash cache lives (default $RLMF_CACHE_DIR or ~/.cache/rlmf). */
  hashCacheDir?: string;
}

export interface LlamaCppModel extends LanguageModel {
  readonly modelPath: string;
  readonly threads: number;
  /** Token ids of the text as the model sees it (BOS not included). */
  tokenize(text: string): Promise<number[]>;
  detokenize(ids: number[]): string;
  /** Per-token log-probabilities of `text` following `prompt`, with each token's character offset in `text`. */
  scoreTokens(prompt: string, text: string, topK?: number): Promise<TokenScore[]>;
  /** Greedy/sampled generation that also returns the generated token ids. */
  generateTokens(prompt: string, opts: SamplingOptions): Promise<Generation & { tokens: number[] }>;
  generateWithJsonSchema(
    prompt: string,
    jsonSchema: Record<string, unknown>,
    opts: SamplingOptions,
  ): Promise<Generation>;
  /** generate, calling `onText` with each new piece of text as it is decoded. */
  generateStream(prompt: string, opts: SamplingOptions, onText: (delta: string) => void): Promise<Generation>;
}

/** sha256 of a file, streamed; remembered per (absolute path, size, mtime) in memory and in a small JSON file. */
export async function fileSha256(path: string, hashCacheDir?: string): Promise<string> {
  const abs = resolve(path);
  const st = statSync(abs);
  const id = `${abs}|${st.size}|${st.mtimeMs}`;
  const mem = memoHashes.get(id);
  if (mem) return mem;
  const dir = hashCacheDir ?? process.env.RLMF_CACHE_DIR ?? join(homedir(), '.cache', 'rlmf');
  const file = join(dir, 'file-hashes.json');
  let disk: Record<string, string> = {};
  try {
    if (existsSync(file)) disk = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    disk = {};
  }
  if (typeof disk[id] === 'string') {
    memoHashes.set(id, disk[id]);
    return disk[id];
  }
  const h = createHash('sha256');
  for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
  const hex = h.digest('hex');
  memoHashes.set(id, hex);
  try {
    writeJsonAtomic(file, { ...disk, [id]: hex });
  } catch {
    // The hash cache is an optimisation only (read-only home, etc.).
  }
  return hex;
}
const memoHashes = new Map<string, string>();

/** A tiny mutex: node-llama-cpp sequences must not be driven by two calls at once. */
function createLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export async function openLlamaCpp(options: LlamaCppOptions): Promise<LlamaCppModel> {
  const modelPath = resolve(options.modelPath);
  if (!existsSync(modelPath)) throw new UsageError(`--model: ${options.modelPath} does not exist`);
  const threads = options.threads ?? Math.min(availableParallelism(), 4);
  if (!Number.isInteger(threads) || threads < 1)
    throw new UsageError(`threads must be a positive integer, got ${threads}`);
  const { getLlama, LlamaGrammarEvaluationState, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath });
  const contextSize = options.contextSize ?? Math.min(2048, model.trainContextSize);
  const lora = options.lora ?? [];
  for (const a of lora) if (!existsSync(a.path)) throw new UsageError(`LoRA adapter ${a.path} does not exist`);
  const context = await model.createContext({
    contextSize,
    threads,
    sequences: 1,
    lora: lora.length ? { adapters: lora.map((a) => ({ filePath: resolve(a.path), scale: a.scale ?? 1 })) } : undefined,
  });
  const sequence = context.getSequence();
  let embeddingContext: Awaited<ReturnType<typeof model.createEmbeddingContext>> | undefined;
  const locked = createLock();

  let modelId = `sha256:${await fileSha256(modelPath, options.hashCacheDir)}`;
  for (const a of lora) modelId += `+lora:${await fileSha256(a.path, options.hashCacheDir)}@${a.scale ?? 1}`;

  const bos = model.tokens.bos;
  const addBos = bos !== null && model.fileInfo.metadata.tokenizer?.ggml?.add_bos_token !== false;
  const eos = model.tokens.eos;
  const tokenize = (text: string): number[] => (text === '' ? [] : (model.tokenize(text, false) as number[]));
  const withBos = (ids: number[]): number[] => (addBos ? [bos as number, ...ids] : ids);
  const detok = (ids: number[]): string => model.detokenize(ids as never);
  /** Text of `ids` appended after `before` (handles SentencePiece's leading-space rule). */
  const textAfter = (before: number[], ids: number[]): string => {
    const head = detok(before);
    const all = detok([...before, ...ids]);
    return all.startsWith(head) ? all.slice(head.length) : detok(ids);
  };
  const checkFits = (n: number) => {
    if (n > contextSize) throw new UsageError(`prompt + completion need ${n} tokens, the context holds ${contextSize}`);
  };

  /** log-softmax rows (float64) at the given input positions of `input` (position i predicts input[i+1]). */
  const logitRows = async (input: number[], positions: Set<number>): Promise<Map<number, Map<number, number>>> => {
    checkFits(input.length);
    await sequence.clearHistory();
    const items = input.map((t, i) =>
      positions.has(i) ? ([t, { generateNext: { logits: true } }] as [number, { generateNext: { logits: true } }]) : t,
    );
    const res = await sequence.controlledEvaluate(items as never);
    const rows = new Map<number, Map<number, number>>();
    for (const i of positions) {
      const logits = res[i]?.next?.logits;
      if (!logits) throw new Error(`llama-cpp: no logits returned at position ${i}`);
      let max = -Infinity;
      for (const v of logits.values()) max = Math.max(max, v);
      let sum = 0;
      for (const v of logits.values()) sum += Math.exp(v - max);
      const lse = max + Math.log(sum);
      const row = new Map<number, number>();
      for (const [tok, v] of logits) row.set(tok as number, v - lse);
      rows.set(i, row);
    }
    return rows;
  };

  /** The k most likely next tokens; each token's text as it reads after `before`. */
  const topOf = (row: Map<number, number>, k: number, before: number[]): TokenProb[] =>
    [...row.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([id, logprob]) => ({ id, text: textAfter(before, [id]), logprob }));

  const scoreTokensUnlocked = async (prompt: string, text: string, topK = 0): Promise<TokenScore[]> => {
    const promptIds = tokenize(prompt);
    const full = tokenize(prompt + text);
    let k = 0;
    while (k < promptIds.length && k < full.length && promptIds[k] === full[k]) k++;
    if (k === full.length) return [];
    const input = withBos(full);
    const shift = input.length - full.length; // 1 with BOS
    if (shift === 0 && k === 0) k = 1; // without BOS the first token has no context to be scored in
    const positions = new Set<number>();
    for (let j = k; j < full.length; j++) positions.add(j + shift - 1);
    const rows = await logitRows(input, positions);
    const lead = Math.max(0, (prompt + text).length - detok(full).length); // SentencePiece drops one leading space
    const out: TokenScore[] = [];
    for (let j = k; j < full.length; j++) {
      const row = rows.get(j + shift - 1) as Map<number, number>;
      const before = detok(full.slice(0, j)).length + lead - prompt.length;
      out.push({
        id: full[j],
        text: textAfter(full.slice(0, j), [full[j]]),
        offset: Math.max(0, before),
        logprob: row.get(full[j]) ?? -Infinity,
        top: topK > 0 ? topOf(row, topK, full.slice(0, j)) : undefined,
      });
    }
    return out;
  };

  const runGeneration = async (
    prompt: string,
    opts: SamplingOptions,
    grammar?: { state: InstanceType<typeof LlamaGrammarEvaluationState> },
    onText?: (delta: string) => void,
  ): Promise<Generation & { tokens: number[] }> => {
    if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 0)
      throw new UsageError(`maxTokens must be a non-negative integer, got ${opts.maxTokens}`);
    const promptIds = withBos(tokenize(prompt));
    checkFits(promptIds.length);
    // The completion is cut (finishReason 'length') where the context window ends.
    const maxTokens = Math.min(opts.maxTokens, contextSize - promptIds.length);
    await sequence.clearHistory();
    const temperature = opts.temperature ?? 0;
    const out: number[] = [];
    let text = '';
    let finishReason: 'stop' | 'length' = 'length';
    let emitted = 0;
    // Streamed text holds back what could still turn out to be the start of a stop string or a partial character.
    const holdBack = Math.max(0, ...(opts.stop ?? []).map((x) => x.length - 1));
    const emit = (final: boolean) => {
      if (!onText) return;
      const safe = cutAtStop(text, opts.stop);
      let end = final ? safe.length : Math.max(emitted, safe.length - holdBack);
      if (!final && safe.slice(emitted, end).endsWith('\uFFFD')) end = emitted;
      if (end > emitted) onText(safe.slice(emitted, end));
      emitted = Math.max(emitted, end);
    };
    if (maxTokens > 0) {
      const iter = sequence.evaluate(promptIds as never, {
        temperature,
        topK: opts.topK,
        topP: opts.topP,
        seed: temperature > 0 ? (opts.seed ?? 0) : undefined,
        grammarEvaluationState: grammar?.state,
      });
      for await (const t of iter) {
        if (t === eos) {
          finishReason = 'stop';
          break;
        }
        out.push(t as number);
        text = textAfter(promptIds, out);
        emit(false);
        if (opts.stop?.some((s) => s !== '' && text.includes(s))) {
          finishReason = 'stop';
          break;
        }
        if (grammar && isCompleteJson(text)) {
          finishReason = 'stop';
          break;
        }
        if (out.length >= maxTokens) break;
      }
      await iter.return(undefined);
    }
    emit(true);
    return {
      text: cutAtStop(text, opts.stop),
      finishReason,
      usage: { promptTokens: promptIds.length, completionTokens: out.length },
      tokens: out,
    };
  };

  const self: LlamaCppModel = {
    backend: 'llama-cpp',
    modelId,
    modelPath,
    threads,
    capabilities: { trainable: false, logprobs: true, embeddings: true, grammar: true },
    async tokenize(text) {
      return tokenize(text);
    },
    detokenize: detok,
    generateTokens: (prompt, opts) => locked(() => runGeneration(prompt, opts)),
    generateStream: (prompt, opts, onText) =>
      locked(async () => {
        const { tokens: _t, ...g } = await runGeneration(prompt, opts, undefined, onText);
        return g;
      }),
    async generate(prompt, opts) {
      const { tokens: _t, ...g } = await self.generateTokens(prompt, opts);
      return g;
    },
    generateWithJsonSchema: (prompt, jsonSchema, opts) =>
      locked(async () => {
        const grammar = await llama.createGrammarForJsonSchema(jsonSchema as never);
        const state = new LlamaGrammarEvaluationState({ model, grammar });
        const { tokens: _t, ...g } = await runGeneration(prompt, opts, { state });
        return g;
      }),
    logProbs: (prompt, continuations) =>
      locked(async () => {
        const out: number[] = [];
        for (const c of continuations) {
          const scores = await scoreTokensUnlocked(prompt, c);
          out.push(scores.reduce((s, t) => s + t.logprob, 0));
        }
        return out;
      }),
    nextTokens: (prompt, opts = {}) =>
      locked(async () => {
        const input = withBos(tokenize(prompt));
        if (input.length === 0) throw new UsageError('nextTokens needs a non-empty prompt for a model without BOS');
        const rows = await logitRows(input, new Set([input.length - 1]));
        return topOf(rows.get(input.length - 1) as Map<number, number>, opts.topK ?? 10, input);
      }),
    scoreTokens: (prompt, text, topK) => locked(() => scoreTokensUnlocked(prompt, text, topK)),
    embed: (texts) =>
      locked(async () => {
        if (!embeddingContext) {
          try {
            embeddingContext = await model.createEmbeddingContext({ contextSize, threads });
          } catch {
            throw new CapabilityError('llama-cpp', `embeddings for ${modelPath}`);
          }
        }
        const ctx = embeddingContext;
        const out: Float32Array[] = [];
        for (const t of texts) out.push(Float32Array.from((await ctx.getEmbeddingFor(t)).vector));
        return out;
      }),
    async structured<T>(prompt: string, schema: z.ZodType<T>, opts: SamplingOptions): Promise<StructuredResult<T>> {
      return structuredOutput(self, prompt, schema, opts);
    },
    async countTokens(text) {
      return tokenize(text).length;
    },
    async close() {
      await embeddingContext?.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
  return self;
}

function isCompleteJson(text: string): boolean {
  const t = text.trim();
  if (!(t.endsWith('}') || t.endsWith(']'))) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}
