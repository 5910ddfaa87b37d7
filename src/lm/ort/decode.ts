// KV-cache decoding (batch 1) of the built-in Llama model through onnxruntime-node: one graph per model that takes one
// token, its rotary cos/sin rows and the past keys/values of every layer, and returns the next-token logits and the
// grown caches. Weights are baked in as initializers, pre-transposed to [in, out] so onnxruntime pre-packs them.
// GQA without copies: queries are grouped as [Hkv, H/Hkv, hd] against keys [Hkv, P, hd].
import ort from 'onnxruntime-node';
import { headDim, type LlamaConfig, type ParamArrays } from '../builtin/config.ts';
import { createGraph } from './onnx.ts';
import { graphOps, rotaryTables } from './train-graph.ts';

function transposed(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
  return out;
}

/** The decode graph: inputs token [1] int64, cos/sin [1, hd], past_k.l/past_v.l [Hkv, P, hd]; outputs logits [1, V], present_k.l/present_v.l. */
export function buildDecodeGraph(c: LlamaConfig, params: ParamArrays): Uint8Array {
  const D = c.hidden_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const rep = H / Hkv;
  const g = createGraph();
  const { op, mul, add, reshape, transpose } = graphOps(g);
  const weight = (name: string) => {
    const w = params.get(name);
    if (!w) throw new Error(`decode graph: missing parameter ${name}`);
    return w;
  };
  /** y = x·Wᵀ with W [out, in] stored transposed as a constant [in, out]. */
  const linear = (x: string, name: string, out: number, inn: number) =>
    op('MatMul', [x, g.constant({ type: 'float', dims: [inn, out], data: transposed(weight(name), out, inn) }, 'w')]);
  const vec = (name: string) => g.constant({ type: 'float', dims: [weight(name).length], data: weight(name) }, 'g');

  const token = g.input('token', 'int64', [1]);
  const cos = g.input('cos', 'float', [1, hd]);
  const sin = g.input('sin', 'float', [1, hd]);
  const eps = g.f32([c.rms_norm_eps], [], 'eps');
  const scale = g.f32([1 / Math.sqrt(hd)], [], 'scale');
  const halves = g.i64([hd / 2, hd / 2], [2], 'halves');
  const rms = (x: string, name: string) => {
    const ms = op('ReduceMean', [mul(x, x)], { axes: [-1], keepdims: 1 });
    return mul(mul(x, op('Reciprocal', [op('Sqrt', [add(ms, eps)])])), vec(name));
  };
  const rope = (x: string) => {
    const [a, b] = g.opN('Split', [x, halves], 2, { axis: -1 });
    return add(mul(x, cos), mul(op('Concat', [b as string, a as string], { axis: -1 }), sin));
  };

  const embed = weight('model.embed_tokens.weight');
  let x = op('Gather', [g.constant({ type: 'float', dims: [c.vocab_size, D], data: embed }, 'embed'), token], {
    axis: 0,
  });
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    const pastK = g.input(`past_k.${l}`, 'float', [Hkv, 'past', hd]);
    const pastV = g.input(`past_v.${l}`, 'float', [Hkv, 'past', hd]);
    const h = rms(x, `${p}input_layernorm.weight`);
    const q = mul(
      reshape(rope(reshape(linear(h, `${p}self_attn.q_proj.weight`, H * hd, D), [H, hd])), [Hkv, rep, hd]),
      scale,
    );
    const k = reshape(rope(reshape(linear(h, `${p}self_attn.k_proj.weight`, Hkv * hd, D), [Hkv, hd])), [Hkv, 1, hd]);
    const v = reshape(linear(h, `${p}self_attn.v_proj.weight`, Hkv * hd, D), [Hkv, 1, hd]);
    const keys = op('Concat', [pastK, k], { axis: 1 });
    const values = op('Concat', [pastV, v], { axis: 1 });
    g.output(keys, `present_k.${l}`, 'float', [Hkv, 'present', hd]);
    g.output(values, `present_v.${l}`, 'float', [Hkv, 'present', hd]);
    const probs = op('Softmax', [op('MatMul', [q, transpose(keys, [0, 2, 1])])], { axis: -1 });
    const o = reshape(op('MatMul', [probs, values]), [1, H * hd]);
    x = add(x, linear(o, `${p}self_attn.o_proj.weight`, D, H * hd));
    const h2 = rms(x, `${p}post_attention_layernorm.weight`);
    const gate = linear(h2, `${p}mlp.gate_proj.weight`, c.intermediate_size, D);
    const up = linear(h2, `${p}mlp.up_proj.weight`, c.intermediate_size, D);
    const act = mul(mul(gate, op('Sigmoid', [gate])), up);
    x = add(x, linear(act, `${p}mlp.down_proj.weight`, D, c.intermediate_size));
  }
  const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  g.output(linear(rms(x, 'model.norm.weight'), head, c.vocab_size, D), 'logits', 'float', [1, c.vocab_size]);
  return g.encode({ name: 'llama_decode' });
}

