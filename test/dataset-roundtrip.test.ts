// writeDataset -> loadDataset gives back the same Dataset, byte-identical files on a rewrite; loadDataset reports
// every problem of a broken dataset directory in one DataError.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { parseCsv } from '../src/data/csv.ts';
import { barsFromTable, loadDataset, writeDataset } from '../src/data/dataset.ts';
import { DataError, type DataIssue } from '../src/data/errors.ts';
import { importFnspid, importInvestorbench, importStocknet, importYahoo } from '../src/data/import/index.ts';
import type { Dataset } from '../src/data/types.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'data');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-dataset-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(d, e.name));
      else out[relative(dir, join(d, e.name))] = readFileSync(join(d, e.name), 'utf8');
  };
  walk(dir);
  return out;
}

const cases: [string, () => Dataset][] = [
  [
    'yahoo',
    () => importYahoo({ inputs: [join(FIX, 'yahoo', 'AAPL.csv'), join(FIX, 'yahoo', 'djia-style.csv')] }).dataset,
  ],
  [
    'investorbench',
    () => importInvestorbench({ inputs: [join(FIX, 'investorbench', 'tiny.json')], ticker: 'MSFT' }).dataset,
  ],
  ['fnspid', () => importFnspid({ inputs: [join(FIX, 'fnspid')], skipInvalid: true }).dataset],
  ['stocknet', () => importStocknet({ inputs: [join(FIX, 'stocknet')], skipInvalid: true }).dataset],
];

for (const [name, make] of cases)
  test(`round trip ${name}: loadDataset(writeDataset(ds)) equals ds, and a second write is byte-identical`, () => {
    const ds = make();
    const a = join(tmp, `${name}-a`);
    const b = join(tmp, `${name}-b`);
    writeDataset(a, ds);
    const back = loadDataset(a).dataset;
    assert.deepStrictEqual(back, ds);
    writeDataset(b, back);
    assert.deepEqual(filesOf(b), filesOf(a));
    // importing again gives the same files (determinism)
    const c = join(tmp, `${name}-c`);
    writeDataset(c, make());
    assert.deepEqual(filesOf(c), filesOf(a));
  });

const table = (text: string) => parseCsv(text, 'bars.csv');
const rowsOf = (text: string) => {
  const report = { skipped: [] as DataIssue[], warnings: [] as DataIssue[] };
  const r = barsFromTable(table(text), 'T', {}, report);
  return { ...r, report };
};

test('barsFromTable: only plain decimals are numbers (no hex, Infinity, spaces inside)', () => {
  const r = rowsOf(
    'date,close,volume\n2020-01-02,0x10,1\n2020-01-03,Infinity,1\n2020-01-06,1e2,+5\n2020-01-07,1 2,1\n',
  );
  assert.deepEqual(
    r.errors.map((e) => `${e.line} ${e.field}: ${e.reason}`),
    [
      '2 close: not a finite number: "0x10"',
      '3 close: not a finite number: "Infinity"',
      '5 close: not a finite number: "1 2"',
    ],
  );
  assert.deepEqual([...r.bars.close], [100]);
});

test('barsFromTable: adj_close must be on all rows or none', () => {
  const r = rowsOf('date,close,adj_close\n2020-01-02,10,9\n2020-01-03,11,\n2020-01-06,12,\n');
  assert.deepEqual(
    r.errors.map((e) => `${e.line} ${e.field}`),
    ['3 adj_close', '4 adj_close'],
  );
  assert.equal(rowsOf('date,close,adj_close\n2020-01-02,10,\n2020-01-03,11,\n').errors.length, 0);
});

test('loadDataset lists every problem across files, duplicate ids and unsafe ticker names included', () => {
  const dir = join(tmp, 'broken');
  mkdirSync(join(dir, 'bars'), { recursive: true });
  writeFileSync(
    join(dir, 'dataset.json'),
    JSON.stringify({
      format: 'rlmf-dataset/1',
      name: 'broken',
      source: 'test',
      calendar: { timezone: 'America/New_York', open: '09:30', close: '16:00' },
      tickers: {
        AAA: { priceBasis: 'raw', hasOhlc: false, hasVolume: false },
        BBB: { priceBasis: 'raw', hasOhlc: false, hasVolume: false },
        '../evil': { priceBasis: 'raw', hasOhlc: false, hasVolume: false },
      },
    }),
  );
  writeFileSync(join(dir, 'bars', 'AAA.csv'), '');
  writeFileSync(join(dir, 'bars', 'BBB.csv'), 'date,close\n2020-01-02,-1\n');
  writeFileSync(
    join(dir, 'news.jsonl'),
    [
      '{"id":"n1","published_at":"2020-01-02","tickers":["AAA"],"headline":"a","source":"s"}',
      '{"id":"n1","published_at":"2020-01-03","tickers":["AAA"],"headline":"b","source":"s"}',
      '{"id":"n2","published_at":"2020-01-03 10:00","tickers":["AAA"],"headline":"c","source":"s"}',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'fundamentals.csv'), 'ticker,period_end\n');
  try {
    loadDataset(dir);
    assert.fail('expected a DataError');
  } catch (e) {
    assert.ok(e instanceof DataError);
    assert.deepEqual(
      e.issues.map((i) => `${relative(dir, i.file)}${i.line ? `:${i.line}` : ''} ${i.field ?? ''}: ${i.reason}`),
      [
        'dataset.json tickers: ticker "../evil" is not a safe file name',
        'bars/AAA.csv : empty file (no header, no rows)',
        'bars/BBB.csv:2 close: non-positive price -1',
        'news.jsonl:2 id: duplicate id "n1" (first on line 1)',
        'news.jsonl:3 published_at: timestamp "2020-01-03 10:00" has no time zone offset (add Z or ±HH:MM)',
        'fundamentals.csv:1 : missing column(s) "released_at", "field", "value"; header is: ticker,period_end',
      ],
    );
  }
});
