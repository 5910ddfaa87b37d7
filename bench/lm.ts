// Language-model speed (issue 3): built-in training step (onnxruntime-node) next to PyTorch CPU in the same run, and
// built-in KV-cache decode next to llama.cpp on stories260K. Run alone: `node bench/lm.ts` (prints JSON).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initParams } from '../src/lm/builtin/config.ts';
import { readLlama2c } from '../src/lm/formats/llama2c.ts';
import {
  BENCH_CONFIG,
  benchLlamaCppDecode,
  benchOrtDecode,
  benchOrtTrain,
  benchTfjsDecode,
  benchTorchTrain,
} from '../src/lm/ort/bench.ts';
import type { BenchResult } from './types.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const STORIES = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const CONFIG = 'V 4096, D 256, L 4, H 4, F 688, untied, batch 8 × seq 128, 1 thread';

export async function bench(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const torch = benchTorchTrain(join(repoRoot, 'bench', 'torch_reference.py'));
  const ours = await benchOrtTrain();
  out.push({
    name: `LM train step, built-in (onnxruntime-node) (${CONFIG})`,
    value: ours.tokensPerSecond,
    unit: 'tokens/s',
    target: torch.tokensPerSecond
      ? `>= ${(torch.tokensPerSecond / 2).toFixed(0)} (half of PyTorch)`
      : '>= half of PyTorch',
    note: torch.tokensPerSecond
      ? `${(ours.tokensPerSecond / torch.tokensPerSecond).toFixed(2)}× PyTorch in the same run`
      : `PyTorch skipped: ${torch.skipped}`,
  });
  if (torch.tokensPerSecond) {
    out.push({
      name: `LM train step, PyTorch ${torch.torch} CPU reference (bench/torch_reference.py)`,
      value: torch.tokensPerSecond,
      unit: 'tokens/s',
      note: `BLAS: ${torch.blas?.split(', ')[0] ?? 'unknown'}`,
    });
  } else {
    out.push({
      name: 'LM train step, PyTorch CPU reference',
      value: Number.NaN,
      unit: 'tokens/s',
      note: `skipped: ${torch.skipped}`,
    });
  }
  const small = await benchOrtDecode(BENCH_CONFIG, initParams(BENCH_CONFIG, 0), { tokens: 128 });
  out.push({
    name: 'LM decode, built-in (onnxruntime-node), benchmark model, batch 1, KV cache, 1 thread',
    value: small.tokensPerSecond,
    unit: 'tokens/s',
  });
  if (existsSync(join(STORIES, 'stories260K.bin')) && existsSync(join(STORIES, 'stories260K.gguf'))) {
    const w = readLlama2c(join(STORIES, 'stories260K.bin'));
    const config = { ...w.config, bos_token_id: w.config.bos_token_id ?? 1, eos_token_id: w.config.eos_token_id ?? 2 };
    const params = new Map([...w.tensors].map(([k, t]) => [k, t.data]));
    const n = 200;
    const ort = await benchOrtDecode(config, params, { tokens: n });
    const cpp = await benchLlamaCppDecode(join(STORIES, 'stories260K.gguf'), { tokens: n, threads: 1 });
    const tfjs = await benchTfjsDecode(config, params, { tokens: n });
    const same = ort.tokens.join() === cpp.tokens.join();
    out.push({
      name: `LM decode stories260K, built-in (onnxruntime-node), greedy ${n} tokens from BOS, 1 thread`,
      value: ort.tokensPerSecond,
      unit: 'tokens/s',
      target: `>= ${(cpp.tokensPerSecond / 2).toFixed(0)} (half of llama.cpp)`,
      note: `${(ort.tokensPerSecond / cpp.tokensPerSecond).toFixed(2)}× llama.cpp; tokens ${same ? 'identical' : 'DIFFER'} to llama.cpp's`,
    });
    out.push({
      name: 'LM decode stories260K, llama.cpp (node-llama-cpp, threads 1)',
      value: cpp.tokensPerSecond,
      unit: 'tokens/s',
    });
    out.push({
      name: 'LM decode stories260K, tfjs-wasm builtin model (for comparison)',
      value: tfjs.tokensPerSecond,
      unit: 'tokens/s',
      note: tfjs.tokens.join() === ort.tokens.join() ? 'same tokens' : 'tokens differ',
    });
  } else {
    out.push({ name: 'LM decode stories260K', value: Number.NaN, unit: 'tokens/s', note: 'skipped: needs ../shared' });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await bench(), null, 2)}\n`);
}
