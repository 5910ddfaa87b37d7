// `rlmf lm generate`: one completion from any backend; prints the continuation only (never the prompt) to stdout.
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import {
  type Accounting,
  CACHE_MODES,
  type CacheMode,
  formatAccounting,
  newAccounting,
  openCache,
  withCache,
} from '../../lm/cache.ts';
import { type ModelSpec, openModel, parseBackend } from '../../lm/open.ts';
import type { Generation, SamplingOptions } from '../../lm/types.ts';
import { parseNumberOption } from '../common.ts';

export interface LmGenerateOptions {
  backend: string;
  model?: string;
  tokenizer?: string;
  prompt: string;
  maxTokens?: string;
  temperature?: string;
  topP?: string;
  topK?: string;
  seed?: string;
  stop?: string[];
  threads?: string;
  contextSize?: string;
  lora?: string[];
  baseUrl?: string;
  apiKeyEnv?: string;
  chat?: boolean;
  cache?: string;
  cacheMode?: string;
  maxTokensTotal?: string;
  stats?: boolean;
}

/** Model spec from the shared model options of `lm generate` and `serve`. */
export function modelSpecFromOptions(o: {
  backend: string;
  model?: string;
  tokenizer?: string;
  threads?: string;
  contextSize?: string;
  lora?: string[];
  baseUrl?: string;
  apiKeyEnv?: string;
  chat?: boolean;
}): ModelSpec {
  return {
    backend: parseBackend(o.backend),
    model: o.model,
    tokenizer: o.tokenizer,
    threads: parseNumberOption('threads', o.threads, { integer: true, min: 1 }),
    contextSize: parseNumberOption('context-size', o.contextSize, { integer: true, min: 1 }),
    lora: o.lora?.map((spec) => {
      const [path, scale] = spec.split(':');
      return { path, scale: scale === undefined ? undefined : parseNumberOption('lora', scale) };
    }),
    baseURL: o.baseUrl,
    apiKeyEnv: o.apiKeyEnv,
    chat: o.chat,
  };
}

/** Everything `rlmf lm generate` does except printing. */
export async function runLmGenerate(o: LmGenerateOptions): Promise<{ generation: Generation; accounting: Accounting }> {
  const sampling: SamplingOptions = {
    maxTokens: parseNumberOption('max-tokens', o.maxTokens ?? '64', { integer: true, min: 0 }) as number,
    temperature: parseNumberOption('temperature', o.temperature ?? '0', { min: 0 }),
    topP: parseNumberOption('top-p', o.topP, { min: 0 }),
    topK: parseNumberOption('top-k', o.topK, { integer: true, min: 0 }),
    seed: parseNumberOption('seed', o.seed, { integer: true, min: 0 }),
    stop: o.stop,
  };
  const mode = (o.cacheMode ?? 'use') as CacheMode;
  if (!CACHE_MODES.includes(mode))
    throw new UsageError(`--cache-mode: "${o.cacheMode}" is not one of ${CACHE_MODES.join(', ')}`);
  if (mode === 'replay' && !o.cache) throw new UsageError('--cache-mode replay needs --cache DIR');
  const accounting = newAccounting({
    maxTokensTotal: parseNumberOption('max-tokens-total', o.maxTokensTotal, { integer: true, min: 0 }),
  });
  const inner = await openModel(modelSpecFromOptions(o));
  try {
    const model = withCache(inner, o.cache ? openCache(o.cache, mode) : undefined, accounting);
    const generation = await model.generate(o.prompt, sampling);
    return { generation, accounting };
  } finally {
    await inner.close();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `write` defaults to stdout (tests pass a collector). */
export function registerLmGenerate(lm: Command, write: (s: string) => void = (s) => process.stdout.write(s)): void {
  lm.command('generate')
    .description('generate a continuation of a prompt (prints the continuation only)')
    .requiredOption('--backend <name>', 'builtin | llama-cpp | openai | fake')
    .option('--model <path>', 'checkpoint dir, llama2.c .bin, .gguf; for openai the server model id')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c .bin (tok512.bin) or tokenizer.json')
    .requiredOption('--prompt <text>', 'the prompt (BOS is prepended for models that use one)')
    .option('--max-tokens <n>', 'maximum new tokens', '64')
    .option('--temperature <t>', '0 = greedy', '0')
    .option('--top-p <p>', 'nucleus sampling')
    .option('--top-k <k>', 'top-k sampling')
    .option('--seed <n>', 'seed for sampled decoding')
    .option('--stop <text>', 'stop string (repeatable)', collect)
    .option('--threads <n>', 'CPU threads (default min(cores, 4))')
    .option('--context-size <n>', 'llama-cpp context window')
    .option('--lora <path[:scale]>', 'llama-cpp LoRA adapter (repeatable)', collect)
    .option('--base-url <url>', 'openai: server base URL, e.g. http://127.0.0.1:8080/v1')
    .option('--api-key-env <name>', 'openai: environment variable holding the API key', 'OPENAI_API_KEY')
    .option('--chat', 'openai: use /v1/chat/completions')
    .option('--cache <dir>', 'response cache directory')
    .option('--cache-mode <mode>', `${CACHE_MODES.join(' | ')}`, 'use')
    .option('--max-tokens-total <n>', 'hard token budget for this run')
    .option('--stats', 'print calls, cache hits and tokens to stderr')
    .action(async (o: LmGenerateOptions) => {
      const { generation, accounting } = await runLmGenerate(o);
      if (o.stats) process.stderr.write(`${formatAccounting(accounting)}\n`);
      write(`${generation.text}\n`);
    });
}
