// `rlmf finrllama eval`: score the held-out period's news with each variant and evaluate the scores (contest strategy,
// per-ticker view, rank IC, parse failures). Variants: every RUN/scores/<variant>.jsonl of --run, the word-list
// `teacher` (computed when absent), and `base` when a model is given (--backend / --model). docs/papers/finrllama.md.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import type { Dataset } from '../../data/types.ts';
import type { LanguageModel } from '../../lm/types.ts';
import { evaluateScores, type VariantEvaluation } from '../../papers/finrllama/evaluate.ts';
import { scoreScale } from '../../papers/finrllama/prompt.ts';
import {
  type DataSource,
  defaultSplit,
  FINRLLAMA_PRESETS,
  loadSource,
  type RunConfig,
  readRunConfig,
  readRunScores,
  testDates,
} from '../../papers/finrllama/run.ts';
import {
  type ScoreMethod,
  type ScoreOptions,
  type ScoreRecord,
  scoreNews,
  teacherModel,
} from '../../papers/finrllama/score.ts';
import { parseChoiceOption, parseNumberOption, printJson, progress } from '../common.ts';
import { registerFinrllamaHead } from './finrllama-head.ts';
import { registerFinrllamaReport } from './finrllama-report.ts';

interface EvalFlags {
  run?: string;
  data?: string;
  synthSeed?: string;
  from?: string;
  to?: string;
  backend?: string;
  model?: string;
  tokenizer?: string;
  method?: string;
  temperature?: string;
  prompt?: string;
  newsLookback?: string;
  signalStrength?: string;
  lookahead?: string;
  fill?: string;
  seed?: string;
  curves?: boolean;
  json?: boolean;
}

