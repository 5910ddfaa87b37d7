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
import { registerMetrics } from './commands/metrics.ts';
import { registerReport } from './commands/report.ts';

export function buildProgram(): Command {
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
  for (const c of [program, ...program.commands, ...data.commands]) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (debug) console.error(e);
    else if (e instanceof UsageError || e instanceof LookAheadError) console.error(`rlmf: ${e.message}`);
    else if (e instanceof DataError) console.error(`rlmf: ${e.message}`);
    else if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT')
      console.error(`rlmf: ${e.message.replace(/^ENOENT: /, '')}`);
    else console.error(`rlmf: ${e instanceof Error ? e.message : String(e)} (run with --debug for details)`);
    return e instanceof UsageError || e instanceof DataError ? 2 : 1;
  }
}
