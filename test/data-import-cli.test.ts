// `rlmf data import` and `rlmf data inspect` run as a user runs them: `node bin/rlmf.js ...` into a temp dir.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = join(import.meta.dirname, '..');
const FIX = join(root, 'test', 'fixtures', 'data');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-import-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// The CLI loads every command module; while some are still being written, say so instead of failing here.
const mainSrc = readFileSync(join(root, 'src', 'cli', 'main.ts'), 'utf8');
const missing = [...mainSrc.matchAll(/from '\.\/(commands\/[\w-]+\.ts)'/g)]
  .map((m) => m[1])
  .filter((f) => !existsSync(join(root, 'src', 'cli', f)));
const skip = missing.length > 0 && `CLI modules not written yet: ${missing.join(', ')}`;

function rlmf(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'rlmf.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('import writes a dataset, prints a summary; a second import needs --force', { skip }, () => {
  const out = join(tmp, 'aapl');
  const r = rlmf('data', 'import', '--format', 'yahoo', '--in', join(FIX, 'yahoo', 'AAPL.csv'), '--out', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^imported yahoo -> /);
  assert.match(r.stdout, /AAPL\s+2020-01-02\s+2020-01-07\s+4\s+raw/);
  assert.ok(existsSync(join(out, 'dataset.json')));
  assert.equal(JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8')).name, 'aapl');

  const again = rlmf('data', 'import', '--format', 'yahoo', '--in', join(FIX, 'yahoo', 'AAPL.csv'), '--out', out);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already holds a dataset \(dataset\.json\); use --force/);
  const forced = rlmf(
    'data',
    'import',
    '--format',
    'yahoo',
    '--in',
    join(FIX, 'yahoo', 'AAPL.csv'),
    '--out',
    out,
    '--force',
  );
  assert.equal(forced.code, 0, forced.stderr);
});

test('bad rows: exit 2, every problem on stderr with file:line, then one summary line', { skip }, () => {
  const file = join(FIX, 'yahoo', 'bad-rows.csv');
  const r = rlmf('data', 'import', '--format', 'yahoo', '--in', file, '--out', join(tmp, 'bad'));
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 16);
  assert.equal(lines[0], `${file}:3 [close]: missing value`);
  assert.equal(lines[14], `${file}:16 [date]: not a YYYY-MM-DD date: "2020/01/22"`);
  assert.match(
    lines[15],
    /^rlmf: import --format yahoo failed: 15 problem\(s\) in 1 file\(s\) \(rerun with --skip-invalid/,
  );
  assert.ok(!existsSync(join(tmp, 'bad', 'dataset.json')));
});

test('--skip-invalid --json: the summary and every skipped problem as JSON', { skip }, () => {
  const out = join(tmp, 'skipped');
  const file = join(FIX, 'yahoo', 'bad-rows.csv');
  const r = rlmf(
    'data',
    'import',
    '--format',
    'yahoo',
    '--in',
    file,
    '--ticker',
    'BAD',
    '--skip-invalid',
    '--json',
    '--out',
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.ok, true);
  assert.deepEqual(
    j.summary.tickers.map((t: { ticker: string; rows: number }) => [t.ticker, t.rows]),
    [['BAD', 4]],
  );
  assert.deepEqual(j.summary.skipped, { [file]: 13 });
  assert.equal(j.skipped.length, 15);
});

test('the INVESTORBENCH contract: --format investorbench --in FILE.json --out DIR, then inspect', { skip }, () => {
  const out = join(tmp, 'ib');
  const r = rlmf(
    'data',
    'import',
    '--format',
    'investorbench',
    '--in',
    join(FIX, 'investorbench', 'tiny.json'),
    '--out',
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const i = rlmf('data', 'inspect', '--data', out, '--json');
  assert.equal(i.code, 0, i.stderr);
  const s = JSON.parse(i.stdout).summary;
  assert.deepEqual(s.tickers[0], {
    ticker: 'TINY',
    first: '2020-03-12',
    last: '2020-03-16',
    rows: 3,
    priceBasis: 'adjusted-only',
    missing: { open: 3, high: 3, low: 3, volume: 3 },
    news: 3,
    filings: 2,
  });
  assert.deepEqual(s.news, { count: 3, first: '2020-03-13', last: '2020-03-16' });
  const text = rlmf('data', 'inspect', '--data', out);
  assert.match(text.stdout, /filings: 2 \(2020-03-13 \.\. 2020-03-16\)/);
});

test('usage errors: unknown format, missing --in, inspect of a non-dataset', { skip }, () => {
  const a = rlmf('data', 'import', '--format', 'bloomberg', '--in', join(FIX, 'yahoo', 'AAPL.csv'));
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--format: "bloomberg" is not one of yahoo, investorbench, fnspid, stocknet/);
  const b = rlmf('data', 'import', '--format', 'yahoo');
  assert.equal(b.code, 2);
  const c = rlmf('data', 'inspect', '--data', FIX);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /dataset\.json is missing/);
});
