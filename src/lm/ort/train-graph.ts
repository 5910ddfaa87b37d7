// One ONNX graph for a Llama training step: inputs = every parameter (HF names) + input ids + target ids + per-position
// loss weights; outputs = the loss and the gradient of every parameter. The forward pass is the builtin model's
// (docs/lm-builtin.md: RMSNorm, rotate_half rotary, causal GQA attention, SwiGLU, tied or untied head); the backward
// pass is written out op by op, the way llm.c writes it by hand. Shapes are fixed at build time (batch B, sequence T).
// Convention: loss = -Σ_i w_i · log p(target_i | prefix_i), with w_i = mask_i / Σ mask (the trainer computes w), so
// the loss is the mean cross-entropy over the positions that count.
import { headDim, type LlamaConfig, paramShapes } from '../builtin/config.ts';
import { createGraph, type Graph } from './onnx.ts';

export interface TrainGraphOptions {
  /** Emit the backward pass (default true). False gives the forward-only loss graph. */
  backward?: boolean;
  /**
   * Where the embedding gradient is formed: 'graph' (ScatterND with reduction add, output `grad.model.embed_tokens.weight`)
   * or 'host' (the graph outputs `grad.embed_rows` [B·T, D] and the caller adds row i into row ids[i]).
   */
  embedGrad?: 'graph' | 'host';
  /**
   * Parameters that get a gradient output (default all). Frozen ones get none: their weight-gradient products are not
   * emitted, and the backward pass stops below the lowest layer that has a trainable parameter.
   */
  trainable?: (name: string) => boolean;
}

export interface TrainGraph {
  model: Uint8Array;
  /** Graph input names for the token ids [B, T] int64, targets [B, T] int64 and loss weights [B, T] float32. */
  inputs: { ids: string; targets: string; weights: string };
  /** Parameter names (graph inputs, same names). */
  params: string[];
  /** Output name of the scalar loss. */
  loss: string;
  /** Trainable parameter name -> output name of its gradient (the embedding is absent when embedGrad = 'host'). */
  grads: Map<string, string>;
  /** Output with the per-position gradient rows of the input embedding when embedGrad = 'host'. */
  embedRows?: string;
}

/** cos and signed sin tables for rotate_half rotary, [T, 1, hd]: cos = cat(cos θ, cos θ), sin± = cat(-sin θ, sin θ). */
export function rotaryTables(c: LlamaConfig, T: number, offset = 0): { cos: Float32Array; sinSigned: Float32Array } {
  const hd = headDim(c);
  const half = hd / 2;
  const cos = new Float32Array(T * hd);
  const sinSigned = new Float32Array(T * hd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      // float32 arithmetic, as Hugging Face computes inv_freq and the angles
      const invFreq = Math.fround(1 / Math.fround(c.rope_theta ** Math.fround((2 * i) / hd)));
      const ang = Math.fround((t + offset) * invFreq);
      const co = Math.cos(ang);
      const si = Math.sin(ang);
      cos[t * hd + i] = co;
      cos[t * hd + half + i] = co;
      sinSigned[t * hd + i] = -si;
      sinSigned[t * hd + half + i] = si;
    }
  }
  return { cos, sinSigned };
}

/** Graph helpers shared by the training and decode graphs. */
export function graphOps(g: Graph) {
  const op = g.op;
  const mul = (a: string, b: string) => op('Mul', [a, b]);
  const add = (a: string, b: string) => op('Add', [a, b]);
  const sub = (a: string, b: string) => op('Sub', [a, b]);
  const reshape = (a: string, shape: number[]) => op('Reshape', [a, g.i64(shape)]);
  const transpose = (a: string, perm: number[]) => op('Transpose', [a], { perm });
  /** y = x · Wᵀ for x [N, in] and W [out, in]. */
  const linear = (x: string, w: string) => op('Gemm', [x, w], { transB: 1 });
  /** Σ_n dy[n]ᵀ x[n]: the weight gradient [out, in] of y = x · Wᵀ. */
  const weightGrad = (dy: string, x: string) => op('Gemm', [dy, x], { transA: 1 });
  return { op, mul, add, sub, reshape, transpose, linear, weightGrad };
}

