// rlmf command line. Every command module registers itself on the program; errors on bad input print one line
// (no stack trace unless --debug) and give a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { DataError, LookAheadError, UsageError } from '../data/errors.ts';
import { VERSION } from '../version.ts';
import { registerBacktest } from './commands/backtest.ts';
import { registerDataImport } from './commands/data-import.ts';
import { registerDataSynth } from './commands/data-synth.ts';
import { registerDemo } from './commands/demo.ts';
import { registerFeatures } from './commands/features.ts';
import { registerFinrllama } from './commands/finrllama.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerReport } from './commands/report.ts';

const LM_HELP = 'language models: generate, pretrain, sft, eval, import, bench, sentiment-check (rlmf lm --help)';
const SERVE_HELP = 'serve any backend over an OpenAI-compatible HTTP API (rlmf serve --help)';

/** The language-model commands load tfjs, onnxruntime and llama.cpp: only when one of them runs. */
async function registerLanguageModelCommands(program: Command, argv: string[]): Promise<void> {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  if (first !== 'lm' && first !== 'serve') {
    program.command('lm').description(LM_HELP);
    program.command('serve').description(SERVE_HELP);
    return;
  }
  const [{ registerLmBench }, { registerLmGenerate }, { registerServe }, { registerLmTrain }, { registerLmSentiment }] =
    await Promise.all([
      import('./commands/lm-bench.ts'),
      import('./commands/lm-generate.ts'),
      import('./commands/lm-serve.ts'),
      import('./commands/lm-train.ts'),
      import('./commands/lm-sentiment.ts'),
    ]);
  const lm = program.command('lm').description(LM_HELP);
  registerLmGenerate(lm);
  registerLmTrain(lm);
  registerLmBench(lm);
  registerLmSentiment(lm);
  registerServe(program);
}

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('rlmf')
    .description('Reinforcement Learning from Market Feedback: LLM trading agents, backtests and metrics')
    .version(VERSION)
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  const data = program.command('data').description('create, import and inspect datasets');
  registerDataSynth(data);
  registerDataImport(data);
  registerFeatures(program);
  registerBacktest(program);
  registerMetrics(program);
  registerReport(program);
  registerDemo(program);
  registerFinrllama(program);
  await registerLanguageModelCommands(program, argv);
  for (const c of program.commands) for (const sub of c.commands) sub.exitOverride();
  for (const c of [program, ...program.commands]) c.exitOverride();
  return program;
}

/** Errors that end a run cleanly with their message (the LM cache's replay miss and budget stop among them). */
const ONE_LINE_ERRORS = new Set(['CacheMissError', 'BudgetExceededError', 'CapabilityError']);

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (debug) console.error(e);
    else if (e instanceof UsageError || e instanceof LookAheadError || ONE_LINE_ERRORS.has((e as Error).name))
      console.error(`rlmf: ${(e as Error).message}`);
    else if (e instanceof DataError) console.error(`rlmf: ${e.message}`);
    else if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT')
      console.error(`rlmf: ${e.message.replace(/^ENOENT: /, '')}`);
    else console.error(`rlmf: ${e instanceof Error ? e.message : String(e)} (run with --debug for details)`);
    return e instanceof UsageError || e instanceof DataError ? 2 : 1;
  }
}
