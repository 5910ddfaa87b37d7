// A FinRLlama run directory: what data it used, the train / held-out split, and each variant's scores.
//   RUN/config.json           RunConfig (below)
//   RUN/scores/<variant>.jsonl one ScoreRecord per line ({date, ticker, score, failed, completion, headlines, seed})
// Training (when present) adds its checkpoints and curves beside these; `finrllama eval --run RUN` reads only these two.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadDataset } from '../../data/dataset.ts';
import { DataError, type DataIssue, UsageError } from '../../data/errors.ts';
import { tradingDates } from '../../data/pit.ts';
import { generateMarket, parseSynthConfig, QUICK_SYNTH_CONFIG, type SynthConfigInput } from '../../data/synth/index.ts';
import { isIsoDate } from '../../data/time.ts';
import type { Dataset, IsoDate } from '../../data/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.ts';
import type { ScoreRecord } from './score.ts';

const isoDate = z.string().refine(isIsoDate, 'expected YYYY-MM-DD');

export const DataSourceSchema = z.union([
  z.strictObject({ dir: z.string().min(1) }),
  z.strictObject({
    synth: z.strictObject({
      seed: z.number().int().min(0),
      quick: z.boolean().default(true),
      /** Fields of the synthetic market's config over QUICK (or the default) (parseSynthConfig checks them). */
      config: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
]);
export type DataSource = z.output<typeof DataSourceSchema>;

export const RunConfigSchema = z.strictObject({
  format: z.literal('rlmf-finrllama-run/1'),
  data: DataSourceSchema,
  /** Training decisions [trainFrom, trainTo]; held-out (evaluation) decisions [testFrom, testTo]. */
  split: z.strictObject({ trainFrom: isoDate, trainTo: isoDate, testFrom: isoDate, testTo: isoDate }),
  tickers: z.array(z.string().min(1)).optional(),
  signalStrength: z.number().int().min(3).default(10),
  lookahead: z.number().int().min(1).default(3),
  seed: z.number().int().min(0).default(0),
  /** When the contest strategy's orders fill (default next-open; next-close for data without opens). */
  fill: z.enum(['next-open', 'next-close', 'same-close']).optional(),
  /** Anything else a writer wants to record (training options, versions). */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type RunConfig = z.output<typeof RunConfigSchema>;
export type RunConfigInput = z.input<typeof RunConfigSchema>;

export function parseRunConfig(x: unknown, where: string): RunConfig {
  const r = RunConfigSchema.safeParse(x);
  if (!r.success)
    throw new DataError(
      r.error.issues.map((i) => ({ file: where, field: i.path.join('.') || '(root)', reason: i.message })),
    );
  const s = r.data.split;
  if (!(s.trainFrom <= s.trainTo && s.trainTo < s.testFrom && s.testFrom <= s.testTo))
    throw new DataError([
      {
        file: where,
        field: 'split',
        reason: 'expected trainFrom <= trainTo < testFrom <= testTo (held-out after training)',
      },
    ]);
  return r.data;
}

/** The dataset a data source names: a directory (loadDataset) or the embedded synthetic market (QUICK by default). */
export function loadSource(src: DataSource): Dataset {
  if ('dir' in src) return loadDataset(src.dir).dataset;
  const base = src.synth.quick ? QUICK_SYNTH_CONFIG : {};
  return generateMarket(parseSynthConfig({ ...base, ...src.synth.config, seed: src.synth.seed })).dataset;
}

/**
 * The contest's 70 / 30 split of the trading dates (the first `trainShare` for training, the rest held out), with a gap
 * of `lookahead` dates after the training range so that no training reward reads a held-out price. `from`: only the
 * trading dates from then on (a real dataset's prices often start decades before its news).
 */
export function defaultSplit(ds: Dataset, trainShare = 0.7, lookahead = 3, from?: IsoDate): RunConfig['split'] {
  const d = tradingDates(ds).filter((x) => from === undefined || x >= from);
  const cut = Math.floor(d.length * trainShare);
  if (cut < 10 || d.length - cut - lookahead < 10)
    throw new UsageError(`too few trading dates (${d.length}) for a ${trainShare} train / held-out split`);
  return { trainFrom: d[0], trainTo: d[cut - 1], testFrom: d[cut + lookahead], testTo: d[d.length - 1] };
}

/** A JSON file's value; a file that cannot be read or parsed is a DataError naming it. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError([{ file, reason: `not JSON: ${(e as Error).message}` }]);
  }
}

export function writeRunConfig(dir: string, c: RunConfigInput): void {
  writeJsonAtomic(join(dir, 'config.json'), parseRunConfig(c, join(dir, 'config.json')));
}

export function readRunConfig(dir: string): RunConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new UsageError(`--run ${dir}: no config.json (not a finrllama run directory)`);
  return parseRunConfig(readJsonFile(file), file);
}

const ScoreRow = z.strictObject({
  date: isoDate,
  ticker: z.string().min(1),
  score: z.number().finite(),
  failed: z.boolean(),
  completion: z.string(),
  headlines: z.number().int().min(0),
  seed: z.number().int(),
});

export function writeScores(dir: string, variant: string, recs: readonly ScoreRecord[]): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(variant)) throw new UsageError(`variant name "${variant}": use [a-z0-9_-]`);
  writeFileAtomic(join(dir, 'scores', `${variant}.jsonl`), recs.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/**
 * A JSON Lines file: each non-blank line parsed and checked against `schemaOf(value)`. Every bad line is reported
 * (file, 1-based line, field = the schema path joined with '.', or `rootField` for the line as a whole) in one
 * DataError.
 */
export function readJsonLines<T>(file: string, schemaOf: (value: unknown) => z.ZodType<T>, rootField = ''): T[] {
  const out: T[] = [];
  const issues: DataIssue[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        issues.push({ file, line: i + 1, reason: `not JSON: ${(e as Error).message}` });
        return;
      }
      const r = schemaOf(v).safeParse(v);
      if (r.success) out.push(r.data);
      else
        for (const is of r.error.issues)
          issues.push({ file, line: i + 1, field: is.path.join('.') || rootField, reason: is.message });
    });
  if (issues.length) throw new DataError(issues);
  return out;
}

export function readScores(file: string): ScoreRecord[] {
  return readJsonLines(file, () => ScoreRow);
}

/** Every `RUN/scores/<variant>.jsonl`, by variant name (sorted). */
export function readRunScores(dir: string): Map<string, ScoreRecord[]> {
  const sd = join(dir, 'scores');
  const out = new Map<string, ScoreRecord[]>();
  if (!existsSync(sd)) return out;
  for (const f of readdirSync(sd).sort()) if (f.endsWith('.jsonl')) out.set(f.slice(0, -6), readScores(join(sd, f)));
  return out;
}

/** The quick preset's market: QUICK with 8 tickers and 2 company news per ticker per week (about 1,300 scored pairs). */
export const FINRLLAMA_QUICK_MARKET: SynthConfigInput = { tickers: 8, newsPerTickerPerWeek: 2 };
/**
 * The full preset's market: 16 tickers over 1,008 trading days (four years, as the paper's 2020-2023; the 70/30 split
 * trains on the first 2.8 and holds out the last 1.2), 2 company news per ticker per week: about 5,500 scored pairs,
 * four times the quick preset's feedback (docs/papers/finrllama.md, "What the feedback can teach").
 */
export const FINRLLAMA_FULL_MARKET: SynthConfigInput = { tickers: 16, newsPerTickerPerWeek: 2, days: 1008 };

/** The synthetic market of a preset (QUICK_SYNTH_CONFIG + these fields). */
export const PRESET_MARKET = {
  quick: FINRLLAMA_QUICK_MARKET,
  full: FINRLLAMA_FULL_MARKET,
} as const satisfies Record<string, SynthConfigInput>;

export type FinrllamaPreset = keyof typeof PRESET_MARKET;

/** The preset names, in the order the CLI lists them. */
export const FINRLLAMA_PRESETS = Object.keys(PRESET_MARKET) as FinrllamaPreset[];

/** The training dates as REINFORCE dates (`fit`) and the validation slice: the last ⌊fraction · n⌋ of them. */
export function validationSplit(
  trainDates: readonly IsoDate[],
  fraction = 0.2,
): { fit: IsoDate[]; validation: IsoDate[] } {
  const cut = trainDates.length - Math.floor(trainDates.length * fraction);
  return { fit: trainDates.slice(0, cut), validation: trainDates.slice(cut) };
}

/** The held-out decision dates of a split. */
export function testDates(ds: Dataset, split: RunConfig['split']): IsoDate[] {
  return tradingDates(ds).filter((d) => d >= split.testFrom && d <= split.testTo);
}
