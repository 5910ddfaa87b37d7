// A tiny Llama config for tests (2 layers, GQA 4:2 heads, untied); tests override what they vary.
import type { LlamaConfig } from '../../src/lm/builtin/config.ts';

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
