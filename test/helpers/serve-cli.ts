// Child process for the `rlmf serve` CLI test: the serve command registered on a bare program (as main.ts does).
import { Command } from 'commander';
import { registerServe } from '../../src/cli/commands/lm-serve.ts';

const program = new Command('rlmf');
registerServe(program);
await program.parseAsync(process.argv.slice(2), { from: 'user' });
