// A deterministic, dependency-free LanguageModel for tests of other modules: a seeded character-level bigram model.
// Vocabulary: id 0 = BOS/EOS, ids 1..96 = '\n' and printable ASCII 32..126. Other characters score as '?'.
// Convention: logits[prev][next] ~ N(0, 1) * scale from createRng(seed); p(next | prev) = softmax(logits[prev]).
// Everything (generate, logProbs, nextTokens, embed) is exact and reproducible for a given seed.
import type { z } from 'zod';
import { createRng } from '../util/rng.ts';
import type { TokenScore } from './serve.ts';
import { structuredOutput } from './structured.ts';
import type { Generation, LanguageModel, SamplingOptions, StructuredResult, TokenProb } from './types.ts';

export interface FakeModelOptions {
  seed?: number;
  /** Spread of the bigram logits (default 3: peaked enough that greedy text is not uniform noise). */
  scale?: number;
  /** Embedding width (default 16). */
  embeddingDim?: number;
  /** Scripted answers: when it returns a string for a prompt, generate returns that text (cut by maxTokens/stop). */
  script?: (prompt: string) => string | undefined;
}

export interface FakeModel extends LanguageModel {
  /** Number of model calls made (generate, logProbs, nextTokens, embed; countTokens is free and not counted). */
  readonly calls: { generate: number; logProbs: number; nextTokens: number; embed: number };
  scoreTokens(prompt: string, text: string, topK?: number): Promise<TokenScore[]>;
  /** generate, then hand the text to `onText` one character at a time. */
  generateStream(prompt: string, opts: SamplingOptions, onText: (delta: string) => void): Promise<Generation>;
}

const CHARS = `\n${Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')}`;
const V = CHARS.length + 1; // + BOS/EOS at id 0
const EOS = 0;

function charId(ch: string): number {
  const i = CHARS.indexOf(ch);
  return i < 0 ? CHARS.indexOf('?') + 1 : i + 1;
}

function idText(id: number): string {
  return id === EOS ? '' : CHARS[id - 1];
}

