// FinRLlama frozen-backend head (src/papers/finrllama/head.ts, `rlmf finrllama train-head`).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerFinrllama } from '../src/cli/commands/finrllama.ts';
import { registerFinrllamaHead, runFinrllamaHead } from '../src/cli/commands/finrllama-head.ts';
import { writeDataset } from '../src/data/dataset.ts';
import { UsageError } from '../src/data/errors.ts';
import { closeDecisionTime } from '../src/data/pit.ts';
import type { Dataset } from '../src/data/types.ts';
import { createFakeModel, type FakeModel } from '../src/lm/fake.ts';
import type { LanguageModel } from '../src/lm/types.ts';
import { evaluateScores } from '../src/papers/finrllama/evaluate.ts';
import {
  adamUpdate,
  answerCandidates,
  baseScores,
  drawAnswer,
  featureMean,
  type HeadTrainOptions,
  headPairs,
  headProbs,
  headScores,
  initHead,
  logPolicyGrad,
  logProbFeatures,
  newAdam,
  surrogateLoss,
  trainHead,
} from '../src/papers/finrllama/head.ts';
import { headlinesFromPrompt } from '../src/papers/finrllama/prompt.ts';
import { defaultSplit, type RunConfig, readRunScores } from '../src/papers/finrllama/run.ts';
import { decisionDates, scoreDistribution, scoreNews } from '../src/papers/finrllama/score.ts';
import { createRng } from '../src/util/rng.ts';
import { handDataset } from './finrllama-fixture.ts';
import { captureStdout } from './helpers/capture-stdout.ts';
import { tinyDataset } from './helpers/tiny-dataset.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = join(repoRoot, '..', 'shared');
const GGUF = join(SHARED, 'models', 'stories260K', 'stories260K.gguf');

