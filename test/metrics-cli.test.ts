import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatMetricsTable, runMetricsCommand } from '../src/cli/commands/metrics.ts';
import { DataError, UsageError } from '../src/data/errors.ts';
import { parseReturns } from '../src/metrics/returns-file.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'rlmf-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

// empyrical's mixed_returns (the first period missing): sharpe 1.7238613961706866, annual return 1.9135925373194231,
// max drawdown 0.1, sortino 2.605531251673693, downside risk 0.60448325038829653 (empyrical tests/test_stats.py).
const mixedCsv =
  'date,return\n2000-01-30,\n2000-01-31,0.01\n2000-02-01,0.1\n2000-02-02,-0.04\n2000-02-03,0.02\n2000-02-04,0.03\n2000-02-05,0.02\n2000-02-06,0.01\n2000-02-07,-0.1\n';
const mixedJson = '[null, 0.01, 0.1, -0.04, 0.02, 0.03, 0.02, 0.01, -0.1]';

function checkMixed(m: Record<string, number | null>) {
  const near = (k: string, v: number) => assert.ok(Math.abs((m[k] as number) - v) < 1e-8, `${k}: ${m[k]} vs ${v}`);
  near('sharpe_ratio', 1.7238613961706866);
  near('annual_return', 1.9135925373194231);
  near('annual_volatility', 0.9136465399704637);
  near('calmar_ratio', 19.135925373194233);
  near('sortino_ratio', 2.605531251673693);
  near('downside_risk', 0.60448325038829653);
  near('max_drawdown', 0.1);
  near('cumulative_return', 0.038931091700480147); // empyrical's yearly aggregate of these returns
  assert.equal(m.n_periods, 9);
  assert.equal(m.n_missing, 1);
}

test('runMetricsCommand: CSV and JSON inputs give the empyrical numbers', () => {
  checkMixed(runMetricsCommand({ returns: file('mixed.csv', mixedCsv) }).metrics);
  checkMixed(runMetricsCommand({ returns: file('mixed.json', mixedJson) }).metrics);
});

test('runMetricsCommand: options', () => {
  const f = file('m.csv', mixedCsv);
  const rf = runMetricsCommand({ returns: f, riskFree: '0.001' }).metrics;
  assert.equal(rf.risk_free_per_period, 0.001);
  const annual = runMetricsCommand({ returns: f, riskFree: '0.0252', riskFreeAnnual: true }).metrics;
  assert.ok(Math.abs((annual.risk_free_per_period as number) - 0.0001) < 1e-15);
  const weekly = runMetricsCommand({ returns: f, periodsPerYear: '52' }).metrics;
  assert.equal(weekly.periods_per_year, 52);
  const req = runMetricsCommand({ returns: f, requiredReturn: '0.1' }).metrics;
  assert.ok(Math.abs((req.downside_risk as number) - 1.7161730681956295) < 1e-8);
  const ib = runMetricsCommand({ returns: f, preset: 'investorbench' });
  assert.match(ib.notes[0], /ln\(1 \+ return\)/);
  assert.ok(Math.abs((ib.metrics.investorbench_cr as number) - Math.log(1.038931)) < 1e-6);
  const withLog = runMetricsCommand({
    returns: file('lr.csv', 'return,log_reward\n0.1,0.2\n-0.1,-0.05\n'),
    preset: 'investorbench',
  });
  assert.deepEqual(withLog.notes, []);
  assert.ok(Math.abs((withLog.metrics.investorbench_cr as number) - 0.15) < 1e-15);
  assert.throws(() => runMetricsCommand({ returns: f, preset: 'nope' }), /unknown preset "nope"/);
  assert.throws(() => runMetricsCommand({ returns: f, periodsPerYear: 'x' }), UsageError);
  assert.throws(() => runMetricsCommand({ returns: f, periodsPerYear: '0' }), UsageError);
  assert.throws(() => runMetricsCommand({ returns: f, riskFreeAnnual: true }), /needs --risk-free/);
});

test('bad return files are DataErrors naming file, line and field', () => {
  const bad = (text: string, re: RegExp) => {
    assert.throws(
      () => parseReturns(text, 'r.csv'),
      (e: unknown) => e instanceof DataError && re.test(e.message),
    );
  };
  bad('date,ret\n2024-01-02,0.1\n', /r\.csv:1: missing column\(s\) "return"/);
  bad('date,return\n2024-01-02,0.1\n2024-01-03,abc\n2024-01-04,1.5%\n', /r\.csv:3 \[return\]: "abc" is not a number/);
  bad('date,return\n2024-01-04,1.5%\n', /r\.csv:2 \[return\]: "1\.5%" is not a number \(write fractions/);
  bad('date,return\n2024-01-02,-1.5\n', /r\.csv:2 \[return\]: return -1\.5 is below -1/);
  bad('date,return\n2024-01-02\n', /r\.csv:2: row has 1 cell/);
  bad('date,return\n', /no returns/);
  bad('', /empty file/);
  bad('date,return\n2024-01-02,\n2024-01-03, \n', /all 2 returns are missing/);
  bad('[0.1, "x"]', /r\.csv \[\[1\]\]: "x" is not a number/);
  bad('[]', /no returns/);
  bad('[0.1,', /not valid JSON/);
  bad('{"a":1}', /expected a JSON array/);
  // every bad cell is reported, not just the first
  assert.throws(
    () => parseReturns('return\nx\ny\n', 'r.csv'),
    (e: unknown) => e instanceof DataError && e.issues.length === 2,
  );
});

test('formatMetricsTable shows fractions and n/a', () => {
  const t = formatMetricsTable({ sharpe_ratio: 1.5, calmar_ratio: null, n_periods: 9 });
  assert.equal(t, 'sharpe_ratio      1.500000\ncalmar_ratio           n/a\nn_periods                9\n');
});

// End-to-end through bin/rlmf.js (needs every command module that src/cli/main.ts imports).
function rlmf(...args: string[]) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'rlmf.js'), ...args], { encoding: 'utf8' });
}

test('rlmf metrics --json prints one JSON object of fractions with null for undefined', () => {
  const r = rlmf('metrics', '--returns', file('cli.csv', mixedCsv), '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  checkMixed(m);
  const flat = rlmf('metrics', '--returns', file('flat.json', '[0.01, 0.01, 0.01]'), '--json');
  assert.equal(flat.status, 0, flat.stderr);
  const f = JSON.parse(flat.stdout);
  assert.equal(f.sharpe_ratio, null);
  assert.equal(f.calmar_ratio, null);
  assert.equal(f.max_drawdown, 0);
});

test('rlmf metrics without --json prints a table; bad input exits 2 with file:line', () => {
  const r = rlmf('metrics', '--returns', file('t.csv', mixedCsv), '--preset', 'llmoe');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^preset llmoe: /);
  assert.match(r.stdout, /\nsharpe_ratio +1\.723861\n/);
  assert.match(r.stdout, /\nllmoe_mdd +0\.100000\n/);
  const bad = rlmf('metrics', '--returns', file('bad.csv', 'return\n0.1\noops\n'), '--json');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /bad\.csv:3 \[return\]: "oops" is not a number/);
  assert.equal(bad.stdout, '');
  const nocol = rlmf('metrics', '--returns', file('nocol.csv', 'r\n0.1\n'), '--json');
  assert.equal(nocol.status, 2);
  assert.match(nocol.stderr, /missing column\(s\) "return"/);
  const preset = rlmf('metrics', '--returns', file('p.csv', mixedCsv), '--preset', 'nope', '--json');
  assert.equal(preset.status, 2);
  assert.match(preset.stderr, /unknown preset/);
});
