// Shared shapes of the model-file readers: a Hugging Face LlamaConfig and a map of named Float32 tensors.
// Conventions (docs/lm-tokenizers.md): HF parameter names, row-major, linear weights [out, in] (y = x · Wᵀ),
// q_proj/k_proj rows in the HF rotate_half order (importers permute llama2.c/GGUF interleaved pairs).

/** The Hugging Face `config.json` fields of a Llama-architecture model (snake_case, as written on disk). */
export interface LlamaConfig {
  architectures?: string[];
  model_type?: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  /** -1 = the model has none. */
  bos_token_id: number;
  /** -1 = the model has none. */
  eos_token_id: number;
  hidden_act: 'silu';
}

export interface Tensor {
  /** Row-major dimensions, outermost first (HF / PyTorch order). */
  shape: number[];
  data: Float32Array;
}

/** A model read from a file: config plus tensors keyed by HF parameter name (insertion order = file order). */
export interface ModelWeights {
  config: LlamaConfig;
  tensors: Map<string, Tensor>;
}

/**
 * Reorder q/k projection rows from the interleaved-pairs rotary convention (llama2.c, Meta, GGUF: rotate (2i, 2i+1))
 * to HF rotate_half (rotate (i, i + hd/2)) — exactly HF convert_llama_weights_to_hf.py `permute`:
 * w.view(nHeads, hd/2, 2, cols).transpose(1, 2).reshape(rows, cols). new row h·hd + t·hd/2 + i = old row h·hd + 2i + t.
 */
export function permuteRotaryRows(w: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const hd = rows / nHeads;
  if (!Number.isInteger(hd) || hd % 2 !== 0 || w.length !== rows * cols) {
    throw new Error(`permuteRotaryRows: ${rows}x${cols} (${w.length} values) does not split into ${nHeads} even heads`);
  }
  const half = hd / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let t = 0; t < 2; t++) {
      for (let i = 0; i < half; i++) {
        const dst = (h * hd + t * half + i) * cols;
        const src = (h * hd + 2 * i + t) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** The inverse of permuteRotaryRows (HF rotate_half -> interleaved pairs), as llama.cpp's convert_hf_to_gguf does. */
export function unpermuteRotaryRows(w: Float32Array, nHeads: number, rows: number, cols: number): Float32Array {
  const hd = rows / nHeads;
  if (!Number.isInteger(hd) || hd % 2 !== 0 || w.length !== rows * cols) {
    throw new Error(
      `unpermuteRotaryRows: ${rows}x${cols} (${w.length} values) does not split into ${nHeads} even heads`,
    );
  }
  const half = hd / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let t = 0; t < 2; t++) {
      for (let i = 0; i < half; i++) {
        const src = (h * hd + t * half + i) * cols;
        const dst = (h * hd + 2 * i + t) * cols;
        out.set(w.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/** HF parameter names of a Llama model in canonical order (the order the readers insert them). */
export function llamaTensorNames(config: LlamaConfig): string[] {
  const names = ['model.embed_tokens.weight'];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    names.push(
      `${p}.input_layernorm.weight`,
      `${p}.self_attn.q_proj.weight`,
      `${p}.self_attn.k_proj.weight`,
      `${p}.self_attn.v_proj.weight`,
      `${p}.self_attn.o_proj.weight`,
      `${p}.post_attention_layernorm.weight`,
      `${p}.mlp.gate_proj.weight`,
      `${p}.mlp.up_proj.weight`,
      `${p}.mlp.down_proj.weight`,
    );
  }
  names.push('model.norm.weight');
  if (!config.tie_word_embeddings) names.push('lm_head.weight');
  return names;
}

/** Expected shape of each HF parameter for a config (throws on an unknown name). */
export function llamaTensorShape(config: LlamaConfig, name: string): number[] {
  const D = config.hidden_size;
  const F = config.intermediate_size;
  const hd = config.head_dim;
  const H = config.num_attention_heads;
  const Hkv = config.num_key_value_heads;
  const V = config.vocab_size;
  if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight') return [V, D];
  if (name === 'model.norm.weight' || name.endsWith('layernorm.weight')) return [D];
  if (name.endsWith('q_proj.weight')) return [H * hd, D];
  if (name.endsWith('k_proj.weight') || name.endsWith('v_proj.weight')) return [Hkv * hd, D];
  if (name.endsWith('o_proj.weight')) return [D, H * hd];
  if (name.endsWith('gate_proj.weight') || name.endsWith('up_proj.weight')) return [F, D];
  if (name.endsWith('down_proj.weight')) return [D, F];
  throw new Error(`not a Llama parameter name: ${name}`);
}