export interface OrtDecoder {
  /** Feed one token at the current position; returns the next-token logits (length V). */
  step(token: number): Promise<Float32Array>;
  /** Number of tokens in the cache. */
  readonly position: number;
  /** Empty the cache. */
  reset(): void;
  /** Greedy decoding: feeds `prompt` (BOS included by the caller), then generates up to `maxTokens` tokens. */
  greedy(prompt: readonly number[], maxTokens: number, stopToken?: number): Promise<number[]>;
  close(): Promise<void>;
}

export async function createOrtDecoder(
  c: LlamaConfig,
  params: ParamArrays,
  opts: { threads?: number; maxPositions?: number } = {},
): Promise<OrtDecoder> {
  const hd = headDim(c);
  const Hkv = c.num_key_value_heads;
  const maxPos = opts.maxPositions ?? c.max_position_embeddings;
  const session = await ort.InferenceSession.create(buildDecodeGraph(c, params), {
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const { cos, sinSigned } = rotaryTables(c, maxPos);
  const empty = () => new ort.Tensor('float32', new Float32Array(0), [Hkv, 0, hd]);
  let past: Record<string, ort.Tensor> = {};
  let pos = 0;
  const reset = () => {
    past = {};
    for (let l = 0; l < c.num_hidden_layers; l++) {
      past[`past_k.${l}`] = empty();
      past[`past_v.${l}`] = empty();
    }
    pos = 0;
  };
  reset();
  const tokenData = new BigInt64Array(1);
  const step = async (token: number) => {
    if (pos >= maxPos) throw new Error(`ort decoder: position ${pos} is past the ${maxPos} rotary positions`);
    tokenData[0] = BigInt(token);
    const out = await session.run({
      token: new ort.Tensor('int64', tokenData, [1]),
      cos: new ort.Tensor('float32', cos.slice(pos * hd, (pos + 1) * hd), [1, hd]),
      sin: new ort.Tensor('float32', sinSigned.slice(pos * hd, (pos + 1) * hd), [1, hd]),
      ...past,
    });
    for (let l = 0; l < c.num_hidden_layers; l++) {
      past[`past_k.${l}`] = out[`present_k.${l}`] as ort.Tensor;
      past[`past_v.${l}`] = out[`present_v.${l}`] as ort.Tensor;
    }
    pos++;
    return (out.logits as ort.Tensor).data as Float32Array;
  };
  const argmax = (x: Float32Array) => {
    let best = 0;
    for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
    return best;
  };
  return {
    step,
    get position() {
      return pos;
    },
    reset,
    async greedy(prompt, maxTokens, stopToken) {
      if (!prompt.length) throw new Error('ort decoder: empty prompt');
      let logits: Float32Array = new Float32Array(0);
      for (const t of prompt) logits = await step(t);
      const out: number[] = [];
      while (out.length < maxTokens) {
        const next = argmax(logits);
        if (next === stopToken) break;
        out.push(next);
        if (out.length < maxTokens) logits = await step(next);
      }
      return out;
    },
    async close() {
      await session.release();
    },
  };
}