const tmp = mkdtempSync(join(tmpdir(), 'finrllama-head-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let runs = 0;
const newDir = () => join(tmp, `run${++runs}`);

// ---------------------------------------------------------------------------------------------------------------
// A planted market: every ticker has one headline per day; a headline with the keyword "surge" is always followed by a
// 3 % fall the next day, any other by a 1 % rise (± 0.2 % noise). The model below reads the keyword as good news.

const TICKERS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF'];

function weekdays(n: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(2024, 0, 2); out.length < n; t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() % 6 !== 0) out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

function plantedMarket(nDates = 80, tickers = TICKERS, newsEvery = 1): Dataset {
  const dates = weekdays(nDates);
  const rng = createRng('planted-market');
  const closes: Record<string, number[]> = {};
  const news: { id: string; at: string; tickers: string[]; headline: string }[] = [];
  for (const t of tickers) {
    let c = 100;
    closes[t] = [];
    dates.forEach((d, i) => {
      closes[t].push(c);
      const surge = rng.next() < 0.5;
      if (i % newsEvery === 0)
        news.push({
          id: `${t}-${d}`,
          at: `${d}T10:00:00-05:00`,
          tickers: [t],
          headline: surge ? `${t} shares surge on heavy volume` : `${t} holds steady in quiet trading`,
        });
      c *= 1 + (surge ? -0.03 : 0.01) + 0.004 * (rng.next() - 0.5);
    });
  }
  return handDataset(dates, closes, news);
}

/**
 * The deterministic fake model (a flatter bigram table, scale 0.5) made to read the keyword as good news: its log-prob
 * of the answer ` v` gets + tilt·v when a headline of the prompt contains "surge". Records every prompt it is asked.
 */
function keywordModel(tilt = 0.3): LanguageModel & { fake: FakeModel; prompts: string[] } {
  const fake = createFakeModel({ seed: 1, scale: 0.5 });
  const prompts: string[] = [];
  return {
    ...fake,
    fake,
    prompts,
    modelId: `keyword:${tilt}:${fake.modelId}`,
    async logProbs(prompt, continuations) {
      prompts.push(prompt);
      const l = await fake.logProbs(prompt, continuations);
      const surge = headlinesFromPrompt(prompt).some((h) => h.includes('surge'));
      return l.map((x, i) => x + (surge ? tilt * Number.parseInt(continuations[i], 10) : 0));
    },
    async embed(texts) {
      prompts.push(...texts);
      return fake.embed(texts);
    },
  };
}

const planted = plantedMarket();
const plantedSplit = defaultSplit(planted, 0.7, 1);
const plantedOpts: HeadTrainOptions = { lookahead: 1, prompt: { variant: 'compact' } };
const isSurge = (ds: Dataset, date: string, ticker: string) =>
  ds.news.some((n) => n.tickers.includes(ticker) && n.publishedAt.startsWith(date) && n.headline.includes('surge'));
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
/** Distinct prompts of the split's pairs: the model is asked once per distinct prompt (the cache key). */
const distinctPrompts = (ds: Dataset, split: RunConfig['split'], o = plantedOpts) =>
  new Set(
    headPairs(
      ds,
      [...decisionDates(ds, split.trainFrom, split.trainTo), ...decisionDates(ds, split.testFrom, split.testTo)],
      {
        prompt: o.prompt,
      },
    ).map((p) => p.prompt),
  ).size;
const heldOutIc = (recs: { date: string; ticker: string; score: number }[]) =>
  evaluateScores(planted, recs, { from: plantedSplit.testFrom, to: plantedSplit.testTo, lookahead: 1 }).ic!;

// ---------------------------------------------------------------------------------------------------------------

test('identity init reproduces the model answer distribution and its expected score (= scoreNews expected)', async () => {
  const model = keywordModel();
  const dates = decisionDates(planted, plantedSplit.testFrom, plantedSplit.testTo);
  const pairs = headPairs(planted, dates, { prompt: plantedOpts.prompt });
  assert.equal(pairs.length, dates.length * TICKERS.length);
  const raw = await Promise.all(pairs.map((p) => model.logProbs(p.prompt, answerCandidates(10))));
  const phis = raw.map(logProbFeatures);
  for (const mu of [undefined, featureMean(phis, 21)]) {
    const h = initHead('logprobs', 21, 21, mu);
    for (const [i, phi] of phis.entries()) {
      const want = scoreDistribution(raw[i], 10).probs;
      const got = headProbs(h, phi);
      for (let k = 0; k < 21; k++) assert.ok(Math.abs(got[k] - want[k]) < 1e-12, `pair ${i} answer ${k}`);
    }
    const head = headScores(h, pairs, phis, 10);
    const base = baseScores(pairs, raw, 10);
    head.forEach((r, i) => {
      assert.ok(Math.abs(r.score - base[i].score) < 1e-12);
      assert.equal(r.completion, base[i].completion);
    });
  }
  // base = the scoring loop's own expected scores, record for record
  const direct = await scoreNews(model, planted, dates, { method: 'expected', prompt: plantedOpts.prompt });
  assert.deepEqual(baseScores(pairs, raw, 10), direct);
  // the keyword tilts the model towards high scores: a surge pair scores above a plain one
  const surge = direct.filter((r) => isSurge(planted, r.date, r.ticker)).map((r) => r.score);
  const plain = direct.filter((r) => !isSurge(planted, r.date, r.ticker)).map((r) => r.score);
  assert.ok(Math.min(...surge) > Math.max(...plain) + 2, `${mean(surge)} vs ${mean(plain)}`);
  // embedding head: W = 0, b = 0 is the uniform prior, expected score 0
  const e = initHead('embedding', 21, 16);
  assert.deepEqual(Array.from(headProbs(e, new Float64Array(16).fill(0.25))), new Array(21).fill(1 / 21));
});

test('analytic gradient of the surrogate loss (with anchor, with centre) = central finite differences', () => {
  const rng = createRng('grad-check');
  const K = 5;
  const D = 4;
  const h = initHead('embedding', K, D, [0.1, -0.2, 0.3, 0]);
  for (let i = 0; i < h.theta.length; i++) h.theta[i] = rng.normal();
  const theta0 = h.theta.map(() => rng.normal());
  const batch = Array.from({ length: 6 }, () => ({
    phi: Float64Array.from({ length: D }, () => rng.normal()),
    a: rng.int(K),
    advantage: rng.normal(),
  }));
  const { grad } = surrogateLoss(h, batch, 0.3, theta0);
  const eps = 1e-6;
  for (let i = 0; i < h.theta.length; i++) {
    const keep = h.theta[i];
    h.theta[i] = keep + eps;
    const up = surrogateLoss(h, batch, 0.3, theta0).loss;
    h.theta[i] = keep - eps;
    const down = surrogateLoss(h, batch, 0.3, theta0).loss;
    h.theta[i] = keep;
    const fd = (up - down) / (2 * eps);
    assert.ok(Math.abs(fd - grad[i]) < 1e-7 * Math.max(1, Math.abs(fd)), `θ[${i}]: analytic ${grad[i]} vs fd ${fd}`);
  }
  // ∂ log π(a) / ∂b sums to zero (softmax is shift invariant), and is 1 − π_a at a
  const g = logPolicyGrad(h, batch[0].phi, 2);
  const p = headProbs(h, batch[0].phi);
  const gb = Array.from(g.subarray(K * D));
  assert.ok(Math.abs(gb.reduce((x, y) => x + y, 0)) < 1e-15);
  assert.ok(Math.abs(gb[2] - (1 - p[2])) < 1e-15);
});

test('Adam: a hand-computed first and second step; inverse-CDF draws', () => {
  const theta = Float64Array.of(1, -1);
  const s = newAdam(2);
  adamUpdate(theta, [0.5, -2], s, 0.1);
  // first step: m̂ = g, v̂ = g², so each parameter moves by lr·sign(g) (up to ε)
  assert.ok(Math.abs(theta[0] - 0.9) < 1e-8 && Math.abs(theta[1] + 0.9) < 1e-8, `${theta}`);
  adamUpdate(theta, [0.5, 0], s, 0.1);
  // second: m = 0.9·0.05 + 0.05 = 0.095, m̂ = 0.095/0.19 = 0.5; v = 0.999·0.00025 + 0.00025, v̂ = 0.25 -> again 0.1
  assert.ok(Math.abs(theta[0] - 0.8) < 1e-8);
  // for θ1: m̂ = 0.9·(−0.2) / 0.19 = −0.947368..., v̂ = 0.999·0.004 / 0.001999 = 1.998999..., step = 0.1·m̂/√v̂
  const step = (0.1 * ((0.9 * -0.2) / 0.19)) / Math.sqrt((0.999 * 0.004) / (1 - 0.999 ** 2));
  assert.ok(Math.abs(theta[1] - (-0.9 - step)) < 1e-8, `${theta[1]}`);
  const p = [0.2, 0.5, 0.3];
  assert.deepEqual(
    [0, 0.19, 0.21, 0.69, 0.71, 0.999999].map((u) => drawAnswer(p, u)),
    [0, 0, 1, 1, 2, 2],
  );
});

test('planted rule, fixed reward: the head learns that "surge" news falls; held-out IC goes from -0.86 to +0.86', async () => {
  const model = keywordModel();
  const out = newDir();
  const r = await trainHead(model, planted, plantedSplit, out, {
    ...plantedOpts,
    reward: 'fixed',
    lr: 0.003,
    epochs: 10,
  });
  assert.equal(r.trainPairs, 56 * 6);
  assert.equal(r.testPairs, 23 * 6);
  assert.equal(r.steps, 10 * 56);
  assert.equal(r.log.length, 560);
  const baseIc = heldOutIc(r.base!);
  const headIc = heldOutIc(r.scores);
  assert.ok(baseIc < -0.85, `base IC ${baseIc}`);
  assert.ok(headIc > 0.85, `head IC ${headIc}`);
  const by = (recs: typeof r.scores, surge: boolean) =>
    mean(recs.filter((x) => isSurge(planted, x.date, x.ticker) === surge).map((x) => x.score));
  // the model: surge 6.6, plain 4.1; the head: surge pushed down by more than 4 points, plain up to a long (> T = 3)
  assert.ok(by(r.base!, true) > 6.5 && by(r.base!, false) < 4.1, `${by(r.base!, true)} ${by(r.base!, false)}`);
  assert.ok(by(r.scores, true) < 2.5, `head on surge news ${by(r.scores, true)}`);
  assert.ok(by(r.scores, false) > 7.5, `head on plain news ${by(r.scores, false)}`);
  // the fixed reward rose from the model's negative start
  const epochReward = (e: number) => mean(r.log.filter((s) => s.epoch === e).map((s) => s.meanReward));
  assert.ok(epochReward(1) < 0 && epochReward(10) > 0.2, `${epochReward(1)} -> ${epochReward(10)}`);
  // every pair was asked once; a second run on the same directory asks the model nothing and scores the same
  const calls = model.prompts.length;
  assert.equal(new Set(model.prompts).size, calls);
  assert.equal(calls, distinctPrompts(planted, plantedSplit));
  assert.ok(calls > r.trainPairs + r.testPairs - 5, `${calls}`); // a few pairs share a prompt (same close, same news)
  assert.equal(r.modelCalls, calls);
  const again = await trainHead(model, planted, plantedSplit, out, {
    ...plantedOpts,
    reward: 'fixed',
    lr: 0.003,
    epochs: 10,
  });
  assert.equal(model.prompts.length, calls, 'no model call for known pairs');
  assert.equal(again.modelCalls, 0);
  assert.equal(again.resumedEpochs, 10);
  assert.deepEqual(again.scores, r.scores);
});

test('embedding features (W = 0, uniform prior) learn the same rule from the prompt embedding', async () => {
  const model = keywordModel();
  const r = await trainHead(model, planted, plantedSplit, newDir(), {
    ...plantedOpts,
    features: 'embedding',
    reward: 'fixed',
    lr: 0.03,
    epochs: 10,
  });
  // one embed per distinct prompt, and the held-out log-probs for `base`
  assert.equal(model.fake.calls.embed, distinctPrompts(planted, plantedSplit));
  // the untrained head scores 0; base (the model's own log-probs) is still written
  assert.ok(heldOutIc(r.base!) < -0.85);
  const ic = heldOutIc(r.scores);
  assert.ok(ic > 0.7, `embedding head IC ${ic}`);
});

test('resume: a run interrupted mid-training ends bit-identical to an uninterrupted one', async () => {
  const opts: HeadTrainOptions = { ...plantedOpts, reward: 'fixed', lr: 0.003, epochs: 3, anchor: 0.01 };
  const whole = newDir();
  await trainHead(keywordModel(), planted, plantedSplit, whole, opts);
  // crash in the middle of epoch 2 (after its 20th step): head.json still holds epoch 1
  const cut = newDir();
  await assert.rejects(
    trainHead(keywordModel(), planted, plantedSplit, cut, {
      ...opts,
      onStep: (s) => {
        if (s.epoch === 2 && s.step === 56 + 20) throw new Error('killed');
      },
    }),
    /killed/,
  );
  assert.equal(JSON.parse(readFileSync(join(cut, 'head.json'), 'utf8')).epoch, 1);
  const model = keywordModel();
  const resumed = await trainHead(model, planted, plantedSplit, cut, opts);
  assert.equal(resumed.resumedEpochs, 1);
  assert.equal(model.prompts.length, 0, 'features came from head_features.jsonl');
  // and in two legs: 1 epoch, then 3
  const legs = newDir();
  await trainHead(keywordModel(), planted, plantedSplit, legs, { ...opts, epochs: 1 });
  await trainHead(keywordModel(), planted, plantedSplit, legs, opts);
  for (const f of ['head.json', 'training_log.jsonl', 'head_features.jsonl']) {
    const want = readFileSync(join(whole, f), 'utf8');
    assert.equal(readFileSync(join(cut, f), 'utf8'), want, f);
    assert.equal(readFileSync(join(legs, f), 'utf8'), want, f);
  }
  const log = readFileSync(join(whole, 'training_log.jsonl'), 'utf8').trim().split('\n');
  assert.equal(log.length, 3 * 56);
  // other settings on the same directory are refused
  await assert.rejects(trainHead(keywordModel(), planted, plantedSplit, whole, { ...opts, lr: 0.01 }), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /lr: 0.003 vs 0.01/);
    return true;
  });
});

