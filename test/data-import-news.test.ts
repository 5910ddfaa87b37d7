// FNSPID and StockNet importers (prices + news/tweets) on hand-made fixtures.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fnspidTimestamp, titleFromUrl } from '../src/data/import/fnspid.ts';
import { importFnspid, importStocknet } from '../src/data/import/index.ts';
import { twitterTimestamp } from '../src/data/import/stocknet.ts';
import { FIX, issuesOf, showIssue } from './helpers/data-issues.ts';

test('FNSPID / Nasdaq date cells: wall clock with its stated zone, bare dates kept bare', () => {
  assert.deepEqual(fnspidTimestamp('January 25, 2024 — 03:33 am EST'), { at: '2024-01-25T03:33:00-05:00' });
  assert.deepEqual(fnspidTimestamp('February 02, 2024 — 12:05 pm EST'), { at: '2024-02-02T12:05:00-05:00' });
  assert.deepEqual(fnspidTimestamp('January 01, 2024 — 12:05 am EST'), { at: '2024-01-01T00:05:00-05:00' });
  assert.deepEqual(fnspidTimestamp('FEB 2, 2024 9:32AM EST'), { at: '2024-02-02T09:32:00-05:00' });
  assert.deepEqual(fnspidTimestamp('JUL 4, 2023 4:05PM EDT'), { at: '2023-07-04T16:05:00-04:00' });
  assert.deepEqual(fnspidTimestamp('DEC 18, 2023'), { at: '2023-12-18' });
  assert.match(fnspidTimestamp('5 DAYS AGO').error!, /^relative date "5 DAYS AGO" cannot be placed in time/);
  assert.match(fnspidTimestamp('FEB 30, 2024').error!, /^not a valid date/);
  assert.match(fnspidTimestamp('Janx 3, 2024').error!, /^not a valid date/);
});

test("FNSPID's '+00:00' labels are Eastern wall clock shifted the wrong way: label + 2 x offset", () => {
  // data_processor.md: "January 17, 2024 — 08:52 am EST" was preprocessed to "2024-01-17 03:52:00+00:00"
  assert.deepEqual(fnspidTimestamp('2024-01-17 03:52:00+00:00'), { at: '2024-01-17T08:52:00-05:00' });
  // summer (EDT, UTC-4): 8 hours
  assert.deepEqual(fnspidTimestamp('2023-07-10 06:15:00+00:00'), { at: '2023-07-10T10:15:00-04:00' });
  // late-evening label rolls into the next day
  assert.deepEqual(fnspidTimestamp('2023-12-31 21:00:00+00:00'), { at: '2024-01-01T02:00:00-05:00' });
});

test('titleFromUrl: the slug, percent-decoded, dashes to spaces', () => {
  assert.equal(titleFromUrl('https://www.nasdaq.com/articles/xyz-%24100-target'), 'xyz $100 target');
  assert.equal(titleFromUrl('https://www.nasdaq.com/articles/why-alcoa-soared/'), 'why alcoa soared');
});

const NEWS_FILE = join(FIX, 'fnspid', 'xyz_nasdaq_articles.csv');
const NEWS_BAD = [
  'fnspid/xyz_nasdaq_articles.csv:7 [Date]: relative date "5 DAYS AGO" cannot be placed in time (the source gives no reference date)',
  'fnspid/xyz_nasdaq_articles.csv:8 [Date]: unparseable date "2" (expected e.g. "January 25, 2024 — 03:33 am EST", "DEC 18, 2023")',
  `fnspid/xyz_nasdaq_articles.csv:9 [Url]: duplicate article (same Url as ${NEWS_FILE}:2)`,
  'fnspid/xyz_nasdaq_articles.csv:10 [Date]: not a valid date: "FEB 30, 2024"',
];

test('FNSPID news: every bad row reported with its line (multi-line quoted text counted right)', () => {
  assert.deepEqual(
    issuesOf(() => importFnspid({ inputs: [NEWS_FILE] })),
    NEWS_BAD,
  );
});

test('FNSPID news with --skip-invalid: items, ticker from file name, bodies, placeholder text dropped', () => {
  const { dataset, report } = importFnspid({ inputs: [NEWS_FILE], skipInvalid: true });
  assert.deepEqual(
    dataset.news.map((n) => [n.publishedAt, n.headline, n.body, n.tickers.join()]),
    [
      ['2023-07-04T16:05:00-04:00', 'xyz summer note', 'Summer note.', 'XYZ'],
      ['2023-12-18', 'xyz year end outlook', undefined, 'XYZ'], // Text "0" with Mark 0: no article text
      ['2024-01-25T03:33:00-05:00', 'xyz beats estimates', 'XYZ beat estimates.\nShares rose.', 'XYZ'],
      ['2024-02-02T09:32:00-05:00', 'xyz $100 target', 'Analysts raise target.', 'XYZ'],
    ],
  );
  assert.equal(dataset.news[0].id, 'fnspid-XYZ-nasdaq.com/articles/xyz-summer-note');
  assert.equal(dataset.news[0].source, 'nasdaq');
  assert.equal(new Date(dataset.news[1].publishedMs).toISOString(), '2023-12-19T04:59:59.999Z');
  assert.deepEqual(dataset.meta.skipped, { [NEWS_FILE]: 4 });
  assert.deepEqual(report.skipped.map(showIssue), NEWS_BAD);
  assert.deepEqual(report.warnings.map(showIssue), ['fnspid/xyz_nasdaq_articles.csv:1: column(s) not imported: Mark']);
});

