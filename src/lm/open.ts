// One factory for every backend, used by the CLI (`rlmf lm generate`, `rlmf serve`) and by agents' configs.
// The builtin backend is loaded lazily (dynamic import) so this module does not depend on it being present.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../data/errors.ts';
import type { LanguageModel } from './types.ts';

export const BACKENDS = ['builtin', 'llama-cpp', 'openai', 'fake'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface ModelSpec {
  backend: BackendName;
  /** builtin: checkpoint dir, llama2.c .bin or .gguf; llama-cpp: .gguf; openai: server model id (optional). */
  model?: string;
  /** builtin with a llama2.c .bin: the tok512.bin (or tokenizer.json). */
  tokenizer?: string;
  threads?: number;
  contextSize?: number;
  /** llama-cpp: LoRA adapters. */
  lora?: { path: string; scale?: number }[];
  /** openai: server base URL, e.g. http://127.0.0.1:8080/v1 */
  baseURL?: string;
  /** openai: environment variable holding the API key (default OPENAI_API_KEY). */
  apiKeyEnv?: string;
  /** openai: use chat completions. */
  chat?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  /** fake: seed of the bigram table. */
  seed?: number;
}

export function parseBackend(name: string): BackendName {
  if (!(BACKENDS as readonly string[]).includes(name))
    throw new UsageError(`--backend: "${name}" is not one of ${BACKENDS.join(', ')}`);
  return name as BackendName;
}

export async function openModel(spec: ModelSpec): Promise<LanguageModel> {
  switch (spec.backend) {
    case 'llama-cpp': {
      if (!spec.model) throw new UsageError('--model: the llama-cpp backend needs a .gguf file');
      const { openLlamaCpp } = await import('./backends/llama-cpp.ts');
      return openLlamaCpp({
        modelPath: spec.model,
        threads: spec.threads,
        contextSize: spec.contextSize,
        lora: spec.lora,
      });
    }
    case 'openai': {
      if (!spec.baseURL) throw new UsageError('--base-url is required for the openai backend');
      const { openOpenAI } = await import('./backends/openai.ts');
      return openOpenAI({
        baseURL: spec.baseURL,
        model: spec.model,
        apiKeyEnv: spec.apiKeyEnv,
        chat: spec.chat,
        concurrency: spec.concurrency,
        timeoutMs: spec.timeoutMs,
      });
    }
    case 'fake': {
      const { createFakeModel } = await import('./fake.ts');
      return createFakeModel({ seed: spec.seed ?? 0 });
    }
    case 'builtin': {
      if (!spec.model) throw new UsageError('--model: the builtin backend needs a checkpoint directory, .bin or .gguf');
      // .ts in a source checkout, .js in the compiled dist/.
      const url = new URL(`./builtin/backend.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
      if (!existsSync(fileURLToPath(url)))
        throw new UsageError(
          'the builtin backend is not available in this build (src/lm/builtin/backend.ts is missing)',
        );
      const mod = (await import(url.href)) as {
        openBuiltin?: (o: { model: string; tokenizer?: string; threads?: number }) => Promise<LanguageModel>;
      };
      if (typeof mod.openBuiltin !== 'function')
        throw new UsageError('the builtin backend module does not export openBuiltin');
      return mod.openBuiltin({ model: spec.model, tokenizer: spec.tokenizer, threads: spec.threads });
    }
  }
}
