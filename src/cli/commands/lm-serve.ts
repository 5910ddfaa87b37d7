// `rlmf serve`: an OpenAI-compatible HTTP API over any backend (see docs/lm-backends.md).
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import { openModel } from '../../lm/open.ts';
import { type RunningServer, startServer } from '../../lm/serve.ts';
import { parseNumberOption } from '../common.ts';
import { modelSpecFromOptions } from './lm-generate.ts';

export interface ServeCommandOptions {
  backend: string;
  model?: string;
  tokenizer?: string;
  threads?: string;
  contextSize?: string;
  lora?: string[];
  baseUrl?: string;
  host: string;
  port: string;
  apiKeyEnv?: string;
  maxBodyBytes: string;
  modelName?: string;
  quiet?: boolean;
}

/** Open the model and start listening; resolves once the server accepts connections. */
export async function runServe(o: ServeCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const port = parseNumberOption('port', o.port, { integer: true, min: 0 }) as number;
  const maxBodyBytes = parseNumberOption('max-body-bytes', o.maxBodyBytes, { integer: true, min: 1 }) as number;
  let apiKey: string | undefined;
  if (o.apiKeyEnv !== undefined) {
    apiKey = env[o.apiKeyEnv];
    if (!apiKey) throw new UsageError(`--api-key-env: environment variable ${o.apiKeyEnv} is not set or empty`);
  }
  const model = await openModel(modelSpecFromOptions(o));
  const running = await startServer(model, {
    host: o.host,
    port,
    apiKey,
    maxBodyBytes,
    modelName: o.modelName,
    log: o.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const close = running.close;
  running.close = async () => {
    await close();
    await model.close();
  };
  return running;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve a model over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions, /v1/embeddings)',
    )
    .requiredOption('--backend <name>', 'builtin | llama-cpp | openai | fake')
    .option('--model <path>', 'checkpoint dir, llama2.c .bin or .gguf')
    .option('--tokenizer <path>', 'tokenizer for a llama2.c .bin')
    .option('--threads <n>', 'CPU threads (default min(cores, 4))')
    .option('--context-size <n>', 'llama-cpp context window')
    .option('--lora <path[:scale]>', 'llama-cpp LoRA adapter (repeatable)', collect)
    .option('--base-url <url>', 'openai backend: upstream server to relay')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8080')
    .option('--api-key-env <name>', 'require "Authorization: Bearer $NAME" on every request')
    .option('--max-body-bytes <n>', 'largest accepted request body', String(1024 * 1024))
    .option('--model-name <id>', 'model id to report (default: the model identity, e.g. sha256:...)')
    .option('--quiet', 'no request log on stderr')
    .action(async (o: ServeCommandOptions) => {
      const running = await runServe(o);
      process.stderr.write(`rlmf serve: ${running.baseURL} (model "${running.modelName}"); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          running.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
