// KV-cache decoding in plain JavaScript (Float32Array weights, float64 accumulation), for small models where the
// per-op overhead of tfjs dominates (stories260K: ~10x faster than the tfjs path). Same architecture and conventions
// as model.ts; LoRA adapters must be merged into the weights first (see decoderFor in backend.ts).
import { headDim, type LlamaConfig, type ParamArrays } from './config.ts';

export interface JsDecoder {
  config: LlamaConfig;
  /** Feed tokens at the next positions; returns the logits after the last one. */
  step(ids: number[]): Float32Array;
  /** Positions consumed so far. */
  readonly length: number;
  reset(): void;
}

/** y[r] = Σ_c W[r, c] · x[c] for W [rows, cols] row-major. */
function matvec(W: Float32Array, x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let c = 0;
    for (; c + 3 < cols; c += 4) {
      s0 += W[o + c] * x[c];
      s1 += W[o + c + 1] * x[c + 1];
      s2 += W[o + c + 2] * x[c + 2];
      s3 += W[o + c + 3] * x[c + 3];
    }
    for (; c < cols; c++) s0 += W[o + c] * x[c];
    y[r] = s0 + s1 + s2 + s3;
  }
}

function rmsNorm(x: Float32Array, g: Float32Array, eps: number, out: Float32Array): void {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * inv * g[i];
}

export function createJsDecoder(config: LlamaConfig, params: ParamArrays): JsDecoder {
  const D = config.hidden_size;
  const H = config.num_attention_heads;
  const Hkv = config.num_key_value_heads;
  const hd = headDim(config);
  const half = hd / 2;
  const F = config.intermediate_size;
  const V = config.vocab_size;
  const L = config.num_hidden_layers;
  const maxPos = config.max_position_embeddings;
  const kvDim = Hkv * hd;
  const group = H / Hkv;
  const P = (n: string) => {
    const a = params.get(n);
    if (!a) throw new Error(`missing parameter ${n}`);
    return a;
  };
  const layers = Array.from({ length: L }, (_, l) => {
    const p = `model.layers.${l}.`;
    return {
      inNorm: P(`${p}input_layernorm.weight`),
      q: P(`${p}self_attn.q_proj.weight`),
      k: P(`${p}self_attn.k_proj.weight`),
      v: P(`${p}self_attn.v_proj.weight`),
      o: P(`${p}self_attn.o_proj.weight`),
      postNorm: P(`${p}post_attention_layernorm.weight`),
      gate: P(`${p}mlp.gate_proj.weight`),
      up: P(`${p}mlp.up_proj.weight`),
      down: P(`${p}mlp.down_proj.weight`),
      kCache: new Float32Array(maxPos * kvDim),
      vCache: new Float32Array(maxPos * kvDim),
    };
  });
  const emb = P('model.embed_tokens.weight');
  const finalNorm = P('model.norm.weight');
  const head = config.tie_word_embeddings ? emb : P('lm_head.weight');
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / config.rope_theta ** ((2 * i) / hd));
  const x = new Float32Array(D);
  const h = new Float32Array(D);
  const q = new Float32Array(H * hd);
  const k = new Float32Array(kvDim);
  const v = new Float32Array(kvDim);
  const att = new Float32Array(H * hd);
  const tmp = new Float32Array(D);
  const g = new Float32Array(F);
  const u = new Float32Array(F);
  const scores = new Float64Array(maxPos);
  const logits = new Float32Array(V);
  let pos = 0;

  /** rotate_half rotary on each head of `t` (n heads) at position `p`, same float32 angle as model.ts. */
  const rope = (t: Float32Array, n: number, p: number) => {
    for (let i = 0; i < half; i++) {
      const ang = Math.fround(Math.fround(p) * invFreq[i]);
      const c = Math.fround(Math.cos(ang));
      const s = Math.fround(Math.sin(ang));
      for (let hh = 0; hh < n; hh++) {
        const a = t[hh * hd + i];
        const b = t[hh * hd + i + half];
        t[hh * hd + i] = a * c - b * s;
        t[hh * hd + i + half] = b * c + a * s;
      }
    }
  };

  const forward = (id: number) => {
    if (pos >= maxPos) throw new Error(`context full: ${maxPos} positions`);
    x.set(emb.subarray(id * D, id * D + D));
    const scale = 1 / Math.sqrt(hd);
    for (const ly of layers) {
      rmsNorm(x, ly.inNorm, config.rms_norm_eps, h);
      matvec(ly.q, h, q, H * hd, D);
      matvec(ly.k, h, k, kvDim, D);
      matvec(ly.v, h, v, kvDim, D);
      rope(q, H, pos);
      rope(k, Hkv, pos);
      ly.kCache.set(k, pos * kvDim);
      ly.vCache.set(v, pos * kvDim);
      for (let hh = 0; hh < H; hh++) {
        const kvOff = Math.floor(hh / group) * hd;
        let mx = Number.NEGATIVE_INFINITY;
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          const ko = t * kvDim + kvOff;
          for (let i = 0; i < hd; i++) s += q[hh * hd + i] * ly.kCache[ko + i];
          scores[t] = s * scale;
          if (scores[t] > mx) mx = scores[t];
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) {
          scores[t] = Math.exp(scores[t] - mx);
          sum += scores[t];
        }
        for (let i = 0; i < hd; i++) {
          let acc = 0;
          for (let t = 0; t <= pos; t++) acc += scores[t] * ly.vCache[t * kvDim + kvOff + i];
          att[hh * hd + i] = acc / sum;
        }
      }
      matvec(ly.o, att, tmp, D, H * hd);
      for (let i = 0; i < D; i++) x[i] += tmp[i];
      rmsNorm(x, ly.postNorm, config.rms_norm_eps, h);
      matvec(ly.gate, h, g, F, D);
      matvec(ly.up, h, u, F, D);
      for (let i = 0; i < F; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
      matvec(ly.down, g, tmp, D, F);
      for (let i = 0; i < D; i++) x[i] += tmp[i];
    }
    pos++;
  };

  return {
    config,
    get length() {
      return pos;
    },
    step(ids: number[]): Float32Array {
      for (const id of ids) forward(id);
      rmsNorm(x, finalNorm, config.rms_norm_eps, h);
      matvec(head, h, logits, V, D);
      return logits.slice();
    },
    reset() {
      pos = 0;
    },
  };
}
