// onnxruntime training step: the ONNX writer, exact gradients (float64 finite differences and the tfjs reference),
// forward-only loss, AdamW update.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { headDim, type LlamaConfig, paramShapes } from '../src/lm/builtin/config.ts';
import { lossAndGrads as tfLossAndGrads } from '../src/lm/builtin/reference.ts';
import { createGraph } from '../src/lm/ort/onnx.ts';
import { createOrtTrainer } from '../src/lm/ort/trainer.ts';
import { createRng } from '../src/util/rng.ts';
import { randomParams as randomTinyParams } from './helpers/tiny-llama.ts';

test('onnx writer: MatMul + Add + ReduceSum(axes -1) run in onnxruntime with the right numbers', async () => {
  const g = createGraph();
  const x = g.input('x', 'float', [2, 3]);
  const w = g.f32([1, 2, 3, 4, 5, 6], [3, 2]);
  const y = g.op('Add', [g.op('MatMul', [x, w]), g.f32([0.5, -1], [2])]);
  g.output(y, 'y', 'float', [2, 2]);
  g.output(g.op('ReduceSum', [y, g.i64([-1])], { keepdims: 0 }), 's', 'float', [2]);
  g.output(g.op('Mul', [y, g.f32([0.25], [])]), 'q', 'float', [2, 2]);
  const s = await ort.InferenceSession.create(g.encode());
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 1, 1]), [2, 3]) });
  assert.deepEqual([...((r.y as ort.Tensor).data as Float32Array)], [1.5, 1, 8.5, 9]);
  assert.deepEqual([...((r.s as ort.Tensor).data as Float32Array)], [2.5, 17.5]);
  assert.deepEqual([...((r.q as ort.Tensor).data as Float32Array)], [0.375, 0.25, 2.125, 2.25]);
  await s.release();
});

// ---------------------------------------------------------------------------------------------------------------
// float64 reference forward (plain loops) for finite differences

type P64 = Map<string, Float64Array>;

function refLoss(c: LlamaConfig, p: P64, ids: number[][], tgt: number[][], mask?: number[][]): number {
  const D = c.hidden_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const F = c.intermediate_size;
  const V = c.vocab_size;
  const get = (n: string) => p.get(n) as Float64Array;
  const lin = (x: number[], W: Float64Array, out: number) => {
    const inn = x.length;
    const y = new Array<number>(out).fill(0);
    for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) y[o] += (W[o * inn + i] as number) * (x[i] as number);
    return y;
  };
  const rms = (x: number[], w: Float64Array) => {
    const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
    const r = 1 / Math.sqrt(ms + c.rms_norm_eps);
    return x.map((v, i) => v * r * (w[i] as number));
  };
  const rope = (v: number[], t: number) => {
    const out = v.slice();
    const half = hd / 2;
    for (let h = 0; h < v.length / hd; h++) {
      for (let i = 0; i < half; i++) {
        const ang = t * Math.fround(1 / Math.fround(c.rope_theta ** Math.fround((2 * i) / hd)));
        const a = v[h * hd + i] as number;
        const b = v[h * hd + half + i] as number;
        out[h * hd + i] = a * Math.cos(ang) - b * Math.sin(ang);
        out[h * hd + half + i] = b * Math.cos(ang) + a * Math.sin(ang);
      }
    }
    return out;
  };
  let total = 0;
  let count = 0;
  for (let b = 0; b < ids.length; b++) {
    const row = ids[b] as number[];
    const T = row.length;
    let xs = row.map((id) => Array.from(get('model.embed_tokens.weight').subarray(id * D, (id + 1) * D)));
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const pre = `model.layers.${l}.`;
      const hs = xs.map((x) => rms(x, get(`${pre}input_layernorm.weight`)));
      const qs = hs.map((h, t) => rope(lin(h, get(`${pre}self_attn.q_proj.weight`), H * hd), t));
      const ks = hs.map((h, t) => rope(lin(h, get(`${pre}self_attn.k_proj.weight`), Hkv * hd), t));
      const vs = hs.map((h) => lin(h, get(`${pre}self_attn.v_proj.weight`), Hkv * hd));
      xs = xs.map((x, t) => {
        const o = new Array<number>(H * hd).fill(0);
        for (let h = 0; h < H; h++) {
          const kvh = Math.floor(h / (H / Hkv));
          const sc: number[] = [];
          for (let j = 0; j <= t; j++) {
            let s = 0;
            for (let d = 0; d < hd; d++)
              s += ((qs[t] as number[])[h * hd + d] as number) * ((ks[j] as number[])[kvh * hd + d] as number);
            sc.push(s / Math.sqrt(hd));
          }
          const mx = Math.max(...sc);
          const e = sc.map((s) => Math.exp(s - mx));
          const z = e.reduce((a, v) => a + v, 0);
          for (let j = 0; j <= t; j++)
            for (let d = 0; d < hd; d++)
              o[h * hd + d] += ((e[j] as number) / z) * ((vs[j] as number[])[kvh * hd + d] as number);
        }
        const a = lin(o, get(`${pre}self_attn.o_proj.weight`), D);
        const mid = x.map((v, i) => v + (a[i] as number));
        const h2 = rms(mid, get(`${pre}post_attention_layernorm.weight`));
        const gt = lin(h2, get(`${pre}mlp.gate_proj.weight`), F);
        const up = lin(h2, get(`${pre}mlp.up_proj.weight`), F);
        const act = gt.map((gv, i) => (gv / (1 + Math.exp(-gv))) * (up[i] as number));
        const m = lin(act, get(`${pre}mlp.down_proj.weight`), D);
        return mid.map((v, i) => v + (m[i] as number));
      });
    }
    const head = get(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
    for (let t = 0; t < T; t++) {
      const w = mask ? ((mask[b] as number[])[t] as number) : 1;
      if (!w) continue;
      const logits = lin(rms(xs[t] as number[], get('model.norm.weight')), head, V);
      const mx = Math.max(...logits);
      const lse = mx + Math.log(logits.reduce((s, v) => s + Math.exp(v - mx), 0));
      total += w * (lse - (logits[(tgt[b] as number[])[t] as number] as number));
      count += w;
    }
  }
  return total / count;
}

