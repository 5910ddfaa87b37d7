import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { registerFinrllama, runFinrllamaEval } from '../src/cli/commands/finrllama.ts';
import { DataError, UsageError } from '../src/data/errors.ts';
import { evaluateScores } from '../src/papers/finrllama/evaluate.ts';
import { defaultSplit, loadSource, readRunScores, writeRunConfig, writeScores } from '../src/papers/finrllama/run.ts';
import { decisionDates, scoreNews, teacherModel } from '../src/papers/finrllama/score.ts';
import { captureStdout } from './helpers/capture-stdout.ts';

const tmp = mkdtempSync(join(tmpdir(), 'finrllama-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const source = { synth: { seed: 5, quick: true } };
const ds = loadSource(source);
const split = defaultSplit(ds);

test('default split: 70 % for training, a lookahead gap, the rest held out', () => {
  const d = decisionDates(ds);
  assert.equal(d.length, 504);
  assert.deepEqual(split, { trainFrom: d[0], trainTo: d[351], testFrom: d[355], testTo: d[503] });
});

test('eval --run: a key per variant with the flat numbers; teacher computed when absent; = evaluateScores', async () => {
  const run = join(tmp, 'run');
  writeRunConfig(run, { format: 'rlmf-finrllama-run/1', data: source, split, seed: 3 });
  // an "rlmf" variant that knows the future (scores = sign of the 3-day forward return) must have a high IC
  const test = decisionDates(ds, split.testFrom, split.testTo);
  const teacher = await scoreNews(teacherModel(), ds, test);
  const peek = teacher.map((r) => {
    const b = ds.bars.get(r.ticker)!;
    const i = b.dates.indexOf(r.date);
    const fwd = i + 3 < b.dates.length ? b.adjClose[i + 3] / b.adjClose[i] - 1 : 0;
    return { ...r, score: fwd > 0 ? 8 : -8 };
  });
  writeScores(run, 'rlmf', peek);
  assert.deepEqual([...readRunScores(run).keys()], ['rlmf']);
  const program = new Command('rlmf').exitOverride();
  registerFinrllama(program);
  const text = await captureStdout(() =>
    program.parseAsync(['node', 'rlmf', 'finrllama', 'eval', '--run', run, '--json']).then(() => {}),
  );
  const out = JSON.parse(text);
  assert.deepEqual(Object.keys(out), ['rlmf', 'teacher']);
  for (const v of Object.values(out) as Record<string, unknown>[])
    for (const k of ['ic', 'sharpe_ratio', 'cumulative_return', 'win_rate', 'parse_failure_rate'])
      assert.equal(typeof v[k], 'number', k);
  assert.ok(out.rlmf.ic > 0.7, `peeking IC ${out.rlmf.ic}`);
  assert.ok(out.rlmf.sharpe_ratio > out.teacher.sharpe_ratio);
  const direct = evaluateScores(ds, teacher, { from: split.testFrom, to: split.testTo });
  assert.equal(out.teacher.ic, direct.ic);
  assert.equal(out.teacher.sharpe_ratio, direct.sharpe_ratio);
  assert.equal(out.teacher.parse_failure_rate, 0);
  assert.equal(out.teacher.per_ticker.QNTX?.curve, undefined, 'curves only with --curves');
  assert.equal(out.teacher.contest_curve, undefined, 'curves only with --curves');
  assert.equal(out.teacher.buy_and_hold_curve, undefined, 'curves only with --curves');
});

test('eval without --run: synthetic market, a fake base model, a held-out window', async () => {
  const out = await runFinrllamaEval({ synthSeed: '5', backend: 'fake', json: true, from: split.testFrom });
  assert.deepEqual(Object.keys(out), ['base', 'teacher']);
  // the bigram model's 5 characters rarely start with a number: parse failures are counted, scores fall back to 0
  assert.ok(out.base.parse_failure_rate! > 0.5, `${out.base.parse_failure_rate}`);
  assert.equal(out.base.n_scored, out.teacher.n_scored);
  assert.ok(out.teacher.ic! > 0, `teacher IC ${out.teacher.ic}`);
});

test('eval: bad input gives a clear error', async () => {
  await assert.rejects(runFinrllamaEval({ run: join(tmp, 'nope') }), UsageError);
  const bad = join(tmp, 'bad');
  writeRunConfig(bad, { format: 'rlmf-finrllama-run/1', data: source, split });
  writeFileSync(join(bad, 'config.json'), '{"format":"rlmf-finrllama-run/1"}');
  await assert.rejects(runFinrllamaEval({ run: bad }), (e: Error) => e instanceof DataError && /data/.test(e.message));
  const badScores = join(tmp, 'bad-scores');
  writeRunConfig(badScores, { format: 'rlmf-finrllama-run/1', data: source, split });
  writeScores(badScores, 'rlmf', []);
  writeFileSync(join(badScores, 'scores', 'rlmf.jsonl'), '{"date":"2022-13-01","ticker":"A","score":1}\n');
  await assert.rejects(
    runFinrllamaEval({ run: badScores }),
    (e: Error) => e instanceof DataError && /rlmf.jsonl:1/.test(e.message),
  );
  await assert.rejects(runFinrllamaEval({ synthSeed: '5', method: 'sample' }), /--method/);
  assert.throws(() =>
    writeRunConfig(join(tmp, 'x'), {
      format: 'rlmf-finrllama-run/1',
      data: source,
      split: { ...split, testFrom: split.trainFrom },
    }),
  );
});
