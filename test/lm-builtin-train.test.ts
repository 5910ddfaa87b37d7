import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadCheckpoint, saveCheckpoint, type TrainableSpec } from '../src/lm/builtin/checkpoint.ts';
import { initParams } from '../src/lm/builtin/config.ts';
import { addLora, mergeLora, unmergeLora } from '../src/lm/builtin/lora.ts';
import { disposeModel, lossFn, type Model, modelFromArrays, modelToArrays } from '../src/lm/builtin/model.ts';
import { buildTrainableModel, restoreTrainer } from '../src/lm/builtin/session.ts';
import { initTf, tf } from '../src/lm/builtin/tf.ts';
import {
  createTrainer,
  lrAt,
  resolveOptim,
  sampleSft,
  sampleWindows,
  type Trainer,
  trainableParams,
  trainStep,
} from '../src/lm/builtin/train.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const cfg = tinyLlamaConfig({ max_position_embeddings: 64, tie_word_embeddings: true });
const corpus = Int32Array.from({ length: 600 }, (_, i) => 3 + ((i * 7 + (i >> 3)) % 29));
const optim = { lr: 1e-2, warmupSteps: 2, totalSteps: 6, accumSteps: 2, clipNorm: 0.5 };

function run(tr: Trainer, steps: number): number[] {
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const micro = [0, 1].map(() => sampleWindows(corpus, 2, 8, tr.state.rng));
    losses.push(trainStep(tr, micro).loss);
  }
  return losses;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

test('learning-rate schedule: linear warmup then cosine to minLr', () => {
  const o = resolveOptim({ lr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 14 });
  assert.deepEqual(
    [0, 1, 2, 3].map((s) => lrAt(s, o)),
    [0.25, 0.5, 0.75, 1],
  );
  assert.equal(lrAt(4, o), 1);
  assert.ok(Math.abs(lrAt(9, o) - 0.55) < 1e-12); // halfway: 0.1 + 0.45·(1 + cos π/2)
  assert.ok(Math.abs(lrAt(14, o) - 0.1) < 1e-12);
  assert.ok(Math.abs(lrAt(100, o) - 0.1) < 1e-12);
});

test('one AdamW step equals the hand computation (bias correction, decoupled decay, clipping)', async () => {
  await initTf();
  const c = { ...cfg, num_hidden_layers: 1 };
  const m = modelFromArrays(c, initParams(c, 1), (n) => n === 'model.layers.0.mlp.up_proj.weight');
  const before = m.weights.get('model.layers.0.mlp.up_proj.weight')!.dataSync().slice() as Float32Array;
  const tr = createTrainer(m, { lr: 0.1, warmupSteps: 0, totalSteps: 10, weightDecay: 0.5, clipNorm: 1e-3 }, 0);
  const b = sampleWindows(corpus, 2, 8, createRng(1));
  const grads = tf.grad((w: tf.Tensor) => {
    m.weights.set('model.layers.0.mlp.up_proj.weight', w);
    return lossFn(m, tf.tensor2d(b.inputs, undefined, 'int32'), tf.tensor2d(b.targets, undefined, 'int32'));
  })(tr.params.get('model.layers.0.mlp.up_proj.weight')!);
  m.weights.set('model.layers.0.mlp.up_proj.weight', tr.params.get('model.layers.0.mlp.up_proj.weight')!);
  const g = grads.dataSync();
  const norm = Math.sqrt(Array.from(g).reduce((s, x) => s + x * x, 0));
  const r = trainStep(tr, [b]);
  assert.ok(Math.abs(r.gradNorm - norm) < 1e-6 * norm);
  const after = tr.params.get('model.layers.0.mlp.up_proj.weight')!.dataSync();
  const lr = 0.1; // step 0 of a schedule without warmup = peak
  const k = 1e-3 / norm;
  for (const i of [0, 5, 17, 100]) {
    const gi = g[i] * k;
    // m̂ = g, v̂ = g² after one step: update = g/(|g| + eps) ≈ sign(g)
    const expected = before[i] * (1 - lr * 0.5) - (lr * gi) / (Math.abs(gi) + 1e-8);
    assert.ok(Math.abs(after[i] - expected) < 1e-6, `${after[i]} vs ${expected}`);
  }
  disposeModel(m);
});

