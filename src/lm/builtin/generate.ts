// Decoding with a KV cache: greedy (temperature 0) or seeded sampling with temperature, top-k and top-p; stops at
// EOS, at a stop string (excluded from the text) or after maxTokens.
import { createRng, type Rng } from '../../util/rng.ts';
import type { LlamaConfig } from './config.ts';
import { disposeCache, type Model, newCache, stepLogits } from './model.ts';

/** Something that consumes tokens at successive positions and returns the next-token logits. */
export interface Stepper {
  step(ids: number[]): Float32Array;
  /** Positions consumed so far. */
  readonly length: number;
  /** Free the cache (the stepper may be reused from position 0 afterwards). */
  close(): void;
}

/** The tfjs model with a KV cache as a Stepper. */
export function tfStepper(m: Model): Stepper {
  const cache = newCache();
  return {
    step: (ids) => stepLogits(m, ids, cache),
    get length() {
      return cache.length;
    },
    close: () => disposeCache(cache),
  };
}

export interface DecodeOptions {
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  /** Token ids that end generation (not included). Default: the config's eos_token_id. */
  stopIds?: number[];
}

export interface DecodeResult {
  ids: number[];
  text: string;
  finishReason: 'stop' | 'length';
}

/** Index of the largest value (first one on ties). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/**
 * Sample a token from logits: softmax(logits / T) restricted to the top-k tokens, then to the smallest set of most
 * likely tokens whose probability mass reaches top-p; one uniform draw from `rng`. temperature <= 0 means argmax.
 */
export function sampleToken(
  logits: ArrayLike<number>,
  opts: { temperature?: number; topK?: number; topP?: number },
  rng: Rng,
): number {
  const temp = opts.temperature ?? 0;
  if (temp <= 0) return argmax(logits);
  const order = Array.from({ length: logits.length }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const k = opts.topK && opts.topK > 0 ? Math.min(opts.topK, order.length) : order.length;
  const kept = order.slice(0, k);
  const mx = logits[kept[0]];
  const probs = kept.map((i) => Math.exp((logits[i] - mx) / temp));
  const total = probs.reduce((a, b) => a + b, 0);
  let n = kept.length;
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < kept.length; j++) {
      cum += probs[j] / total;
      if (cum >= topP) {
        n = j + 1;
        break;
      }
    }
  }
  const mass = probs.slice(0, n).reduce((a, b) => a + b, 0);
  let u = rng.next() * mass;
  for (let j = 0; j < n; j++) {
    u -= probs[j];
    if (u < 0) return kept[j];
  }
  return kept[n - 1];
}

/** Generate after `promptIds` (which must already hold BOS if the model uses one). `decode` maps ids to text. */
export function decodeTokens(
  m: Model,
  promptIds: number[],
  opts: DecodeOptions,
  decode: (ids: number[]) => string,
): DecodeResult {
  return decodeWith(tfStepper(m), m.config, promptIds, opts, decode);
}

/** A Stepper whose step is asynchronous (the onnxruntime decoder). */
export interface AsyncStepper {
  step(ids: number[]): Promise<Float32Array>;
  readonly length: number;
  close(): void;
}

/**
 * The decoding loop as a generator: yields the ids to feed next, receives their logits, returns the result. Drives
 * both the synchronous and the asynchronous steppers, so their token choices are the same code.
 */
function* decodeLoop(
  stepperLength: () => number,
  config: LlamaConfig,
  promptIds: number[],
  opts: DecodeOptions,
  decode: (ids: number[]) => string,
): Generator<number[], DecodeResult, Float32Array> {
  if (promptIds.length === 0) throw new Error('generate: empty prompt (prepend BOS)');
  const rng = createRng(opts.seed ?? 0).fork('sample');
  const stopIds = new Set(opts.stopIds ?? [config.eos_token_id]);
  const stops = (opts.stop ?? []).filter((s) => s.length > 0);
  const ids: number[] = [];
  let logits = yield promptIds;
  while (ids.length < opts.maxTokens) {
    const next = sampleToken(logits, opts, rng);
    if (stopIds.has(next)) return { ids, text: decode(ids), finishReason: 'stop' };
    ids.push(next);
    if (stops.length) {
      const text = decode(ids);
      const cut = firstStop(text, stops);
      if (cut >= 0) return { ids, text: text.slice(0, cut), finishReason: 'stop' };
    }
    if (ids.length >= opts.maxTokens || stepperLength() >= config.max_position_embeddings) break;
    logits = yield [next];
  }
  return { ids, text: decode(ids), finishReason: 'length' };
}

/** decodeTokens over any Stepper (tfjs or the plain-JS decoder); closes the stepper at the end. */
export function decodeWith(
  stepper: Stepper,
  config: LlamaConfig,
  promptIds: number[],
  opts: DecodeOptions,
  decode: (ids: number[]) => string,
): DecodeResult {
  try {
    const loop = decodeLoop(() => stepper.length, config, promptIds, opts, decode);
    let r = loop.next();
    while (!r.done) r = loop.next(stepper.step(r.value));
    return r.value;
  } finally {
    stepper.close();
  }
}

/** decodeWith over an asynchronous stepper (same token choices); closes the stepper at the end. */
export async function decodeWithAsync(
  stepper: AsyncStepper,
  config: LlamaConfig,
  promptIds: number[],
  opts: DecodeOptions,
  decode: (ids: number[]) => string,
): Promise<DecodeResult> {
  try {
    const loop = decodeLoop(() => stepper.length, config, promptIds, opts, decode);
    let r = loop.next();
    while (!r.done) r = loop.next(await stepper.step(r.value));
    return r.value;
  } finally {
    stepper.close();
  }
}

function firstStop(text: string, stops: string[]): number {
  let cut = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  return cut;
}
