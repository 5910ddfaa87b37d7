// `rlmf features`: the documented interface (columns, warm-up cells, errors, atomic deterministic output).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command } from 'commander';
import { registerFeatures } from '../src/cli/commands/features.ts';
import { parseCsv } from '../src/data/csv.ts';
import { emptyDataset, writeDataset } from '../src/data/dataset.ts';
import { DataError, UsageError } from '../src/data/errors.ts';
import { type Bars, NYSE } from '../src/data/types.ts';
import * as ind from '../src/features/indicators.ts';
import { createRng } from '../src/util/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'rlmf-features-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = 'sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14,adx:14,cci:14,willr:14,mfi:14,obv,roc:10';

function makeBars(n: number, seed = 1): Bars {
  const rng = createRng(seed);
  const dates: string[] = [];
  const d = new Date(Date.UTC(2020, 0, 1));
  const o: number[] = [];
  const h: number[] = [];
  const l: number[] = [];
  const c: number[] = [];
  const a: number[] = [];
  const v: number[] = [];
  let p = 100;
  for (let i = 0; i < n; i++) {
    dates.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
    const open = Math.round(p * (1 + 0.003 * rng.normal()) * 100) / 100;
    p = Math.round(open * (1 + 0.015 * rng.normal()) * 100) / 100;
    o.push(open);
    c.push(p);
    h.push(Math.round(Math.max(open, p) * 1.005 * 100) / 100);
    l.push(Math.round(Math.min(open, p) * 0.995 * 100) / 100);
    a.push(Math.round(p * 0.9 * 10000) / 10000);
    v.push(1000 + i * 10);
  }
  const F = (x: number[]) => Float64Array.from(x);
  return { ticker: 'TEST', dates, open: F(o), high: F(h), low: F(l), close: F(c), adjClose: F(a), volume: F(v) };
}

function writeBarsCsv(file: string, b: Bars, withAdj = true) {
  const head = withAdj ? 'date,open,high,low,close,adj_close,volume' : 'date,open,high,low,close,volume';
  const rows = b.dates.map((d, i) =>
    [d, b.open[i], b.high[i], b.low[i], b.close[i], ...(withAdj ? [b.adjClose[i]] : []), b.volume[i]].join(','),
  );
  writeFileSync(file, `${head}\n${rows.join('\n')}\n`);
}

async function run(...args: string[]) {
  const program = new Command('rlmf').exitOverride();
  registerFeatures(program);
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(['node', 'rlmf', 'features', ...args]);
}

function readOut(file: string) {
  const t = parseCsv(readFileSync(file, 'utf8'), file);
  const col = (name: string) => {
    const j = t.header.indexOf(name);
    assert.ok(j >= 0, `column ${name}`);
    return t.rows.map((r) => r.cells[j]);
  };
  return { header: t.header, rows: t.rows, col };
}

const bars = makeBars(80);
const barsFile = join(dir, 'TEST.csv');
writeBarsCsv(barsFile, bars);

test('the documented indicator spec: columns, warm-up cells, values on the adjusted basis', async () => {
  const out = join(dir, 'out.csv');
  await run('--bars', barsFile, '--indicators', SPEC, '--out', out);
  const o = readOut(out);
  assert.deepEqual(o.header, [
    'date',
    'sma_20',
    'ema_20',
    'rsi_14',
    'macd_12_26_9',
    'macd_signal_12_26_9',
    'macd_hist_12_26_9',
    'bbands_upper_20_2',
    'bbands_middle_20_2',
    'bbands_lower_20_2',
    'atr_14',
    'adx_14',
    'cci_14',
    'willr_14',
    'mfi_14',
    'obv',
    'roc_10',
  ]);
  assert.equal(o.rows.length, 80);
  assert.deepEqual(o.col('date'), bars.dates);
  const emptyCount = (name: string) => o.col(name).findIndex((x) => x !== '');
  assert.equal(emptyCount('sma_20'), 19);
  assert.equal(emptyCount('macd_12_26_9'), 33);
  assert.equal(emptyCount('adx_14'), 27);
  assert.equal(emptyCount('rsi_14'), 14);
  assert.equal(emptyCount('obv'), 0);
  // Adjusted basis (default): close = adj_close, high/low scaled by adj_close/close.
  const sma = ind.sma(bars.adjClose, 20);
  o.col('sma_20').forEach((s, i) => {
    if (i >= 19) assert.equal(Number(s), sma[i]);
  });
  const f = Float64Array.from(bars.adjClose, (a, i) => a / bars.close[i]);
  const atr = ind.atr(
    bars.high.map((x, i) => x * f[i]),
    bars.low.map((x, i) => x * f[i]),
    bars.adjClose,
    14,
  );
  assert.equal(Number(o.col('atr_14')[79]), atr[79]);
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');
});