export function createFakeModel(options: FakeModelOptions = {}): FakeModel {
  const seed = options.seed ?? 0;
  const scale = options.scale ?? 3;
  const dim = options.embeddingDim ?? 16;
  const rng = createRng(`fake-bigram:${seed}`);
  // Row-wise log-softmax table: logp[prev * V + next].
  const logp = new Float64Array(V * V);
  for (let a = 0; a < V; a++) {
    const row = new Float64Array(V);
    for (let b = 0; b < V; b++) row[b] = rng.normal() * scale;
    row[EOS] -= 4; // ending is possible but rare
    let max = -Infinity;
    for (const x of row) max = Math.max(max, x);
    let sum = 0;
    for (const x of row) sum += Math.exp(x - max);
    const lse = max + Math.log(sum);
    for (let b = 0; b < V; b++) logp[a * V + b] = row[b] - lse;
  }
  const emb = Array.from({ length: V }, () => Float32Array.from({ length: dim }, () => rng.normal()));
  const calls = { generate: 0, logProbs: 0, nextTokens: 0, embed: 0 };
  const lastId = (text: string): number => {
    const chars = [...text];
    return chars.length === 0 ? EOS : charId(chars[chars.length - 1]);
  };
  const ids = (text: string): number[] => [...text].map(charId);

  const generate = async (prompt: string, opts: SamplingOptions): Promise<Generation> => {
    calls.generate++;
    const promptTokens = [...prompt].length + 1;
    const scripted = options.script?.(prompt);
    let text = '';
    let finishReason: 'stop' | 'length' = 'length';
    let n = 0;
    if (scripted !== undefined) {
      const chars = [...scripted];
      text = chars.slice(0, opts.maxTokens).join('');
      n = Math.min(chars.length, opts.maxTokens);
      if (chars.length <= opts.maxTokens) finishReason = 'stop';
    } else {
      const temperature = opts.temperature ?? 0;
      const sampler = createRng(`fake-sample:${opts.seed ?? 0}`);
      let prev = lastId(prompt);
      while (n < opts.maxTokens) {
        const next = temperature <= 0 ? argmax(logp, prev) : sample(logp, prev, temperature, opts, sampler);
        n++;
        if (next === EOS) {
          finishReason = 'stop';
          break;
        }
        text += idText(next);
        prev = next;
        if (opts.stop?.some((s) => s !== '' && text.includes(s))) break;
      }
    }
    const cut = cutAtStop(text, opts.stop);
    if (cut !== text) finishReason = 'stop';
    return { text: cut, finishReason, usage: { promptTokens, completionTokens: n } };
  };

  const model: FakeModel = {
    backend: 'fake',
    modelId: `fake-bigram:seed=${seed}:scale=${scale}:dim=${dim}`,
    capabilities: { trainable: false, logprobs: true, embeddings: true, grammar: false },
    calls,
    generate,
    async generateStream(prompt, opts, onText) {
      const g = await generate(prompt, opts);
      for (const ch of g.text) onText(ch);
      return g;
    },
    async logProbs(prompt, continuations) {
      calls.logProbs++;
      return continuations.map((c) => {
        let prev = lastId(prompt);
        let s = 0;
        for (const id of ids(c)) {
          s += logp[prev * V + id];
          prev = id;
        }
        return s;
      });
    },
    async nextTokens(prompt, opts = {}) {
      calls.nextTokens++;
      return topTokens(logp, lastId(prompt), opts.topK ?? 10);
    },
    async embed(texts) {
      calls.embed++;
      return texts.map((t) => {
        const v = new Float64Array(dim);
        const tokenIds = ids(t);
        for (const id of tokenIds) for (let j = 0; j < dim; j++) v[j] += emb[id][j];
        let norm = 0;
        for (const x of v) norm += x * x;
        norm = Math.sqrt(norm) || 1;
        return Float32Array.from(v, (x) => x / norm);
      });
    },
    async structured<T>(prompt: string, schema: z.ZodType<T>, opts: SamplingOptions): Promise<StructuredResult<T>> {
      return structuredOutput({ generate }, prompt, schema, opts);
    },
    async countTokens(text) {
      return [...text].length;
    },
    async scoreTokens(prompt, text, topK = 0) {
      let prev = lastId(prompt);
      let offset = 0;
      const out: TokenScore[] = [];
      for (const ch of text) {
        const id = charId(ch);
        out.push({
          id,
          text: ch,
          offset,
          logprob: logp[prev * V + id],
          top: topK > 0 ? topTokens(logp, prev, topK) : undefined,
        });
        offset += ch.length;
        prev = id;
      }
      return out;
    },
    async close() {},
  };
  return model;
}

/** Text up to (not including) the first occurrence of any stop string. */
export function cutAtStop(text: string, stop: readonly string[] | undefined): string {
  let end = text.length;
  for (const s of stop ?? []) {
    if (s === '') continue;
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

function argmax(logp: Float64Array, prev: number): number {
  let best = 0;
  for (let b = 1; b < V; b++) if (logp[prev * V + b] > logp[prev * V + best]) best = b;
  return best;
}

function topTokens(logp: Float64Array, prev: number, k: number): TokenProb[] {
  const order = Array.from({ length: V }, (_, b) => b).sort((x, y) => logp[prev * V + y] - logp[prev * V + x] || x - y);
  return order.slice(0, k).map((id) => ({ id, text: idText(id), logprob: logp[prev * V + id] }));
}

function sample(
  logp: Float64Array,
  prev: number,
  temperature: number,
  opts: SamplingOptions,
  rng: ReturnType<typeof createRng>,
): number {
  let cand = Array.from({ length: V }, (_, b) => b).sort((x, y) => logp[prev * V + y] - logp[prev * V + x] || x - y);
  if (opts.topK !== undefined && opts.topK > 0) cand = cand.slice(0, opts.topK);
  const w = cand.map((b) => Math.exp((logp[prev * V + b] - logp[prev * V + cand[0]]) / temperature));
  let total = w.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < cand.length && acc < opts.topP * total) acc += w[keep++];
    cand = cand.slice(0, Math.max(1, keep));
    w.length = cand.length;
    total = w.reduce((a, b) => a + b, 0);
  }
  let u = rng.next() * total;
  for (let i = 0; i < cand.length; i++) {
    u -= w[i];
    if (u < 0) return cand[i];
  }
  return cand[cand.length - 1];
}
