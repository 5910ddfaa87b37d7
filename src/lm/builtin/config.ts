// Llama decoder configuration (Hugging Face LlamaConfig field names, as in config.json), presets, parameter layout.
// Layout contract (docs/lm-builtin.md): HF names, Float32, row-major, linear weights [out, in] with y = x · Wᵀ.
import { DataError, UsageError } from '../../data/errors.ts';
import { createRng } from '../../util/rng.ts';
import type { LlamaConfig as FileLlamaConfig } from '../formats/types.ts';

/** The model's configuration: the HF config.json fields the file readers produce, with head_dim optional (D / H). */
export type LlamaConfig = Omit<FileLlamaConfig, 'architectures' | 'model_type' | 'head_dim'> & { head_dim?: number };

/** A parameter set: HF name -> Float32 values (row-major). */
export type ParamArrays = Map<string, Float32Array>;

export function headDim(c: LlamaConfig): number {
  return c.head_dim ?? c.hidden_size / c.num_attention_heads;
}

/**
 * Built-in presets (vocabulary size = PRESET_VOCAB unless a tokenizer says otherwise).
 * micro: 0.92M parameters (V 1024, tied). small: 5.26M parameters (V 4096, untied) = the benchmark/reference model.
 */
export const PRESETS: Record<'micro' | 'small', Omit<LlamaConfig, 'vocab_size'>> = {
  micro: base({ hidden_size: 128, intermediate_size: 344, num_hidden_layers: 4, num_attention_heads: 4, tie: true }),
  small: base({ hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 4, tie: false }),
};
export const PRESET_VOCAB: Record<keyof typeof PRESETS, number> = { micro: 1024, small: 4096 };

export function presetConfig(name: string, vocabSize?: number): LlamaConfig {
  if (name !== 'micro' && name !== 'small') throw new UsageError(`unknown preset "${name}" (micro | small)`);
  return { vocab_size: vocabSize ?? PRESET_VOCAB[name], ...PRESETS[name] };
}

function base(o: {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  tie: boolean;
}): Omit<LlamaConfig, 'vocab_size'> {
  return {
    hidden_size: o.hidden_size,
    intermediate_size: o.intermediate_size,
    num_hidden_layers: o.num_hidden_layers,
    num_attention_heads: o.num_attention_heads,
    num_key_value_heads: o.num_attention_heads,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 256,
    tie_word_embeddings: o.tie,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
  };
}

/** Names and shapes of every parameter, in a fixed order (embeddings, layers 0..L-1, final norm, head). */
export function paramShapes(c: LlamaConfig): [string, number[]][] {
  const D = c.hidden_size;
  const hd = headDim(c);
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const F = c.intermediate_size;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocab_size, D]]];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      [`${p}input_layernorm.weight`, [D]],
      [`${p}self_attn.q_proj.weight`, [H * hd, D]],
      [`${p}self_attn.k_proj.weight`, [Hkv * hd, D]],
      [`${p}self_attn.v_proj.weight`, [Hkv * hd, D]],
      [`${p}self_attn.o_proj.weight`, [D, H * hd]],
      [`${p}post_attention_layernorm.weight`, [D]],
      [`${p}mlp.gate_proj.weight`, [F, D]],
      [`${p}mlp.up_proj.weight`, [F, D]],
      [`${p}mlp.down_proj.weight`, [D, F]],
    );
  }
  out.push(['model.norm.weight', [D]]);
  if (!c.tie_word_embeddings) out.push(['lm_head.weight', [c.vocab_size, D]]);
  return out;
}

export function countParams(c: LlamaConfig): number {
  return paramShapes(c).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
}

/** Layer index of a parameter name, or -1 for embeddings / final norm / head. */
export function layerOf(name: string): number {
  const m = /^model\.layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * Fresh weights, nanoGPT-style: N(0, 0.02) for matrices, N(0, 0.02/√(2L)) for the residual projections o_proj and
 * down_proj, ones for the RMSNorm gains. Deterministic in `seed`.
 */
export function initParams(c: LlamaConfig, seed: number): ParamArrays {
  const rng = createRng(seed).fork('init');
  const params: ParamArrays = new Map();
  const residualStd = 0.02 / Math.sqrt(2 * c.num_hidden_layers);
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    if (shape.length === 1) a.fill(1);
    else {
      const std = /o_proj|down_proj/.test(name) ? residualStd : 0.02;
      for (let i = 0; i < n; i++) a[i] = std * rng.normal();
    }
    params.set(name, a);
  }
  return params;
}

/** Check that a parameter set matches the config: every name present with the right size, nothing extra. */
export function checkParams(c: LlamaConfig, params: ParamArrays, file: string): void {
  const issues: { file: string; field: string; reason: string }[] = [];
  const expected = new Map(paramShapes(c));
  for (const [name, shape] of expected) {
    const a = params.get(name);
    const n = shape.reduce((x, y) => x * y, 1);
    if (!a) issues.push({ file, field: name, reason: `missing parameter (expected shape [${shape}])` });
    else if (a.length !== n) issues.push({ file, field: name, reason: `has ${a.length} values, expected [${shape}]` });
  }
  for (const name of params.keys()) {
    if (!expected.has(name)) issues.push({ file, field: name, reason: 'unexpected parameter for this config' });
  }
  if (issues.length) throw new DataError(issues, `${file}: weights do not match config`);
}

/** Validate a config.json object (fills head_dim-free defaults); throws DataError naming the field. */
export function parseConfig(raw: unknown, file: string): LlamaConfig {
  const o = (raw ?? {}) as Record<string, unknown>;
  const issues: { file: string; field: string; reason: string }[] = [];
  const int = (k: string, dflt?: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      issues.push({ file, field: k, reason: `expected a non-negative integer, got ${JSON.stringify(v)}` });
      return 0;
    }
    return v;
  };
  const num = (k: string, dflt: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({ file, field: k, reason: `expected a number, got ${JSON.stringify(v)}` });
      return 0;
    }
    return v;
  };
  const act = o.hidden_act ?? 'silu';
  if (act !== 'silu') issues.push({ file, field: 'hidden_act', reason: `only "silu" is supported, got "${act}"` });
  const H = int('num_attention_heads');
  const c: LlamaConfig = {
    vocab_size: int('vocab_size'),
    hidden_size: int('hidden_size'),
    intermediate_size: int('intermediate_size'),
    num_hidden_layers: int('num_hidden_layers'),
    num_attention_heads: H,
    num_key_value_heads: int('num_key_value_heads', H),
    rms_norm_eps: num('rms_norm_eps', 1e-6),
    rope_theta: num('rope_theta', 10000),
    max_position_embeddings: int('max_position_embeddings', 2048),
    tie_word_embeddings: Boolean(o.tie_word_embeddings ?? false),
    bos_token_id: int('bos_token_id', 1),
    eos_token_id: int('eos_token_id', 2),
    hidden_act: 'silu',
  };
  if (o.head_dim !== undefined && o.head_dim !== null) c.head_dim = int('head_dim');
  if (!issues.length && c.num_key_value_heads > 0 && H % c.num_key_value_heads !== 0) {
    issues.push({
      file,
      field: 'num_key_value_heads',
      reason: `${H} heads are not a multiple of ${c.num_key_value_heads}`,
    });
  }
  if (issues.length) throw new DataError(issues, `${file}: bad model config`);
  return c;
}

/** The config.json we write: HF LlamaConfig fields plus architectures/model_type so HF tools recognise it. */
export function configJson(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    torch_dtype: 'float32',
    head_dim: headDim(c),
    ...c,
  };
}
