import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runFinrllamaEval, runFinrllamaTrain } from '../src/cli/commands/finrllama.ts';
import { UsageError } from '../src/data/errors.ts';
import { importDataset, writeImportedDataset } from '../src/data/import/index.ts';
import { closeDecisionTime, createMarketView } from '../src/data/pit.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import { createFakeModel } from '../src/lm/fake.ts';
import { loadRunModel, scheduledLr, trainingCorpus, trainQuick } from '../src/papers/finrllama/pipeline.ts';
import { headlinesAt, headlinesFromPrompt } from '../src/papers/finrllama/prompt.ts';
import {
  FINRLLAMA_FULL_MARKET,
  FINRLLAMA_QUICK_MARKET,
  readRunConfig,
  readRunScores,
} from '../src/papers/finrllama/run.ts';
import { teacherScore } from '../src/papers/finrllama/teacher.ts';

const tmp = mkdtempSync(join(tmpdir(), 'finrllama-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('quick pipeline (tiny settings, an LLM teacher): run directory, four variants, training log; eval --run reproduces it', async () => {
  const out = join(tmp, 'run');
  // a scripted teacher that disagrees with the word list: it answers the word list's score negated
  const llm = createFakeModel({
    script: (prompt) => ` ${-teacherScore(headlinesFromPrompt(prompt), { signalStrength: 10 })}`,
  });
  const r = await trainQuick({
    teacher: { model: llm },
    seed: 3,
    out,
    pretrainSteps: 4,
    sftSteps: 2,
    rlEpochs: 1,
    rlDays: 4,
    testDays: 6,
    estimator: 'sampled',
    samplesPerPrompt: 2,
    datesPerStep: 1,
    validationFraction: 0.01,
  });
  const cfg = readRunConfig(out);
  assert.deepEqual(cfg.data, { synth: { seed: 3, quick: true, config: { ...FINRLLAMA_QUICK_MARKET } } });
  assert.ok(cfg.split.trainTo < cfg.split.testFrom);
  const scores = readRunScores(out);
  assert.deepEqual([...scores.keys()], ['base', 'ridge', 'rlmf', 'sft', 'teacher']);
  const n = scores.get('teacher')!.length;
  assert.ok(n > 0);
  for (const [name, v] of scores) {
    assert.equal(v.length, n, 'every variant scores the same (date, ticker) pairs');
    // expected scores (Σ v·p(v)) of the models: inside [-10, 10], never a parse failure
    for (const x of v) assert.ok(Math.abs(x.score) <= 10 && (name === 'teacher' || !x.failed));
    for (const x of v) assert.ok(x.date >= cfg.split.testFrom && x.date <= cfg.split.testTo);
  }
  const lines = readFileSync(join(out, 'training_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(lines.map((l) => l.phase))], ['pretrain', 'teacher', 'sft', 'rl', 'ridge']);
  const t = lines.find((l) => l.phase === 'teacher');
  assert.ok(t.scored > 0 && t.failures === 0, 'every training prompt got a teacher answer');
  assert.deepEqual((cfg.extra as { teacher: unknown }).teacher, {
    backend: 'fake',
    model: llm.modelId,
    method: 'generate',
  });
  // the teacher variant is the LLM teacher, scored on the held-out prompts
  const ds = generateMarket({ ...QUICK_SYNTH_CONFIG, ...FINRLLAMA_QUICK_MARKET, seed: 3 }).dataset;
  for (const x of scores.get('teacher')!) {
    const view = createMarketView(ds, closeDecisionTime(ds, x.date));
    const heads = headlinesAt(view, x.ticker, x.date).map((h) => h.headline);
    assert.equal(x.score, -teacherScore(heads, { signalStrength: 10 }) || 0);
  }
  assert.ok(lines.filter((l) => l.phase === 'rl').length <= 4);
  assert.ok(existsSync(join(out, 'summary.json')));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.ok(summary.validation.from <= summary.validation.to && summary.validation.to <= cfg.split.trainTo);
  assert.deepEqual(Object.keys(r.validation), ['sft', 'rlmf', 'teacher']);
  assert.equal(r.evaluation.base.parse_failure_rate, 0);
  for (const k of ['setup', 'pretrain', 'sft', 'rl', 'evaluate', 'total']) assert.equal(typeof r.seconds[k], 'number');
  const ev = await runFinrllamaEval({ run: out, json: true });
  assert.deepEqual(Object.keys(ev), ['base', 'ridge', 'rlmf', 'sft', 'teacher']);
  for (const k of Object.keys(ev)) {
    assert.equal(ev[k].ic, r.evaluation[k].ic);
    assert.equal(ev[k].sharpe_ratio, r.evaluation[k].sharpe_ratio);
    assert.equal(ev[k].parse_failure_rate, r.evaluation[k].parse_failure_rate);
  }
  // the CLI refuses to write over a run
  await assert.rejects(runFinrllamaTrain({ preset: 'quick', out }), UsageError);
  await assert.rejects(
    runFinrllamaTrain({ preset: 'huge', out: join(tmp, 'x') }),
    /--preset: "huge" is not one of quick, full/,
  );
});

test('quick pipeline: a run interrupted in REINFORCE or in SFT resumes and ends identical', async () => {
  const opts = {
    seed: 4,
    pretrainSteps: 3,
    sftSteps: 2,
    rlEpochs: 2,
    rlDays: 4,
    datesPerStep: 2,
    testDays: 3,
    validationFraction: 0.01,
    klCoef: 0.1,
  };
  const full = join(tmp, 'full');
  await trainQuick({ ...opts, out: full });
  const cut = join(tmp, 'cut');
  const crash = (x: Record<string, unknown>) => {
    if (x.phase === 'rl' && x.epoch === 2) throw new Error('simulated crash');
  };
  await assert.rejects(trainQuick({ ...opts, out: cut, onLog: crash }), /simulated crash/);
  assert.ok(existsSync(join(cut, 'checkpoints', 'rl', 'training_state.json')), 'the epoch-1 checkpoint is on disk');
  assert.ok(!existsSync(join(cut, 'models', 'rlmf')) && !existsSync(join(cut, 'scores')));
  await assert.rejects(runFinrllamaTrain({ preset: 'quick', out: cut }), /--resume/);
  await assert.rejects(trainQuick({ ...opts, klCoef: 0.2, out: cut, resume: true }), /other settings/);
  await trainQuick({ ...opts, out: cut, resume: true });
  for (const v of ['base', 'sft', 'rlmf']) {
    const a = loadRunModel(join(full, 'models', v));
    const b = loadRunModel(join(cut, 'models', v));
    for (const [n, x] of a.params) assert.deepEqual(b.params.get(n), x, `${v} ${n}`);
  }
  const sft = loadRunModel(join(full, 'models', 'sft')).params;
  const rlmf = loadRunModel(join(full, 'models', 'rlmf')).params;
  assert.ok(
    [...sft].some(([n, x]) => x.some((y, i) => y !== rlmf.get(n)![i])),
    'REINFORCE moved the weights',
  );
  for (const f of ['training_log.jsonl', 'scores/rlmf.jsonl', 'scores/teacher.jsonl'])
    assert.equal(readFileSync(join(cut, f), 'utf8'), readFileSync(join(full, f), 'utf8'), f);
  // a crash in SFT: the resumed run loads the base model and must draw the same SFT batches as the uninterrupted one
  const cutSft = join(tmp, 'cut-sft');
  const crashSft = (x: Record<string, unknown>) => {
    if (x.phase === 'sft') throw new Error('simulated crash');
  };
  await assert.rejects(trainQuick({ ...opts, out: cutSft, onLog: crashSft }), /simulated crash/);
  assert.ok(existsSync(join(cutSft, 'models', 'base')) && !existsSync(join(cutSft, 'models', 'sft')));
  await trainQuick({ ...opts, out: cutSft, resume: true });
  for (const v of ['sft', 'rlmf']) {
    const a = loadRunModel(join(full, 'models', v));
    const b = loadRunModel(join(cutSft, 'models', v));
    for (const [n, x] of a.params) assert.deepEqual(b.params.get(n), x, `after an SFT crash: ${v} ${n}`);
  }
});

const SHARED = join(import.meta.dirname, '..', '..', 'shared');
const IB = join(SHARED, 'data', 'investorbench', 'raw_json');

test('quick pipeline on real data (INVESTOR-BENCH HON, UVV): runs end to end, fills at the next close, buy-and-hold beside', {
  skip: !existsSync(IB) && 'needs ../shared/data/investorbench',
}, async () => {
  const data = join(tmp, 'ib');
  writeImportedDataset(data, importDataset('investorbench', { inputs: [IB], ticker: 'HON,UVV' }).dataset);
  const out = join(tmp, 'ib-run');
  const r = await trainQuick({
    data,
    seed: 1,
    out,
    pretrainSteps: 3,
    sftSteps: 2,
    rlEpochs: 1,
    rlDays: 3,
    datesPerStep: 3,
    testDays: 12,
    validationFraction: 0.01,
  });
  const cfg = readRunConfig(out);
  assert.deepEqual(cfg.data, { dir: data });
  assert.equal(cfg.fill, 'next-close', 'INVESTOR-BENCH has one price a day: no open to fill at');
  assert.deepEqual(Object.keys(r.evaluation), ['base', 'sft', 'rlmf', 'teacher', 'ridge']);
  for (const v of Object.values(r.evaluation)) {
    assert.ok(v.n_scored > 0);
    assert.ok(Number.isFinite(v.buy_and_hold.cumulative_return));
  }
  // every prompt kept 2 headlines of at most 120 characters
  for (const x of readRunScores(out).get('teacher')!) assert.ok(x.headlines >= 1 && x.headlines <= 2);
  const ev = await runFinrllamaEval({ run: out, json: true });
  assert.equal(ev.rlmf.sharpe_ratio, r.evaluation.rlmf.sharpe_ratio);
});

test('full preset: 16 tickers over four years (the paper’s span), recorded in config.json; eval reads it back', async () => {
  const out = join(tmp, 'full-preset');
  await trainQuick({
    preset: 'full',
    out,
    seed: 2,
    pretrainSteps: 2,
    sftSteps: 1,
    rlEpochs: 1,
    rlDays: 2,
    testDays: 3,
    validationFraction: 0.01,
  });
  const cfg = readRunConfig(out);
  assert.deepEqual(cfg.data, { synth: { seed: 2, quick: true, config: { ...FINRLLAMA_FULL_MARKET } } });
  assert.equal((cfg.extra as { preset: string }).preset, 'full');
  // 1,008 trading days from 2021-01-04: training ends in the third year, the held-out period starts there
  assert.ok(
    cfg.split.trainFrom.startsWith('2021-') && cfg.split.trainTo.startsWith('2023-'),
    JSON.stringify(cfg.split),
  );
  const ev = await runFinrllamaEval({ run: out, json: true });
  assert.deepEqual(Object.keys(ev), ['base', 'ridge', 'rlmf', 'sft', 'teacher']);
});

test('training corpus: the dataset headlines published after the training period are left out', () => {
  const m = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 2, days: 100, corpusLines: 600 });
  const ds = m.dataset;
  const cut = closeDecisionTime(ds, '2021-03-15');
  const lines = trainingCorpus(m.corpus, ds, cut);
  const before = ds.news.filter((x) => x.publishedMs <= cut);
  const all = m.corpus.split('\n').filter((l) => l.trim() !== '');
  assert.ok(before.length > 10 && before.length < ds.news.length);
  assert.equal(lines.length, all.length - (ds.news.length - before.length));
  assert.deepEqual(
    lines.slice(0, before.length),
    before.map((x) => x.headline),
  );
  assert.deepEqual(lines.slice(before.length), all.slice(ds.news.length));
  assert.throws(() => trainingCorpus(`odd first line\n${m.corpus}`, ds, cut), /corpus layout/);
});

test('learning-rate schedules: constant; cosine with warm-up reaches the peak, halves at mid-run, ends near 0', () => {
  const c = scheduledLr(1e-3, 'constant', 100, 20);
  assert.deepEqual([1, 50, 100].map(c), [1e-3, 1e-3, 1e-3]);
  const w = scheduledLr(1e-3, 'cosine', 100, 20);
  assert.ok(Math.abs(w(10) - 1e-3 * 0.5 * 0.5 * (1 + Math.cos((Math.PI * 9) / 100))) < 1e-12, 'linear warm-up');
  assert.ok(Math.abs(w(51) - 0.5e-3) < 1e-12, 'half way: half the peak');
  assert.ok(w(100) < 1e-6 && w(100) > 0, `last step ${w(100)}`);
  const steps = Array.from({ length: 80 }, (_, i) => w(21 + i));
  assert.ok(
    steps.every((x, i) => i === 0 || x <= steps[i - 1]),
    'decreasing after the warm-up',
  );
  assert.equal(scheduledLr(2e-4, 'cosine', 10)(1), 2e-4, 'no warm-up: the first step at the peak');
});
