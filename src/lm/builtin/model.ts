// The Llama decoder on tfjs, nanoGPT-style: embeddings -> L x [RMSNorm -> GQA attention with rotary -> residual,
// RMSNorm -> SwiGLU MLP -> residual] -> RMSNorm -> head. Parameter names/layout: docs/lm-builtin.md.
// Every projection is a plain 2-D product [N, in] · Wᵀ (the only matmul the wasm backend does fast).
import { headDim, type LlamaConfig, type ParamArrays, paramShapes } from './config.ts';
import { tf } from './tf.ts';

/** HF name -> tensor (tf.Variable for trained parameters, plain tensors for frozen ones). */
export type Weights = Map<string, tf.Tensor>;

/** LoRA adapters on some linear layers: W x + (alpha/rank) · B(A(dropout(x))). Keys are linear names without `.weight`. */
export interface Lora {
  rank: number;
  alpha: number;
  dropout: number;
  targets: string[];
  A: Map<string, tf.Tensor>; // [rank, in]
  B: Map<string, tf.Tensor>; // [out, rank], zero at init
}

export interface Model {
  config: LlamaConfig;
  weights: Weights;
  lora?: Lora;
  /** Inference-only cache of transposed weights Wᵀ, valid while the weight's storage (dataId) is unchanged. */
  transposed?: Map<string, { dataId: unknown; wt: tf.Tensor2D }>;
}

/** Per-call switches of the forward pass. */
export interface ForwardOpts {
  /** Seed for LoRA dropout; dropout is active only when a seed is given (training). */
  dropoutSeed?: number;
  /**
   * Inference: multiply by cached transposed weights (no gradient flows through the cache). The wasm matmul packs
   * its right operand per tensor, so a persistent Wᵀ makes decoding ~10x faster than transposing per call.
   */
  inference?: boolean;
}

/** Keys and values of past positions, per layer, [B, S, Hkv, hd] after rotary. */
export interface KvCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  length: number;
}

/** Wrap parameter arrays as tensors: trainable names become tf.Variables, the rest constants. */
export function modelFromArrays(
  config: LlamaConfig,
  params: ParamArrays,
  trainable?: (name: string) => boolean,
): Model {
  const weights: Weights = new Map();
  for (const [name, shape] of paramShapes(config)) {
    const a = params.get(name);
    if (!a) throw new Error(`missing parameter ${name}`);
    const t = tf.tensor(a, shape, 'float32');
    if (trainable?.(name)) {
      weights.set(name, tf.variable(t, true));
      t.dispose();
    } else weights.set(name, t);
  }
  return { config, weights };
}

/** Read every weight back to plain arrays (LoRA not merged; see mergeLora in lora.ts). */
export function modelToArrays(m: Model): ParamArrays {
  const out: ParamArrays = new Map();
  for (const [name, t] of m.weights) out.set(name, t.dataSync() as Float32Array);
  return out;
}

export function disposeModel(m: Model): void {
  for (const t of m.weights.values()) t.dispose();
  for (const e of m.transposed?.values() ?? []) e.wt.dispose();
  m.transposed = undefined;
  if (m.lora) for (const t of [...m.lora.A.values(), ...m.lora.B.values()]) t.dispose();
}

function w(m: Model, name: string): tf.Tensor {
  const t = m.weights.get(name);
  if (!t) throw new Error(`missing parameter ${name}`);
  return t;
}

/** RMSNorm over the last axis: x · rsqrt(mean(x²) + eps) · g. */
function rmsNorm(x: tf.Tensor2D, g: tf.Tensor, eps: number): tf.Tensor2D {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), g) as tf.Tensor2D;
}

/** x · Wᵀ for a weight W [out, in]; from the inference cache of Wᵀ when opts.inference. */
function timesWT(m: Model, x: tf.Tensor2D, key: string, W: tf.Tensor, opts: ForwardOpts): tf.Tensor2D {
  if (!opts.inference) return tf.matMul(x, W as tf.Tensor2D, false, true);
  m.transposed ??= new Map();
  let e = m.transposed.get(key);
  if (!e || e.dataId !== W.dataId) {
    e?.wt.dispose();
    e = { dataId: W.dataId, wt: tf.keep(tf.transpose(W) as tf.Tensor2D) };
    m.transposed.set(key, e);
  }
  return tf.matMul(x, e.wt);
}

/** y = x · Wᵀ (+ LoRA). x [N, in]; `name` is the linear's HF name without `.weight`. */
function linear(m: Model, x: tf.Tensor2D, name: string, opts: ForwardOpts): tf.Tensor2D {
  const y = timesWT(m, x, name, w(m, `${name}.weight`), opts);
  const lora = m.lora;
  const A = lora?.A.get(name);
  if (!lora || !A) return y as tf.Tensor2D;
  let xin: tf.Tensor2D = x;
  if (lora.dropout > 0 && opts.dropoutSeed !== undefined)
    xin = tf.dropout(x, lora.dropout, undefined, opts.dropoutSeed) as tf.Tensor2D;
  const low = timesWT(m, xin, `${name}.lora_A`, A, opts);
  const up = timesWT(m, low, `${name}.lora_B`, lora.B.get(name)!, opts);
  return tf.add(y, tf.mul(up, lora.alpha / lora.rank));
}

