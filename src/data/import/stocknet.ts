// StockNet (Xu & Cohen, ACL 2018) -> Dataset.
// Layouts accepted for --in:
// - the dataset root: prices from `price_raw/` (or the original repo's `price/raw/`), tweets from
//   `tweets_raw_text/<TICKER>.jsonl` (or the original `tweet/raw/<TICKER>/<date>` day files);
// - a price CSV (Yahoo layout, basis 'raw' with Adj Close), a tweets `.jsonl` file, or a directory of either.
// Tweets become news: source 'twitter', tickers [ticker], headline = the tweet text, published_at = `created_at`
// (`Sun Jan 05 05:00:07 +0000 2014`) as ISO 8601 with its offset. The same tweet (same id_str) listed again (StockNet
// files it under every day it was collected, and under every ticker it mentions) becomes one item whose tickers
// are the union; a repeat within one ticker is a warning, a repeat whose text or time differs is an error.
// Ticker: from the file or folder name (or the record's `ticker`), unless --ticker names it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UsageError } from '../errors.ts';
import type { NewsItem } from '../types.ts';
import {
  createContext,
  finishImport,
  guard,
  type ImportContext,
  type ImportOptions,
  type ImportResult,
  listFiles,
  readText,
  reject,
  resolveTicker,
  stripBom,
  tickerFromFileName,
  timestampError,
  warn,
} from './common.ts';
import { importYahooFile } from './yahoo.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Twitter's `created_at` (`Sun Jan 05 05:00:07 +0000 2014`) as ISO 8601 with offset, or undefined. */
export function twitterTimestamp(s: string): string | undefined {
  const m =
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2}) (\d{4})$/.exec(
      s.trim(),
    );
  const mo = m ? MONTHS.indexOf(m[2]) : -1;
  if (!m || mo < 0) return undefined;
  const iso = `${m[7]}-${String(mo + 1).padStart(2, '0')}-${m[3]}T${m[4]}${m[5]}:${m[6]}`;
  return timestampError(iso) ? undefined : iso;
}

interface TweetSeen {
  item: NewsItem;
  file: string;
  line: number;
}

/** Tweets by id_str across all files of this import (for merging repeats). */
type TweetIndex = Map<string, TweetSeen>;

function importTweetLines(ctx: ImportContext, seen: TweetIndex, file: string, derivedTicker: string): void {
  const text = guard(ctx, () => readText(ctx, file));
  if (text === undefined) return;
  const lines = stripBom(ctx, file, text).split('\n');
  let any = false;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (!s) return;
    any = true;
    let rec: Record<string, unknown>;
    try {
      const v = JSON.parse(s);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
      rec = v;
    } catch (e) {
      reject(ctx, [{ file, line, reason: `invalid JSON: ${(e as Error).message}` }]);
      return;
    }
    const issues: { file: string; line: number; field: string; reason: string }[] = [];
    const at = (field: string, reason: string) => issues.push({ file, line, field, reason });
    const id = rec.id_str;
    const created = rec.created_at;
    const body = rec.text;
    if (typeof id !== 'string' || !/^\d+$/.test(id))
      at('id_str', `expected a numeric string, found ${JSON.stringify(id)}`);
    const publishedAt = typeof created === 'string' ? twitterTimestamp(created) : undefined;
    if (!publishedAt)
      at('created_at', `unparseable timestamp ${JSON.stringify(created)} (expected "Sun Jan 05 05:00:07 +0000 2014")`);
    if (typeof body !== 'string' || !body.trim()) at('text', 'missing or empty tweet text');
    const recTicker = typeof rec.ticker === 'string' && rec.ticker.trim() ? rec.ticker : derivedTicker;
    if (issues.length) {
      reject(ctx, issues);
      return;
    }
    const ticker = resolveTicker(ctx, recTicker);
    if (!ticker) return;
    const prev = seen.get(id as string);
    if (prev) {
      if (prev.item.publishedAt !== publishedAt || prev.item.headline !== (body as string).trim()) {
        reject(ctx, [
          {
            file,
            line,
            field: 'id_str',
            reason: `tweet ${id} also at ${prev.file}:${prev.line} with other text or time`,
          },
        ]);
        return;
      }
      if (prev.item.tickers.includes(ticker))
        warn(ctx, {
          file,
          line,
          field: 'id_str',
          reason: `tweet ${id} repeated (first at ${prev.file}:${prev.line}); kept once`,
        });
      else prev.item.tickers = [...prev.item.tickers, ticker].sort();
      return;
    }
    const item: NewsItem = {
      id: `twitter-${id}`,
      publishedAt: publishedAt!,
      publishedMs: Number.NaN,
      tickers: [ticker],
      headline: (body as string).trim(),
      body: undefined,
      source: 'twitter',
    };
    seen.set(id as string, { item, file, line });
    ctx.news.push(item);
  });
  if (!any) ctx.errors.push({ file, reason: 'empty file (no tweets)' });
}

/** The original repo's `tweet/raw/<TICKER>/` folder of day files (no extension). */
function importTweetDayFolder(ctx: ImportContext, seen: TweetIndex, dir: string): void {
  const ticker = basename(dir).toUpperCase();
  for (const f of readdirSync(dir).sort())
    if (statSync(join(dir, f)).isFile()) importTweetLines(ctx, seen, join(dir, f), ticker);
}

function firstExisting(root: string, candidates: string[]): string | undefined {
  return candidates.map((c) => join(root, c)).find((p) => existsSync(p) && statSync(p).isDirectory());
}

/** Import StockNet prices and tweets (dataset root, or price CSVs / tweet JSONL files or folders of them). */
export function importStocknet(opts: ImportOptions): ImportResult {
  const ctx = createContext('stocknet', opts);
  ctx.notes.push('tweets are news items (source twitter); a tweet filed under several days or tickers is one item');
  const seen: TweetIndex = new Map();
  const importPath = (p: string, inDirectory = true) => {
    // In a folder, a file of a ticker that --ticker does not select is not even read.
    if (inDirectory && ctx.filter && !ctx.filter.has(tickerFromFileName(p))) return;
    const ext = extname(p).toLowerCase();
    if (ext === '.csv') importYahooFile(ctx, p);
    else if (ext === '.jsonl' || ext === '.json') importTweetLines(ctx, seen, p, tickerFromFileName(p));
    else ctx.errors.push({ file: p, reason: 'expected a price .csv or a tweets .jsonl file' });
  };
  for (const input of opts.inputs) {
    if (!statSync(input).isDirectory()) {
      importPath(input, false);
      continue;
    }
    const priceDir = firstExisting(input, ['price_raw', join('price', 'raw')]);
    const tweetDir = firstExisting(input, ['tweets_raw_text', join('tweet', 'raw')]);
    if (priceDir || tweetDir) {
      if (priceDir) for (const f of listFiles(priceDir, ['.csv'])) importPath(f);
      if (tweetDir) {
        const jsonl = listFiles(tweetDir, ['.jsonl']);
        if (jsonl.length) for (const f of jsonl) importPath(f);
        else
          for (const d of readdirSync(tweetDir).sort())
            if (statSync(join(tweetDir, d)).isDirectory() && (!ctx.filter || ctx.filter.has(d.toUpperCase())))
              importTweetDayFolder(ctx, seen, join(tweetDir, d));
      }
      continue;
    }
    const files = listFiles(input, ['.csv', '.jsonl']);
    if (files.length === 0) throw new UsageError(`--in: ${input} holds no StockNet price .csv or tweet .jsonl files`);
    for (const f of files) importPath(f);
  }
  return finishImport(ctx);
}