test('point in time: no prompt for training or scoring holds a headline published after its decision time', async () => {
  const ds = tinyDataset();
  // planted: published one minute after the 03-06 close, so it counts for the 03-07 decision only
  const late = Date.parse('2024-03-06T16:01:00-05:00');
  ds.news.push({
    id: 'late',
    publishedAt: '2024-03-06T16:01:00-05:00',
    publishedMs: late,
    tickers: ['AAA'],
    headline: 'LATE: AAA guidance cut',
    source: 'test',
  });
  ds.news.sort((a, b) => a.publishedMs - b.publishedMs);
  const split: RunConfig['split'] = {
    trainFrom: '2024-03-04',
    trainTo: '2024-03-07',
    testFrom: '2024-03-08',
    testTo: '2024-03-11',
  };
  for (const features of ['logprobs', 'embedding'] as const) {
    const model = keywordModel();
    const r = await trainHead(model, ds, split, newDir(), { features, lookahead: 1, epochs: 2 });
    assert.ok(r.trainPairs > 0 && r.testPairs > 0);
    assert.ok(model.prompts.length >= r.trainPairs + r.testPairs);
    let sawLate = 0;
    for (const prompt of model.prompts) {
      const date = /Price Data: "Date: (\d{4}-\d{2}-\d{2})/.exec(prompt)![1];
      for (const h of headlinesFromPrompt(prompt)) {
        const items = ds.news.filter((n) => n.headline === h);
        assert.ok(items.length > 0, h);
        for (const n of items)
          assert.ok(n.publishedMs <= closeDecisionTime(ds, date), `"${h}" in the prompt of ${date}`);
        if (h.startsWith('LATE')) {
          sawLate++;
          assert.equal(date, '2024-03-07');
        }
        assert.ok(!h.startsWith('FUTURE') || date >= '2024-03-07', `${h} on ${date}`);
      }
    }
    assert.ok(sawLate > 0, 'the planted headline reaches the prompt of its own decision date');
  }
});

