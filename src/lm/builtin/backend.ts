// The built-in backend: the tfjs Llama decoder behind the LanguageModel interface (src/lm/types.ts).
// Capabilities: trainable, logprobs, embeddings (mean-pooled final hidden state); no grammar (structured output goes
// through parse + jsonrepair + one re-ask).
import type { z } from 'zod';
import { createOrtDecoder, type OrtDecoder } from '../ort/decode.ts';
import { structuredOutput } from '../structured.ts';
import { continuationText } from '../tokenizer/index.ts';
import type { Tokenizer } from '../tokenizer/types.ts';
import type { Generation, LanguageModel, SamplingOptions, StructuredResult, TokenProb } from '../types.ts';
import { countParams, type LlamaConfig, type ParamArrays } from './config.ts';
import { type AsyncStepper, decodeWith, decodeWithAsync, type Stepper, tfStepper } from './generate.ts';
import { createJsDecoder, type JsDecoder } from './jsdecode.ts';
import { type LoadedWeights, loadWeights } from './load.ts';
import {
  disposeModel,
  headLogits,
  hiddenStates,
  logProb,
  type Model,
  modelFromArrays,
  modelToArrays,
} from './model.ts';
import { buildTrainableModel, specFromAdapterConfig } from './session.ts';
import { initTf, tf } from './tf.ts';
import { loadTokenizerFor } from './tokenizer.ts';

export interface BuiltinOptions {
  /** Checkpoint directory, llama2.c .bin or .gguf. */
  model: string;
  /** Tokenizer file (tok512.bin or tokenizer.json); default: the checkpoint's tokenizer.json / the GGUF's vocabulary. */
  tokenizer?: string;
  /** wasm threads (tfjs under Node runs one; kept for interface symmetry); onnxruntime decoder threads. */
  threads?: number;
  /** Decoding path (default 'auto', see DecodePath). */
  decoder?: DecodePath;
}

/**
 * How generate() runs the KV-cache forward pass. All paths give the same greedy tokens (logits agree to ~1e-5).
 * - 'ort': the onnxruntime decode graph (src/lm/ort/decode.ts): fastest per token at every size measured
 *   (stories260K 3,000+ tokens/s, micro ~2,900, the 5.3M benchmark model ~1,100), but building it costs 40–200 ms
 *   (weights are baked into the graph), so it is built once per weight version and cached.
 * - 'js': plain-JS decoder (jsdecode.ts; ~0 ms to build, 650–1,600 tokens/s on models ≤ JS_DECODE_MAX_PARAMS).
 * - 'tfjs': the tfjs model itself (36–180 tokens/s; the reference).
 * - 'auto': 'ort', except for a small model (≤ JS_DECODE_MAX_PARAMS) whose weights changed since the previous
 *   generate() call (a model being trained between calls): then 'js', so no graph is rebuilt per call.
 */
export type DecodePath = 'auto' | 'ort' | 'js' | 'tfjs';

export interface BuiltinModel extends LanguageModel {
  readonly model: Model;
  readonly tokenizer: Tokenizer;
  readonly config: LlamaConfig;
  /** Prompt ids as the backend feeds them (BOS prepended when the model has one). */
  promptIds(prompt: string): number[];
  /** Differentiable Σ log p(completion | prompt) (nats) for policy-gradient training; use inside tf.variableGrads. */
  logProbTensor(promptIds: number[], completionIds: number[]): tf.Scalar;
  /** The decoding path the last generate() call took (null before the first). */
  readonly lastDecodePath: 'ort' | 'js' | 'tfjs' | null;
}

/** Models up to this many parameters may decode with the plain-JS decoder (jsdecode.ts) while being trained. */
export const JS_DECODE_MAX_PARAMS = 2_000_000;

/** The weights the model computes with: LoRA adapters (if attached) merged into copies of the base weights. */
function mergedArrays(m: Model): ParamArrays {
  const out = modelToArrays(m);
  const lora = m.lora;
  if (!lora) return out;
  for (const name of lora.targets) {
    const delta = tf.tidy(() => tf.mul(tf.matMul(lora.B.get(name)!, lora.A.get(name)!), lora.alpha / lora.rank));
    const d = delta.dataSync();
    delta.dispose();
    const w = Float32Array.from(out.get(`${name}.weight`)!);
    for (let i = 0; i < w.length; i++) w[i] += d[i];
    out.set(`${name}.weight`, w);
  }
  return out;
}

