// openai-compatible backend: the official `openai` SDK against any server with an OpenAI API (vLLM, Ollama,
// llama.cpp server, LM Studio, OpenAI, `rlmf serve`).
// Raw prompts go to /v1/completions (or /v1/chat/completions with `chat: true`); logProbs uses echo + logprobs
// (tokens whose text_offset lies at or after the end of the prompt are summed); nextTokens asks for one token with
// top logprobs; embed uses /v1/embeddings. countTokens uses the server's /tokenize when it has one, else
// ceil(UTF-8 bytes / 4) as an estimate. The API key is read from an environment variable (default OPENAI_API_KEY)
// and is never logged, put in a cache key or copied into an error message (messages are scrubbed of it).
// Retries: 429, 5xx, connection errors and timeouts, at most `maxAttempts` tries, waiting
// min(maxDelayMs, baseDelayMs * 2^(try-1)) * (0.5 + 0.5 u), u ~ U[0,1) from a seeded RNG (full jitter on half).
import OpenAI from 'openai';
import type { z } from 'zod';
import { UsageError } from '../../data/errors.ts';
import { createRng } from '../../util/rng.ts';
import { cutAtStop } from '../fake.ts';
import { structuredOutput } from '../structured.ts';
import type { Generation, LanguageModel, SamplingOptions, StructuredResult, TokenProb } from '../types.ts';
import { CapabilityError } from '../types.ts';

export interface OpenAIBackendOptions {
  /** e.g. http://127.0.0.1:8080/v1 */
  baseURL: string;
  /** Model id on the server (default: the first one /v1/models lists). */
  model?: string;
  /** Name of the environment variable that holds the API key (default OPENAI_API_KEY; unset = no key). */
  apiKeyEnv?: string;
  /** Use /v1/chat/completions with the prompt as one user message (no logprobs then). */
  chat?: boolean;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Tries per request, first included (default 4). */
  maxAttempts?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Seed of the jitter RNG (default 0). */
  jitterSeed?: number;
  /** Model for /v1/embeddings (default: the same model). */
  embeddingModel?: string;
  /** Environment to read the key from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface OpenAIModel extends LanguageModel {
  readonly baseURL: string;
  /** Requests sent, retries included (for tests and reports). */
  readonly stats: { requests: number; retries: number; maxInFlight: number };
}

/** Error from the openai backend; its message never contains the API key. */
export class OpenAIBackendError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'OpenAIBackendError';
    this.status = status;
  }
}