test('CLI: train-head on a dataset directory with the fake backend, resume, then eval --run', async () => {
  const data = join(tmp, 'planted-data');
  writeDataset(data, planted);
  const out = newDir();
  const common = { backend: 'fake', data, out, lookahead: '1', prompt: 'compact', json: true };
  const first = await runFinrllamaHead({ ...common, epochs: '1' });
  assert.equal(first.train_pairs, 336);
  assert.equal(first.test_pairs, 138);
  assert.equal(first.model_calls, distinctPrompts(planted, plantedSplit));
  assert.equal(first.steps, 56);
  for (const f of ['config.json', 'head.json', 'head_features.jsonl', 'training_log.jsonl'])
    assert.ok(existsSync(join(out, f)), f);
  assert.deepEqual([...readRunScores(out).keys()], ['base', 'rlmf-head']);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.split, plantedSplit);
  assert.equal(config.extra.backend, 'fake');
  assert.equal(config.extra.model_id, 'fake-bigram:seed=0:scale=3:dim=16');
  assert.equal(config.extra.head.epochs, 1);
  assert.doesNotMatch(JSON.stringify(config), /api.?key/i);
  // base.jsonl = the frozen model's expected scores of the held-out dates
  const ds = planted;
  const want = await scoreNews(createFakeModel(), ds, decisionDates(ds, plantedSplit.testFrom, plantedSplit.testTo), {
    method: 'expected',
    prompt: { variant: 'compact' },
  });
  assert.deepEqual(readRunScores(out).get('base'), want);

  // through commander: two more epochs on the same directory, no model call
  const program = new Command('rlmf').exitOverride();
  registerFinrllama(program);
  const fin = program.commands.find((c) => c.name() === 'finrllama')!;
  if (!fin.commands.some((c) => c.name() === 'train-head')) registerFinrllamaHead(fin);
  const argv = ['--backend', 'fake', '--data', data, '--out', out, '--lookahead', '1', '--prompt', 'compact'];
  const second = JSON.parse(
    await captureStdout(() =>
      program
        .parseAsync(['node', 'rlmf', 'finrllama', 'train-head', ...argv, '--epochs', '3', '--json'])
        .then(() => {}),
    ),
  );
  assert.equal(second.resumed_epochs, 1);
  assert.equal(second.epochs, 3);
  assert.equal(second.steps, 3 * 56);
  assert.equal(second.model_calls, 0);
  assert.equal(second.features_reused, 336 + 138);
  assert.equal(readFileSync(join(out, 'training_log.jsonl'), 'utf8').trim().split('\n').length, 3 * 56);

  const ev = JSON.parse(
    await captureStdout(() =>
      program.parseAsync(['node', 'rlmf', 'finrllama', 'eval', '--run', out, '--json']).then(() => {}),
    ),
  );
  assert.deepEqual(Object.keys(ev), ['base', 'rlmf-head', 'teacher']);
  assert.equal(ev.base.ic, second.variants.base.ic);
  assert.equal(ev['rlmf-head'].sharpe_ratio, second.variants['rlmf-head'].sharpe_ratio);
  assert.equal(ev['rlmf-head'].n_scored, 138);
  assert.equal(ev['rlmf-head'].parse_failure_rate, 0);

  // another data source on the same directory is refused before any model is opened
  await assert.rejects(runFinrllamaHead({ ...common, data: undefined, synthSeed: '1' }), /other data/);
  await assert.rejects(runFinrllamaHead({ ...common, reward: 'nope' }), /--reward: "nope"/);
});