/** cos/sin tables [T, hd] for positions start..start+T-1, rotate_half convention (both halves share a frequency). */
function ropeTables(c: LlamaConfig, start: number, T: number): { cos: tf.Tensor; sin: tf.Tensor } {
  const hd = headDim(c);
  const half = hd / 2;
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      const invFreq = 1 / c.rope_theta ** ((2 * i) / hd);
      // Compute the angle in float32 like HF/llama.cpp do (pos · inv_freq, both float32).
      const ang = Math.fround(Math.fround(start + t) * Math.fround(invFreq));
      cos[t * hd + i] = cos[t * hd + i + half] = Math.cos(ang);
      sin[t * hd + i] = sin[t * hd + i + half] = Math.sin(ang);
    }
  }
  return { cos: tf.tensor(cos, [1, T, 1, hd]), sin: tf.tensor(sin, [1, T, 1, hd]) };
}

/** x [B, T, nh, hd] -> x·cos + rotate_half(x)·sin, rotate_half(x) = [-x₂, x₁]. */
function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const [x1, x2] = tf.split(x, 2, -1);
  const rot = tf.concat([tf.neg(x2), x1], -1);
  return tf.add(tf.mul(x, cos), tf.mul(rot, sin)) as tf.Tensor4D;
}

/** Additive causal mask [T, S]: query t (absolute position past+t) sees keys 0..past+t. */
function causalMask(T: number, S: number, past: number): tf.Tensor2D {
  const a = new Float32Array(T * S);
  for (let t = 0; t < T; t++) for (let s = past + t + 1; s < S; s++) a[t * S + s] = -1e9;
  return tf.tensor2d(a, [T, S]);
}

/** [B, S, Hkv, hd] -> [B, S, H, hd] by repeating each kv head H/Hkv times (HF repeat_kv order). */
function repeatKv(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return x;
  const [B, S, Hkv, hd] = x.shape;
  // Rank-4 tile (tfjs has no rank-5 tile gradient).
  return tf.reshape(tf.tile(tf.reshape(x, [B * S, Hkv, 1, hd]), [1, 1, groups, 1]), [B, S, Hkv * groups, hd]);
}

/** One attention block on h [B·T, D]; appends this call's keys/values to `cache` layer l when given. */
function attention(
  m: Model,
  l: number,
  h: tf.Tensor2D,
  B: number,
  T: number,
  past: number,
  rope: { cos: tf.Tensor; sin: tf.Tensor },
  cache: KvCache | undefined,
  opts: ForwardOpts,
): tf.Tensor2D {
  const c = m.config;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const p = `model.layers.${l}.self_attn.`;
  const q = applyRope(tf.reshape(linear(m, h, `${p}q_proj`, opts), [B, T, H, hd]), rope.cos, rope.sin);
  let k = applyRope(tf.reshape(linear(m, h, `${p}k_proj`, opts), [B, T, Hkv, hd]), rope.cos, rope.sin);
  let v = tf.reshape(linear(m, h, `${p}v_proj`, opts), [B, T, Hkv, hd]) as tf.Tensor4D;
  if (cache) {
    const [oldK, oldV] = [cache.k[l], cache.v[l]];
    if (oldK && oldV) {
      k = tf.concat([oldK, k], 1);
      v = tf.concat([oldV, v], 1);
      oldK.dispose();
      oldV.dispose();
    }
    cache.k[l] = tf.keep(k);
    cache.v[l] = tf.keep(v);
  }
  const S = past + T;
  const qh = tf.transpose(q, [0, 2, 1, 3]); // [B, H, T, hd]
  const kh = tf.transpose(repeatKv(k, H / Hkv), [0, 2, 1, 3]); // [B, H, S, hd]
  const vh = tf.transpose(repeatKv(v, H / Hkv), [0, 2, 1, 3]);
  const scores = tf.add(tf.mul(tf.matMul(qh, kh, false, true), 1 / Math.sqrt(hd)), causalMask(T, S, past));
  const att = tf.matMul(tf.softmax(scores, -1), vh); // [B, H, T, hd]
  const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * T, H * hd]) as tf.Tensor2D;
  return linear(m, merged, `${p}o_proj`, opts);
}

/** SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)). */
function mlp(m: Model, l: number, h: tf.Tensor2D, opts: ForwardOpts): tf.Tensor2D {
  const p = `model.layers.${l}.mlp.`;
  const gate = linear(m, h, `${p}gate_proj`, opts);
  const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(m, h, `${p}up_proj`, opts)) as tf.Tensor2D;
  return linear(m, act, `${p}down_proj`, opts);
}

/**
 * Hidden states after the final norm, [B·T, D], for token ids [B, T] at positions past..past+T-1.
 * With a cache, keys/values are appended (caller owns the cache tensors; run inside tf.tidy).
 */
