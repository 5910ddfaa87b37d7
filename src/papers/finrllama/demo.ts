// The FinRLlama part of `rlmf demo`: a trained model pair committed at models/finrllama-quick/ is scored on the
// held-out dates of its own synthetic market, beside the word-list teacher, and evaluated as in the run report
// (table, contest chart, per-ticker charts; no training curves). The directory holds
//   base/, rlmf/   checkpoint directories as RUN/models/<variant> of `rlmf finrllama train --preset quick`
//   run.json       { seed, market, split, signalStrength?, lookahead?, training? } (DemoRunSchema)
// The market is regenerated as generateMarket({ ...QUICK_SYNTH_CONFIG, ...market, seed }); base and rlmf get expected
// scores Σ v·p(v) over the 2S+1 answers (scoreRunModel, compact prompt), the teacher its own integer score, and the
// `ridge` yardstick (ridge.ts) is fitted as a quick run fits it (the training dates but their last 20 %, λ on those).
// A missing directory (or one missing a part) is not an error: the demo goes on without this section.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DataError } from '../../data/errors.ts';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../../data/synth/index.ts';
import { isIsoDate } from '../../data/time.ts';
import type { ReportSection } from '../../report/write.ts';
import { scoreScale } from './prompt.ts';
import { evaluateFinrllama, type FinrllamaEvaluation, finrllamaNumbers, finrllamaSection } from './report.ts';
import { ridgeYardstick } from './ridge.ts';
import { readJsonFile, testDates, validationSplit } from './run.ts';
import { decisionDates, scoreNews, teacherModel } from './score.ts';

/** The committed model pair (resolved from this file, so it works from any working directory). */
export const FINRLLAMA_DEMO_MODEL = fileURLToPath(new URL('../../../models/finrllama-quick', import.meta.url));

const isoDate = z.string().refine(isIsoDate, 'expected YYYY-MM-DD');

export const DemoRunSchema = z.strictObject({
  /** Seed of the synthetic market (and of the scoring seeds). */
  seed: z.number().int().min(0),
  /** Fields of the synthetic market over QUICK_SYNTH_CONFIG (as config.json's data.synth.config). */
  market: z.record(z.string(), z.unknown()).default({}),
  split: z.strictObject({ trainFrom: isoDate, trainTo: isoDate, testFrom: isoDate, testTo: isoDate }),
  signalStrength: z.number().int().min(3).default(10),
  lookahead: z.number().int().min(1).default(3),
  /** How the pair was trained (shown in the report as given). */
  training: z.record(z.string(), z.unknown()).optional(),
});
export type DemoRun = z.output<typeof DemoRunSchema>;

const PARTS = ['run.json', join('base', 'model.safetensors'), join('rlmf', 'model.safetensors')];

/** The parts of a demo model directory that are missing (empty when complete). */
export function missingDemoParts(dir: string): string[] {
  if (!existsSync(dir)) return ['the directory'];
  return PARTS.filter((p) => !existsSync(join(dir, p)));
}

export function readDemoRun(dir: string): DemoRun {
  const file = join(dir, 'run.json');
  const r = DemoRunSchema.safeParse(readJsonFile(file));
  if (!r.success)
    throw new DataError(r.error.issues.map((i) => ({ file, field: i.path.join('.') || '(root)', reason: i.message })));
  const s = r.data.split;
  if (!(s.trainFrom <= s.trainTo && s.trainTo < s.testFrom && s.testFrom <= s.testTo))
    throw new DataError([{ file, field: 'split', reason: 'expected trainFrom <= trainTo < testFrom <= testTo' }]);
  return r.data;
}

export interface FinrllamaDemoNumbers extends ReturnType<typeof finrllamaNumbers> {
  model: string;
  seed: number;
  market: Record<string, unknown>;
}

export type FinrllamaDemoResult =
  | { skipped: string }
  | { section: ReportSection; numbers: FinrllamaDemoNumbers; evaluation: FinrllamaEvaluation };

export const DEMO_HEADING = 'FinRLlama (news sentiment, RLMF)';

/**
 * Score, evaluate and render the FinRLlama section of the demo from the model pair in `dir` (shown as `label`).
 * `onStep` is called after each scored variant. Returns `{ skipped }` (one line) when the directory is incomplete.
 */