const tiny = (tie: boolean): LlamaConfig => ({
  vocab_size: 11,
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 16,
  tie_word_embeddings: tie,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
});

const randomParams = (c: LlamaConfig, seed: number) => randomTinyParams(c, seed, 0.5);

const ids = [
  [1, 5, 3, 9, 10],
  [2, 2, 7, 0, 4],
];
const tgt = [
  [5, 3, 9, 10, 6],
  [2, 7, 0, 4, 8],
];
const mask = [
  [1, 1, 0, 1, 1],
  [0, 1, 1, 1, 1],
];

for (const tie of [false, true]) {
  test(`gradients match float64 central finite differences (GQA, ${tie ? 'tied' : 'untied'}, masked)`, async () => {
    const c = tiny(tie);
    const params = randomParams(c, tie ? 2 : 1);
    const tr = createOrtTrainer(c, params, { lr: 0.01 });
    const { loss, grads } = await tr.lossAndGrads(ids, tgt, mask);
    const p64: P64 = new Map([...params].map(([n, a]) => [n, Float64Array.from(a)]));
    const ref = refLoss(c, p64, ids, tgt, mask);
    assert.ok(Math.abs(loss - ref) < 1e-5 * Math.abs(ref), `loss ${loss} vs float64 ${ref}`);
    // forward-only graph gives the same loss
    assert.ok(Math.abs((await tr.loss(ids, tgt, mask)) - loss) < 1e-6 * Math.abs(loss));
    const rng = createRng(7);
    const h = 1e-5;
    let checked = 0;
    for (const [name, shape] of paramShapes(c)) {
      const a = p64.get(name) as Float64Array;
      const gr = grads.get(name) as Float32Array;
      assert.equal(gr.length, a.length, name);
      const scaleG = Math.max(...[...gr].map(Math.abs));
      assert.ok(scaleG > 1e-4, `${name}: gradient is ~0`);
      const coords = new Set([0, a.length - 1, rng.int(a.length), rng.int(a.length), rng.int(a.length)]);
      for (const i of coords) {
        const orig = a[i] as number;
        a[i] = orig + h;
        const up = refLoss(c, p64, ids, tgt, mask);
        a[i] = orig - h;
        const down = refLoss(c, p64, ids, tgt, mask);
        a[i] = orig;
        const fd = (up - down) / (2 * h);
        const err = Math.abs((gr[i] as number) - fd);
        assert.ok(
          err <= 1e-3 * scaleG + 1e-3 * Math.abs(fd),
          `${name}[${i}] (shape ${shape}): ort ${gr[i]} vs fd ${fd}`,
        );
        checked++;
      }
    }
    assert.ok(checked > 60);
    await tr.close();
  });
}

test('gradients equal the tfjs reference model and both embedding-gradient paths agree', async () => {
  const c = tiny(false);
  const params = randomParams(c, 3);
  const host = createOrtTrainer(c, params, { lr: 0.01, embedGrad: 'host' });
  const graph = createOrtTrainer(c, params, { lr: 0.01, embedGrad: 'graph' });
  const a = await host.lossAndGrads(ids, tgt, mask);
  const b = await graph.lossAndGrads(ids, tgt, mask);
  const ref = await tfLossAndGrads(params, c, ids, tgt, mask);
  assert.ok(Math.abs(a.loss - ref.loss) < 1e-5 * ref.loss, `loss ${a.loss} vs tfjs ${ref.loss}`);
  for (const [name] of paramShapes(c)) {
    const x = a.grads.get(name) as Float32Array;
    const y = b.grads.get(name) as Float32Array;
    const r = ref.grads.get(name) as Float32Array;
    const scale = Math.max(...[...r].map(Math.abs));
    for (let i = 0; i < r.length; i++) {
      assert.ok(
        Math.abs((x[i] as number) - (r[i] as number)) <= 1e-4 * scale + 1e-6,
        `${name}[${i}] ${x[i]} vs tfjs ${r[i]}`,
      );
      assert.ok(Math.abs((x[i] as number) - (y[i] as number)) <= 1e-6 * scale, `${name}[${i}] host vs graph`);
    }
  }
  await host.close();
  await graph.close();
});

