// The main job end to end, as a newcomer runs it: `rlmf demo`, then backtest/report on its data; and the CLI's
// behaviour on bad input (one line, non-zero exit, no stack trace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-e2e-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function rlmf(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'rlmf.js'), ...args], { encoding: 'utf8', cwd: tmp });
}

test('demo --quick writes report.html and metrics.json, and is deterministic', () => {
  const a = rlmf('demo', '--quick', '--seed', '3', '--out', join(tmp, 'a'), '--json');
  assert.equal(a.status, 0, a.stderr);
  const out = JSON.parse(a.stdout);
  for (const f of ['report.html', 'metrics.json', 'run.json']) assert.ok(existsSync(join(tmp, 'a', f)), f);
  const names = Object.keys(out.strategies);
  assert.deepEqual(names, ['buy-and-hold', 'sma-crossover:20:50', 'momentum:60', 'random', 'oracle']);
  // the oracle knows the hidden news impacts: it must beat every baseline by a wide margin
  const sharpe = (n: string) => out.strategies[n].sharpe_ratio as number;
  for (const n of names.filter((x) => x !== 'oracle')) assert.ok(sharpe('oracle') > sharpe(n) + 1, `oracle vs ${n}`);
  const b = rlmf('demo', '--quick', '--seed', '3', '--out', join(tmp, 'b'), '--json');
  assert.equal(b.status, 0, b.stderr);
  assert.equal(
    readFileSync(join(tmp, 'a', 'metrics.json'), 'utf8'),
    readFileSync(join(tmp, 'b', 'metrics.json'), 'utf8'),
  );
  assert.equal(
    readFileSync(join(tmp, 'a', 'report.html'), 'utf8'),
    readFileSync(join(tmp, 'b', 'report.html'), 'utf8'),
  );
  // a run directory can be backtested again and reported
  const bt = rlmf(
    'backtest',
    '--data',
    join(tmp, 'a', 'data'),
    '--strategy',
    'buy-and-hold',
    '--fill',
    'next-close',
    '--out',
    join(tmp, 'run'),
    '--json',
  );
  assert.equal(bt.status, 0, bt.stderr);
  const res = JSON.parse(bt.stdout);
  assert.equal(typeof res.metrics.sharpe_ratio, 'number');
  assert.equal(res.config.fill, 'next-close');
  const rep = rlmf('report', '--run', join(tmp, 'run'));
  assert.equal(rep.status, 0, rep.stderr);
  assert.ok(existsSync(join(tmp, 'run', 'report.html')));
});

test('bad input: one line naming what is wrong, exit 2, no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['backtest', '--data', join(tmp, 'missing')], /dataset\.json is missing/],
    [['backtest', '--data', join(tmp, 'a', 'data'), '--strategy', 'nope'], /unknown strategy "nope"/],
    [['backtest', '--data', join(tmp, 'a', 'data'), '--from', '2024-13-01'], /from: expected a YYYY-MM-DD date/],
    [
      ['backtest', '--data', join(tmp, 'a', 'data'), '--commission-bps', 'abc'],
      /--commission-bps: "abc" is not a number/,
    ],
    [['demo', '--seed', '-1', '--out', join(tmp, 'c')], /--seed/],
  ];
  for (const [args, re] of cases) {
    const r = rlmf(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const dbg = rlmf('backtest', '--data', join(tmp, 'missing'), '--debug');
  assert.match(dbg.stderr, /\n\s+at /, '--debug prints the stack');
});