/** Forward switches for everything that is not training (cached transposed weights). */
const INF = { inference: true };

/** Open a built-in model. Accepts `openBuiltin(path, opts)` or `openBuiltin({ model, tokenizer, threads })`. */
export async function openBuiltin(
  pathOrOpts: string | BuiltinOptions,
  opts: Partial<BuiltinOptions> = {},
): Promise<BuiltinModel> {
  const o: BuiltinOptions = typeof pathOrOpts === 'string' ? { ...opts, model: pathOrOpts } : pathOrOpts;
  await initTf({ threads: o.threads ?? 1 });
  const w: LoadedWeights = loadWeights(o.model);
  const tokenizer = await loadTokenizerFor(o.model, w, o.tokenizer);
  const ck = w.checkpoint;
  // A LoRA checkpoint runs with its adapter attached (unmerged; merge with mergeLora for faster inference).
  const model = ck?.adapter
    ? buildTrainableModel(w.config, w.params, specFromAdapterConfig(ck.adapter.config, ck.dir), ck.adapter.tensors)
    : modelFromArrays(w.config, w.params);
  return builtinFromModel(model, tokenizer, w.sha256, { decoder: o.decoder, threads: o.threads });
}

/** Wrap an in-memory model + tokenizer (e.g. one being trained) as a LanguageModel. */
export function builtinFromModel(
  model: Model,
  tokenizer: Tokenizer,
  modelId: string,
  opts: { decoder?: DecodePath; threads?: number } = {},
): BuiltinModel {
  const config = model.config;
  const bos = tokenizer.bosId ?? config.bos_token_id;
  const promptIds = (text: string): number[] => [bos, ...tokenizer.encode(text)];
  /** A prompt longer than the context keeps BOS and its last max_position_embeddings − 2 tokens (room to generate). */
  const fit = (ids: number[]): number[] => {
    const room = config.max_position_embeddings - 2;
    return ids.length - 1 > room ? [ids[0], ...ids.slice(ids.length - room)] : ids;
  };
  const completionIds = (prompt: string, cont: string): { p: number[]; c: number[] } => {
    const p = promptIds(prompt);
    const full = promptIds(prompt + cont);
    if (full.length > p.length && p.every((id, i) => full[i] === id)) return { p, c: full.slice(p.length) };
    return { p, c: tokenizer.encode(cont) };
  };
  // The decoders hold a merged copy of the weights (LoRA adapters folded in), rebuilt whenever a weight tensor's
  // storage changes (training in between); `weightKey` identifies the storage.
  const small = countParams(config) <= JS_DECODE_MAX_PARAMS;
  const mode = opts.decoder ?? 'auto';
  const weightKey = (): unknown[] =>
    [...model.weights.values(), ...(model.lora ? [...model.lora.A.values(), ...model.lora.B.values()] : [])].map(
      (t) => t.dataId,
    );
  const sameKey = (a: unknown[] | null, b: unknown[]) => !!a && a.length === b.length && a.every((k, i) => k === b[i]);
  let js: { key: unknown[]; dec: JsDecoder } | null = null;
  let ort: { key: unknown[]; dec: OrtDecoder } | null = null;
  let lastKey: unknown[] | null = null;
  let lastPath: 'ort' | 'js' | 'tfjs' | null = null;
  const jsStepper = (key: unknown[]): Stepper => {
    if (!js || !sameKey(js.key, key)) js = { key, dec: createJsDecoder(config, mergedArrays(model)) };
    const dec = js.dec;
    dec.reset();
    return {
      step: (ids) => dec.step(ids),
      get length() {
        return dec.length;
      },
      close: () => dec.reset(),
    };
  };
  const ortStepper = async (key: unknown[]): Promise<AsyncStepper> => {
    if (!ort || !sameKey(ort.key, key)) {
      const old = ort;
      ort = null;
      if (old) await old.dec.close();
      ort = { key, dec: await createOrtDecoder(config, mergedArrays(model), { threads: opts.threads ?? 1 }) };
    }
    const dec = ort.dec;
    dec.reset();
    return {
      async step(ids) {
        let logits: Float32Array = new Float32Array(0);
        for (const id of ids) logits = await dec.step(id);
        return logits;
      },
      get length() {
        return dec.position;
      },
      close: () => dec.reset(),
    };
  };
  /** Which path this call takes (see DecodePath). */
  const choose = (key: unknown[]): 'ort' | 'js' | 'tfjs' => {
    if (mode !== 'auto') return mode;
    if (!small || sameKey(ort?.key ?? null, key) || lastKey === null || sameKey(lastKey, key)) return 'ort';
    return 'js';
  };
  // generate() calls run one at a time (the decoders hold one KV cache each).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const r = queue.then(fn, fn);
    queue = r.catch(() => undefined);
    return r;
  };
  const lm: BuiltinModel = {
    backend: 'builtin',
    modelId,
    capabilities: { trainable: true, logprobs: true, embeddings: true, grammar: false },
    model,
    tokenizer,
    config,
    promptIds,
    logProbTensor: (p, c) => logProb(model, p, c),
    get lastDecodePath() {
      return lastPath;
    },
    generate(prompt: string, s: SamplingOptions): Promise<Generation> {
      return serial(async () => {
        const ids = fit(promptIds(prompt));
        const eos = tokenizer.eosId ?? config.eos_token_id;
        const dopts = { ...s, stopIds: [eos] };
        const text = (x: number[]) => continuationText(tokenizer, x);
        const key = weightKey();
        const path = choose(key);
        lastKey = key;
        lastPath = path;
        const r =
          path === 'ort'
            ? await decodeWithAsync(await ortStepper(key), config, ids, dopts, text)
            : decodeWith(path === 'js' ? jsStepper(key) : tfStepper(model), config, ids, dopts, text);
        return {
          text: r.text,
          finishReason: r.finishReason,
          usage: { promptTokens: ids.length, completionTokens: r.ids.length },
        };
      });
    },
    async logProbs(prompt: string, continuations: string[]): Promise<number[]> {
      return continuations.map((cont) => {
        const { p, c } = completionIds(prompt, cont);
        const t = tf.tidy(() => logProb(model, p, c, INF));
        const v = t.dataSync()[0];
        t.dispose();
        return v;
      });
    },
    async nextTokens(prompt: string, o?: { topK?: number }): Promise<TokenProb[]> {
      const ids = fit(promptIds(prompt));
      const logp = tf.tidy(() => {
        const h = hiddenStates(model, tf.tensor2d([ids], undefined, 'int32'), undefined, INF);
        return tf.logSoftmax(headLogits(model, tf.slice(h, [ids.length - 1, 0], [1, -1]) as tf.Tensor2D, INF));
      });
      const lp = logp.dataSync() as Float32Array;
      logp.dispose();
      const order = Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a] || a - b);
      return order.slice(0, o?.topK ?? 10).map((id) => ({ id, text: tokenizer.tokenText(id), logprob: lp[id] }));
    },
    async embed(texts: string[]): Promise<Float32Array[]> {
      return texts.map((text) => {
        const ids = fit(promptIds(text));
        const e = tf.tidy(() =>
          tf.mean(hiddenStates(model, tf.tensor2d([ids], undefined, 'int32'), undefined, INF), 0),
        );
        const v = e.dataSync() as Float32Array;
        e.dispose();
        return v;
      });
    },
    structured<T>(prompt: string, schema: z.ZodType<T>, s: SamplingOptions): Promise<StructuredResult<T>> {
      return structuredOutput(lm, prompt, schema, s);
    },
    async countTokens(text: string): Promise<number> {
      return tokenizer.encode(text).length;
    },
    async close(): Promise<void> {
      await queue;
      if (ort) await ort.dec.close();
      ort = null;
      js = null;
      disposeModel(model);
    },
  };
  return lm;
}