test('llama-cpp: a head on stories260K (frozen GGUF), a few dates end to end', {
  skip: !existsSync(GGUF) && 'needs ../shared/models/stories260K',
}, async () => {
  process.env.RLMF_CACHE_DIR = join(tmp, 'cache');
  // 35 dates (the fewest a 70 / 30 split with a gap takes), news every 8th day: 3 training pairs, 1 held out
  // (each pair is 21 evaluations of a ~250-token prompt, about 2 s on one thread)
  const ds = plantedMarket(35, ['AAA'], 8);
  const data = join(tmp, 'small-data');
  writeDataset(data, ds);
  const out = newDir();
  const flags = {
    backend: 'llama-cpp',
    model: GGUF,
    threads: '1',
    data,
    out,
    lookahead: '1',
    prompt: 'compact',
    lr: '0.05',
  };
  // epochs 0: the untrained head IS the model: its scores equal base's
  const zero = await runFinrllamaHead({ ...flags, epochs: '0', json: true });
  assert.equal(zero.model_id, 'sha256:270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d');
  assert.deepEqual([zero.train_pairs, zero.test_pairs], [3, 1]);
  assert.equal(zero.model_calls, zero.train_pairs + zero.test_pairs);
  const s0 = readRunScores(out);
  const base = s0.get('base')!;
  s0.get('rlmf-head')!.forEach((r, i) => {
    assert.ok(Math.abs(r.score - base[i].score) < 1e-9, `${r.score} vs ${base[i].score}`);
    assert.ok(Number.isFinite(r.score) && Math.abs(r.score) <= 10);
  });
  // then train 2 epochs from the cached features: no model call
  const two = await runFinrllamaHead({ ...flags, epochs: '2', json: true });
  assert.equal(two.model_calls, 0);
  const log = readFileSync(join(out, 'training_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(log.length, two.steps);
  assert.equal(log.filter((s) => s.epoch === 1).length, two.steps / 2);
  assert.ok(log.every((s) => Number.isFinite(s.loss) && Number.isFinite(s.gradNorm)));
  const head = readRunScores(out).get('rlmf-head')!;
  assert.ok(
    head.some((r, i) => Math.abs(r.score - base[i].score) > 1e-3),
    'training moved the head away from the model',
  );
});
