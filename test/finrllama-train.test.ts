import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import { builtinFromModel } from '../src/lm/builtin/backend.ts';
import { initParams, paramShapes, presetConfig } from '../src/lm/builtin/config.ts';
import { disposeModel, modelFromArrays } from '../src/lm/builtin/model.ts';
import { initTf, tf } from '../src/lm/builtin/tf.ts';
import { createTrainer } from '../src/lm/builtin/train.ts';
import { trainBpe } from '../src/lm/tokenizer/index.ts';
import {
  candidateLogProbs,
  expectedGradientTerms,
  sampleAnswers,
  topLayersTrainable,
} from '../src/papers/finrllama/pipeline.ts';
import { decisionDates } from '../src/papers/finrllama/score.ts';
import { advantages, leaveOneOut, NEW_BASELINE, reinforceStep, trainReinforce } from '../src/papers/finrllama/train.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const cfg = tinyLlamaConfig({ max_position_embeddings: 64, tie_word_embeddings: true });

test('advantages: moving-average baseline (first step: its own mean), none, step-sum credit', () => {
  const a1 = advantages([1, 3], NEW_BASELINE, { baselineBeta: 0.5 });
  assert.deepEqual(a1.adv, [-1, 1]);
  assert.deepEqual(a1.baseline, { value: 2, initialized: true });
  const a2 = advantages([4], a1.baseline, { baselineBeta: 0.5 });
  assert.deepEqual(a2.adv, [2]);
  assert.deepEqual(a2.baseline, { value: 3, initialized: true });
  assert.deepEqual(advantages([1, 3], a2.baseline, { baseline: 'none' }).adv, [1, 3]);
  // as coded: every ticker gets the summed step reward, no baseline
  assert.deepEqual(
    advantages([1, 3, -0.5], NEW_BASELINE, { baseline: 'none', credit: 'step-sum' }).adv,
    [3.5, 3.5, 3.5],
  );
  assert.deepEqual(advantages([], a1.baseline), { adv: [], baseline: a1.baseline });
});

test('per-prompt baseline: leave-one-out within groups of k samples of one prompt', () => {
  // group [1, 3, 2]: 1 - (3+2)/2 = -1.5, 3 - 1.5 = 1.5, 2 - 2 = 0; group [-1, -1, -1]: all 0
  assert.deepEqual(leaveOneOut([1, 3, 2, -1, -1, -1], 3), [-1.5, 1.5, 0, 0, 0, 0]);
  assert.deepEqual(leaveOneOut([0.5, -1], 2), [1.5, -1.5]);
  assert.deepEqual(leaveOneOut([4, 5], 1), [0, 0]);
  assert.throws(() => leaveOneOut([1, 2, 3], 2), /groups of 2/);
  const a = advantages([1, 3, 2, -1, -1, -1], NEW_BASELINE, { baseline: 'per-prompt', groupSize: 3 });
  assert.deepEqual(a, { adv: [-1.5, 1.5, 0, 0, 0, 0], baseline: NEW_BASELINE });
});

test('expected estimator: the likely answers up to the mass, coefficients q·(r − E_q r), hand case', () => {
  const logp = [0.5, 0.3, 0.15, 0.05].map(Math.log);
  const r = [1, 0, -1, 5];
  const terms = expectedGradientTerms(logp, (i) => r[i], { topMass: 0.9, maxAnswers: 5 });
  assert.deepEqual(
    terms.map((t) => t.index),
    [0, 1, 2],
    'answer 3 is past the 0.9 mass',
  );
  const q = [0.5, 0.3, 0.15].map((x) => x / 0.95);
  const mean = q[0] * 1 + q[2] * -1;
  for (const [j, t] of terms.entries()) assert.ok(Math.abs(t.coef - q[j] * (r[j] - mean)) < 1e-12);
  assert.ok(Math.abs(terms.reduce((a, t) => a + t.coef, 0)) < 1e-12, 'the expected reward is the baseline');
  assert.equal(expectedGradientTerms(logp, (i) => r[i], { topMass: 0.9, maxAnswers: 2 }).length, 2);
  assert.equal(
    expectedGradientTerms(
      [0, -50, -60].map((x) => x),
      () => 0,
      { topMass: 0.5, maxAnswers: 5 },
    ).length,
    2,
  );
});

