// The importers on the real public files in ../shared (skipped when it is absent). Expected counts come from each
// source's PROVENANCE.md.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDataset } from '../src/data/dataset.ts';
import { DataError } from '../src/data/errors.ts';
import {
  importFnspid,
  importInvestorbench,
  importStocknet,
  importYahoo,
  writeImportedDataset,
} from '../src/data/import/index.ts';

const repoRoot = join(import.meta.dirname, '..');
const SHARED = join(repoRoot, '..', 'shared', 'data');
const skip = !existsSync(SHARED) && 'needs ../shared (public data, not part of the repo)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-import-real-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// asset: [days, first, last, news items, 10-K, 10-Q] (investorbench/PROVENANCE.md)
const INVESTORBENCH: Record<string, [number, string, string, number, number, number]> = {
  HON: [291, '2020-03-12', '2021-05-06', 444, 1, 4],
  JNJ: [291, '2020-03-12', '2021-05-06', 910, 1, 4],
  MSFT: [291, '2020-03-12', '2021-05-06', 3636, 1, 4],
  NFLX: [234, '2020-03-12', '2021-05-06', 481, 1, 4],
  UVV: [291, '2020-03-12', '2021-05-06', 640, 1, 3],
  BTC: [386, '2022-11-29', '2023-12-19', 4966, 0, 0],
  ETH: [318, '2022-12-02', '2023-12-19', 1067, 0, 0],
};

for (const [asset, [days, first, last, news, k10, q10]] of Object.entries(INVESTORBENCH))
  test(`investorbench ${asset}: ${days} days ${first}..${last}, ${news} news, ${k10} 10-K, ${q10} 10-Q`, {
    skip,
  }, () => {
    const file = join(SHARED, 'investorbench', 'raw_json', `${asset.toLowerCase()}.json`);
    const { dataset, report } = importInvestorbench({ inputs: [file] });
    const b = dataset.bars.get(asset)!;
    assert.equal(b.dates.length, days);
    assert.equal(b.dates[0], first);
    assert.equal(b.dates[b.dates.length - 1], last);
    assert.equal(dataset.news.length, news);
    assert.equal(dataset.filings.filter((f) => f.form === '10-K').length, k10);
    assert.equal(dataset.filings.filter((f) => f.form === '10-Q').length, q10);
    assert.equal(dataset.meta.calendar.timezone, asset === 'BTC' || asset === 'ETH' ? 'UTC' : 'America/New_York');
    assert.deepEqual(report, { skipped: [], warnings: [] });
  });

test('investorbench MSFT: written, read back, first price is the adjusted close 133.639...', { skip }, () => {
  const out = join(tmp, 'msft');
  const file = join(SHARED, 'investorbench', 'raw_json', 'msft.json');
  const { dataset } = importInvestorbench({ inputs: [file] });
  const back = writeImportedDataset(out, dataset);
  assert.deepStrictEqual(back, dataset);
  const b = loadDataset(out).dataset.bars.get('MSFT')!;
  assert.equal(b.close[0], 133.63912963867188);
  assert.equal(b.adjClose[0], 133.63912963867188);
  assert.equal(dataset.meta.tickers.MSFT.priceBasis, 'adjusted-only');
});

test('Yahoo AAPL and SPY (dieperdev / AnsorK): row counts and first/last values', { skip }, () => {
  const y = join(SHARED, 'prices-daily-yahoo');
  const { dataset } = importYahoo({
    inputs: [join(y, 'stocks_dieperdev', 'AAPL.csv'), join(y, 'spy_AnsorK', 'SPY.csv')],
  });
  const aapl = dataset.bars.get('AAPL')!;
  assert.equal(aapl.dates.length, 6084);
  assert.deepEqual([aapl.dates[0], aapl.close[0], aapl.adjClose[0]], ['2000-01-03', 0.999442, 0.846127]);
  assert.equal(aapl.dates[6083], '2024-03-08');
  const spy = dataset.bars.get('SPY')!;
  assert.equal(spy.dates.length, 7833);
  assert.equal(spy.dates[0], '1993-01-29');
});

test('Yahoo BTC-USD trades every day: 24-hour UTC calendar', { skip }, () => {
  const { dataset } = importYahoo({ inputs: [join(SHARED, 'prices-daily-yahoo', 'btc_usd_BheZelmat', 'BTC-USD.csv')] });
  assert.equal(dataset.bars.get('BTC-USD')!.dates.length, 3484);
  assert.deepEqual(dataset.meta.calendar, { timezone: 'UTC', open: '00:00', close: '24:00' });
});

