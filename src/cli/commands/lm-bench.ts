// `rlmf lm bench`: training and decode throughput of the built-in model's fast paths (onnxruntime-node).
// Training = forward + backward + AdamW step on random tokens (the configuration by default: the `small`
// preset, V 4096, D 256, L 4, H 4, F 688, batch 8 × seq 128, one thread); decode = batch 1, same model, KV cache.
import type { Command } from 'commander';
import { UsageError } from '../../data/errors.ts';
import { initParams, presetConfig } from '../../lm/builtin/config.ts';
import { benchOrtDecode, benchOrtTrain, benchTorchTrain } from '../../lm/ort/bench.ts';
import { parseNumberOption, printJson } from '../common.ts';

export interface LmBenchOptions {
  json?: boolean;
  preset?: string;
  batch?: string;
  seq?: string;
  steps?: string;
  threads?: string;
  decodeTokens?: string;
  reference?: string;
}

export interface LmBenchResult {
  train_tokens_per_second: number;
  decode_tokens_per_second: number;
  train_step_ms: number;
  preset: string;
  parameters: number;
  batch: number;
  seq: number;
  threads: number;
  backend: 'onnxruntime-node';
  /** PyTorch CPU on the same configuration, same run (only with --reference). */
  torch_train_tokens_per_second?: number;
  torch_skipped?: string;
}

/** Everything `rlmf lm bench` does except printing. */
export async function runLmBench(o: LmBenchOptions): Promise<LmBenchResult> {
  const preset = o.preset ?? 'small';
  const config = presetConfig(preset);
  const batch = parseNumberOption('batch', o.batch, { integer: true, min: 1 }) ?? 8;
  const seq = parseNumberOption('seq', o.seq, { integer: true, min: 2 }) ?? 128;
  const steps = parseNumberOption('steps', o.steps, { integer: true, min: 1 }) ?? 8;
  const threads = parseNumberOption('threads', o.threads, { integer: true, min: 1 }) ?? 1;
  const decodeTokens = parseNumberOption('decode-tokens', o.decodeTokens, { integer: true, min: 1 }) ?? 128;
  if (seq > config.max_position_embeddings)
    throw new UsageError(`--seq: ${seq} is above the model's ${config.max_position_embeddings} positions`);
  if (decodeTokens + 1 > config.max_position_embeddings)
    throw new UsageError(
      `--decode-tokens: ${decodeTokens} + BOS is above the model's ${config.max_position_embeddings} positions`,
    );
  const train = await benchOrtTrain({ config, batch, seq, steps, warmup: Math.min(2, steps), threads });
  const params = initParams(config, 0);
  const decode = await benchOrtDecode(config, params, { tokens: decodeTokens, threads });
  const out: LmBenchResult = {
    train_tokens_per_second: Math.round(train.tokensPerSecond),
    decode_tokens_per_second: Math.round(decode.tokensPerSecond),
    train_step_ms: Number(train.stepMs.toFixed(1)),
    preset,
    parameters: [...params.values()].reduce((s, a) => s + a.length, 0),
    batch,
    seq,
    threads,
    backend: 'onnxruntime-node',
  };
  if (o.reference) {
    if (preset !== 'small' || batch !== 8 || seq !== 128 || threads !== 1)
      throw new UsageError(
        '--reference compares only the issue configuration (preset small, batch 8, seq 128, 1 thread)',
      );
    const torch = benchTorchTrain(o.reference, { steps });
    if (torch.tokensPerSecond) out.torch_train_tokens_per_second = Math.round(torch.tokensPerSecond);
    else out.torch_skipped = torch.skipped;
  }
  return out;
}

export function registerLmBench(lm: Command): void {
  lm.command('bench')
    .description('training (forward + backward + AdamW) and KV-cache decode throughput of the built-in model')
    .option('--json', 'print one JSON object')
    .option('--preset <name>', 'model preset: small (the issue benchmark: V 4096, D 256, L 4, H 4) | micro', 'small')
    .option('--batch <n>', 'training batch size', '8')
    .option('--seq <n>', 'training sequence length', '128')
    .option('--steps <n>', 'timed training steps (median reported, after warm-up)', '8')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--decode-tokens <n>', 'tokens generated in the decode measurement', '128')
    .option('--reference <script>', 'also run this PyTorch reference (bench/torch_reference.py) in the same run')
    .action(async (o: LmBenchOptions) => {
      const r = await runLmBench(o);
      if (o.json) printJson(r);
      else {
        process.stdout.write(
          `train  ${r.train_tokens_per_second} tokens/s (${r.train_step_ms} ms/step, ${r.preset}, ${r.parameters} params, batch ${r.batch} × seq ${r.seq}, ${r.threads} thread(s))\n` +
            `decode ${r.decode_tokens_per_second} tokens/s (batch 1, KV cache)\n` +
            (r.torch_train_tokens_per_second !== undefined
              ? `torch  ${r.torch_train_tokens_per_second} tokens/s (PyTorch CPU, same run)\n`
              : r.torch_skipped
                ? `torch  skipped: ${r.torch_skipped}\n`
                : ''),
        );
      }
    });
}
