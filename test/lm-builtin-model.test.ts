import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initParams, type LlamaConfig, paramShapes } from '../src/lm/builtin/config.ts';
import { argmax, decodeTokens, sampleToken, tfStepper } from '../src/lm/builtin/generate.ts';
import { createJsDecoder } from '../src/lm/builtin/jsdecode.ts';
import { loadWeights } from '../src/lm/builtin/load.ts';
import { disposeModel, headLogits, hiddenStates, logProb, lossFn, modelFromArrays } from '../src/lm/builtin/model.ts';
import { lossAndGrads, lossOnly } from '../src/lm/builtin/reference.ts';
import { initTf, tf } from '../src/lm/builtin/tf.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = join(repoRoot, '..', 'shared');
const S260 = join(SHARED, 'models', 'stories260K');

/** A tiny GQA model with large random weights (so every gradient is well away from zero). */
const tiny = tinyLlamaConfig({ vocab_size: 11, hidden_size: 8, intermediate_size: 12 });

function bigInit(c: LlamaConfig, seed: number) {
  const p = initParams(c, seed);
  const rng = createRng(seed + 1);
  for (const [name, a] of p)
    for (let i = 0; i < a.length; i++) a[i] = name.includes('norm') ? 1 + 0.3 * rng.normal() : 0.4 * rng.normal();
  return p;
}

test('UnsortedSegmentSum kernel: gradient of gather (embedding lookup) equals the hand computation', async () => {
  await initTf();
  const W = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]));
  // loss = Σ_i c_i · Σ_j W[idx_i, j] with idx = [0, 2, 0], c = [1, 2, 3] -> dW[0] = 1+3, dW[1] = 0, dW[2] = 2
  const g = tf.grad((w: tf.Tensor) =>
    tf.sum(tf.mul(tf.gather(w, tf.tensor1d([0, 2, 0], 'int32')), tf.tensor2d([1, 1, 2, 2, 3, 3], [3, 2]))),
  )(W);
  assert.deepEqual(Array.from(g.dataSync()), [4, 4, 0, 0, 2, 2]);
  // out-of-range ids are dropped (TF semantics) and 2-D id tensors are rows of x
  const s = tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tf.tensor1d([1, 1, 0], 'int32'), 2);
  assert.deepEqual(Array.from(s.dataSync()), [5, 6, 4, 6]);
  tf.dispose([W, g, s]);
});

test('transposed matmuls (rewritten as transpose + plain product) give exact products', async () => {
  await initTf();
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([1, 0, 2, 1, 3, 1], [3, 2]);
  assert.deepEqual(Array.from(tf.matMul(a, b).dataSync()), [14, 5, 32, 11]);
  assert.deepEqual(Array.from(tf.matMul(a, tf.transpose(b), false, true).dataSync()), [14, 5, 32, 11]);
  assert.deepEqual(Array.from(tf.matMul(tf.transpose(a), b, true, false).dataSync()), [14, 5, 32, 11]);
});

test('finite differences agree with the analytic gradient (central differences, float32, relative tolerance)', async () => {
  const params = bigInit(tiny, 3);
  const inputs = [
    [1, 4, 7, 3, 9],
    [1, 2, 8, 8, 5],
  ];
  const targets = [
    [4, 7, 3, 9, 10],
    [2, 8, 8, 5, 6],
  ];
  const mask = [
    [1, 1, 0, 1, 1],
    [0, 1, 1, 1, 1],
  ];
  const { loss, grads } = await lossAndGrads(params, tiny, inputs, targets, mask);
  assert.ok(loss > 0 && Number.isFinite(loss));
  assert.deepEqual(
    [...grads.keys()],
    paramShapes(tiny).map(([n]) => n),
  );
  const rng = createRng(7);
  const h = 1e-2;
  let checked = 0;
  for (const [name] of paramShapes(tiny)) {
    for (let k = 0; k < 2; k++) {
      const a = params.get(name)!;
      const i = rng.int(a.length);
      const g = grads.get(name)![i];
      const orig = a[i];
      a[i] = orig + h;
      const up = await lossOnly(params, tiny, inputs, targets, mask);
      a[i] = orig - h;
      const down = await lossOnly(params, tiny, inputs, targets, mask);
      a[i] = orig;
      const fd = (up - down) / (2 * h);
      const err = Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 1e-2);
      assert.ok(err < 2e-2, `${name}[${i}]: analytic ${g} vs finite difference ${fd}`);
      checked++;
    }
  }
  assert.equal(checked, 2 * paramShapes(tiny).length);
});