test('DJIA-30 AAPL (Google Finance): 2 rows with open outside [low, high] are reported, then skippable', {
  skip,
}, () => {
  const file = join(SHARED, 'djia30-2006-2017', 'AAPL_2006-01-01_to_2018-01-01.csv');
  assert.throws(
    () => importYahoo({ inputs: [file] }),
    (e: Error) =>
      e instanceof DataError && e.issues.map((i) => `${i.line} ${i.field}`).join() === '1406 open,2347 open',
  );
  const { dataset } = importYahoo({ inputs: [file], skipInvalid: true });
  assert.equal(dataset.bars.get('AAPL')!.dates.length, 3019 - 2);
  assert.deepEqual(dataset.meta.skipped, { [file]: 2 });
});

test('StockNet AAPL: 1,258 days, 20,850 tweets of which 27 repeats merged (warned)', { skip }, () => {
  const { dataset, report } = importStocknet({ inputs: [join(SHARED, 'stocknet')], ticker: 'AAPL' });
  assert.deepEqual([...dataset.bars.keys()], ['AAPL']);
  assert.equal(dataset.bars.get('AAPL')!.dates.length, 1258);
  assert.equal(dataset.news.length, 20850 - 27);
  assert.equal(report.warnings.length, 27);
  // filed under day 2014-01-01 (UTC collection day) but sent on Dec 31
  assert.equal(dataset.news[0].publishedAt, '2013-12-31T23:10:08+00:00');
  assert.ok(dataset.news.every((n) => n.source === 'twitter' && n.tickers.join() === 'AAPL'));
});

test("StockNet PTR: Yahoo's all-null row fails the import with a hint, and is skipped with the flag", { skip }, () => {
  const file = join(SHARED, 'stocknet', 'price_raw', 'PTR.csv');
  assert.throws(
    () => importStocknet({ inputs: [file] }),
    (e: Error) =>
      e instanceof DataError &&
      e.issues.length === 1 &&
      e.issues[0].line === 962 &&
      e.issues[0].reason.includes('--skip-invalid'),
  );
  const { dataset } = importStocknet({ inputs: [file], skipInvalid: true });
  assert.equal(dataset.bars.get('PTR')!.dates.length, 1257);
});

test('FNSPID AAPL articles: 42 bad rows listed; with the flag 862 articles, EST stamps kept', { skip }, () => {
  const file = join(SHARED, 'fnspid-samples', 'news', 'aapl_nasdaq_articles.csv');
  try {
    importFnspid({ inputs: [file] });
    assert.fail('expected a DataError');
  } catch (e) {
    assert.ok(e instanceof DataError);
    // 35 "N DAYS AGO", 6 stray values ("2", "0"), 1 duplicate URL
    assert.equal(e.issues.length, 42);
    assert.equal(e.issues.filter((i) => i.reason.startsWith('relative date')).length, 35);
    assert.equal(e.issues.filter((i) => i.reason.startsWith('duplicate article')).length, 1);
  }
  const { dataset, report } = importFnspid({ inputs: [file], skipInvalid: true });
  assert.equal(dataset.news.length, 904 - 42);
  assert.ok(report.warnings.some((w) => w.reason.startsWith('byte order mark')));
  const first = dataset.news.find((n) => n.id.includes('zacks-earnings-trends-highlights%3A-amazon-alpha'))!;
  assert.equal(first.publishedAt, '2024-01-25T03:33:00-05:00');
});

test("FNSPID AA summarized: the documented article is placed at 08:52 EST, not the label's 03:52", { skip }, () => {
  const file = join(SHARED, 'fnspid-samples', 'news', 'AA_summarized.csv');
  const { dataset } = importFnspid({ inputs: [file] });
  assert.equal(dataset.news.length, 1502);
  const item = dataset.news.find((n) => n.id.includes('sp-futures-slip-ahead-of-key-u.s.-retail-sales-data'))!;
  assert.equal(item.publishedAt, '2024-01-17T08:52:00-05:00');
});

test('FNSPID GOOG with sentiment: spliced 20:1 series is warned about at 2020-07-06', { skip }, () => {
  const file = join(SHARED, 'fnspid-samples', 'price_with_gpt_sentiment', 'GOOG.csv');
  const { dataset, report } = importFnspid({ inputs: [file] });
  assert.equal(dataset.bars.get('GOOG')!.dates.length, 1225);
  const jumps = report.warnings.filter((w) => w.reason.startsWith('price moves'));
  assert.equal(jumps.length, 1);
  assert.ok(jumps[0].reason.startsWith('price moves ×0.0511 from 2020-07-02 to 2020-07-06'));
  assert.equal(jumps[0].line, 357);
});