export async function finrllamaDemo(
  dir: string,
  o: { label?: string; onStep?: (label: string) => void } = {},
): Promise<FinrllamaDemoResult> {
  const label = o.label ?? dir;
  const missing = missingDemoParts(dir);
  if (missing.length)
    return {
      skipped: `FinRLlama section skipped: no trained model pair at ${label} (missing ${missing.join(', ')}); see docs/papers/finrllama.md`,
    };
  const run = readDemoRun(dir);
  const S = scoreScale(run.signalStrength).signalStrength;
  const ds = generateMarket({ ...QUICK_SYNTH_CONFIG, ...run.market, seed: run.seed }).dataset;
  const dates = testDates(ds, run.split);
  if (dates.length < 2)
    throw new DataError([
      { file: join(dir, 'run.json'), field: 'split', reason: `fewer than 2 trading dates in the held-out period` },
    ]);
  const prompt = { variant: 'compact' as const, signalStrength: S };
  // loaded here, not at the top: the model code (tfjs, onnxruntime) is only needed when the section is made
  const { scoreRunModel } = await import('./pipeline.ts');
  const base = await scoreRunModel(join(dir, 'base'), ds, dates, prompt, run.seed);
  o.onStep?.('finrllama base scored');
  const rlmf = await scoreRunModel(join(dir, 'rlmf'), ds, dates, prompt, run.seed);
  o.onStep?.('finrllama rlmf scored');
  const teacher = await scoreNews(teacherModel({ signalStrength: S }), ds, dates, { prompt, seed: run.seed });
  const ridge = ridgeYardstick(
    ds,
    { ...validationSplit(decisionDates(ds, run.split.trainFrom, run.split.trainTo)), test: dates },
    { prompt, lookahead: run.lookahead, basis: 'excess', seed: run.seed },
  ).records;
  const evaluation = evaluateFinrllama(
    ds,
    new Map([
      ['base', base],
      ['rlmf', rlmf],
      ['teacher', teacher],
      ['ridge', ridge],
    ]),
    { from: run.split.testFrom, to: run.split.testTo, signalStrength: S, lookahead: run.lookahead },
  );
  const market = { ...run.market };
  const section = finrllamaSection(evaluation, {
    heading: DEMO_HEADING,
    intro:
      `A small built-in language model pretrained on synthetic headlines (base), then trained by REINFORCE from ` +
      `market feedback (rlmf), loaded from ${label} and scored here on the held-out news of its own synthetic market ` +
      `(seed ${run.seed}, QUICK with ${JSON.stringify(market)}), beside the word-list teacher and the ridge yardstick ` +
      `(the teacher plus a ridge regression of the same market feedback on headline words). Model scores are ` +
      `expected scores Σ v·p(v) over the answers −${S}..${S}. docs/papers/finrllama.md has the method and the measured runs.`,
    notes: [
      'This is a different synthetic market from the baselines above (FinRLlama’s quick market), so the two sets of numbers are not comparable.',
      ...(run.training ? [`Training settings of the pair: ${JSON.stringify(run.training)}`] : []),
    ],
  });
  return {
    section,
    numbers: { model: label, seed: run.seed, market, ...finrllamaNumbers(evaluation) },
    evaluation,
  };
}

/** A few lines for the terminal: IC, contest Sharpe and cumulative return per variant, and buy-and-hold. */
export function formatDemoNumbers(n: FinrllamaDemoNumbers): string {
  const fix = (x: number | null, d: number) => (x === null ? 'n/a' : x.toFixed(d));
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
  const rows = Object.entries(n.variants).map(
    ([k, v]) =>
      `  ${k.padEnd(13)}${fix(v.ic, 3).padStart(7)}${fix(v.sharpe_ratio, 2).padStart(9)}${pct(v.cumulative_return).padStart(12)}`,
  );
  const bh = n.buy_and_hold;
  return [
    `FinRLlama, held-out ${n.period.from} to ${n.period.to} (contest strategy):`,
    `  ${'variant'.padEnd(13)}${'IC'.padStart(7)}${'Sharpe'.padStart(9)}${'cum.return'.padStart(12)}`,
    ...rows,
    `  ${'buy-and-hold'.padEnd(13)}${'—'.padStart(7)}${fix(bh.sharpe_ratio, 2).padStart(9)}${pct(bh.cumulative_return).padStart(12)}`,
  ].join('\n');
}
