import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { formatDataSynthSummary, registerDataSynth, runDataSynth } from '../src/cli/commands/data-synth.ts';
import { loadDataset } from '../src/data/dataset.ts';
import { UsageError } from '../src/data/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-synth-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('runDataSynth --quick writes a loadable market and summarises it', () => {
  const out = join(tmp, 'quick');
  const s = runDataSynth({ out, quick: true, seed: '5' });
  assert.equal(s.seed, 5);
  assert.equal(s.tickers.length, 6);
  assert.equal(s.days, 504);
  assert.equal(s.firstDate, '2021-01-04');
  assert.equal(s.corpusLines, 5000);
  assert.equal(s.splits, 1);
  assert.ok(s.dividends > 0);
  assert.equal(
    Object.values(s.kinds).reduce((a, b) => a + b, 0),
    s.news,
  );
  assert.equal(s.news, loadDataset(out).dataset.news.length);
  assert.equal(readFileSync(join(out, 'corpus', 'headlines.txt'), 'utf8').split('\n').length - 1, 5000);
  const text = formatDataSynthSummary(s);
  assert.match(text, /6 tickers .* x 504 trading days, 2021-01-04 \.\. 2023-01-03 \(NYSE holidays skipped\)/);
  assert.match(text, /hidden\/ holds the true news impacts: for oracles and evaluation only, never for agents/);
});

test('options override the preset; bad values are usage errors', () => {
  const s = runDataSynth({ out: join(tmp, 'custom'), quick: true, tickers: '3', days: '100', start: '2022-07-02' });
  assert.deepEqual([s.tickers.length, s.days, s.firstDate, s.seed], [3, 100, '2022-07-05', 42]);
  assert.throws(() => runDataSynth({ out: join(tmp, 'x'), tickers: 'many' }), /--tickers: "many" is not a number/);
  assert.throws(
    () => runDataSynth({ out: join(tmp, 'x'), days: '10' }),
    (e: Error) => e instanceof UsageError && /days/.test(e.message),
  );
  assert.throws(() => runDataSynth({ out: join(tmp, 'x'), start: '2022-13-01' }), /start/);
  assert.ok(!existsSync(join(tmp, 'x')));
});

test('--out must be empty unless --force replaces a dataset; never overwrites a non-dataset folder', () => {
  const out = join(tmp, 'again');
  runDataSynth({ out, quick: true, tickers: '2' });
  assert.throws(() => runDataSynth({ out, quick: true }), /not empty; pass --force/);
  writeFileSync(join(out, 'bars', 'STALE.csv'), 'date,close\n2021-01-04,1\n');
  const s = runDataSynth({ out, quick: true, tickers: '3', force: true });
  assert.equal(s.tickers.length, 3);
  assert.equal(loadDataset(out).dataset.bars.size, 3); // the stale file is gone
  const other = join(tmp, 'notes');
  mkdirSync(other);
  writeFileSync(join(other, 'mine.txt'), 'keep me');
  assert.throws(() => runDataSynth({ out: other, quick: true, force: true }), /holds no dataset\.json; refusing/);
  assert.equal(readFileSync(join(other, 'mine.txt'), 'utf8'), 'keep me');
});

test('rlmf data synth --json through commander', async () => {
  const program = new Command('rlmf').exitOverride();
  registerDataSynth(program.command('data'));
  const out = join(tmp, 'cli');
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string) => chunks.push(c) > 0) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'rlmf', 'data', 'synth', '--quick', '--seed', '9', '--out', out, '--json']);
  } finally {
    process.stdout.write = write;
  }
  const s = JSON.parse(chunks.join(''));
  assert.equal(s.seed, 9);
  assert.equal(s.out, out);
  assert.deepEqual(Object.keys(s.macro), ['CPI', 'POLICY_RATE', 'UNRATE']);
  assert.ok(existsSync(join(out, 'hidden', 'impacts.jsonl')));
});
