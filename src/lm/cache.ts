// Response cache, exact replay and token budget for any LanguageModel.
// Layout: DIR/<k[0..2]>/<k>.json, one file per key, written atomically (temp + rename), so several processes can
// share one cache: a reader sees a whole entry or none, and two writers of the same key write the same bytes.
// Key = sha256 of canonical JSON {backend, modelId, method, prompt, params} (params = every sampling parameter,
// seed included; continuations, texts, schema and topK for the other methods). No credential is ever part of a key.
// Modes: use (read, else call and store) · refresh (call and overwrite) · off (no cache) · replay (a miss is an
// error, so a published run re-runs with no model at all).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { DataError, UsageError } from '../data/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';
import { jsonSchemaOf, structuredOutput } from './structured.ts';
import type { Generation, LanguageModel, SamplingOptions, StructuredResult, TokenProb } from './types.ts';

export type CacheMode = 'use' | 'refresh' | 'off' | 'replay';
export const CACHE_MODES: readonly CacheMode[] = ['use', 'refresh', 'off', 'replay'];

export interface ResponseCache {
  readonly dir: string;
  readonly mode: CacheMode;
  get(key: string): unknown | undefined;
  put(key: string, request: unknown, response: unknown): void;
}

/** A cache miss in replay mode. */
export class CacheMissError extends Error {
  constructor(method: string, prompt: string, key: string) {
    const prefix = prompt.length > 60 ? `${prompt.slice(0, 60)}…` : prompt;
    super(
      `cache miss in replay mode: ${method} for prompt ${JSON.stringify(prefix)} (key ${key.slice(0, 16)}) — ` +
        'the run asked for a response the cache does not hold; re-run with --cache use to call the model',
    );
    this.name = 'CacheMissError';
  }
}

