// Configuration of the synthetic market (docs/synthetic-market.md). Validated with zod; every field has a default,
// so `SynthConfigSchema.parse({})` is the default market.
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { isIsoDate } from '../time.ts';

/** Sectors the generator knows (each has 8 fictitious companies, its own factor and headline vocabulary). */
export const SECTORS = ['technology', 'healthcare', 'energy', 'financials', 'consumer', 'industrials'] as const;
export type Sector = (typeof SECTORS)[number];
/** Companies available per sector: the upper bound of `tickers` is 8 x the number of sectors. */
export const COMPANIES_PER_SECTOR = 8;

const isoDate = z.string().refine(isIsoDate, 'expected a calendar date YYYY-MM-DD');

export const SynthConfigSchema = z
  .object({
    /** Seed of every random draw: same seed and config -> byte-identical files. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42),
    /** Dataset name written to dataset.json. */
    name: z.string().min(1).default('synthetic'),
    /** Number of tickers, assigned to `sectors` round-robin. */
    tickers: z.number().int().min(1).max(48).default(8),
    /** Number of trading days (756 = about 3 years). */
    days: z.number().int().min(63).max(5040).default(756),
    /** First calendar date; the market starts on the first trading day on or after it. */
    start: isoDate.default('2021-01-04'),
    sectors: z
      .array(z.enum(SECTORS))
      .min(1)
      .refine((s) => new Set(s).size === s.length, 'sectors must not repeat')
      .default(['technology', 'healthcare', 'energy', 'financials']),
    /** Skip NYSE full-day holidays (true) or trade every weekday (false). */
    holidays: z.boolean().default(true),
    /** Mean number of non-earnings company news items per ticker per week (5 trading days). */
    newsPerTickerPerWeek: z.number().min(0).max(20).default(1),
    /** Share of non-earnings company news that is misleading (mixed, priced-in, hedged, negated, irrelevant). */
    misleadingShare: z.number().min(0).max(1).default(0.4),
    /** Multiplies every hidden news impact (0 turns news into pure noise). */
    impactScale: z.number().min(0).max(5).default(1),
    /** Minimum number of lines of corpus/headlines.txt (dataset headlines first, then template samples). */
    corpusLines: z.number().int().min(0).max(1_000_000).default(20_000),
  })
  .strict()
  .refine((c) => c.tickers <= c.sectors.length * COMPANIES_PER_SECTOR, {
    message: `tickers must be at most ${COMPANIES_PER_SECTOR} x the number of sectors`,
    path: ['tickers'],
  })
  .refine((c) => c.start >= '1980-01-01' && c.start <= '2080-12-31', {
    message: 'start must lie between 1980-01-01 and 2080-12-31',
    path: ['start'],
  });

export type SynthConfig = z.output<typeof SynthConfigSchema>;
export type SynthConfigInput = z.input<typeof SynthConfigSchema>;

/** 8 tickers x 756 trading days from 2021-01-04, 20,000 corpus lines. */
export const DEFAULT_SYNTH_CONFIG: SynthConfig = SynthConfigSchema.parse({});

/** A small market for quick tests and demos: 6 tickers x 504 days, 5,000 corpus lines. */
export const QUICK_SYNTH_CONFIG: SynthConfig = SynthConfigSchema.parse({ tickers: 6, days: 504, corpusLines: 5000 });

/** Validate a (partial) config; throws UsageError naming every bad field. */
export function parseSynthConfig(input: unknown): SynthConfig {
  const r = SynthConfigSchema.safeParse(input);
  if (!r.success)
    throw new UsageError(
      `invalid synthetic market config: ${r.error.issues.map((i) => `${i.path.join('.') || '*'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}
