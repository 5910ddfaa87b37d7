// INVESTORBENCH importer on hand-made fixtures (the real files are checked in data-import-real.test.ts).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../src/data/errors.ts';
import { headlineOf } from '../src/data/import/common.ts';
import { importInvestorbench } from '../src/data/import/index.ts';
import { scanJsonLines } from '../src/data/import/json-lines.ts';
import { FIX, issuesOf, showIssue } from './helpers/data-issues.ts';

const ib = (name: string) => join(FIX, 'investorbench', name);

test('prices are adjusted-only: close = adj_close = price, no OHLC or volume', () => {
  const { dataset } = importInvestorbench({ inputs: [ib('tiny.json')] });
  assert.deepEqual([...dataset.bars.keys()], ['TINY']);
  const b = dataset.bars.get('TINY')!;
  assert.deepEqual(b.dates, ['2020-03-12', '2020-03-13', '2020-03-16']);
  assert.deepEqual([...b.close], [133.5, 152.25, 126.5]);
  assert.deepEqual([...b.adjClose], [133.5, 152.25, 126.5]);
  for (const col of [b.open, b.high, b.low, b.volume]) assert.ok(col.every(Number.isNaN));
  assert.deepEqual(dataset.meta.tickers.TINY, { priceBasis: 'adjusted-only', hasOhlc: false, hasVolume: false });
  assert.equal(dataset.meta.calendar.timezone, 'America/New_York');
});

test('news carry their bare date, resolved to the end of that day in New York', () => {
  const { dataset } = importInvestorbench({ inputs: [ib('tiny.json')], ticker: 'MSFT' });
  assert.deepEqual(
    dataset.news.map((n) => [n.id, n.publishedAt, new Date(n.publishedMs).toISOString(), n.headline, n.tickers]),
    [
      [
        'investorbench-MSFT-2020-03-13-0000',
        '2020-03-13',
        '2020-03-14T03:59:59.999Z', // 23:59:59.999 EDT (UTC-4 since 2020-03-08)
        'Microsoft shares rallied.',
        ['MSFT'],
      ],
      [
        'investorbench-MSFT-2020-03-13-0001',
        '2020-03-13',
        '2020-03-14T03:59:59.999Z',
        'A second item without a full stop',
        ['MSFT'],
      ],
      [
        'investorbench-MSFT-2020-03-16-0000',
        '2020-03-16',
        '2020-03-17T03:59:59.999Z',
        'Markets fell sharply on Monday.',
        ['MSFT'],
      ],
    ],
  );
  assert.equal(dataset.news[0].body, 'Microsoft shares rallied. Analysts cited cloud demand.');
  assert.equal(dataset.news[0].source, 'investorbench');
});

test('10k / 10q become 10-K / 10-Q filings filed on that date', () => {
  const { dataset } = importInvestorbench({ inputs: [ib('tiny.json')], ticker: 'MSFT' });
  assert.deepEqual(
    dataset.filings.map((f) => [f.id, f.form, f.filedAt, f.summary]),
    [
      ['investorbench-MSFT-10-Q-2020-03-13-0', '10-Q', '2020-03-13', 'The Form 10-Q reports revenue growth.'],
      ['investorbench-MSFT-10-K-2020-03-16-0', '10-K', '2020-03-16', 'The Form 10-K covers fiscal 2019.'],
    ],
  );
});

const BAD = [
  'investorbench/bad.json.txt:7 [prices]: not a number: "152.25"',
  'investorbench/bad.json.txt:11 [prices]: null value (the source has no price on this day; rerun with --skip-invalid to skip such rows)',
  'investorbench/bad.json.txt:15 [prices]: non-positive price -3',
  'investorbench/bad.json.txt:18 [news[1]]: expected a string, found 42',
  'investorbench/bad.json.txt:21 [2020-03-18]: date 2020-03-18 appears 2 times (lines 21, 25); JSON keeps only the last',
  'investorbench/bad.json.txt:25 [2020-03-18]: date 2020-03-18 appears 2 times (lines 21, 25); JSON keeps only the last',
  'investorbench/bad.json.txt:29 [date]: dates not ascending: 2020-03-10 after 2020-03-12',
  'investorbench/bad.json.txt:33 [date]: not a YYYY-MM-DD date: "2020-02-30"',
];