test('AdamW step: torch.optim.AdamW update with clipping and decoupled weight decay on matrices only', async () => {
  const c = tiny(false);
  const params = randomParams(c, 4);
  const opts = { lr: 0.05, betas: [0.8, 0.9] as [number, number], eps: 1e-8, weightDecay: 0.1, clip: 0.5 };
  const tr = createOrtTrainer(c, params, opts);
  const { grads } = await tr.lossAndGrads(ids, tgt);
  const norm = Math.sqrt([...grads.values()].reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
  assert.ok(norm > opts.clip, 'the clip must bite for this check');
  const { gradNorm } = await tr.step(ids, tgt);
  assert.ok(Math.abs(gradNorm - norm) < 1e-6 * norm);
  const k = opts.clip / (norm + 1e-6);
  for (const [name, shape] of paramShapes(c)) {
    const p0 = params.get(name) as Float32Array;
    const p1 = tr.params().get(name) as Float32Array;
    const g = grads.get(name) as Float32Array;
    const wd = shape.length > 1 ? opts.weightDecay : 0;
    for (let i = 0; i < p0.length; i += 3) {
      // step 1: m̂ = g, v̂ = g²  =>  p ← p(1 − lr·wd) − lr·g/(|g| + eps)
      const gi = (g[i] as number) * k;
      const m = (1 - 0.8) * gi;
      const v = (1 - 0.9) * gi * gi;
      const want =
        (p0[i] as number) * (1 - opts.lr * wd) - ((opts.lr / 0.2) * m) / (Math.sqrt(v) / Math.sqrt(0.1) + 1e-8);
      assert.ok(Math.abs((p1[i] as number) - want) < 1e-6, `${name}[${i}] ${p1[i]} vs ${want}`);
    }
  }
  // a second step lowers the loss on the same batch
  const before = await tr.loss(ids, tgt);
  await tr.step(ids, tgt);
  assert.ok((await tr.loss(ids, tgt)) < before);
  await tr.close();
});

test('frozen embedding and bottom layer: same gradients for the rest, frozen weights untouched, shorter graph', async () => {
  const c = tiny(false);
  const params = randomParams(c, 5);
  const frozen = (n: string) => n === 'model.embed_tokens.weight' || n.startsWith('model.layers.0.');
  const full = await createOrtTrainer(c, params, { lr: 0.01 }).lossAndGrads(ids, tgt, mask);
  const tr = createOrtTrainer(c, params, { lr: 0.01, trainable: (n) => !frozen(n) });
  const part = await tr.lossAndGrads(ids, tgt, mask);
  assert.equal(part.loss, full.loss);
  const names = paramShapes(c).map(([n]) => n);
  assert.deepEqual([...part.grads.keys()].sort(), names.filter((n) => !frozen(n)).sort());
  for (const [name, g] of part.grads) assert.deepEqual(g, full.grads.get(name), name);
  await tr.step(ids, tgt, mask);
  for (const n of names) {
    const changed = !(tr.params().get(n) as Float32Array).every((v, i) => v === (params.get(n) as Float32Array)[i]);
    assert.equal(changed, !frozen(n), n);
  }
  const { buildTrainGraph } = await import('../src/lm/ort/train-graph.ts');
  const sizeAll = buildTrainGraph(c, 2, 5).model.length;
  const sizeTop = buildTrainGraph(c, 2, 5, { trainable: (n) => !frozen(n) }).model.length;
  assert.ok(sizeTop < sizeAll * 0.85, `${sizeTop} vs ${sizeAll} bytes`);
  await tr.close();
});

test('optimizer state round trip: a resumed trainer continues bit-identically', async () => {
  const c = tiny(true);
  const a = createOrtTrainer(c, randomParams(c, 6), { lr: 0.02, weightDecay: 0.1, clip: 1 });
  await a.step(ids, tgt);
  await a.step(ids, tgt, mask);
  const st = a.optimizerState();
  const b = createOrtTrainer(c, a.params(), { lr: 0.02, weightDecay: 0.1, clip: 1 });
  b.setOptimizerState({ step: st.step, m: st.m, v: st.v });
  const ra = await a.step(ids, tgt);
  const rb = await b.step(ids, tgt);
  assert.equal(rb.loss, ra.loss);
  for (const [name, p] of a.params()) assert.deepEqual(b.params().get(name), p, name);
  assert.throws(() => b.setOptimizerState({ step: 1, m: new Map(), v: st.v }), /optimizer state m\[/);
  await a.close();
  await b.close();
});
