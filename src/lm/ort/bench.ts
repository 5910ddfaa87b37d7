// Throughput measurements of the built-in model's fast paths, shared by `rlmf lm bench` and bench/lm.ts.
// Training: forward + backward + AdamW step on random tokens (batch × seq tokens per step), median of timed steps
// after warm-up. Decode: batch 1 with a KV cache, greedy from BOS, tokens generated per second (prompt excluded).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRng } from '../../util/rng.ts';
import { initParams, type LlamaConfig, type ParamArrays, presetConfig } from '../builtin/config.ts';
import { createOrtDecoder } from './decode.ts';
import { createOrtTrainer } from './trainer.ts';

/** The benchmark model of issue 3: V 4096, D 256, L 4, H 4, Hkv 4, F 688, untied (the `small` preset). */
export const BENCH_CONFIG: LlamaConfig = presetConfig('small');

export interface TrainBench {
  tokensPerSecond: number;
  stepMs: number;
  loss: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export function randomTokens(batch: number, seq: number, vocab: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: batch }, () => Array.from({ length: seq }, () => rng.int(vocab)));
}

/** Train-step throughput of the onnxruntime trainer (single thread unless `threads`). */
export async function benchOrtTrain(
  opts: { config?: LlamaConfig; batch?: number; seq?: number; steps?: number; warmup?: number; threads?: number } = {},
): Promise<TrainBench> {
  const c = opts.config ?? BENCH_CONFIG;
  const B = opts.batch ?? 8;
  const T = opts.seq ?? 128;
  const tr = createOrtTrainer(c, initParams(c, 0), {
    lr: 1e-3,
    betas: [0.9, 0.95],
    weightDecay: 0.1,
    clip: 1,
    threads: opts.threads ?? 1,
  });
  const x = randomTokens(B, T, c.vocab_size, 1);
  const y = randomTokens(B, T, c.vocab_size, 2);
  let loss = 0;
  for (let i = 0; i < (opts.warmup ?? 2); i++) loss = (await tr.step(x, y)).loss;
  const times: number[] = [];
  for (let i = 0; i < (opts.steps ?? 8); i++) {
    const t0 = performance.now();
    loss = (await tr.step(x, y)).loss;
    times.push(performance.now() - t0);
  }
  await tr.close();
  const stepMs = median(times);
  return { tokensPerSecond: (B * T) / (stepMs / 1000), stepMs, loss };
}

export interface DecodeBench {
  tokensPerSecond: number;
  tokens: number[];
}

/** Greedy decode throughput through the onnxruntime KV-cache graph (prompt = [bos]); best of `reps` runs. */
export async function benchOrtDecode(
  c: LlamaConfig,
  params: ParamArrays,
  opts: { tokens?: number; reps?: number; threads?: number; bos?: number } = {},
): Promise<DecodeBench> {
  const n = opts.tokens ?? 128;
  const dec = await createOrtDecoder(c, params, { threads: opts.threads ?? 1, maxPositions: n + 1 });
  let best = Number.POSITIVE_INFINITY;
  let tokens: number[] = [];
  for (let r = 0; r < (opts.reps ?? 3) + 1; r++) {
    dec.reset();
    const first = await dec.step(opts.bos ?? c.bos_token_id);
    const t0 = performance.now();
    tokens = [];
    let logits = first;
    for (let i = 0; i < n; i++) {
      let next = 0;
      for (let j = 1; j < logits.length; j++) if ((logits[j] as number) > (logits[next] as number)) next = j;
      tokens.push(next);
      if (i < n - 1) logits = await dec.step(next);
    }
    if (r > 0) best = Math.min(best, performance.now() - t0); // r = 0 warms up
  }
  await dec.close();
  return { tokensPerSecond: n / (best / 1000), tokens };
}

/** Greedy decode throughput of llama.cpp (node-llama-cpp, CPU, `threads`) on a GGUF file, prompt = [BOS]. */
export async function benchLlamaCppDecode(
  ggufPath: string,
  opts: { tokens?: number; reps?: number; threads?: number } = {},
): Promise<DecodeBench> {
  const n = opts.tokens ?? 128;
  const threads = opts.threads ?? 1;
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath: ggufPath });
  const context = await model.createContext({ contextSize: Math.max(256, n + 16), threads, sequences: 1 });
  const seq = context.getSequence();
  const bos = model.tokens.bos;
  if (bos === null) throw new Error(`${ggufPath}: model has no BOS token`);
  let best = Number.POSITIVE_INFINITY;
  let tokens: number[] = [];
  for (let r = 0; r < (opts.reps ?? 3) + 1; r++) {
    await seq.clearHistory();
    tokens = [];
    let t0 = 0;
    const iter = seq.evaluate([bos], { temperature: 0 });
    for await (const t of iter) {
      // the clock starts once the first token (the one after the prompt) is out, as for the onnxruntime decoder
      if (tokens.length === 0) t0 = performance.now();
      tokens.push(t as number);
      if (tokens.length >= n + 1) break;
    }
    await iter.return(undefined);
    if (r > 0) best = Math.min(best, performance.now() - t0);
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { tokensPerSecond: n / (best / 1000), tokens: tokens.slice(0, n) };
}

export interface TorchBench {
  tokensPerSecond?: number;
  stepMs?: number;
  /** Why the reference did not run (no python3 / no torch). */
  skipped?: string;
  torch?: string;
  blas?: string;
}

/** Run bench/torch_reference.py (PyTorch CPU, one thread) with /usr/bin/python3 when it is there. */
export function benchTorchTrain(script: string, opts: { steps?: number; python?: string } = {}): TorchBench {
  const python = opts.python ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  if (!existsSync(script)) return { skipped: `${script} not found` };
  const r = spawnSync(python, [script, '--steps', String(opts.steps ?? 8)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    timeout: 600_000,
  });
  if (r.error) return { skipped: `${python}: ${r.error.message}` };
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? '';
    return {
      skipped: /No module named 'torch'/.test(r.stderr) ? 'PyTorch not installed' : `reference failed: ${last}`,
    };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  return {
    tokensPerSecond: j.tokens_per_second as number,
    stepMs: j.step_ms as number,
    torch: j.torch as string,
    blas: j.blas as string,
  };
}

/** The same greedy decode through the tfjs-wasm builtin model (src/lm/builtin), for comparison; best of `reps`. */
export async function benchTfjsDecode(
  c: LlamaConfig,
  params: ParamArrays,
  opts: { tokens?: number; reps?: number; bos?: number } = {},
): Promise<DecodeBench> {
  const n = opts.tokens ?? 128;
  const { initTf } = await import('../builtin/tf.ts');
  const { modelFromArrays, newCache, disposeCache, disposeModel, stepLogits } = await import('../builtin/model.ts');
  await initTf();
  const m = modelFromArrays(c, params);
  let best = Number.POSITIVE_INFINITY;
  let tokens: number[] = [];
  for (let r = 0; r < (opts.reps ?? 1) + 1; r++) {
    const cache = newCache();
    let logits = stepLogits(m, [opts.bos ?? c.bos_token_id], cache);
    const t0 = performance.now();
    tokens = [];
    for (let i = 0; i < n; i++) {
      let next = 0;
      for (let j = 1; j < logits.length; j++) if ((logits[j] as number) > (logits[next] as number)) next = j;
      tokens.push(next);
      if (i < n - 1) logits = stepLogits(m, [next], cache);
    }
    if (r > 0) best = Math.min(best, performance.now() - t0);
    disposeCache(cache);
  }
  disposeModel(m);
  return { tokensPerSecond: n / (best / 1000), tokens };
}
