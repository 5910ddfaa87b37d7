// Real-language check of the training stack (issue 3 item 8), runnable without the rlmf CLI wiring:
//   node scripts/sentiment-check.ts [--steps N] [--pretrain-steps N] [--seed N] [--threads N] [--out DIR] [--json]
// Same options as `rlmf lm sentiment-check`; see docs/lm-sentiment.md.
import { Command } from 'commander';
import { registerLmSentiment } from '../src/cli/commands/lm-sentiment.ts';

const lm = new Command('lm').exitOverride();
registerLmSentiment(lm);
try {
  await lm.parseAsync(['sentiment-check', ...process.argv.slice(2)], { from: 'user' });
} catch (e) {
  const err = e as Error & { code?: string };
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') process.exit(0);
  process.stderr.write(`${err.name === 'UsageError' ? '' : `${err.name}: `}${err.message}\n`);
  process.exit(err.name === 'UsageError' ? 2 : 1);
}