export function hiddenStates(m: Model, ids: tf.Tensor2D, cache?: KvCache, opts: ForwardOpts = {}): tf.Tensor2D {
  const c = m.config;
  const [B, T] = ids.shape;
  const past = cache?.length ?? 0;
  const rope = ropeTables(c, past, T);
  let x = tf.gather(w(m, 'model.embed_tokens.weight'), tf.reshape(ids, [B * T])) as tf.Tensor2D;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const a = attention(
      m,
      l,
      rmsNorm(x, w(m, `${p}input_layernorm.weight`), c.rms_norm_eps),
      B,
      T,
      past,
      rope,
      cache,
      opts,
    );
    x = tf.add(x, a);
    x = tf.add(x, mlp(m, l, rmsNorm(x, w(m, `${p}post_attention_layernorm.weight`), c.rms_norm_eps), opts));
  }
  if (cache) cache.length = past + T;
  return rmsNorm(x, w(m, 'model.norm.weight'), c.rms_norm_eps);
}

/** Logits [N, V] from hidden states [N, D] (tied head = embedding matrix). */
export function headLogits(m: Model, h: tf.Tensor2D, opts: ForwardOpts = {}): tf.Tensor2D {
  const name = m.config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return timesWT(m, h, name, w(m, name), opts);
}

/**
 * log p(target_i) from [N, V] logits: logits[i, t_i] − logsumexp(logits[i, :]). Written with a custom gradient,
 * d/dlogits = dy · (onehot − softmax), which is exact and avoids tfjs's max/equal backward of logSumExp.
 */
function pickedLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  // oneHot is built as int32 and cast: the wasm backend writes integer bits into a float32 oneHot (tfjs 4.22).
  const onehot = tf.cast(tf.oneHot(targets, logits.shape[1], 1, 0, 'int32'), 'float32') as tf.Tensor2D;
  // Tensors the backward needs must go through save(): tfjs disposes forward intermediates before backprop.
  const f = tf.customGrad((x, save) => {
    const logp = tf.logSoftmax(x as tf.Tensor2D);
    (save as (ts: tf.Tensor[]) => void)([logp, onehot]);
    return {
      value: tf.sum(tf.mul(logp, onehot), -1),
      gradFunc: (dy, [lp, oh]) => tf.mul(tf.expandDims(dy, -1), tf.sub(oh, tf.exp(lp))),
    };
  });
  return f(logits) as tf.Tensor1D;
}

/**
 * Mean next-token cross-entropy (nats) over the positions where mask = 1 (all positions without a mask).
 * inputs/targets int32 [B, T]; mask float32 [B, T]. Differentiable in every weight.
 */
export function lossFn(
  m: Model,
  inputs: tf.Tensor2D,
  targets: tf.Tensor2D,
  mask?: tf.Tensor2D,
  opts: ForwardOpts = {},
): tf.Scalar {
  const [B, T] = inputs.shape;
  const picked = pickedLogProbs(headLogits(m, hiddenStates(m, inputs, undefined, opts)), tf.reshape(targets, [B * T]));
  if (!mask) return tf.neg(tf.mean(picked)) as tf.Scalar;
  const mk = tf.reshape(mask, [B * T]);
  return tf.div(tf.neg(tf.sum(tf.mul(picked, mk))), tf.maximum(tf.sum(mk), 1)) as tf.Scalar;
}

/**
 * Σ log p(completion_i | prompt, completion_<i) in nats, as a scalar tensor that is differentiable in the weights
 * (call it inside tf.variableGrads / tf.grad for policy-gradient methods). promptIds must be non-empty (start with BOS).
 */
export function logProb(m: Model, promptIds: number[], completionIds: number[], opts: ForwardOpts = {}): tf.Scalar {
  if (promptIds.length === 0) throw new Error('logProb: promptIds must be non-empty (prepend BOS)');
  if (completionIds.length === 0) return tf.scalar(0);
  const ids = [...promptIds, ...completionIds];
  const inputs = tf.tensor2d([ids.slice(0, -1)], undefined, 'int32');
  const start = promptIds.length - 1;
  const h = hiddenStates(m, inputs, undefined, opts);
  const hc = tf.slice(h, [start, 0], [completionIds.length, -1]) as tf.Tensor2D;
  return tf.sum(pickedLogProbs(headLogits(m, hc), tf.tensor1d(completionIds, 'int32'))) as tf.Scalar;
}

/** Run new tokens through the model with a KV cache; returns the last position's logits. */
export function stepLogits(m: Model, ids: number[], cache: KvCache): Float32Array {
  const logits = tf.tidy(() => {
    const h = hiddenStates(m, tf.tensor2d([ids], undefined, 'int32'), cache, { inference: true });
    return headLogits(m, tf.slice(h, [ids.length - 1, 0], [1, -1]) as tf.Tensor2D, { inference: true });
  });
  const out = logits.dataSync() as Float32Array;
  logits.dispose();
  return out;
}

export function newCache(): KvCache {
  return { k: [], v: [], length: 0 };
}

export function disposeCache(c: KvCache): void {
  for (const t of [...c.k, ...c.v]) t?.dispose();
  c.k = [];
  c.v = [];
  c.length = 0;
}