test('bad days: every problem with its JSON line (duplicate keys that JSON.parse would hide included)', () => {
  assert.deepEqual(
    issuesOf(() => importInvestorbench({ inputs: [ib('bad.json.txt')], ticker: 'BAD' })),
    BAD,
  );
});

test('--skip-invalid drops bad days (a day with two problems counts once) and warns on unknown keys', () => {
  const { dataset, report } = importInvestorbench({ inputs: [ib('bad.json.txt')], ticker: 'BAD', skipInvalid: true });
  assert.deepEqual(dataset.bars.get('BAD')!.dates, ['2020-03-12', '2020-03-19']);
  assert.deepEqual(
    dataset.news.map((n) => n.headline),
    ['good day'],
  );
  assert.deepEqual(dataset.meta.skipped, { [ib('bad.json.txt')]: 7 });
  assert.deepEqual(report.skipped.map(showIssue), BAD);
  assert.deepEqual(report.warnings.map(showIssue), [
    'investorbench/bad.json.txt: key(s) not imported: sentiment (known: prices, news, 10k, 10q)',
  ]);
});

test('a JSON syntax error names its line', () => {
  const issues = issuesOf(() => importInvestorbench({ inputs: [ib('broken.json.txt')], ticker: 'X' }));
  assert.equal(issues.length, 1);
  assert.match(issues[0], /^investorbench\/broken\.json\.txt:6: invalid JSON: /);
});

test('crypto: 24-hour UTC calendar, bare dates end at 24:00 UTC', () => {
  const { dataset } = importInvestorbench({ inputs: [ib('btc.json')] });
  assert.deepEqual(dataset.meta.calendar, { timezone: 'UTC', open: '00:00', close: '24:00' });
  assert.deepEqual(dataset.bars.get('BTC')!.dates, ['2023-01-06', '2023-01-07', '2023-01-08']);
  assert.equal(new Date(dataset.news[0].publishedMs).toISOString(), '2023-01-06T23:59:59.999Z');
});

test('stocks and crypto in one import: refused, unless a calendar is forced', () => {
  assert.throws(
    () => importInvestorbench({ inputs: [ib('tiny.json'), ib('btc.json')] }),
    (e: Error) =>
      e instanceof UsageError && /BTC trade\(s\) every day .* TINY follow\(s\) the NYSE calendar/.test(e.message),
  );
  const { dataset } = importInvestorbench({ inputs: [ib('tiny.json'), ib('btc.json')], calendar: 'nyse' });
  assert.deepEqual([...dataset.bars.keys()], ['BTC', 'TINY']);
});

test('headlineOf: first sentence, cut at a word boundary', () => {
  assert.equal(headlineOf('Shares rose. Then fell.'), 'Shares rose.');
  assert.equal(headlineOf('  no   stop here '), 'no stop here');
  assert.equal(headlineOf('word '.repeat(60), 20), 'word word word word…');
});

test('scanJsonLines: key and element lines, duplicates kept in order', () => {
  const text = '{\n  "a": {\n    "x": [1,\n      2]\n  },\n  "a": 3,\n  "b\\"c": "s"\n}';
  const m = scanJsonLines(text);
  assert.deepEqual(m.topKeys, [
    { key: 'a', line: 2 },
    { key: 'a', line: 6 },
    { key: 'b"c', line: 7 },
  ]);
  assert.equal(m.lineOf(['a', 'x']), 3);
  assert.equal(m.lineOf(['a', 'x', 0]), 3);
  assert.equal(m.lineOf(['a', 'x', 1]), 4);
});