/** The variant's summary for printing: curves and dates only with --curves. */
function summary(ev: VariantEvaluation, curves: boolean): Record<string, unknown> {
  if (curves) return { ...ev };
  const { dates: _dates, contest_curve: _contest, buy_and_hold_curve: _buyAndHold, per_ticker, ...rest } = ev;
  return {
    ...rest,
    per_ticker: Object.fromEntries(Object.entries(per_ticker).map(([t, v]) => [t, { ...v, curve: undefined }])),
  };
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const fix = (x: number | null, d = 3) => (x === null ? 'n/a' : x.toFixed(d));

export async function runFinrllamaEval(f: EvalFlags): Promise<Record<string, VariantEvaluation>> {
  let config: RunConfig | undefined;
  let source: DataSource;
  if (f.run) {
    config = readRunConfig(f.run);
    source = config.data;
    if (f.data || f.synthSeed) throw new UsageError('--run names its data: drop --data / --synth-seed');
  } else if (f.data && f.synthSeed) throw new UsageError('give --data or --synth-seed, not both');
  else if (f.data) source = { dir: f.data };
  else
    source = {
      synth: { seed: parseNumberOption('synth-seed', f.synthSeed ?? '42', { integer: true, min: 0 })!, quick: true },
    };
  const ds: Dataset = loadSource(source);
  const S =
    parseNumberOption('signal-strength', f.signalStrength, { integer: true, min: 3 }) ?? config?.signalStrength ?? 10;
  scoreScale(S);
  const lookahead = parseNumberOption('lookahead', f.lookahead, { integer: true, min: 1 }) ?? config?.lookahead ?? 3;
  const split = config?.split ?? defaultSplit(ds, 0.7, lookahead);
  const from = f.from ?? split.testFrom;
  const to = f.to ?? split.testTo;
  const dates = testDates(ds, { ...split, testFrom: from, testTo: to });
  if (dates.length < 2) throw new UsageError(`fewer than 2 trading dates between ${from} and ${to}`);
  const fill = parseChoiceOption('fill', f.fill, ['next-open', 'next-close', 'same-close'] as const) ?? config?.fill;
  const scoreOpts: ScoreOptions = {
    prompt: {
      signalStrength: S,
      variant: parseChoiceOption('prompt', f.prompt, ['paper', 'compact'] as const),
      news: f.newsLookback
        ? { lookbackDays: parseNumberOption('news-lookback', f.newsLookback, { min: 0 }) }
        : undefined,
    },
    method: parseChoiceOption<ScoreMethod>('method', f.method, ['generate', 'expected']),
    temperature: parseNumberOption('temperature', f.temperature, { min: 0 }),
    seed: parseNumberOption('seed', f.seed, { integer: true, min: 0 }) ?? config?.seed ?? 0,
    tickers: config?.tickers,
  };

  const variants = f.run ? readRunScores(f.run) : new Map<string, ScoreRecord[]>();
  const score = async (name: string, model: LanguageModel) => {
    const bar = progress(`finrllama ${name}`, dates.length, !!f.json);
    const recs = await scoreNews(model, ds, dates, { ...scoreOpts, onProgress: () => bar.tick() });
    bar.done();
    variants.set(name, recs);
  };
  if (!variants.has('teacher')) await score('teacher', teacherModel({ signalStrength: S }));
  if (f.backend || f.model) {
    const { openModel, parseBackend } = await import('../../lm/open.ts');
    const model = await openModel({
      backend: parseBackend(f.backend ?? 'builtin'),
      model: f.model,
      tokenizer: f.tokenizer,
    });
    try {
      await score('base', model);
    } finally {
      await model.close();
    }
  }
  const out: Record<string, VariantEvaluation> = {};
  for (const [name, recs] of [...variants].sort(([a], [b]) => (a < b ? -1 : 1)))
    out[name] = evaluateScores(ds, recs, {
      from,
      to,
      tickers: config?.tickers,
      signalStrength: S,
      lookahead,
      ...(fill && { backtest: { timing: { decision: 'close', fill } } }),
    });
  return out;
}

interface TrainFlags {
  preset: string;
  seed?: string;
  out: string;
  pretrainSteps?: string;
  sftSteps?: string;
  rlEpochs?: string;
  samples?: string;
  rlLr?: string;
  sftSchedule?: string;
  rlSchedule?: string;
  reward?: string;
  baseline?: string;
  credit?: string;
  lookahead?: string;
  scoring?: string;
  validation?: string;
  estimator?: string;
  datesPerStep?: string;
  rewardBasis?: string;
  positionPenalty?: string;
  kl?: string;
  topLayers?: string;
  threads?: string;
  teacherBackend?: string;
  teacherModel?: string;
  teacherMethod?: string;
  teacherBaseUrl?: string;
  teacherApiKeyEnv?: string;
  resume?: boolean;
  data?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function runFinrllamaTrain(f: TrainFlags): Promise<Record<string, unknown>> {
  const preset = parseChoiceOption('preset', f.preset, FINRLLAMA_PRESETS) ?? 'quick';
  if (!f.resume && (existsSync(join(f.out, 'config.json')) || existsSync(join(f.out, 'scores'))))
    throw new UsageError(`--out ${f.out} already holds a finrllama run: choose a new directory, or --resume it`);
  const int = (n: string, v: string | undefined, min = 0) => parseNumberOption(n, v, { integer: true, min });
  const fraction = (n: string, v: string | undefined) => {
    const x = parseNumberOption(n, v, { min: 0 });
    if (x !== undefined && x >= 1) throw new UsageError(`--${n}: ${v} is not a fraction in [0, 1)`);
    return x;
  };
  const { headlineNumbers, trainQuick } = await import('../../papers/finrllama/pipeline.ts');
  let teacher: LanguageModel | undefined;
  if (f.teacherBackend || f.teacherModel) {
    const { openModel } = await import('../../lm/open.ts');
    const { modelSpecFromOptions } = await import('./lm-generate.ts');
    teacher = await openModel(
      modelSpecFromOptions({
        backend: f.teacherBackend ?? 'builtin',
        model: f.teacherModel,
        baseUrl: f.teacherBaseUrl,
        apiKeyEnv: f.teacherApiKeyEnv,
      }),
    );
  }
  const teacherMethod = parseChoiceOption('teacher-method', f.teacherMethod, ['generate', 'expected'] as const);
  const r = await trainQuick({
    preset,
    teacher: teacher && { model: teacher, method: teacherMethod },
    seed: int('seed', f.seed) ?? 0,
    out: f.out,
    pretrainSteps: int('pretrain-steps', f.pretrainSteps),
    sftSteps: int('sft-steps', f.sftSteps),
    rlEpochs: int('rl-epochs', f.rlEpochs),
    samplesPerPrompt: int('samples', f.samples, 1),
    rlLr: parseNumberOption('rl-lr', f.rlLr, { min: 0 }),
    sftSchedule: parseChoiceOption('sft-schedule', f.sftSchedule, ['cosine', 'constant'] as const),
    rlSchedule: parseChoiceOption('rl-schedule', f.rlSchedule, ['constant', 'cosine'] as const),
    reward: parseChoiceOption('reward', f.reward, ['signed-return', 'fixed', 'as-coded'] as const),
    baseline: parseChoiceOption('baseline', f.baseline, ['per-prompt', 'moving-average', 'none'] as const),
    credit: parseChoiceOption('credit', f.credit, ['per-ticker', 'step-sum'] as const),
    lookahead: int('lookahead', f.lookahead, 1),
    scoring: parseChoiceOption('scoring', f.scoring, ['expected', 'greedy'] as const),
    validationFraction: fraction('validation', f.validation),
    estimator: parseChoiceOption('estimator', f.estimator, ['expected', 'sampled'] as const),
    datesPerStep: int('dates-per-step', f.datesPerStep, 1),
    rewardBasis: parseChoiceOption('reward-basis', f.rewardBasis, ['excess', 'raw'] as const),
    positionPenalty: parseNumberOption('position-penalty', f.positionPenalty, { min: 0 }),
    klCoef: parseNumberOption('kl', f.kl, { min: 0 }),
    topLayers: int('top-layers', f.topLayers, 1),
    threads: int('threads', f.threads, 1),
    resume: f.resume,
    data: f.data,
    onLog: f.quiet || f.json ? undefined : (x) => process.stderr.write(`${JSON.stringify(x)}\n`),
  }).finally(() => teacher?.close());
  return {
    run: r.run,
    seconds: r.seconds,
    variants: headlineNumbers(r.evaluation),
    validation: headlineNumbers(r.validation),
  };
}

export function registerFinrllama(program: Command): void {
  const cmd = program
    .command('finrllama')
    .description('FinRLlama (FinRL Contest 2024 task 2): news sentiment scores from a language model, evaluated');
  cmd
    .command('train')
    .description(
      'pretrain, distil the word-list teacher and train by REINFORCE (built-in micro model; synthetic market or --data)',
    )
    .requiredOption(
      '--preset <name>',
      'quick: micro model, 8 tickers x 2 years, minutes on 2 cores | full: the same on 16 tickers x 4 years (4x the feedback, about 3x the time); the synthetic market unless --data',
    )
    .requiredOption(
      '--out <dir>',
      'run directory to create (config.json, models/, scores/, training_log.jsonl, summary.json, report.html)',
    )
    .option('--seed <n>', 'seed of the market and of every draw (default 0)')
    .option('--data <dir>', 'train and evaluate on this dataset (rlmf data import) instead of the synthetic market')
    .option('--pretrain-steps <n>', 'next-token steps on the headline corpus (default 300)')
    .option('--sft-steps <n>', 'supervised steps on the teacher scores (default 500)')
    .option('--rl-epochs <n>', 'REINFORCE passes over the training dates (default 2)')
    .option('--estimator <e>', 'expected (default: exact gradient over the likely answers) | sampled (the paper)')
    .option('--dates-per-step <n>', 'decision dates per REINFORCE step (default 4; the paper: 1)')
    .option('--samples <n>', 'sampled answers per (date, ticker) with --estimator sampled (default 4)')
    .option('--rl-lr <x>', 'REINFORCE learning rate (default 1e-4)')
    .option('--sft-schedule <s>', 'SFT learning rate: cosine (default: 20 warm-up steps, cosine to 0) | constant')
    .option('--rl-schedule <s>', 'REINFORCE learning rate: constant (default) | cosine (to 0 over the epochs)')
    .option('--reward <mode>', 'signed-return (default: (s/S)·d·100 − λ(s/S)²) | fixed (the contest reward) | as-coded')
    .option('--reward-basis <b>', "excess (default: forward return minus the tickers' mean) | raw")
    .option('--position-penalty <λ>', 'λ of signed-return (default 0.5)')
    .option('--kl <β>', 'KL penalty to the SFT model (default 0; --estimator expected)')
    .option(
      '--baseline <kind>',
      'with --estimator sampled: per-prompt (default: leave-one-out over the samples) | moving-average | none',
    )
    .option('--credit <kind>', 'per-ticker (default) | step-sum (as coded)')
    .option('--lookahead <days>', 'forward-return horizon of the reward (default 3; the code: 14)')
    .option('--scoring <m>', 'expected (default: Σ v·p(v) over the score answers) | greedy (5 tokens, parsed)')
    .option('--validation <f>', 'fraction of training dates kept out of REINFORCE as a validation slice (default 0.2)')
    .option('--teacher-backend <b>', 'distil this model instead of the word list: builtin | llama-cpp | openai | fake')
    .option('--teacher-model <path>', 'the teacher model (with --teacher-backend)')
    .option('--teacher-base-url <url>', "the teacher's OpenAI-compatible server (with --teacher-backend openai)")
    .option('--teacher-api-key-env <VAR>', "environment variable holding the teacher server's API key")
    .option('--teacher-method <m>', 'generate (default: 5 tokens, parsed) | expected (softmax over the answers)')
    .option('--top-layers <n>', 'REINFORCE trains only the top N layers and the final norm (default: all)')
    .option(
      '--threads <n>',
      'onnxruntime threads of the training phases (default min(2, cores); results do not depend on it)',
    )
    .option('--resume', 'continue the run in --out (same flags) from its last checkpoint')
    .option('--quiet', 'no training log on stderr')
    .option('--json', 'print the summary as JSON')
    .action(async (f: TrainFlags) => {
      const out = await runFinrllamaTrain(f);
      if (f.json) printJson(out);
      else console.log(`run written to ${out.run}; rlmf finrllama eval --run ${out.run}`);
    });
  registerFinrllamaHead(cmd);
  registerFinrllamaReport(cmd);
  cmd
    .command('eval')
    .description('evaluate each variant on the held-out period: IC, contest Sharpe / return / win rate, parse failures')
    .option('--run <dir>', 'a finrllama run directory (config.json, scores/<variant>.jsonl)')
    .option('--data <dir>', 'dataset directory (without --run)')
    .option('--synth-seed <n>', 'embedded synthetic market (QUICK) with this seed (default 42; without --run, --data)')
    .option('--from <date>', 'first held-out decision date (default: the run split, or after the first 70 %)')
    .option('--to <date>', 'last held-out decision date')
    .option('--backend <name>', 'also score a `base` variant with this backend: builtin | llama-cpp | openai | fake')
    .option('--model <path>', 'model for the base variant')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c model')
    .option('--method <m>', 'generate (default: 5 tokens, parsed) | expected (softmax over the score answers)')
    .option('--temperature <t>', 'sampling temperature for generate (default 0 = greedy)')
    .option('--prompt <variant>', 'paper (default) | compact')
    .option('--news-lookback <days>', 'headlines of the last N calendar days (default: the decision session)')
    .option('--signal-strength <S>', 'scores in [-S, S], threshold T = floor(S/3) (default 10)')
    .option('--lookahead <days>', 'forward-return horizon of the IC, trading days (default 3)')
    .option('--fill <when>', 'next-open (default) | next-close | same-close')
    .option('--seed <n>', 'base seed of the per-(date, ticker) sampling seeds')
    .option('--curves', 'include per-ticker cumulative-return curves and dates in the JSON')
    .option('--json', 'print one JSON object: a key per variant')
    .action(async (f: EvalFlags) => {
      const out = await runFinrllamaEval(f);
      if (f.json) {
        printJson(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, summary(v, !!f.curves)])));
        return;
      }
      console.log('variant        IC      Sharpe  cum.return  win rate  parse fail  (buy & hold: return, Sharpe)');
      for (const [k, v] of Object.entries(out))
        console.log(
          `${k.padEnd(12)} ${fix(v.ic).padStart(6)} ${fix(v.sharpe_ratio, 2).padStart(8)} ${pct(v.cumulative_return).padStart(10)} ` +
            `${pct(v.win_rate).padStart(9)} ${pct(v.parse_failure_rate).padStart(10)}  (${pct(v.buy_and_hold.cumulative_return)}, ${fix(v.buy_and_hold.sharpe_ratio, 2)})`,
        );
    });
}