/** The next call would take the run past its token budget; raised before the call is made. */
export class BudgetExceededError extends Error {
  constructor(method: string, needed: number, used: number, max: number) {
    super(
      `token budget reached: a ${method} call needs up to ${needed} tokens, ${used} of --max-tokens-total ${max} ` +
        'are already used; stopped before making the call',
    );
    this.name = 'BudgetExceededError';
  }
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

export interface CacheRequest {
  backend: string;
  modelId: string;
  method: string;
  prompt: string;
  params: unknown;
}

export function cacheKey(req: CacheRequest): string {
  return createHash('sha256').update(canonicalJson(req)).digest('hex');
}

export function openCache(dir: string, mode: CacheMode = 'use'): ResponseCache {
  if (!CACHE_MODES.includes(mode)) throw new UsageError(`cache mode "${mode}" is not one of ${CACHE_MODES.join(', ')}`);
  const pathOf = (key: string) => join(dir, key.slice(0, 2), `${key}.json`);
  return {
    dir,
    mode,
    get(key) {
      const path = pathOf(key);
      if (!existsSync(path)) return undefined;
      let entry: { key?: string; response?: unknown };
      try {
        entry = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        throw new DataError([{ file: path, reason: `unreadable cache entry: ${(e as Error).message}` }]);
      }
      if (entry.key !== key || !('response' in entry))
        throw new DataError([{ file: path, field: 'key', reason: 'cache entry does not belong to this key' }]);
      return entry.response;
    },
    put(key, request, response) {
      writeFileAtomic(pathOf(key), `${canonicalJson({ key, request, response })}\n`);
    },
  };
}

/** Per-run token and cost accounting, with an optional hard budget on tokens sent to and produced by models. */
export interface Accounting {
  /** Live model calls (cache hits excluded). */
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Tokens of responses served from the cache (not counted against the budget). */
  cachedTokens: number;
  /** USD, from the prices given (0 when none). */
  cost: number;
  maxTokensTotal?: number;
  pricePerMillionPromptTokens?: number;
  pricePerMillionCompletionTokens?: number;
}

export function newAccounting(
  opts: {
    maxTokensTotal?: number;
    pricePerMillionPromptTokens?: number;
    pricePerMillionCompletionTokens?: number;
  } = {},
): Accounting {
  return { calls: 0, cacheHits: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, cost: 0, ...opts };
}

/** One line for logs and run reports, e.g. "lm: 12 calls, 3 cache hits, 1200 prompt + 340 completion tokens". */
export function formatAccounting(acc: Accounting): string {
  let s = `lm: ${acc.calls} calls, ${acc.cacheHits} cache hits, ${acc.promptTokens} prompt + ${acc.completionTokens} completion tokens`;
  if (acc.maxTokensTotal !== undefined) s += ` (budget ${acc.maxTokensTotal})`;
  if (acc.cost > 0) s += `, $${acc.cost.toFixed(4)}`;
  return s;
}

export function tokensUsed(acc: Accounting): number {
  return acc.promptTokens + acc.completionTokens;
}

function charge(acc: Accounting, promptTokens: number, completionTokens: number): void {
  acc.calls++;
  acc.promptTokens += promptTokens;
  acc.completionTokens += completionTokens;
  acc.cost +=
    (promptTokens * (acc.pricePerMillionPromptTokens ?? 0) +
      completionTokens * (acc.pricePerMillionCompletionTokens ?? 0)) /
    1e6;
}

function samplingParams(opts: SamplingOptions): Record<string, unknown> {
  return {
    maxTokens: opts.maxTokens,
    temperature: opts.temperature ?? 0,
    topP: opts.topP,
    topK: opts.topK,
    seed: opts.seed,
    stop: opts.stop,
  };
}

/**
 * Wrap a model so every call goes through the cache (per its mode) and the accounting/budget. With mode 'replay'
 * the inner model may be a stand-in that is never called (see `replayOnlyModel`).
 */
export function withCache(model: LanguageModel, cache: ResponseCache | undefined, acc: Accounting = newAccounting()) {
  const mode: CacheMode = cache?.mode ?? 'off';
  const countLive = async (text: string): Promise<number> => model.countTokens(text);

  async function call<R>(
    method: string,
    prompt: string,
    params: unknown,
    estimate: () => Promise<number>,
    run: () => Promise<{ result: R; promptTokens: number; completionTokens: number }>,
    encode: (r: R) => unknown = (r) => r,
    decode: (x: unknown) => R = (x) => x as R,
  ): Promise<R> {
    const req: CacheRequest = { backend: model.backend, modelId: model.modelId, method, prompt, params };
    const key = cacheKey(req);
    if (cache && (mode === 'use' || mode === 'replay')) {
      const hit = cache.get(key);
      if (hit !== undefined) {
        acc.cacheHits++;
        const r = decode(hit) as R & { usage?: { promptTokens: number; completionTokens: number } };
        if (r && typeof r === 'object' && 'usage' in r && r.usage)
          acc.cachedTokens += r.usage.promptTokens + r.usage.completionTokens;
        return r;
      }
      if (mode === 'replay') throw new CacheMissError(method, prompt, key);
    }
    if (acc.maxTokensTotal !== undefined) {
      const needed = await estimate();
      const used = tokensUsed(acc);
      if (used + needed > acc.maxTokensTotal) throw new BudgetExceededError(method, needed, used, acc.maxTokensTotal);
    }
    const out = await run();
    charge(acc, out.promptTokens, out.completionTokens);
    if (cache && mode !== 'off') cache.put(key, req, encode(out.result));
    return out.result;
  }

  const generate = (prompt: string, opts: SamplingOptions): Promise<Generation> =>
    call<Generation>(
      'generate',
      prompt,
      samplingParams(opts),
      async () => (await countLive(prompt)) + opts.maxTokens,
      async () => {
        const g = await model.generate(prompt, opts);
        return { result: g, promptTokens: g.usage.promptTokens, completionTokens: g.usage.completionTokens };
      },
      (g) => ({ text: g.text, finishReason: g.finishReason, usage: g.usage }),
      (x) => ({ ...(x as Generation), cached: true }),
    );

  const wrapped: LanguageModel & { accounting: Accounting; inner: LanguageModel } = {
    backend: model.backend,
    modelId: model.modelId,
    capabilities: model.capabilities,
    accounting: acc,
    inner: model,
    generate,
    async logProbs(prompt, continuations) {
      const cost = async () => {
        const p = await countLive(prompt);
        let n = 0;
        for (const c of continuations) n += p + (await countLive(c));
        return n;
      };
      return call<number[]>('logProbs', prompt, { continuations }, cost, async () => {
        const result = await model.logProbs(prompt, continuations);
        return { result, promptTokens: await cost(), completionTokens: 0 };
      });
    },
    async nextTokens(prompt, opts = {}) {
      const cost = () => countLive(prompt);
      return call<TokenProb[]>('nextTokens', prompt, { topK: opts.topK }, cost, async () => {
        const result = await model.nextTokens(prompt, opts);
        return { result, promptTokens: await cost(), completionTokens: 0 };
      });
    },
    async embed(texts) {
      const cost = async () => {
        let n = 0;
        for (const t of texts) n += await countLive(t);
        return n;
      };
      return call<Float32Array[]>(
        'embed',
        texts[0] ?? '',
        { texts },
        cost,
        async () => ({ result: await model.embed(texts), promptTokens: await cost(), completionTokens: 0 }),
        (r) => r.map((v) => Array.from(v)),
        (x) => (x as number[][]).map((v) => Float32Array.from(v)),
      );
    },
    async structured<T>(prompt: string, schema: z.ZodType<T>, opts: SamplingOptions): Promise<StructuredResult<T>> {
      if (!model.capabilities.grammar) return structuredOutput({ generate }, prompt, schema, opts);
      // Grammar backends: one constrained call (two on a re-ask) inside the backend, cached as a whole. The cached
      // value is re-validated with the schema on the way out, so a changed schema cannot pass stale data through.
      const params = { ...samplingParams(opts), schema: jsonSchemaOf(schema) ?? null };
      const r = await call<StructuredResult<unknown>>(
        'structured',
        prompt,
        params,
        async () => 2 * ((await countLive(prompt)) + opts.maxTokens),
        async () => {
          const res = await model.structured(prompt, schema, opts);
          const p = await countLive(prompt);
          const c = await countLive(res.raw);
          return { result: res as StructuredResult<unknown>, promptTokens: p * res.attempts, completionTokens: c };
        },
      );
      if (!r.ok) return r;
      const v = schema.safeParse(r.value);
      return v.success
        ? { ...r, value: v.data }
        : { ok: false, error: v.error.message, raw: r.raw, attempts: r.attempts };
    },
    async countTokens(text) {
      // Not a model call (no accounting), but cached so that a replay with no model can still count tokens.
      if (!cache || mode === 'off') return model.countTokens(text);
      const req: CacheRequest = {
        backend: model.backend,
        modelId: model.modelId,
        method: 'countTokens',
        prompt: text,
        params: {},
      };
      const key = cacheKey(req);
      if (mode !== 'refresh') {
        const hit = cache.get(key);
        if (typeof hit === 'number') return hit;
        if (mode === 'replay') throw new CacheMissError('countTokens', text, key);
      }
      const n = await model.countTokens(text);
      cache.put(key, req, n);
      return n;
    },
    close: () => model.close(),
  };
  return wrapped;
}

/**
 * A stand-in for replay: carries the identity of the model that recorded the cache and fails if ever called.
 * `withCache(replayOnlyModel(backend, modelId, caps), openCache(dir, 'replay'))` re-runs a recorded run with no model.
 */
export function replayOnlyModel(
  backend: string,
  modelId: string,
  capabilities: LanguageModel['capabilities'] = { trainable: false, logprobs: true, embeddings: true, grammar: false },
): LanguageModel {
  const no = async (): Promise<never> => {
    throw new Error(`replay-only model ${backend}/${modelId} was asked to compute (the cache should have answered)`);
  };
  return {
    backend,
    modelId,
    capabilities,
    generate: no,
    logProbs: no,
    nextTokens: no,
    embed: no,
    structured: no,
    countTokens: no,
    close: async () => {},
  };
}
