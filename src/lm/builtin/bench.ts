// Speed of the tfjs-wasm path on the benchmark model (V 4096, D 256, L 4, H 4, F 688, untied; seq 128, batch 8):
// training tokens/s (forward + backward + AdamW step) and KV-cache decode tokens/s (batch 1). Single thread.
import { initParams, presetConfig } from './config.ts';
import { argmax } from './generate.ts';
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
