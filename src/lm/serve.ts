// An OpenAI-compatible HTTP API over any LanguageModel (node:http, no framework).
// Endpoints: GET /v1/models · POST /v1/completions · POST /v1/chat/completions (SSE streaming) · POST /v1/embeddings
// · POST /tokenize ({content} or {prompt} -> {count}). Bound to 127.0.0.1 by default; optional bearer token (401);
// request bodies over maxBodyBytes get 413; every error is JSON in OpenAI's shape {error:{message,type,param,code}}.
// Defaults follow OpenAI: max_tokens 16 (completions) / until stop or context (chat: 512 here), temperature 1.
// Calls are served one at a time per model in arrival order (the local backends are single-sequence).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Generation, LanguageModel, SamplingOptions, TokenProb } from './types.ts';

/** One token of a scored text (optional backend extension used for `logprobs`). */
export interface TokenScore {
  id: number;
  text: string;
  /** Character offset of the token in the scored text. */
  offset: number;
  logprob: number;
  /** The most likely tokens at this position (when asked for). */
  top?: TokenProb[];
}

/** Backends that can score each token of a text after a prompt (llama-cpp, fake) get full `logprobs` support. */
export interface TokenScoring {
  scoreTokens(prompt: string, text: string, topK?: number): Promise<TokenScore[]>;
}

/** Backends that can stream text as it is decoded (llama-cpp, fake); others are streamed once generated. */
export interface TextStreaming {
  generateStream(prompt: string, opts: SamplingOptions, onText: (delta: string) => void): Promise<Generation>;
}

function hasStreaming(m: LanguageModel): m is LanguageModel & TextStreaming {
  return typeof (m as Partial<TextStreaming>).generateStream === 'function';
}

function hasScoring(m: LanguageModel): m is LanguageModel & TokenScoring {
  return typeof (m as Partial<TokenScoring>).scoreTokens === 'function';
}