test('masked loss = mean over counted positions; logProb = Σ of per-token log-probs', async () => {
  await initTf();
  const params = bigInit(tiny, 5);
  const m = modelFromArrays(tiny, params);
  const ids = [1, 4, 7, 3, 9, 2];
  // loss on a single position via the mask equals -log p of that token
  const perTok: number[] = [];
  for (let t = 0; t < ids.length - 1; t++) {
    const mask = [ids.slice(0, -1).map((_, j) => (j === t ? 1 : 0))];
    const l = tf.tidy(() =>
      lossFn(
        m,
        tf.tensor2d([ids.slice(0, -1)], undefined, 'int32'),
        tf.tensor2d([ids.slice(1)], undefined, 'int32'),
        tf.tensor2d(mask),
      ),
    );
    perTok.push(-l.dataSync()[0]);
  }
  const lp = tf.tidy(() => logProb(m, ids.slice(0, 2), ids.slice(2))).dataSync()[0];
  const expected = perTok.slice(1).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(lp - expected) < 1e-4, `${lp} vs ${expected}`);
  // differentiable: gradient w.r.t. a weight exists and is non-zero
  const v = tf.variable(m.weights.get('model.layers.1.mlp.up_proj.weight')!);
  m.weights.set('model.layers.1.mlp.up_proj.weight', v);
  const { grads } = tf.variableGrads(() => logProb(m, [1, 4], [7, 3]), [v]);
  assert.ok(tf.sum(tf.abs(Object.values(grads)[0])).dataSync()[0] > 0);
  disposeModel(m);
});

test('KV-cache decoding gives the same greedy tokens as full re-computation', async () => {
  await initTf();
  const m = modelFromArrays(tiny, bigInit(tiny, 9));
  const prompt = [1, 5, 3];
  const r = decodeTokens(m, prompt, { maxTokens: 6, stopIds: [] }, (ids) => ids.join(','));
  const ids = [...prompt];
  for (let i = 0; i < 6; i++) {
    const logits = tf.tidy(() => {
      const hs = hiddenStates(m, tf.tensor2d([ids], undefined, 'int32'));
      return headLogits(m, tf.slice(hs, [ids.length - 1, 0], [1, -1]) as tf.Tensor2D);
    });
    ids.push(argmax(logits.dataSync()));
    logits.dispose();
  }
  assert.deepEqual(r.ids, ids.slice(prompt.length));
  assert.equal(r.finishReason, 'length');
  disposeModel(m);
});

test('plain-JS decoder: same logits as the tfjs KV-cache path (GQA, tied and untied heads)', async () => {
  await initTf();
  for (const tie of [false, true]) {
    const c = { ...tiny, tie_word_embeddings: tie };
    const p = bigInit(c, 12);
    if (tie) p.delete('lm_head.weight');
    const m = modelFromArrays(c, p);
    const a = tfStepper(m);
    const b = createJsDecoder(c, p);
    for (const ids of [[1, 5, 3], [7], [2], [9]]) {
      const x = a.step(ids);
      const y = b.step(ids);
      const err = x.reduce((e, v, i) => Math.max(e, Math.abs(v - y[i])), 0);
      assert.ok(err < 1e-4, `max |Δlogit| ${err}`);
    }
    assert.equal(b.length, 6);
    a.close();
    disposeModel(m);
  }
});

test('sampling: temperature 0 is argmax; top-k 1 is argmax; same seed same draw; top-p keeps the head', () => {
  const logits = [0.1, 2.0, 1.9, -1];
  assert.equal(sampleToken(logits, { temperature: 0 }, createRng(1)), 1);
  assert.equal(sampleToken(logits, { temperature: 1, topK: 1 }, createRng(1)), 1);
  const draws = (seed: number) =>
    Array.from({ length: 20 }, (_, i) => sampleToken(logits, { temperature: 1 }, createRng(seed + i)));
  assert.deepEqual(draws(3), draws(3));
  assert.ok(new Set(draws(3)).size > 1);
  // p(1) ≈ 0.47, p(2) ≈ 0.43: top-p 0.4 keeps only token 1
  for (let s = 0; s < 10; s++) assert.equal(sampleToken(logits, { temperature: 1, topP: 0.4 }, createRng(s)), 1);
});

const fixture = join(repoRoot, 'test', 'fixtures', 'lm', 'stories260K-greedy.json');
for (const file of ['stories260K.bin', 'stories260K.gguf']) {
  test(`stories260K (${file}): greedy tokens from BOS + "Once upon a time" equal llama.cpp's`, {
    skip: !existsSync(S260) && 'needs ../shared',
  }, async () => {
    await initTf();
    const ref = JSON.parse(readFileSync(fixture, 'utf8')) as { prompt_token_ids: number[]; token_ids: number[] };
    const w = loadWeights(join(S260, file));
    const m = modelFromArrays(w.config, w.params);
    const r = decodeTokens(m, ref.prompt_token_ids, { maxTokens: ref.token_ids.length, stopIds: [] }, () => '');
    assert.deepEqual(r.ids, ref.token_ids);
    disposeModel(m);
  });
}
