// The run directory: exact round trip, and every kind of bad content reported with its file, line and field.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { registerReport } from '../src/cli/commands/report.ts';
import { DataError, type DataIssue, UsageError } from '../src/data/errors.ts';
import { readRunDir, writeRunDir } from '../src/report/run-dir.ts';
import type { ReportInput } from '../src/report/types.ts';
import { smallInput } from './report-fixture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-report-rd-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let count = 0;

function writeSmall(input: ReportInput = smallInput()): string {
  const dir = join(tmp, `run${count++}`);
  const { runs, title, config, seed, versions, dataset, notes } = input;
  writeRunDir(dir, { meta: { title, config, seed, versions: versions ?? {}, dataset, notes }, runs });
  return dir;
}

/** Replace line `n` (1-based) of a file. */
function editLine(file: string, n: number, edit: (line: string) => string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[n - 1] = edit(lines[n - 1]);
  writeFileSync(file, lines.join('\n'));
}

function issuesOf(fn: () => unknown): DataIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DataError) return e.issues;
    throw e;
  }
  assert.fail('expected a DataError');
}

test('writeRunDir -> readRunDir gives back the same report input', () => {
  const input = smallInput();
  const back = readRunDir(writeSmall(input));
  assert.deepEqual(back, input);
  assert.equal(back.runs[0].logRewards[5], input.runs[0].logRewards[5]);
});

test('writeRunDir refuses duplicate names and misaligned arrays', () => {
  const input = smallInput();
  input.runs[1].name = input.runs[0].name;
  assert.throws(() => writeSmall(input), UsageError);
  const short = smallInput();
  short.runs[0].equity = short.runs[0].equity.subarray(1);
  assert.throws(() => writeSmall(short), /equity has 59 entries/);
});

test('readRunDir: bad dates, numbers, trades and cell counts, each with file:line [field]', () => {
  const dir = writeSmall();
  const base = join(dir, 'strategies', 'buy___hold');
  editLine(join(base, 'returns.csv'), 4, (l) => l.replace(/^[^,]+,[^,]+/, '2020-01-03,0x10')); // date repeats line 3's
  editLine(join(base, 'returns.csv'), 6, (l) => l.replace(/^([^,]+),([^,]+),[^,]+/, '$1,$2,'));
  editLine(join(base, 'positions.csv'), 10, (l) => l.replace(/^[^,]+/, '2019-01-01'));
  editLine(join(base, 'ticker_pnl.csv'), 12, (l) => l.replace(/,[^,]+$/, ''));
  editLine(join(base, 'trades.csv'), 2, (l) => l.replace(/,(buy|sell),/, ',hold,').replace(',AAPL,', ',TSLA,'));
  editLine(join(base, 'trades.csv'), 3, (l) => l.replace(/^([^,]+),[^,]+/, '$1,2099-01-01'));
  const got = issuesOf(() => readRunDir(dir)).map((i) => `${i.file.slice(base.length + 1)}:${i.line} ${i.field}`);
  for (const want of [
    'returns.csv:4 date', // 2020-01-03 does not come after 2020-01-03
    'returns.csv:4 return', // 0x10 is not a decimal number
    'returns.csv:6 equity', // empty: required
    'positions.csv:10 date', // not returns.csv's date of that row
    'ticker_pnl.csv:12 undefined', // one cell short
    'trades.csv:2 side',
    'trades.csv:2 ticker',
    'trades.csv:3 decision_date', // after the fill date
  ])
    assert.ok(got.includes(want), `missing ${want} in\n${got.join('\n')}`);
});

test('readRunDir: run.json and metrics.json are checked too', () => {
  const dir = writeSmall();
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ strategies: { nobody: { sharpe: 1 } } }));
  assert.deepEqual(
    issuesOf(() => readRunDir(dir)).map((i) => [i.field, i.reason]),
    [['strategies.nobody', 'not a strategy listed in run.json']],
  );
  writeFileSync(join(dir, 'metrics.json'), '{ not json');
  assert.match(issuesOf(() => readRunDir(dir))[0].reason, /invalid JSON/);
  const runJson = join(dir, 'run.json');
  const meta = JSON.parse(readFileSync(runJson, 'utf8'));
  meta.strategies[1].dir = '../../elsewhere';
  writeFileSync(runJson, JSON.stringify(meta));
  assert.deepEqual(
    issuesOf(() => readRunDir(dir)).map((i) => i.field),
    ['strategies.1.dir'],
  );
  delete meta.dataset;
  writeFileSync(runJson, JSON.stringify(meta));
  assert.equal(issuesOf(() => readRunDir(dir))[0].field, 'dataset');
  assert.match(issuesOf(() => readRunDir(join(tmp, 'missing')))[0].reason, /run\.json is missing/);
});

test('rlmf report --run RUN --out DIR writes the report from a run directory', async () => {
  const dir = writeSmall();
  const out = join(tmp, 'report-out');
  const program = new Command('rlmf').exitOverride();
  registerReport(program);
  const log = console.log;
  const printed: string[] = [];
  console.log = (...a: unknown[]) => printed.push(a.join(' '));
  try {
    await program.parseAsync(['node', 'rlmf', 'report', '--run', dir, '--out', out]);
  } finally {
    console.log = log;
  }
  assert.match(printed.join('\n'), /report: .*report\.html/);
  for (const f of [
    'report.html',
    'metrics.json',
    'charts/equity.png',
    'charts/drawdown.png',
    'charts/tickers-buy___hold.png',
  ])
    assert.ok(existsSync(join(out, f)), f);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<td>12\.34%<\/td>/);
  // the report's metrics.json has the run directory's format and content
  assert.equal(readFileSync(join(out, 'metrics.json'), 'utf8'), readFileSync(join(dir, 'metrics.json'), 'utf8'));
});