export function buildTrainGraph(c: LlamaConfig, B: number, T: number, opts: TrainGraphOptions = {}): TrainGraph {
  const backward = opts.backward ?? true;
  const embedGrad = opts.embedGrad ?? 'graph';
  const trainable = opts.trainable ?? (() => true);
  const D = c.hidden_size;
  const V = c.vocab_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const rep = H / Hkv;
  const N = B * T;
  const L = c.num_hidden_layers;
  if (!Number.isInteger(rep))
    throw new Error(`num_attention_heads ${H} is not a multiple of num_key_value_heads ${Hkv}`);
  if (hd % 2) throw new Error(`head_dim ${hd} must be even for rotary embeddings`);

  const g = createGraph();
  const { op, mul, add, sub, reshape, transpose, linear, weightGrad } = graphOps(g);

  const shapes = paramShapes(c);
  for (const [name, shape] of shapes) g.input(name, 'float', shape);
  const P = (name: string) => name;
  const ids = g.input('input_ids', 'int64', [B, T]);
  const targets = g.input('target_ids', 'int64', [B, T]);
  const weights = g.input('loss_weights', 'float', [B, T]);

  const eps = g.f32([c.rms_norm_eps], [], 'eps');
  const one = g.f32([1], [], 'one');
  const scale = g.f32([1 / Math.sqrt(hd)], [], 'scale');
  const { cos, sinSigned } = rotaryTables(c, T);
  const cosC = g.constant({ type: 'float', dims: [T, 1, hd], data: cos }, 'cos');
  const sinC = g.constant({ type: 'float', dims: [T, 1, hd], data: sinSigned }, 'sin');
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -1e9;
  const mask = g.constant({ type: 'float', dims: [T, T], data: maskData }, 'causal_mask');
  const halves = g.i64([hd / 2, hd / 2], [2], 'halves');
  const axisLast = g.i64([-1], [1], 'axis_last');
  const axis0 = g.i64([0], [1], 'axis0');

  const swapHalves = (x: string) => {
    const [a, b] = g.opN('Split', [x, halves], 2, { axis: -1 });
    return op('Concat', [b as string, a as string], { axis: -1 });
  };
  // rotate_half rotary: x·cos + rotate_half(x)·sin = x·cos + swap(x)·sin±; its transpose: g·cos + swap(g·sin±).
  const rope = (x: string) => add(mul(x, cosC), mul(swapHalves(x), sinC));
  const ropeBack = (dy: string) => add(mul(dy, cosC), swapHalves(mul(dy, sinC)));

  const rms = (x: string, w: string) => {
    const ms = op('ReduceMean', [mul(x, x)], { axes: [-1], keepdims: 1 });
    const r = op('Reciprocal', [op('Sqrt', [add(ms, eps)])]);
    const xn = mul(x, r);
    return { y: mul(xn, w), xn, r, w };
  };
  // y = xn·w, xn = x·r, r = (mean x² + eps)^-½  =>  dw = Σ_n dy·xn,  dx = r·(dxn − xn·mean(dxn·xn)),  dxn = dy·w
  const rmsBack = (dy: string, s: { xn: string; r: string; w: string }) => {
    const dw = () => op('ReduceSum', [mul(dy, s.xn), axis0], { keepdims: 0 });
    const dxn = mul(dy, s.w);
    const m = op('ReduceMean', [mul(dxn, s.xn)], { axes: [-1], keepdims: 1 });
    return { dx: mul(s.r, sub(dxn, mul(s.xn, m))), dw };
  };
  const repeatKv = (x: string) =>
    rep === 1
      ? x
      : reshape(op('Expand', [op('Unsqueeze', [x, g.i64([2])]), g.i64([B, Hkv, rep, T, hd])]), [B, H, T, hd]);
  const unrepeatKv = (dx: string) =>
    rep === 1 ? dx : op('ReduceSum', [reshape(dx, [B, Hkv, rep, T, hd]), g.i64([2])], { keepdims: 0 });

  // ---------------------------------------------------------------- forward
  const flatIds = reshape(ids, [N]);
  const embed = P('model.embed_tokens.weight');
  let x = op('Gather', [embed, flatIds], { axis: 0 });
  type Saved = Record<string, string | { xn: string; r: string; w: string }>;
  const saved: Saved[] = [];
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    const n1 = rms(x, P(`${p}input_layernorm.weight`));
    const q = linear(n1.y, P(`${p}self_attn.q_proj.weight`));
    const k = linear(n1.y, P(`${p}self_attn.k_proj.weight`));
    const v = linear(n1.y, P(`${p}self_attn.v_proj.weight`));
    const qh = mul(transpose(rope(reshape(q, [B, T, H, hd])), [0, 2, 1, 3]), scale);
    const kx = repeatKv(transpose(rope(reshape(k, [B, T, Hkv, hd])), [0, 2, 1, 3]));
    const vx = repeatKv(transpose(reshape(v, [B, T, Hkv, hd]), [0, 2, 1, 3]));
    const probs = op('Softmax', [add(op('MatMul', [qh, transpose(kx, [0, 1, 3, 2])]), mask)], { axis: -1 });
    const o = reshape(transpose(op('MatMul', [probs, vx]), [0, 2, 1, 3]), [N, H * hd]);
    const xMid = add(x, linear(o, P(`${p}self_attn.o_proj.weight`)));
    const n2 = rms(xMid, P(`${p}post_attention_layernorm.weight`));
    const gate = linear(n2.y, P(`${p}mlp.gate_proj.weight`));
    const up = linear(n2.y, P(`${p}mlp.up_proj.weight`));
    const sig = op('Sigmoid', [gate]);
    const silu = mul(gate, sig);
    const act = mul(silu, up);
    x = add(xMid, linear(act, P(`${p}mlp.down_proj.weight`)));
    saved.push({ n1, n2, qh, kx, vx, probs, o, gate, up, sig, silu, act });
  }
  const nf = rms(x, P('model.norm.weight'));
  const head = c.tie_word_embeddings ? embed : P('lm_head.weight');
  const logits = linear(nf.y, head);
  const logp = op('LogSoftmax', [logits], { axis: 1 });
  const tgt = reshape(targets, [N, 1]);
  const w = reshape(weights, [N, 1]);
  const picked = op('GatherElements', [logp, tgt], { axis: 1 });
  const loss = op('Neg', [op('ReduceSum', [mul(picked, w)], { keepdims: 0 })]);
  g.output(loss, 'loss', 'float', []);

  const grads = new Map<string, string>();
  /** Emit the gradient of `param` (built by `value`) when the parameter is trainable. */
  const gradOut = (param: string, value: () => string) => {
    if (!trainable(param)) return;
    const name = `grad.${param}`;
    const shape = shapes.find(([n]) => n === param)?.[1] ?? [];
    g.output(value(), name, 'float', shape);
    grads.set(param, name);
  };
  let embedRows: string | undefined;

  const layerNames = (l: number) => shapes.map(([n]) => n).filter((n) => n.startsWith(`model.layers.${l}.`));
  /** Does anything below layer l (lower layers or the embedding) need the gradient flowing out of layer l? */
  const needBelow = (l: number) => {
    if (trainable(embed)) return true;
    for (let j = 0; j < l; j++) if (layerNames(j).some(trainable)) return true;
    return false;
  };

  if (backward) {
    // ---------------------------------------------------------------- backward
    // d loss / d logits = w · (softmax − onehot(target))
    const dlogits = op('ScatterElements', [mul(op('Exp', [logp]), w), tgt, op('Neg', [w])], {
      axis: 1,
      reduction: 'add',
    });
    const dHead = () => weightGrad(dlogits, nf.y);
    const nfBack = rmsBack(op('MatMul', [dlogits, head]), nf);
    gradOut('model.norm.weight', nfBack.dw);
    let dx = nfBack.dx;
    for (let l = L - 1; l >= 0; l--) {
      const p = `model.layers.${l}.`;
      const s = saved[l] as Record<string, string> & { n1: { xn: string; r: string; w: string; y: string } } & {
        n2: { xn: string; r: string; w: string; y: string };
      };
      // MLP: x_out = x_mid + down(silu(gate)·up)
      const Wd = P(`${p}mlp.down_proj.weight`);
      const Wg = P(`${p}mlp.gate_proj.weight`);
      const Wu = P(`${p}mlp.up_proj.weight`);
      const dOut = dx;
      gradOut(`${p}mlp.down_proj.weight`, () => weightGrad(dOut, s.act as string));
      const dact = op('MatMul', [dx, Wd]);
      const dup = mul(dact, s.silu as string);
      const dsilu = mul(dact, s.up as string);
      // silu'(g) = σ(g)·(1 + g·(1 − σ(g)))
      const sig = s.sig as string;
      const dgate = mul(dsilu, mul(sig, add(one, mul(s.gate as string, sub(one, sig)))));
      gradOut(`${p}mlp.gate_proj.weight`, () => weightGrad(dgate, s.n2.y));
      gradOut(`${p}mlp.up_proj.weight`, () => weightGrad(dup, s.n2.y));
      const n2Back = rmsBack(add(op('MatMul', [dgate, Wg]), op('MatMul', [dup, Wu])), s.n2);
      gradOut(`${p}post_attention_layernorm.weight`, n2Back.dw);
      dx = add(dx, n2Back.dx);
      // attention: x_mid = x_in + o_proj(attn(rope(q), rope(k), v))
      const Wo = P(`${p}self_attn.o_proj.weight`);
      const dMid = dx;
      gradOut(`${p}self_attn.o_proj.weight`, () => weightGrad(dMid, s.o as string));
      const doh = transpose(reshape(op('MatMul', [dx, Wo]), [B, T, H, hd]), [0, 2, 1, 3]);
      const probs = s.probs as string;
      const dprobs = op('MatMul', [doh, transpose(s.vx as string, [0, 1, 3, 2])]);
      const dvx = op('MatMul', [transpose(probs, [0, 1, 3, 2]), doh]);
      // softmax backward: dS = P·(dP − Σ_j dP·P)
      const dS = mul(probs, sub(dprobs, op('ReduceSum', [mul(dprobs, probs), axisLast], { keepdims: 1 })));
      const dqh = mul(op('MatMul', [dS, s.kx as string]), scale);
      const dkx = op('MatMul', [transpose(dS, [0, 1, 3, 2]), s.qh as string]);
      const dq = reshape(ropeBack(transpose(dqh, [0, 2, 1, 3])), [N, H * hd]);
      const dk = reshape(ropeBack(transpose(unrepeatKv(dkx), [0, 2, 1, 3])), [N, Hkv * hd]);
      const dv = reshape(transpose(unrepeatKv(dvx), [0, 2, 1, 3]), [N, Hkv * hd]);
      const Wq = P(`${p}self_attn.q_proj.weight`);
      const Wk = P(`${p}self_attn.k_proj.weight`);
      const Wv = P(`${p}self_attn.v_proj.weight`);
      gradOut(`${p}self_attn.q_proj.weight`, () => weightGrad(dq, s.n1.y));
      gradOut(`${p}self_attn.k_proj.weight`, () => weightGrad(dk, s.n1.y));
      gradOut(`${p}self_attn.v_proj.weight`, () => weightGrad(dv, s.n1.y));
      const dh = add(add(op('MatMul', [dq, Wq]), op('MatMul', [dk, Wk])), op('MatMul', [dv, Wv]));
      const n1Back = rmsBack(dh, s.n1);
      gradOut(`${p}input_layernorm.weight`, n1Back.dw);
      dx = add(dx, n1Back.dx);
      if (!needBelow(l)) break;
    }
    if (!trainable(embed)) {
      // frozen embeddings: nothing more (the tied head shares the embedding's trainability)
    } else if (embedGrad === 'graph') {
      const zeros = op('ConstantOfShape', [g.i64([V, D])]);
      let dEmbed = op('ScatterND', [zeros, reshape(ids, [N, 1]), dx], { reduction: 'add' });
      if (c.tie_word_embeddings) dEmbed = add(dEmbed, dHead());
      const dE = dEmbed;
      gradOut(embed, () => dE);
    } else {
      embedRows = 'grad.embed_rows';
      g.output(dx, embedRows, 'float', [N, D]);
      if (c.tie_word_embeddings) gradOut(embed, dHead);
    }
    if (!c.tie_word_embeddings) gradOut('lm_head.weight', dHead);
  }

  return {
    model: g.encode({ name: backward ? 'llama_train_step' : 'llama_loss' }),
    inputs: { ids, targets, weights },
    params: shapes.map(([n]) => n),
    loss: 'loss',
    grads,
    embedRows,
  };
}
