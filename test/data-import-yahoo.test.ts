// Yahoo / yfinance importer on hand-made fixtures: every planted defect is reported with file:line, field and reason.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError, UsageError } from '../src/data/errors.ts';
import { importYahoo } from '../src/data/import/index.ts';
import { NYSE } from '../src/data/types.ts';
import { FIX, issuesOf, showIssue } from './helpers/data-issues.ts';

const yahoo = (name: string) => join(FIX, 'yahoo', name);

test('plain Yahoo CSV: values, ticker from file name, raw basis, NYSE calendar, provenance hash', () => {
  const { dataset, report } = importYahoo({ inputs: [yahoo('AAPL.csv')] });
  const b = dataset.bars.get('AAPL')!;
  assert.deepEqual(b.dates, ['2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07']);
  assert.deepEqual([...b.open], [74.06, 74.29, 73.45, 74.96]);
  assert.deepEqual([...b.close], [75.09, 74.36, 74.95, 74.6]);
  assert.deepEqual([...b.adjClose], [73.06, 72.35, 72.93, 72.59]);
  assert.equal(b.volume[3], 108872000);
  assert.deepEqual(dataset.meta.tickers.AAPL, { priceBasis: 'raw', hasOhlc: true, hasVolume: true });
  assert.deepEqual(dataset.meta.calendar, NYSE);
  assert.equal(dataset.meta.source, `yahoo:${yahoo('AAPL.csv')}`);
  const files = dataset.meta.provenance!.files as { path: string; sha256: string }[];
  const sha = createHash('sha256')
    .update(readFileSync(yahoo('AAPL.csv')))
    .digest('hex');
  assert.deepEqual(
    files.map((f) => [f.path, f.sha256]),
    [[yahoo('AAPL.csv'), sha]],
  );
  assert.equal(dataset.meta.skipped, undefined);
  assert.deepEqual(report, { skipped: [], warnings: [] });
});

const BAD_ROWS = [
  'yahoo/bad-rows.csv:3 [close]: missing value',
  'yahoo/bad-rows.csv:4 [close]: not a finite number: "abc"',
  'yahoo/bad-rows.csv:5 [close]: not a finite number: "NaN"',
  'yahoo/bad-rows.csv:6 [close]: non-positive price 0',
  'yahoo/bad-rows.csv:7 [high]: high 74 < low 76.55',
  'yahoo/bad-rows.csv:7 [open]: open 76.81 outside [low 76.55, high 74]',
  'yahoo/bad-rows.csv:7 [close]: close 76.5 outside [low 76.55, high 74]',
  'yahoo/bad-rows.csv:9 [date]: duplicate date 2020-01-10 (also on line 8)',
  'yahoo/bad-rows.csv:10 [date]: dates not ascending: 2020-01-06 after 2020-01-10 (line 8)',
  'yahoo/bad-rows.csv:11 [open]: not a finite number: "not-a-number"',
  'yahoo/bad-rows.csv:12 [*]: expected 7 cells, found 6',
  'yahoo/bad-rows.csv:13 [*]: every value is null (a placeholder row without prices); rerun with --skip-invalid to skip such rows',
  'yahoo/bad-rows.csv:14 [close]: not a finite number: "0x4F"',
  'yahoo/bad-rows.csv:15 [adj_close]: non-positive price -1',
  'yahoo/bad-rows.csv:16 [date]: not a YYYY-MM-DD date: "2020/01/22"',
];

test('every bad row is reported (not just the first), with file:line, field and reason', () => {
  assert.deepEqual(
    issuesOf(() => importYahoo({ inputs: [yahoo('bad-rows.csv')] })),
    BAD_ROWS,
  );
  assert.throws(
    () => importYahoo({ inputs: [yahoo('bad-rows.csv')] }),
    (e: Error) =>
      e instanceof DataError &&
      e.message.startsWith(
        'import --format yahoo failed: 15 problem(s) in 1 file(s) (rerun with --skip-invalid to skip bad rows; they are counted)',
      ),
  );
});

test('--skip-invalid keeps the good rows, counts skipped rows per file and lists every skipped problem', () => {
  const { dataset, report } = importYahoo({ inputs: [yahoo('bad-rows.csv')], skipInvalid: true, ticker: 'BAD' });
  const b = dataset.bars.get('BAD')!;
  // line 18 has a time part (`2020-01-24 00:00:00-05:00`): the date is taken
  assert.deepEqual(b.dates, ['2020-01-02', '2020-01-10', '2020-01-23', '2020-01-24']);
  assert.deepEqual(dataset.meta.skipped, { [yahoo('bad-rows.csv')]: 13 });
  assert.deepEqual(report.skipped.map(showIssue), BAD_ROWS);
  assert.equal(dataset.meta.provenance!.skipInvalid, true);
});