test('expected estimator: Σ c_v ∇log p(v) is the gradient of E_q[r] over the kept answers (finite differences)', () => {
  const z = [0.3, -1.2, 2.0, 0.7, -0.4];
  const r = [0.5, -1, 2, -0.3, 1.5];
  const logSoftmax = (x: number[]) => {
    const m = Math.max(...x);
    const lz = m + Math.log(x.reduce((a, v) => a + Math.exp(v - m), 0));
    return x.map((v) => v - lz);
  };
  const o = { topMass: 0.8, maxAnswers: 5 };
  const lp = logSoftmax(z);
  const terms = expectedGradientTerms(lp, (i) => r[i], o);
  const kept = terms.map((t) => t.index);
  const J = (x: number[]) => {
    const l = logSoftmax(x);
    const m = kept.reduce((a, i) => a + Math.exp(l[i]), 0);
    return kept.reduce((a, i) => a + (Math.exp(l[i]) / m) * r[i], 0);
  };
  const p = lp.map(Math.exp);
  for (let u = 0; u < z.length; u++) {
    // ∂ log p(v) / ∂ z_u = [u = v] − p(u)
    const analytic = terms.reduce((a, t) => a + t.coef * ((t.index === u ? 1 : 0) - p[u]), 0);
    const h = 1e-6;
    const zp = [...z];
    const zm = [...z];
    zp[u] += h;
    zm[u] -= h;
    assert.ok(Math.abs(analytic - (J(zp) - J(zm)) / (2 * h)) < 1e-7, `logit ${u}`);
  }
});

test('top-layer training: the top n layers and the final norm; embeddings and lower layers frozen', () => {
  const c = presetConfig('micro', 1024);
  const names = paramShapes(c).map(([n]) => n);
  const on = names.filter(topLayersTrainable(c, 1));
  assert.ok(on.length > 1 && on.includes('model.norm.weight'));
  assert.ok(on.every((n) => n === 'model.norm.weight' || n.startsWith('model.layers.3.')));
  assert.equal(names.filter((n) => n.startsWith('model.layers.3.')).length, on.length - 1);
  assert.ok(!on.includes('model.embed_tokens.weight'));
  assert.equal(names.filter(topLayersTrainable(c, 4)).length, names.length - 1, 'all but the embeddings');
  assert.throws(() => topLayersTrainable(c, 5), /4 layers/);
  assert.throws(() => topLayersTrainable(c, 0), /top-layers/);
});

test('candidateLogProbs (one prefill, cached steps over the prefix tree) equals the full-forward log-probs', async () => {
  await initTf();
  const m = modelFromArrays(cfg, initParams(cfg, 5));
  const { logProb } = await import('../src/lm/builtin/model.ts');
  const prompt = [1, 7, 8, 9, 3];
  const cands = [
    [4, 2],
    [4, 5, 2],
    [4, 5, 6, 2],
    [5, 2],
    [5, 6, 2],
    [6, 2],
  ];
  const got = candidateLogProbs(m, prompt, cands);
  cands.forEach((c, i) => {
    const want = tf.tidy(() => logProb(m, prompt, c).dataSync()[0]);
    assert.ok(Math.abs(got[i] - want) < 1e-4, `candidate ${i}: ${got[i]} vs ${want}`);
  });
  // the probabilities of complete answers (each ends with EOS = 2) are below 1 in total
  assert.ok(got.reduce((s, x) => s + Math.exp(x), 0) < 1);
  assert.throws(() => candidateLogProbs(m, prompt, [[4], [4, 2]]), /prefix/);
  disposeModel(m);
});

test('sampleAnswers: k answers from one prefill; greedy ones equal decodeTokens, sampled ones repeat per seed', async () => {
  await initTf();
  const m = modelFromArrays(cfg, initParams(cfg, 6));
  const { decodeTokens } = await import('../src/lm/builtin/generate.ts');
  const prompt = [1, 7, 8, 9];
  const greedy = decodeTokens(m, prompt, { maxTokens: 5, temperature: 0, stopIds: [2] }, () => '');
  const g = sampleAnswers(m, prompt, 2, { maxTokens: 5, temperature: 0, seed: 1, eos: 2 });
  assert.deepEqual(
    g,
    [0, 1].map(() => ({ ids: greedy.ids, stopped: greedy.finishReason === 'stop' })),
  );
  const a = sampleAnswers(m, prompt, 3, { maxTokens: 5, temperature: 1, seed: 9, eos: 2 });
  assert.deepEqual(sampleAnswers(m, prompt, 3, { maxTokens: 5, temperature: 1, seed: 9, eos: 2 }), a);
  assert.notDeepEqual(a[0].ids, a[1].ids);
  for (const x of a) assert.ok(x.ids.length <= 5 && (x.stopped || x.ids.length === 5));
  disposeModel(m);
});