export function createSemaphore(limit: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Replace every occurrence of the secret in a message. */
export function scrubSecret(message: string, secret: string | undefined): string {
  if (!secret) return message;
  return message.split(secret).join('[redacted]');
}

function isRetryable(e: unknown): boolean {
  if (e instanceof OpenAI.APIConnectionTimeoutError || e instanceof OpenAI.APIConnectionError) return true;
  if (e instanceof OpenAI.APIError) return e.status === 429 || (e.status !== undefined && e.status >= 500);
  return false;
}

export async function openOpenAI(options: OpenAIBackendOptions): Promise<OpenAIModel> {
  const envName = options.apiKeyEnv ?? 'OPENAI_API_KEY';
  const env = options.env ?? process.env;
  const apiKey = env[envName] || undefined;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: apiKey ?? 'no-key',
    maxRetries: 0,
    timeout: timeoutMs,
  });
  const limit = createSemaphore(options.concurrency ?? 4);
  const maxAttempts = options.maxAttempts ?? 4;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new UsageError(`maxAttempts must be >= 1, got ${maxAttempts}`);
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const jitter = createRng(`openai-backoff:${options.jitterSeed ?? 0}`);
  const stats = { requests: 0, retries: 0, maxInFlight: 0 };
  let inFlight = 0;

  const describe = (e: unknown): { msg: string; status?: number } => {
    if (e instanceof OpenAI.APIConnectionTimeoutError) return { msg: `timed out after ${timeoutMs} ms` };
    if (e instanceof OpenAI.APIConnectionError) return { msg: `could not connect (${e.message})` };
    if (e instanceof OpenAI.APIError) return { msg: `HTTP ${e.status ?? '?'}: ${e.message}`, status: e.status };
    return { msg: e instanceof Error ? e.message : String(e) };
  };

  /** One API call with the concurrency limit, bounded retries and a key-free error. */
  const request = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    limit(async () => {
      inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      try {
        for (let attempt = 1; ; attempt++) {
          stats.requests++;
          try {
            return await fn();
          } catch (e) {
            if (attempt < maxAttempts && isRetryable(e)) {
              stats.retries++;
              const d = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)) * (0.5 + 0.5 * jitter.next());
              await sleep(d);
              continue;
            }
            const { msg, status } = describe(e);
            const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
            throw new OpenAIBackendError(
              scrubSecret(`openai backend (${options.baseURL}): ${what} failed${tries}: ${msg}`, apiKey),
              status,
            );
          }
        }
      } finally {
        inFlight--;
      }
    });

  let modelName = options.model;
  if (!modelName) {
    const list = await request('GET /models', () => client.models.list());
    modelName = list.data[0]?.id;
    if (!modelName) throw new OpenAIBackendError(`openai backend (${options.baseURL}): the server lists no models`);
  }
  const model = modelName;
  const chat = options.chat ?? false;

  type CompletionLogprobs = {
    tokens?: string[];
    token_logprobs?: (number | null)[];
    top_logprobs?: Record<string, number>[] | null;
    text_offset?: number[];
  };

  const generate = async (prompt: string, opts: SamplingOptions): Promise<Generation> => {
    const temperature = opts.temperature ?? 0;
    const common = {
      model,
      max_tokens: opts.maxTokens,
      temperature,
      top_p: opts.topP,
      seed: opts.seed,
      stop: opts.stop && opts.stop.length > 0 ? opts.stop.slice(0, 4) : undefined,
      ...(opts.topK !== undefined ? { top_k: opts.topK } : {}),
    };
    if (chat) {
      const r = await request('POST /chat/completions', () =>
        client.chat.completions.create({
          ...common,
          messages: [{ role: 'user', content: prompt }],
        } as OpenAI.ChatCompletionCreateParamsNonStreaming),
      );
      const c = r.choices[0];
      const text = cutAtStop(c?.message?.content ?? '', opts.stop);
      return {
        text,
        finishReason: c?.finish_reason === 'length' ? 'length' : 'stop',
        usage: { promptTokens: r.usage?.prompt_tokens ?? 0, completionTokens: r.usage?.completion_tokens ?? 0 },
      };
    }
    const r = await request('POST /completions', () =>
      client.completions.create({ ...common, prompt } as OpenAI.CompletionCreateParamsNonStreaming),
    );
    const c = r.choices[0];
    const raw = c?.text ?? '';
    const text = cutAtStop(raw, opts.stop);
    return {
      text,
      finishReason: c?.finish_reason === 'length' && text === raw ? 'length' : 'stop',
      usage: { promptTokens: r.usage?.prompt_tokens ?? 0, completionTokens: r.usage?.completion_tokens ?? 0 },
    };
  };

  let tokenizeURL: string | null | undefined; // undefined = not probed yet, null = server has none
  const tokenizeEndpoint = (): string =>
    new URL('../tokenize', options.baseURL.endsWith('/') ? options.baseURL : `${options.baseURL}/`).toString();

  const self: OpenAIModel = {
    backend: 'openai',
    modelId: model,
    baseURL: options.baseURL,
    stats,
    capabilities: { trainable: false, logprobs: !chat, embeddings: true, grammar: false },
    generate,
    async logProbs(prompt, continuations) {
      if (chat) throw new CapabilityError('openai (chat mode)', 'logProbs');
      return Promise.all(
        continuations.map(async (cont) => {
          const r = await request('POST /completions (echo logprobs)', () =>
            client.completions.create({
              model,
              prompt: prompt + cont,
              max_tokens: 0,
              echo: true,
              logprobs: 0,
              temperature: 0,
            }),
          );
          const lp = r.choices[0]?.logprobs as CompletionLogprobs | null | undefined;
          if (!lp?.token_logprobs || !lp.text_offset)
            throw new OpenAIBackendError(
              `openai backend (${options.baseURL}): the server returned no echo logprobs for model ${model}`,
            );
          let sum = 0;
          lp.text_offset.forEach((off, i) => {
            if (off >= prompt.length) sum += lp.token_logprobs?.[i] ?? 0;
          });
          return sum;
        }),
      );
    },
    async nextTokens(prompt, opts = {}) {
      if (chat) throw new CapabilityError('openai (chat mode)', 'nextTokens');
      const k = opts.topK ?? 10;
      const r = await request('POST /completions (top logprobs)', () =>
        client.completions.create({ model, prompt, max_tokens: 1, temperature: 0, logprobs: k }),
      );
      const top = (r.choices[0]?.logprobs as CompletionLogprobs | null | undefined)?.top_logprobs?.[0];
      if (!top)
        throw new OpenAIBackendError(
          `openai backend (${options.baseURL}): the server returned no top logprobs for model ${model}`,
        );
      return Object.entries(top)
        .map(([text, logprob]): TokenProb => ({ id: -1, text, logprob }))
        .sort((a, b) => b.logprob - a.logprob)
        .slice(0, k);
    },
    async embed(texts) {
      const r = await request('POST /embeddings', () =>
        client.embeddings.create({ model: options.embeddingModel ?? model, input: texts, encoding_format: 'float' }),
      );
      const out = new Array<Float32Array>(texts.length);
      for (const d of r.data) out[d.index] = Float32Array.from(d.embedding);
      return out;
    },
    async structured<T>(prompt: string, schema: z.ZodType<T>, opts: SamplingOptions): Promise<StructuredResult<T>> {
      return structuredOutput({ generate }, prompt, schema, opts);
    },
    async countTokens(text) {
      if (tokenizeURL === undefined) tokenizeURL = tokenizeEndpoint();
      if (tokenizeURL !== null) {
        try {
          const res = await limit(() =>
            fetch(tokenizeURL as string, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
              body: JSON.stringify({ content: text, model }),
              signal: AbortSignal.timeout(timeoutMs),
            }),
          );
          if (res.ok) {
            const body = (await res.json()) as { count?: number; tokens?: unknown[] };
            const n = typeof body.count === 'number' ? body.count : body.tokens?.length;
            if (typeof n === 'number') return n;
          }
          if (res.status === 404 || res.status === 405 || res.status === 501) tokenizeURL = null;
        } catch {
          // Unreachable or timed out: estimate this time, try the endpoint again next time.
        }
      }
      return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
    },
    async close() {},
  };
  return self;
}
