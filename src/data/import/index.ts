// Entry points of the importers: pick one by format, write the result as a dataset directory and read it back.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, writeDataset } from '../dataset.ts';
import { UsageError } from '../errors.ts';
import type { Dataset } from '../types.ts';
import { IMPORT_FORMATS, type ImportFormat, type ImportOptions, type ImportResult } from './common.ts';
import { importFnspid } from './fnspid.ts';
import { importInvestorbench } from './investorbench.ts';
import { importStocknet } from './stocknet.ts';
import { importYahoo } from './yahoo.ts';

export { IMPORT_FORMATS, type ImportFormat, type ImportOptions, type ImportResult } from './common.ts';
export { importFnspid, importInvestorbench, importStocknet, importYahoo };

const IMPORTERS: Record<ImportFormat, (opts: ImportOptions) => ImportResult> = {
  yahoo: importYahoo,
  investorbench: importInvestorbench,
  fnspid: importFnspid,
  stocknet: importStocknet,
};

export function isImportFormat(s: string): s is ImportFormat {
  return (IMPORT_FORMATS as readonly string[]).includes(s);
}

/** Read a source into an in-memory Dataset. Throws DataError (listing every problem) or UsageError. */
export function importDataset(format: ImportFormat, opts: ImportOptions): ImportResult {
  return IMPORTERS[format](opts);
}

/** What a dataset directory holds (removed before rewriting with `force`). */
const DATASET_ENTRIES = ['dataset.json', 'bars', 'news.jsonl', 'filings.jsonl', 'macro', 'fundamentals.csv'];

/**
 * Write `ds` to `dir` and read it back with loadDataset (so the written files are proven valid). Refuses to write
 * over an existing dataset unless `force`, which first removes the old dataset's files (and only those).
 */
export function writeImportedDataset(dir: string, ds: Dataset, opts: { force?: boolean } = {}): Dataset {
  if (existsSync(join(dir, 'dataset.json'))) {
    if (!opts.force)
      throw new UsageError(`--out: ${dir} already holds a dataset (dataset.json); use --force to replace it`);
    for (const e of DATASET_ENTRIES) rmSync(join(dir, e), { recursive: true, force: true });
  }
  writeDataset(dir, ds);
  return loadDataset(dir).dataset;
}