export interface ServeOptions {
  host?: string;
  /** 0 = any free port (tests). */
  port?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Largest accepted request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Model id reported by /v1/models and accepted in requests (default: the model's modelId). */
  modelName?: string;
  /** Called with one line per request (method, path, status) — never bodies or headers. */
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  /** e.g. http://127.0.0.1:40123/v1 */
  baseURL: string;
  port: number;
  modelName: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  constructor(
    status: number,
    message: string,
    type = 'invalid_request_error',
    param: string | null = null,
    code: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }
}

type Json = Record<string, unknown>;

/** Plain chat template for models without one: "Role: content" blocks, then "Assistant:". */
export function plainChatPrompt(messages: { role: string; content: string }[]): string {
  const parts = messages.map((m) => `${m.role.charAt(0).toUpperCase()}${m.role.slice(1)}: ${m.content}`);
  return `${parts.join('\n\n')}\n\nAssistant:`;
}

export async function startServer(model: LanguageModel, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const modelName = options.modelName ?? model.modelId;
  const created = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}-${(++seq).toString(36)}`;

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (options.apiKey !== undefined && !authorized(req.headers.authorization, options.apiKey))
      throw new HttpError(401, 'missing or invalid bearer token', 'invalid_request_error', null, 'invalid_api_key');
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: modelName, object: 'model', created, owned_by: `rlmf-${model.backend}` }],
      });
    }
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    const routes: Record<string, (body: Json) => Promise<number>> = {
      '/v1/completions': (b) => completions(b, res),
      '/v1/chat/completions': (b) => chat(b, res),
      '/v1/embeddings': (b) => embeddings(b, res),
      '/tokenize': (b) => tokenize(b, res),
    };
    const route = routes[path];
    if (!route)
      throw new HttpError(404, `unknown endpoint ${req.method} ${path}`, 'invalid_request_error', null, 'not_found');
    if (req.method !== 'POST') throw new HttpError(405, `${path} accepts POST only`);
    const body = await readBody(req, maxBody);
    checkModel(body);
    return route(body);
  };

  const checkModel = (body: Json) => {
    if (body.model !== undefined && body.model !== modelName)
      throw new HttpError(
        404,
        `model "${String(body.model)}" is not served here (this server has "${modelName}")`,
        'invalid_request_error',
        'model',
        'model_not_found',
      );
  };

  const sampling = (b: Json, defaultMax: number): SamplingOptions => {
    const maxTokens = intField(b, 'max_tokens', undefined) ?? intField(b, 'max_completion_tokens', defaultMax);
    const stopRaw = b.stop;
    const stop =
      stopRaw === undefined || stopRaw === null
        ? undefined
        : typeof stopRaw === 'string'
          ? [stopRaw]
          : Array.isArray(stopRaw) && stopRaw.every((s) => typeof s === 'string')
            ? (stopRaw as string[])
            : badParam('stop', 'must be a string or an array of strings');
    return {
      maxTokens: maxTokens as number,
      temperature: numField(b, 'temperature') ?? 1,
      topP: numField(b, 'top_p'),
      topK: intField(b, 'top_k', undefined),
      seed: intField(b, 'seed', undefined),
      stop,
    };
  };

  const completions = async (b: Json, res: ServerResponse): Promise<number> => {
    const prompts = typeof b.prompt === 'string' ? [b.prompt] : Array.isArray(b.prompt) ? b.prompt : undefined;
    if (!prompts || prompts.length === 0 || !prompts.every((p) => typeof p === 'string'))
      badParam('prompt', 'must be a string or a non-empty array of strings');
    if (b.stream === true)
      throw new HttpError(400, 'stream is supported on /v1/chat/completions only', 'invalid_request_error', 'stream');
    const opts = sampling(b, 16);
    const logprobs = intField(b, 'logprobs', undefined);
    const echo = b.echo === true;
    const n = intField(b, 'n', 1);
    if (n !== 1) badParam('n', 'only n = 1 is supported');
    const choices: Json[] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    for (const [index, prompt] of (prompts as string[]).entries()) {
      const out = await serial(async () => {
        const g =
          opts.maxTokens === 0
            ? {
                text: '',
                finishReason: 'length' as const,
                usage: { promptTokens: await model.countTokens(prompt), completionTokens: 0 },
              }
            : await model.generate(prompt, opts);
        let lp: Json | null = null;
        if (logprobs !== undefined) lp = await logprobsFor(prompt, g.text, echo, logprobs);
        return { g, lp };
      });
      promptTokens += out.g.usage.promptTokens;
      completionTokens += out.g.usage.completionTokens;
      choices.push({
        index,
        text: echo ? prompt + out.g.text : out.g.text,
        logprobs: out.lp,
        finish_reason: out.g.finishReason,
      });
    }
    return sendJson(res, 200, {
      id: nextId('cmpl'),
      object: 'text_completion',
      created,
      model: modelName,
      choices,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  };

  const logprobsFor = async (prompt: string, completion: string, echo: boolean, topK: number): Promise<Json> => {
    if (!model.capabilities.logprobs)
      throw new HttpError(
        400,
        `backend "${model.backend}" does not provide logprobs`,
        'invalid_request_error',
        'logprobs',
      );
    if (!hasScoring(model))
      throw new HttpError(
        400,
        `backend "${model.backend}" cannot score individual tokens (logprobs)`,
        'invalid_request_error',
        'logprobs',
      );
    const scores = echo
      ? await model.scoreTokens('', prompt + completion, topK)
      : await model.scoreTokens(prompt, completion, topK);
    return {
      tokens: scores.map((s) => s.text),
      token_logprobs: scores.map((s) => s.logprob),
      top_logprobs:
        topK > 0 ? scores.map((s) => Object.fromEntries((s.top ?? []).map((t) => [t.text, t.logprob]))) : null,
      text_offset: scores.map((s) => s.offset),
    };
  };

  const chat = async (b: Json, res: ServerResponse): Promise<number> => {
    if (!Array.isArray(b.messages) || b.messages.length === 0) badParam('messages', 'must be a non-empty array');
    const messages = (b.messages as unknown[]).map((m, i) => {
      const mm = m as Json;
      if (typeof mm?.role !== 'string') badParam(`messages[${i}].role`, 'must be a string');
      const content = typeof mm.content === 'string' ? mm.content : textOfParts(mm.content, i);
      return { role: mm.role as string, content };
    });
    const prompt = plainChatPrompt(messages);
    const opts = sampling(b, 512);
    if (!opts.stop) opts.stop = ['\n\nUser:', '\n\nSystem:'];
    const id = nextId('chatcmpl');
    if (b.stream === true) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      const chunk = (delta: Json, finish: string | null) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: modelName, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      let started = false;
      const send = (delta: string) => {
        const piece = started ? delta : delta.replace(/^ /, '');
        if (piece === '') return;
        started = true;
        res.write(chunk({ content: piece }, null));
      };
      let g: Generation;
      if (hasStreaming(model)) g = await serial(() => model.generateStream(prompt, opts, send));
      else {
        // No incremental decoding in this backend: the text is sent in word-sized pieces once generated.
        g = await serial(() => model.generate(prompt, opts));
        for (const piece of g.text.match(/\s*\S+|\s+$/g) ?? []) send(piece);
      }
      res.write(chunk({}, g.finishReason));
      res.end('data: [DONE]\n\n');
      return 200;
    }
    const g = await serial(() => model.generate(prompt, opts));
    const text = g.text.replace(/^ /, '');
    const usage = {
      prompt_tokens: g.usage.promptTokens,
      completion_tokens: g.usage.completionTokens,
      total_tokens: g.usage.promptTokens + g.usage.completionTokens,
    };
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: modelName,
      choices: [
        { index: 0, message: { role: 'assistant', content: text }, finish_reason: g.finishReason, logprobs: null },
      ],
      usage,
    });
  };

  const embeddings = async (b: Json, res: ServerResponse): Promise<number> => {
    const inputs = typeof b.input === 'string' ? [b.input] : Array.isArray(b.input) ? b.input : undefined;
    if (!inputs || inputs.length === 0 || !inputs.every((x) => typeof x === 'string'))
      badParam('input', 'must be a string or a non-empty array of strings');
    if (!model.capabilities.embeddings)
      throw new HttpError(
        400,
        `backend "${model.backend}" does not provide embeddings`,
        'invalid_request_error',
        'input',
      );
    const texts = inputs as string[];
    const { vectors, tokens } = await serial(async () => {
      const vectors = await model.embed(texts);
      let tokens = 0;
      for (const t of texts) tokens += await model.countTokens(t);
      return { vectors, tokens };
    });
    return sendJson(res, 200, {
      object: 'list',
      model: modelName,
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: Array.from(v) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const tokenize = async (b: Json, res: ServerResponse): Promise<number> => {
    const text = typeof b.content === 'string' ? b.content : typeof b.prompt === 'string' ? b.prompt : undefined;
    if (text === undefined) badParam('content', 'must be a string');
    const count = await serial(() => model.countTokens(text as string));
    return sendJson(res, 200, { count });
  };

  const server = createServer((req, res) => {
    handler(req, res)
      .then((status) => options.log?.(`${req.method} ${req.url} ${status}`))
      .catch((e: unknown) => {
        const err =
          e instanceof HttpError
            ? e
            : e instanceof Error && (e.name === 'UsageError' || e.name === 'CapabilityError')
              ? new HttpError(400, e.message)
              : new HttpError(500, e instanceof Error ? e.message : String(e), 'server_error', null, null);
        options.log?.(`${req.method} ${req.url} ${err.status}`);
        if (res.headersSent) {
          res.end();
          return;
        }
        const headers: Record<string, string> = { connection: 'close' };
        if (err.status === 401) headers['www-authenticate'] = 'Bearer';
        sendJson(
          res,
          err.status,
          { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
          headers,
        );
        if (err.status === 413) req.resume();
      });
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    modelName,
    baseURL: `http://${shownHost}:${port}/v1`,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}

function authorized(header: string | undefined, key: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): number {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
  return status;
}

function readBody(req: IncomingMessage, max: number): Promise<Json> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max)
    return Promise.reject(
      new HttpError(
        413,
        `request body of ${declared} bytes exceeds the limit of ${max} bytes`,
        'invalid_request_error',
        null,
        'request_too_large',
      ),
    );
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(
          new HttpError(
            413,
            `request body exceeds the limit of ${max} bytes`,
            'invalid_request_error',
            null,
            'request_too_large',
          ),
        );
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const v = text.trim() === '' ? {} : JSON.parse(text);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('the body must be a JSON object');
        resolvePromise(v as Json);
      } catch (e) {
        reject(new HttpError(400, `invalid JSON body: ${(e as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

function badParam(param: string, what: string): never {
  throw new HttpError(400, `${param} ${what}`, 'invalid_request_error', param);
}

function numField(b: Json, name: string): number | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) badParam(name, 'must be a number');
  return v;
}

function intField<D extends number | undefined>(b: Json, name: string, dflt: D): number | D {
  const v = numField(b, name);
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0) badParam(name, 'must be a non-negative integer');
  return v;
}

function textOfParts(content: unknown, i: number): string {
  if (!Array.isArray(content)) badParam(`messages[${i}].content`, 'must be a string or an array of text parts');
  return (content as Json[])
    .map((p) =>
      p?.type === 'text' && typeof p.text === 'string'
        ? p.text
        : badParam(`messages[${i}].content`, 'supports text parts only'),
    )
    .join('');
}
