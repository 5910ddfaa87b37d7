// The one interface every language-model backend implements (builtin, llama-cpp, openai-compatible).
// Backend-neutral: agents and training code depend on this file only. See docs/lm.md.
import type { z } from 'zod';

export interface Capabilities {
  /** Weights can be trained through this interface (builtin only). */
  trainable: boolean;
  /** Log-probabilities of given continuations and next-token distributions. */
  logprobs: boolean;
  embeddings: boolean;
  /** Grammar / JSON-schema constrained decoding. */
  grammar: boolean;
}

export interface SamplingOptions {
  /** Maximum new tokens. */
  maxTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Seed for sampled decoding: same seed, same prompt, same model -> same output. */
  seed?: number;
  /** Generation stops before the first occurrence of any of these strings (not included in the text). */
  stop?: string[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Generation {
  /** The continuation only (never the prompt). */
  text: string;
  finishReason: 'stop' | 'length';
  usage: Usage;
  /** True when the result came from the response cache. */
  cached?: boolean;
}

export interface TokenProb {
  /** Token id in the model's vocabulary (-1 when the backend does not expose ids). */
  id: number;
  text: string;
  /** Natural-log probability. */
  logprob: number;
}

/** Result of structured output: never throws on a bad answer; failures are counted by the caller. */
export type StructuredResult<T> =
  | { ok: true; value: T; raw: string; repaired: boolean; attempts: number }
  | { ok: false; error: string; raw: string; attempts: number };

export interface LanguageModel {
  /** Backend name: 'builtin' | 'llama-cpp' | 'openai'. */
  readonly backend: string;
  /** Stable identity of the weights: a hash of the weights file, or the server's model id. Part of cache keys. */
  readonly modelId: string;
  readonly capabilities: Capabilities;
  generate(prompt: string, opts: SamplingOptions): Promise<Generation>;
  /** Sum of token log-probabilities of each continuation given the prompt. */
  logProbs(prompt: string, continuations: string[]): Promise<number[]>;
  /** The `topK` most likely next tokens after the prompt (or the given candidate strings' first tokens). */
  nextTokens(prompt: string, opts?: { topK?: number }): Promise<TokenProb[]>;
  embed(texts: string[]): Promise<Float32Array[]>;
  /** JSON output matching a zod schema: grammar-constrained where the backend can, else parse + repair + one re-ask. */
  structured<T>(prompt: string, schema: z.ZodType<T>, opts: SamplingOptions): Promise<StructuredResult<T>>;
  countTokens(text: string): Promise<number>;
  close(): Promise<void>;
}

/** Raised when a capability is asked of a backend that does not have it. */
export class CapabilityError extends Error {
  constructor(backend: string, capability: string) {
    super(`backend "${backend}" does not support ${capability}`);
    this.name = 'CapabilityError';
  }
}