test('byte order mark: warning, stripped, CRLF lines read', () => {
  const { dataset, report } = importYahoo({ inputs: [yahoo('MSFT-bom.csv')], ticker: 'MSFT' });
  assert.deepEqual(report.warnings.map(showIssue), [
    'yahoo/MSFT-bom.csv:1: byte order mark (BOM) at start of file removed',
  ]);
  const b = dataset.bars.get('MSFT')!;
  assert.deepEqual(b.dates, ['2020-01-02', '2020-01-03']);
  assert.equal(b.volume[1], 21116200);
});

test('adj_close on some rows but not all is an error for that ticker', () => {
  assert.deepEqual(
    issuesOf(() => importYahoo({ inputs: [yahoo('mixed-adj.csv')], ticker: 'MIX' })),
    [
      'yahoo/mixed-adj.csv:3 [adj_close]: missing value (other rows of MIX have adj_close: it must be on all rows or none)',
    ],
  );
});

test('file-level problems: missing column, empty file, header only', () => {
  assert.deepEqual(
    issuesOf(() => importYahoo({ inputs: [yahoo('no-close.csv')] })),
    ['yahoo/no-close.csv:1: missing column(s) "Close"; header is: Date,Open,High,Low,Volume'],
  );
  assert.deepEqual(
    issuesOf(() => importYahoo({ inputs: [yahoo('empty.csv')] })),
    ['yahoo/empty.csv: empty file'],
  );
  assert.deepEqual(
    issuesOf(() => importYahoo({ inputs: [yahoo('header-only.csv')] })),
    ['yahoo/header-only.csv: no data rows after the header'],
  );
});

test('a directory import reports the problems of every file in one error', () => {
  const files = new Set(issuesOf(() => importYahoo({ inputs: [join(FIX, 'yahoo')] })).map((s) => s.split(/[: ]/)[0]));
  assert.deepEqual(
    [...files].sort(),
    [
      'yahoo/bad-rows.csv',
      'yahoo/empty.csv',
      'yahoo/header-only.csv',
      'yahoo/mixed-adj.csv',
      'yahoo/no-close.csv',
      // AAPL from AAPL.csv and from yfinance-multi.csv / yfinance-two.csv
      'yahoo/yfinance-multi.csv',
      'yahoo/yfinance-two.csv',
    ].sort(),
  );
});

test('yfinance multi-line header: ticker from row 2, row 3 skipped, date taken from date-time', () => {
  const { dataset } = importYahoo({ inputs: [yahoo('yfinance-multi.csv')] });
  assert.deepEqual([...dataset.bars.keys()], ['AAPL']);
  const b = dataset.bars.get('AAPL')!;
  assert.deepEqual(b.dates, ['2020-01-02', '2020-01-03', '2020-01-06']);
  // columns are in yfinance order (Adj Close, Close, High, Low, Open, Volume)
  assert.deepEqual([...b.adjClose], [72.71, 72.01, 72.58]);
  assert.deepEqual([...b.close], [75.09, 74.36, 74.95]);
  assert.deepEqual([...b.open], [74.06, 74.29, 73.45]);
  assert.deepEqual([...b.volume], [135480400, 146322800, 118387200]);
});

test('yfinance multi-ticker file: one table per ticker; --ticker selects', () => {
  const both = importYahoo({ inputs: [yahoo('yfinance-two.csv')] }).dataset;
  assert.deepEqual([...both.bars.keys()], ['AAPL', 'MSFT']);
  assert.deepEqual([...both.bars.get('MSFT')!.close], [160.62, 158.62]);
  assert.ok(Number.isNaN(both.bars.get('MSFT')!.adjClose[0]));
  const msft = importYahoo({ inputs: [yahoo('yfinance-two.csv')], ticker: 'MSFT' }).dataset;
  assert.deepEqual([...msft.bars.keys()], ['MSFT']);
  assert.throws(
    () => importYahoo({ inputs: [yahoo('yfinance-two.csv')], ticker: 'MSFT,NVDA' }),
    (e: Error) => e instanceof UsageError && e.message === '--ticker: NVDA not found in the input',
  );
});

test('DJIA-style file: ticker from the Name column, missing OHLC cells kept as gaps', () => {
  const { dataset } = importYahoo({ inputs: [yahoo('djia-style.csv')] });
  const b = dataset.bars.get('IBM')!;
  assert.deepEqual(b.dates, ['2017-07-28', '2017-07-31', '2017-08-01']);
  assert.ok(Number.isNaN(b.open[1]) && Number.isNaN(b.low[1]));
  assert.equal(b.high[1], 144.93);
  assert.ok(b.adjClose.every(Number.isNaN));
  assert.deepEqual(dataset.meta.tickers.IBM, { priceBasis: 'raw', hasOhlc: true, hasVolume: true });
});

test('bad arguments are usage errors', () => {
  assert.throws(() => importYahoo({ inputs: [yahoo('nope.csv')] }), UsageError);
  assert.throws(() => importYahoo({ inputs: [] }), UsageError);
  assert.throws(() => importYahoo({ inputs: [yahoo('AAPL.csv')], ticker: '../x' }), UsageError);
});
