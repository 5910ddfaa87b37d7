// A tiny Llama config for tests (2 layers, GQA 4:2 heads, untied); tests override what they vary.
import { type LlamaConfig, type ParamArrays, paramShapes } from '../../src/lm/builtin/config.ts';
import { createRng } from '../../src/util/rng.ts';

export function tinyLlamaConfig(over: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    vocab_size: 32,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 32,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    ...over,
  };
}

/** Random parameters: norm weights around 1 (±0.2), matrices N(0, scale²). */
export function randomParams(c: LlamaConfig, seed: number, scale: number): ParamArrays {
  const rng = createRng(seed);
  const out: ParamArrays = new Map();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(
      name,
      Float32Array.from({ length: n }, () => (shape.length === 1 ? 1 + 0.2 * rng.normal() : scale * rng.normal())),
    );
  }
  return out;
}