test('FNSPID folder: prices (date-times, sentiment columns left out) and summarized news together', () => {
  const { dataset, report } = importFnspid({ inputs: [join(FIX, 'fnspid')], skipInvalid: true });
  const b = dataset.bars.get('XYZ')!;
  assert.deepEqual(b.dates, ['2024-01-16', '2024-01-17', '2024-01-18']);
  assert.deepEqual([...b.volume], [1000, 1200, 900]);
  assert.deepEqual([...b.adjClose], [10.1, 10.7, 10.8]);
  assert.ok(
    report.warnings
      .map(showIssue)
      .includes('fnspid/XYZ.csv:1: column(s) not imported: Sentiment_gpt, News_flag, Scaled_sentiment'),
  );
  const summarized = dataset.news.filter((n) => n.body === 'Futures slip.' || n.body === 'July news.');
  assert.deepEqual(
    summarized.map((n) => n.publishedAt),
    ['2023-07-10T10:15:00-04:00', '2024-01-17T08:52:00-05:00'],
  );
  assert.equal(dataset.news.length, 6);
});

test('twitterTimestamp: created_at with its offset', () => {
  assert.equal(twitterTimestamp('Sun Jan 05 05:00:07 +0000 2014'), '2014-01-05T05:00:07+00:00');
  assert.equal(twitterTimestamp('Mon Jan 06 15:00:00 -0500 2014'), '2014-01-06T15:00:00-05:00');
  assert.equal(twitterTimestamp('Mon Feb 30 15:00:00 +0000 2014'), undefined);
  assert.equal(twitterTimestamp('2014-01-04 10:00'), undefined);
});

const SN = join(FIX, 'stocknet');

test('StockNet root: null price row and bad tweets are all reported', () => {
  assert.deepEqual(
    issuesOf(() => importStocknet({ inputs: [SN] })),
    [
      'stocknet/price_raw/XYZ.csv:4 [*]: every value is null (a placeholder row without prices); rerun with --skip-invalid to skip such rows',
      'stocknet/tweets_raw_text/XYZ.jsonl:3 [created_at]: unparseable timestamp "2014-01-04 10:00" (expected "Sun Jan 05 05:00:07 +0000 2014")',
      'stocknet/tweets_raw_text/XYZ.jsonl:5 [text]: missing or empty tweet text',
    ],
  );
});

test('StockNet with --skip-invalid: tweets as news, repeats merged, tickers united', () => {
  const { dataset, report } = importStocknet({ inputs: [SN], skipInvalid: true });
  assert.deepEqual(dataset.bars.get('XYZ')!.dates, ['2014-01-02', '2014-01-03', '2014-01-07']);
  assert.deepEqual([...dataset.bars.get('ABC')!.adjClose], [18.1, 18.6]);
  assert.deepEqual(
    dataset.news.map((n) => [n.id, n.publishedAt, n.tickers, n.headline, n.source]),
    [
      ['twitter-100', '2014-01-03T14:30:00+00:00', ['XYZ'], '$XYZ up on volume', 'twitter'],
      ['twitter-102', '2014-01-05T21:00:00+00:00', ['ABC', 'XYZ'], '$XYZ $ABC both mentioned', 'twitter'],
      ['twitter-104', '2014-01-06T15:00:00-05:00', ['ABC'], '$ABC offset tweet', 'twitter'],
    ],
  );
  assert.deepEqual(report.warnings.map(showIssue), [
    `stocknet/tweets_raw_text/XYZ.jsonl:2 [id_str]: tweet 100 repeated (first at ${join(SN, 'tweets_raw_text', 'XYZ.jsonl')}:1); kept once`,
  ]);
  assert.deepEqual(dataset.meta.skipped, {
    [join(SN, 'price_raw', 'XYZ.csv')]: 1,
    [join(SN, 'tweets_raw_text', 'XYZ.jsonl')]: 2,
  });
});

test('StockNet --ticker selects one ticker: its prices and its tweets only', () => {
  const { dataset } = importStocknet({ inputs: [SN], ticker: 'ABC' });
  assert.deepEqual([...dataset.bars.keys()], ['ABC']);
  assert.deepEqual(
    dataset.news.map((n) => [n.id, n.tickers]),
    [
      ['twitter-102', ['ABC']],
      ['twitter-104', ['ABC']],
    ],
  );
});
