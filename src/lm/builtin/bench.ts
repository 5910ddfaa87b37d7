// Speed of the tfjs-wasm path on the benchmark model (V 4096, D 256, L 4, H 4, F 688, untied; seq 128, batch 8):
// training tokens/s (forward + backward + AdamW step) and KV-cache decode tokens/s (batch 1). Single thread.
import { createOrtDecoder, type OrtDecoder } from '../ort/decode.ts';
import { initParams, type LlamaConfig, type ParamArrays, presetConfig } from './config.ts';
import { createEngine, type EngineName } from './engine.ts';
import { argmax } from './generate.ts';
import { createJsDecoder } from './jsdecode.ts';
import { disposeCache, disposeModel, modelFromArrays, newCache, stepLogits } from './model.ts';
import { initTf } from './tf.ts';
import { createTrainer, disposeTrainer, sampleWindows, trainStep } from './train.ts';

export interface BuiltinBench {
  train_tokens_per_second: number;
  decode_tokens_per_second: number;
  steps: number;
  decode_tokens: number;
}

/** Median tokens/s over `steps` timed steps after one warm-up step; decode of `decodeTokens` tokens after 8 prompt tokens. */
export async function benchBuiltin(
  opts: { steps?: number; decodeTokens?: number; seed?: number } = {},
): Promise<BuiltinBench> {
  await initTf({ threads: 1 });
  const steps = opts.steps ?? 5;
  const c = { ...presetConfig('small'), max_position_embeddings: 256 };
  const model = modelFromArrays(c, initParams(c, opts.seed ?? 0), () => true);
  const tr = createTrainer(model, { lr: 1e-3, warmupSteps: 1, totalSteps: steps + 1 }, opts.seed ?? 0);
  const corpus = Int32Array.from({ length: 50_000 }, (_, i) => (i * 7919 + (i >> 5)) % c.vocab_size);
  const rates: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const b = sampleWindows(corpus, 8, 128, tr.state.rng);
    const t0 = performance.now();
    trainStep(tr, [b]);
    if (s > 0) rates.push((8 * 128) / ((performance.now() - t0) / 1000));
  }
  disposeTrainer(tr);
  const n = opts.decodeTokens ?? 64;
  const cache = newCache();
  let logits = stepLogits(model, [1, 5, 9, 13, 17, 21, 25, 29], cache);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) logits = stepLogits(model, [argmax(logits)], cache);
  const decode = n / ((performance.now() - t0) / 1000);
  disposeCache(cache);
  disposeModel(model);
  rates.sort((a, b) => a - b);
  return {
    train_tokens_per_second: Math.round(rates[Math.floor(rates.length / 2)]),
    decode_tokens_per_second: Math.round(decode),
    steps,
    decode_tokens: n,
  };
}

export interface EngineBenchRow {
  preset: 'micro' | 'small';
  engine: EngineName;
  /** Median tokens/s of a whole optimizer step (forward + backward + clip + AdamW), after one warm-up step. */
  train_tokens_per_second: number;
}

export interface DecodeBenchRow {
  model: string;
  path: 'ort' | 'js' | 'tfjs';
  /** Time to build the decoder from the weights (ms). */
  build_ms: number;
  /** Greedy tokens/s after BOS (batch 1, KV cache). */
  decode_tokens_per_second: number;
}

/**
 * Training speed of both engines on the built-in presets, in one process (same machine state): batch × seq windows of
 * a fixed pseudo-random token stream, `steps` timed steps after a warm-up step, one thread each.
 */
export async function benchEngines(
  opts: { presets?: ('micro' | 'small')[]; steps?: number; batch?: number; seq?: number } = {},
): Promise<EngineBenchRow[]> {
  await initTf({ threads: 1 });
  const steps = opts.steps ?? 5;
  const B = opts.batch ?? 8;
  const T = opts.seq ?? 128;
  const rows: EngineBenchRow[] = [];
  for (const preset of opts.presets ?? ['micro', 'small']) {
    const c = { ...presetConfig(preset), max_position_embeddings: Math.max(256, T) };
    const params = initParams(c, 0);
    const corpus = Int32Array.from({ length: 50_000 }, (_, i) => (i * 7919 + (i >> 5)) % c.vocab_size);
    for (const engine of ['ort', 'tfjs'] as const) {
      const eng = await createEngine(engine, {
        config: c,
        params,
        spec: { mode: 'full', freezeLayers: 0 },
        optim: { lr: 1e-3, warmupSteps: 1, totalSteps: steps + 1 },
        seed: 0,
      });
      const rates: number[] = [];
      for (let s = 0; s <= steps; s++) {
        const b = sampleWindows(corpus, B, T, eng.rng);
        const t0 = performance.now();
        await eng.trainStep([b]);
        if (s > 0) rates.push((B * T) / ((performance.now() - t0) / 1000));
      }
      await eng.close();
      rates.sort((a, b) => a - b);
      rows.push({ preset, engine, train_tokens_per_second: Math.round(rates[Math.floor(rates.length / 2)] as number) });
    }
  }
  return rows;
}

/** Greedy decode speed of the three decoding paths (DecodePath in backend.ts) on one model. */
export async function benchDecodePaths(
  name: string,
  config: LlamaConfig,
  params: ParamArrays,
  tokens = 128,
): Promise<DecodeBenchRow[]> {
  await initTf({ threads: 1 });
  const rows: DecodeBenchRow[] = [];
  const n = Math.min(tokens, config.max_position_embeddings - 1);
  const bos = config.bos_token_id;
  const time = async (build: () => Promise<(id: number) => Promise<Float32Array>>, done: () => Promise<void>) => {
    let t0 = performance.now();
    const step = await build();
    const buildMs = performance.now() - t0;
    let logits = await step(bos);
    t0 = performance.now();
    for (let i = 0; i < n; i++) logits = await step(argmax(logits));
    const tps = n / ((performance.now() - t0) / 1000);
    await done();
    return { build_ms: Math.round(buildMs * 10) / 10, decode_tokens_per_second: Math.round(tps) };
  };
  let ort: OrtDecoder | null = null;
  rows.push({
    model: name,
    path: 'ort',
    ...(await time(
      async () => {
        const d = await createOrtDecoder(config, params);
        ort = d;
        return (id) => d.step(id);
      },
      async () => {
        await (ort as OrtDecoder | null)?.close();
      },
    )),
  });
  rows.push({
    model: name,
    path: 'js',
    ...(await time(
      async () => {
        const d = createJsDecoder(config, params);
        return async (id) => d.step([id]);
      },
      async () => {},
    )),
  });
  const model = modelFromArrays(config, params);
  const cache = newCache();
  rows.push({
    model: name,
    path: 'tfjs',
    ...(await time(
      async () => async (id) => stepLogits(model, [id], cache),
      async () => {
        disposeCache(cache);
        disposeModel(model);
      },
    )),
  });
  return rows;
}
