// `rlmf finrllama train-head`: FinRLlama for backends that cannot be trained (llama-cpp, openai-compatible). The model
// stays frozen; a head on its answer distribution (or its embedding) is trained by REINFORCE with the same rewards
// (src/papers/finrllama/head.ts, docs/papers/finrllama-head.md). Writes RUN/config.json, RUN/scores/base.jsonl,
// RUN/scores/rlmf-head.jsonl, RUN/training_log.jsonl, RUN/head.json and RUN/head_features.jsonl; a second run on the
// same --out resumes from head.json and makes no model call for the (date, ticker) pairs already in the feature cache.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import { openModel, parseBackend } from '../../lm/open.ts';
import { evaluateScores } from '../../papers/finrllama/evaluate.ts';
import { type HeadTrainOptions, trainHead } from '../../papers/finrllama/head.ts';
import { scoreScale } from '../../papers/finrllama/prompt.ts';
import {
  type DataSource,
  defaultSplit,
  loadSource,
  readRunConfig,
  writeRunConfig,
  writeScores,
} from '../../papers/finrllama/run.ts';
import { parseChoiceOption, parseNumberOption, printJson, progress } from '../common.ts';
import { modelSpecFromOptions } from './lm-generate.ts';

export interface TrainHeadFlags {
  backend: string;
  model?: string;
  tokenizer?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  threads?: string;
  data?: string;
  synthSeed?: string;
  out: string;
  epochs?: string;
  lr?: string;
  reward?: string;
  baseline?: string;
  credit?: string;
  samples?: string;
  lookahead?: string;
  seed?: string;
  features?: string;
  anchor?: string;
  clip?: string;
  prompt?: string;
  scoring?: string;
  signalStrength?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface TrainHeadSummary {
  run: string;
  backend: string;
  model_id: string;
  epochs: number;
  resumed_epochs: number;
  steps: number;
  train_pairs: number;
  test_pairs: number;
  /** Model calls made by this invocation (0 when every pair was in RUN/head_features.jsonl). */
  model_calls: number;
  features_reused: number;
  variants: Record<string, { ic: number | null; sharpe_ratio: number | null; cumulative_return: number | null }>;
}

export async function runFinrllamaHead(f: TrainHeadFlags): Promise<TrainHeadSummary> {
  const backend = parseBackend(f.backend);
  const int = (n: string, v: string | undefined, min = 0) => parseNumberOption(n, v, { integer: true, min });
  let source: DataSource;
  if (f.data && f.synthSeed) throw new UsageError('give --data or --synth-seed, not both');
  if (f.data) source = { dir: f.data };
  else source = { synth: { seed: int('synth-seed', f.synthSeed ?? '42')!, quick: true } };
  const S = int('signal-strength', f.signalStrength, 3) ?? 10;
  scoreScale(S);
  const lookahead = int('lookahead', f.lookahead, 1) ?? 3;
  const seed = int('seed', f.seed) ?? 0;
  const opts: HeadTrainOptions = {
    features: parseChoiceOption('features', f.features, ['logprobs', 'embedding'] as const),
    prompt: { signalStrength: S, variant: parseChoiceOption('prompt', f.prompt, ['paper', 'compact'] as const) },
    epochs: int('epochs', f.epochs),
    lr: parseNumberOption('lr', f.lr, { min: 0 }),
    reward: parseChoiceOption('reward', f.reward, ['signed-return', 'fixed', 'as-coded'] as const),
    baseline: parseChoiceOption('baseline', f.baseline, ['moving-average', 'none', 'per-prompt'] as const),
    credit: parseChoiceOption('credit', f.credit, ['per-ticker', 'step-sum'] as const),
    samples: int('samples', f.samples, 1),
    lookahead,
    seed,
    anchor: parseNumberOption('anchor', f.anchor, { min: 0 }),
    clipNorm: parseNumberOption('clip', f.clip, { min: 0 }),
    scoring: parseChoiceOption('scoring', f.scoring, ['expected', 'greedy'] as const),
  };

  const ds = loadSource(source);
  const split = defaultSplit(ds, 0.7, lookahead);
  if (existsSync(join(f.out, 'config.json'))) {
    // Resuming: the run directory must describe the same data and split.
    const old = readRunConfig(f.out);
    if (JSON.stringify(old.data) !== JSON.stringify(source) || JSON.stringify(old.split) !== JSON.stringify(split))
      throw new UsageError(`--out ${f.out} holds a run on other data or another split: choose a new directory`);
  }

  const model = await openModel(modelSpecFromOptions({ ...f, backend }));
  const quiet = !!(f.quiet || f.json);
  try {
    // The run's description; never a key (apiKeyEnv names a variable and is not recorded either).
    writeRunConfig(f.out, {
      format: 'rlmf-finrllama-run/1',
      data: source,
      split,
      signalStrength: S,
      lookahead,
      seed,
      extra: {
        method: 'frozen-backend head',
        backend,
        model: f.model ?? null,
        model_id: model.modelId,
        head: {
          features: opts.features ?? 'logprobs',
          prompt: opts.prompt?.variant ?? 'paper',
          epochs: opts.epochs ?? 3,
          lr: opts.lr ?? 0.01,
          reward: opts.reward ?? 'signed-return',
          baseline: opts.baseline ?? 'moving-average',
          credit: opts.credit ?? 'per-ticker',
          samples: opts.samples ?? null,
          anchor: opts.anchor ?? 0,
          clip: opts.clipNorm ?? 0,
          scoring: opts.scoring ?? 'expected',
        },
      },
    });
    let bar: ReturnType<typeof progress> | undefined;
    let phase = '';
    let epochReward = 0;
    let epochSteps = 0;
    const r = await trainHead(model, ds, split, f.out, {
      ...opts,
      onProgress(name, done, total) {
        if (name !== phase) {
          phase = name;
          bar = progress(`finrllama head: ${name}`, total, quiet);
        }
        bar?.tick(1);
        if (done === total) {
          bar?.done();
          bar = undefined;
        }
      },
      onStep(s) {
        epochReward += s.meanReward;
        epochSteps++;
      },
      onEpoch(e) {
        if (!quiet)
          process.stderr.write(
            `epoch ${e}: ${epochSteps} steps, mean reward ${(epochReward / Math.max(1, epochSteps)).toFixed(4)}\n`,
          );
        epochReward = 0;
        epochSteps = 0;
      },
    });
    if (r.base) writeScores(f.out, 'base', r.base);
    writeScores(f.out, 'rlmf-head', r.scores);
    const variants: TrainHeadSummary['variants'] = {};
    for (const [name, recs] of [
      ['base', r.base],
      ['rlmf-head', r.scores],
    ] as const) {
      if (!recs) continue;
      const ev = evaluateScores(ds, recs, { from: split.testFrom, to: split.testTo, signalStrength: S, lookahead });
      variants[name] = { ic: ev.ic, sharpe_ratio: ev.sharpe_ratio, cumulative_return: ev.cumulative_return };
    }
    return {
      run: f.out,
      backend,
      model_id: model.modelId,
      epochs: r.epochs,
      resumed_epochs: r.resumedEpochs,
      steps: r.steps,
      train_pairs: r.trainPairs,
      test_pairs: r.testPairs,
      model_calls: r.modelCalls,
      features_reused: r.featuresReused,
      variants,
    };
  } finally {
    await model.close();
  }
}

/** Adds `train-head` to the `finrllama` command. */
export function registerFinrllamaHead(cmd: Command): void {
  cmd
    .command('train-head')
    .description(
      'frozen model (llama-cpp, openai, ...): train a head on its answer distribution by REINFORCE, score the held-out dates',
    )
    .requiredOption('--backend <name>', 'builtin | llama-cpp | openai | fake')
    .requiredOption('--out <dir>', 'run directory (created, or resumed when it holds head.json)')
    .option('--model <path>', 'model: .gguf (llama-cpp), checkpoint / .bin / .gguf (builtin), server model id (openai)')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c model (builtin)')
    .option('--base-url <url>', 'openai: server base URL, e.g. http://127.0.0.1:8080/v1')
    .option('--api-key-env <name>', 'openai: environment variable holding the API key (default OPENAI_API_KEY)')
    .option('--threads <n>', 'llama-cpp / builtin threads')
    .option('--data <dir>', 'dataset directory')
    .option('--synth-seed <n>', 'embedded synthetic market (QUICK) with this seed (default 42; without --data)')
    .option('--epochs <n>', 'passes over the training dates, one step per date (default 3)')
    .option('--lr <x>', 'Adam learning rate of the head (default 0.01)')
    .option('--reward <mode>', 'signed-return (default: (s/S)·d·100) | fixed (the contest reward) | as-coded')
    .option('--baseline <kind>', 'moving-average (default) | none | per-prompt (leave-one-out over --samples)')
    .option('--credit <kind>', 'per-ticker (default) | step-sum (as coded)')
    .option('--samples <n>', 'answers drawn per (date, ticker) and step (default 4 with per-prompt, else 1)')
    .option('--lookahead <days>', 'forward-return horizon of the reward and the IC, trading days (default 3)')
    .option('--seed <n>', 'seed of the answer draws and of the score records (default 0)')
    .option('--features <kind>', 'logprobs (default: log p of the 2S+1 answers) | embedding (the prompt embedding)')
    .option('--anchor <x>', 'L2 pull of the head towards its init (default 0)')
    .option('--clip <x>', 'clip the gradient to this norm (default 0 = off)')
    .option('--prompt <variant>', 'paper (default) | compact (for small context windows)')
    .option('--scoring <m>', 'expected (default: Σ v·π(v)) | greedy (argmax)')
    .option('--signal-strength <S>', 'scores in [-S, S], threshold T = floor(S/3) (default 10)')
    .option('--quiet', 'no progress on stderr')
    .option('--json', 'print the summary as JSON')
    .action(async (f: TrainHeadFlags) => {
      const out = await runFinrllamaHead(f);
      if (f.json) {
        printJson(out);
        return;
      }
      const fix = (x: number | null, d: number) => (x === null ? 'n/a' : x.toFixed(d));
      console.log(
        `head trained: ${out.epochs} epochs (${out.resumed_epochs} resumed), ${out.steps} steps, ` +
          `${out.model_calls} model calls (${out.features_reused} cached)`,
      );
      for (const [k, v] of Object.entries(out.variants))
        console.log(`${k.padEnd(10)} IC ${fix(v.ic, 3)}  Sharpe ${fix(v.sharpe_ratio, 2)}`);
      console.log(`rlmf finrllama eval --run ${out.run}`);
    });
}