test('training lowers the loss; gradient accumulation over 2 micro-batches', async () => {
  await initTf();
  const m = modelFromArrays(cfg, initParams(cfg, 2), () => true);
  const tr = createTrainer(m, { ...optim, totalSteps: 30, clipNorm: 1 }, 4);
  const losses = run(tr, 30);
  assert.ok(losses.at(-1)! < losses[0] - 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
  disposeModel(m);
});

test('resume is exact: 6 steps == 3 steps, save, load, 3 steps (bit-for-bit losses and weights)', async () => {
  await initTf();
  const dir = mkdtempSync(join(tmpdir(), 'rlmf-resume-'));
  try {
    const spec: TrainableSpec = { mode: 'full', freezeLayers: 0 };
    const a = buildTrainableModel(cfg, initParams(cfg, 3), spec);
    const trA = createTrainer(a, optim, 11);
    const lossesA = run(trA, 6);

    const b = buildTrainableModel(cfg, initParams(cfg, 3), spec);
    const trB = createTrainer(b, optim, 11);
    const first = run(trB, 3);
    saveCheckpoint(join(dir, 'ck'), b, { trainer: trB, trainable: spec });
    disposeModel(b);
    const ck = loadCheckpoint(join(dir, 'ck'));
    const c = buildTrainableModel(ck.config, ck.params, ck.training!.state.trainable);
    const trC = restoreTrainer(c, ck);
    assert.equal(trC.state.step, 3);
    const second = run(trC, 3);
    assert.deepEqual([...first, ...second], lossesA);
    const wa = modelToArrays(a);
    const wc = modelToArrays(c);
    for (const [name, arr] of wa) assert.deepEqual(bits(wc.get(name)!), bits(arr), name);
    const state = JSON.parse(readFileSync(join(dir, 'ck', 'training_state.json'), 'utf8'));
    assert.equal(state.step, 3);
    assert.equal(state.rng.length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('freezing the bottom N layers: only layers >= N, final norm and head change', async () => {
  await initTf();
  const p0 = initParams(cfg, 5);
  const m = buildTrainableModel(cfg, p0, { mode: 'full', freezeLayers: 1 });
  const names = [...trainableParams(m).keys()];
  assert.ok(names.every((n) => !n.startsWith('model.layers.0.')));
  assert.ok(names.includes('model.norm.weight') && names.includes('model.layers.1.mlp.up_proj.weight'));
  assert.ok(names.includes('model.embed_tokens.weight')); // tied: the shared matrix is the head
  run(createTrainer(m, optim, 1), 2);
  const p1 = modelToArrays(m);
  for (const [name, a] of p0) {
    const changed = bits(a).join() !== bits(p1.get(name)!).join();
    assert.equal(changed, !name.startsWith('model.layers.0.'), name);
  }
  disposeModel(m);
});

test('LoRA: zero-init B leaves outputs unchanged; training moves only adapters; merge/unmerge; PEFT files', async () => {
  await initTf();
  const p0 = initParams(cfg, 6);
  const ids = tf.tensor2d([[1, 5, 9, 4, 3]], undefined, 'int32');
  const tg = tf.tensor2d([[5, 9, 4, 3, 7]], undefined, 'int32');
  const lossOf = (m: Model) => tf.tidy(() => lossFn(m, ids, tg).dataSync()[0]);
  const plain = modelFromArrays(cfg, p0);
  const spec: TrainableSpec = {
    mode: 'lora',
    freezeLayers: 1,
    lora: { rank: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj', 'down_proj'], seed: 1 },
  };
  const m = buildTrainableModel(cfg, p0, spec);
  assert.deepEqual(m.lora!.targets, [
    'model.layers.1.self_attn.q_proj',
    'model.layers.1.self_attn.v_proj',
    'model.layers.1.mlp.down_proj',
  ]);
  assert.equal(lossOf(m), lossOf(plain));
  const tr = createTrainer(m, { ...optim, totalSteps: 10 }, 2);
  assert.equal(tr.params.size, 6);
  run(tr, 4);
  const trained = lossOf(m);
  assert.notEqual(trained, lossOf(plain));
  for (const [name, a] of modelToArrays(m)) assert.deepEqual(bits(a), bits(p0.get(name)!), `${name} must stay frozen`);
  const lora = mergeLora(m)!;
  assert.ok(Math.abs(lossOf(m) - trained) < 1e-5);
  unmergeLora(m, lora);
  assert.ok(Math.abs(lossOf(m) - trained) < 1e-5);
  for (const [name, a] of modelToArrays(m)) {
    const d = a.reduce((s, x, i) => Math.max(s, Math.abs(x - p0.get(name)![i])), 0);
    assert.ok(d < 1e-6, name);
  }
  const dir = mkdtempSync(join(tmpdir(), 'rlmf-lora-'));
  try {
    saveCheckpoint(join(dir, 'ck'), m, { trainer: tr, trainable: spec });
    const ck = loadCheckpoint(join(dir, 'ck'));
    assert.deepEqual(
      [...ck.adapter!.tensors.keys()].sort()[0],
      'base_model.model.model.layers.1.mlp.down_proj.lora_A.weight',
    );
    assert.equal(ck.adapter!.config.r, 2);
    assert.deepEqual(ck.adapter!.config.target_modules, ['q_proj', 'v_proj', 'down_proj']);
    const again = buildTrainableModel(ck.config, ck.params, spec, ck.adapter!.tensors);
    assert.equal(lossOf(again), trained);
    disposeModel(again);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  addLora(plain, { rank: 1, alpha: 1 });
  assert.equal(plain.lora!.targets.length, 4);
  disposeModel(plain);
  disposeModel(m);
});

test('SFT batches: loss mask covers completion targets only; padding masked; left truncation', () => {
  const A = { prompt: [1, 7, 8], completion: [9, 2] };
  const B = { prompt: [1, 5], completion: [6] };
  const b = sampleSft([A, B], 6, 16, 0, createRng(2));
  const rows = b.inputs.map((inp, r) => ({ inp, tgt: b.targets[r], mask: b.mask![r] }));
  assert.ok(rows.some((r) => r.inp[1] === 7) && rows.some((r) => r.inp[1] === 5));
  for (const r of rows) {
    if (r.inp[1] === 7) assert.deepEqual(r, { inp: [1, 7, 8, 9], tgt: [7, 8, 9, 2], mask: [0, 0, 1, 1] });
    else assert.deepEqual(r, { inp: [1, 5, 0, 0], tgt: [5, 6, 0, 0], mask: [0, 1, 0, 0] });
  }
  const t = sampleSft([A], 1, 3, 0, createRng(1));
  assert.deepEqual(t, { inputs: [[7, 8, 9]], targets: [[8, 9, 2]], mask: [[0, 1, 1]] });
});