test('--price raw, deterministic bytes, --set llmoe and labels', async () => {
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  const args = [
    '--bars',
    barsFile,
    '--indicators',
    'sma:5,ichimoku,kdj',
    '--set',
    'llmoe',
    '--labels',
    'trading-r1,fwd:5',
  ];
  await run(...args, '--price', 'raw', '--out', a);
  await run(...args, '--price', 'raw', '--out', b);
  assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
  const o = readOut(a);
  assert.equal(Number(o.col('sma_5')[4]), ind.sma(bars.close, 5)[4]);
  for (const c of ['z_open', 'z_adj_close', 'z_d30', 'trading_r1_signal', 'trading_r1_label', 'fwd_ret_5'])
    assert.ok(o.header.includes(c), c);
  assert.equal(Number(o.col('fwd_ret_5')[0]), bars.close[5] / bars.close[0] - 1);
  assert.equal(o.col('fwd_ret_5')[79], '');
  assert.ok(o.col('trading_r1_label').some((x) => x === 'STRONG_BUY'));
  assert.equal(Number(o.col('z_adj_close')[1]), bars.adjClose[1] / bars.adjClose[0] - 1);
  await run('--bars', barsFile, '--set', 'llmoe-window', '--out', a);
  const w = readOut(a);
  assert.equal(w.header.length, 56);
  assert.equal(
    w.col('z_d30_lag0').findIndex((x) => x !== ''),
    33,
  );
});

test('--data DIR --ticker T reads a dataset', async () => {
  const ds = emptyDataset({
    name: 't',
    source: 'test',
    calendar: NYSE,
    tickers: { TEST: { priceBasis: 'raw', hasOhlc: true, hasVolume: true } },
  });
  ds.bars.set('TEST', bars);
  const dsDir = join(dir, 'ds');
  writeDataset(dsDir, ds);
  const out = join(dir, 'ds.csv');
  await run('--data', dsDir, '--ticker', 'TEST', '--indicators', 'rsi:14', '--out', out);
  assert.equal(Number(readOut(out).col('rsi_14')[50]), ind.rsi(bars.adjClose, 14)[50]);
  await assert.rejects(
    run('--data', dsDir, '--ticker', 'NOPE', '--indicators', 'rsi', '--out', out),
    /"NOPE" is not in/,
  );
});

test('errors: unknown indicator, bad parameter, bad rows, missing values, no input', async () => {
  const out = join(dir, 'err.csv');
  const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);
  await assert.rejects(
    run('--bars', barsFile, '--indicators', 'sma:20,foo', '--out', out),
    usage(/unknown indicator "foo"/),
  );
  await assert.rejects(run('--bars', barsFile, '--indicators', 'rsi:-3', '--out', out), usage(/rsi period "-3"/));
  await assert.rejects(run('--bars', barsFile, '--labels', 'fwd:0', '--out', out), usage(/fwd:K/));
  await assert.rejects(run('--bars', barsFile, '--set', 'nope', '--out', out), usage(/unknown feature set/));
  await assert.rejects(
    run('--bars', barsFile, '--price', 'close', '--indicators', 'sma', '--out', out),
    usage(/--price/),
  );
  await assert.rejects(run('--indicators', 'sma', '--out', out), usage(/--bars FILE or --data/));
  await assert.rejects(run('--bars', barsFile, '--out', out), usage(/nothing to compute/));

  // A bad row is reported with file:line.
  const bad = join(dir, 'BAD.csv');
  writeFileSync(bad, 'date,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,2,0.5,abc,10\n');
  await assert.rejects(
    run('--bars', bad, '--indicators', 'sma:1', '--out', out),
    (e: unknown) => e instanceof DataError && e.issues[0].line === 3 && e.issues[0].field === 'close',
  );
  // A missing volume is fine for sma but not for obv, and names the line.
  const gap = join(dir, 'GAP.csv');
  writeFileSync(gap, 'date,open,high,low,close,volume\n2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,2,0.5,1.2,\n');
  await run('--bars', gap, '--indicators', 'sma:1', '--out', out);
  await assert.rejects(
    run('--bars', gap, '--indicators', 'obv', '--out', out),
    (e: unknown) =>
      e instanceof DataError && e.issues[0].line === 3 && e.issues[0].field === 'volume' && /obv/.test(e.message),
  );
  // Without adj_close, --price adjusted falls back to raw prices.
  const raw = join(dir, 'RAW.csv');
  writeBarsCsv(raw, bars, false);
  await run('--bars', raw, '--indicators', 'sma:3', '--out', out);
  assert.equal(Number(readOut(out).col('sma_3')[2]), ind.sma(bars.close, 3)[2]);
  assert.ok(existsSync(out));
});