// A stand-in for the built-in backend's logProbTensor over a bare model (prompt ids include BOS).
async function tiny(seed: number) {
  await initTf();
  const m = modelFromArrays(cfg, initParams(cfg, seed), () => true);
  const { logProb } = await import('../src/lm/builtin/model.ts');
  const lp = (p: number[], c: number[]) => tf.tidy(() => logProb(m, p, c).dataSync()[0]);
  return { m, lm: { logProbTensor: (p: number[], c: number[]) => logProb(m, p, c) }, lp };
}

test('REINFORCE: the loss is -(1/n) Σ A·log π; rewarded completions gain probability, punished ones lose it', async () => {
  const { m, lm, lp } = await tiny(3);
  const tr = createTrainer(m, { lr: 1e-2, warmupSteps: 0, totalSteps: 100, weightDecay: 0 }, 0);
  const prompt = [1, 7, 8, 9];
  const good = [5, 6];
  const bad = [10, 11];
  const samples = [
    { promptIds: prompt, completionIds: good, reward: 1 },
    { promptIds: prompt, completionIds: bad, reward: -1 },
  ];
  const [g0, b0] = [lp(prompt, good), lp(prompt, bad)];
  const r = reinforceStep(tr, lm, samples, NEW_BASELINE, { baseline: 'none' });
  assert.ok(Math.abs(r.loss - -(1 * g0 + -1 * b0) / 2) < 1e-5, `${r.loss}`);
  assert.equal(r.meanReward, 0);
  for (let i = 0; i < 9; i++) reinforceStep(tr, lm, samples, NEW_BASELINE, { baseline: 'none' });
  assert.ok(lp(prompt, good) > g0 + 0.5, `good ${g0} -> ${lp(prompt, good)}`);
  assert.ok(lp(prompt, bad) < b0 - 0.5, `bad ${b0} -> ${lp(prompt, bad)}`);
  assert.equal(tr.state.step, 10);
  disposeModel(m);
});

test('REINFORCE: a baseline removes a reward common to all samples (no update); without one it moves', async () => {
  const { m, lm } = await tiny(4);
  const tr = createTrainer(m, { lr: 1e-2, warmupSteps: 0, totalSteps: 100, weightDecay: 0 }, 0);
  const w = () => tr.params.get('model.layers.0.mlp.up_proj.weight')!.dataSync().slice();
  const before = w();
  const samples = [
    { promptIds: [1, 7], completionIds: [5], reward: 2 },
    { promptIds: [1, 8], completionIds: [6], reward: 2 },
  ];
  const r = reinforceStep(tr, lm, samples, NEW_BASELINE);
  assert.equal(r.gradNorm, 0);
  assert.deepEqual(w(), before);
  assert.deepEqual(r.baseline, { value: 2, initialized: true });
  reinforceStep(tr, lm, samples, NEW_BASELINE, { baseline: 'none' });
  assert.notDeepEqual(w(), before);
  // KL: a sample's reward is lowered by klCoef·(log π − log π_ref); missing refLogProb is an error
  assert.throws(() => reinforceStep(tr, lm, samples, NEW_BASELINE, { klCoef: 0.1 }), /refLogProb/);
  disposeModel(m);
});

test('trainReinforce on the synthetic market: one step per date with news, rewards from forward returns', async () => {
  await initTf();
  const market = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 9, days: 80, corpusLines: 400 });
  const tok = trainBpe(market.corpus, 300);
  const c = { ...cfg, vocab_size: tok.vocabSize, max_position_embeddings: 512 };
  const m = modelFromArrays(c, initParams(c, 1), () => true);
  const lm = builtinFromModel(m, tok, 'finrllama-test');
  const tr = createTrainer(m, { lr: 1e-3, warmupSteps: 0, totalSteps: 10 }, 0);
  const dates = decisionDates(market.dataset).slice(10, 16);
  const steps: number[] = [];
  const out = trainReinforce(lm, tr, market.dataset, dates, {
    prompt: { variant: 'compact' },
    seed: 1,
    onStep: (s) => steps.push(s.step),
  });
  assert.ok(out.log.length >= 2, `${out.log.length} steps`);
  assert.deepEqual(
    steps,
    out.log.map((_, i) => i + 1),
  );
  for (const s of out.log) {
    assert.ok(dates.includes(s.date));
    assert.ok(Number.isFinite(s.loss) && Number.isFinite(s.meanReward));
    // an untrained model rarely writes a number: mostly passive rewards (-0.001)
    assert.ok(s.meanReward >= -2 && s.meanReward <= 2);
  }
  assert.ok(out.baseline.initialized);
  disposeModel(m);
});
