// `rlmf lm sentiment-check`: train the built-in `small` model as a financial sentiment classifier and compare it with
// the Loughran-McDonald word-list baseline on a held-out Financial PhraseBank split (docs/lm-sentiment.md).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import type { ClassificationReport } from '../../lm/tasks/metrics.ts';
import { runSentimentCheck, type SentimentCheckResult } from '../../lm/tasks/sentiment.ts';
import { parseNumberOption, printJson } from '../common.ts';

/** ../shared next to the repository root. */
export function defaultSharedDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function reportLines(name: string, r: ClassificationReport): string[] {
  const per = r.perClass.map((c) => `${c.label} F1 ${c.f1.toFixed(3)}`).join(', ');
  const conf = r.confusion.map((row, i) => `${r.labels[i]}: [${row.join(', ')}]`).join('; ');
  return [
    `${name.padEnd(26)} accuracy ${pct(r.accuracy)}  macro-F1 ${r.macroF1.toFixed(3)}  (${per})`,
    `${''.padEnd(26)} confusion true->pred [${r.labels.join(', ')}]: ${conf}`,
  ];
}

/** Plain-text summary of a result. */
export function formatSentimentReport(r: SentimentCheckResult): string {
  const e = r.evaluation;
  return [
    `held-out Financial PhraseBank: ${r.data.phrasebank.test} sentences (${r.data.phrasebank.testAllAgree} AllAgree), seed ${r.seed}`,
    ...reportLines('small model (LM classifier)', e.model),
    ...reportLines('Loughran-McDonald lists', e.baseline),
    `AllAgree subset: model accuracy ${pct(e.modelAllAgree.accuracy)} macro-F1 ${e.modelAllAgree.macroF1.toFixed(3)}; ` +
      `baseline accuracy ${pct(e.baselineAllAgree.accuracy)} macro-F1 ${e.baselineAllAgree.macroF1.toFixed(3)}`,
    `training: ${r.model.params.toLocaleString('en-US')} parameters, ${r.training.pretrainSteps} pretrain + ` +
      `${r.training.steps} fine-tune steps of ${r.training.batchSize}, ${Math.round(r.training.tokensPerSecond)} tokens/s ` +
      `(${r.training.threads} thread(s)), wall ${r.wallSeconds.toFixed(0)} s`,
  ].join('\n');
}

export interface SentimentCommandOptions {
  steps?: string;
  pretrainSteps?: string;
  seed?: string;
  batch?: string;
  lr?: string;
  threads?: string;
  shared?: string;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  /** false with --no-sentfin: train on the PhraseBank training split only. */
  sentfin?: boolean;
}

export async function sentimentCheckCommand(o: SentimentCommandOptions): Promise<SentimentCheckResult> {
  const sharedDir = resolve(o.shared ?? defaultSharedDir());
  if (!existsSync(join(sharedDir, 'data', 'financial-phrasebank'))) {
    throw new UsageError(`--shared: ${sharedDir} has no data/financial-phrasebank (the check needs ../shared)`);
  }
  const quiet = o.quiet || false;
  const result = await runSentimentCheck({
    sharedDir,
    steps: parseNumberOption('steps', o.steps, { integer: true, min: 1 }),
    pretrainSteps: parseNumberOption('pretrain-steps', o.pretrainSteps, { integer: true, min: 0 }),
    seed: parseNumberOption('seed', o.seed, { integer: true, min: 0 }),
    batchSize: parseNumberOption('batch', o.batch, { integer: true, min: 1 }),
    lr: parseNumberOption('lr', o.lr, { min: 0 }),
    threads: parseNumberOption('threads', o.threads, { integer: true, min: 1 }),
    sentfin: o.sentfin !== false,
    out: o.out,
    onLog: quiet
      ? undefined
      : (e) =>
          process.stderr.write(
            `${e.phase} step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} ${Math.round(e.tokensPerSecond)} tokens/s\n`,
          ),
  });
  if (o.json) printJson(result);
  else process.stdout.write(`${formatSentimentReport(result)}\n`);
  return result;
}

export function registerLmSentiment(lm: Command): void {
  lm.command('sentiment-check')
    .description(
      'train the built-in small model as a 3-class financial sentiment classifier (SEntFiN + PhraseBank train split) ' +
        'and report accuracy / macro-F1 on held-out PhraseBank next to the Loughran-McDonald baseline',
    )
    .option('--steps <n>', 'fine-tuning steps (batches)', '1500')
    .option('--pretrain-steps <n>', 'language-model pretraining steps on unlabeled FNSPID news first', '0')
    .option('--seed <n>', 'seed (split, init, sampling)', '1')
    .option('--batch <n>', 'batch size', '16')
    .option('--lr <x>', 'peak learning rate', '0.001')
    .option('--threads <n>', 'onnxruntime threads', '1')
    .option('--no-sentfin', 'train on the PhraseBank training split only (no SEntFiN headlines)')
    .option('--shared <dir>', 'the shared data directory (default: ../shared next to the repository)')
    .option('--out <dir>', 'write sentiment-check.json, predictions.csv and model/ here')
    .option('--json', 'print the full result as JSON')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (o: SentimentCommandOptions) => {
      await sentimentCheckCommand(o);
    });
}
