// onnxruntime KV-cache decoding (logits equal the tfjs builtin model's; stories260K greedy equals llama.cpp) and the
// `rlmf lm bench` command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runLmBench } from '../src/cli/commands/lm-bench.ts';
import { countParams, type LlamaConfig, type ParamArrays, presetConfig } from '../src/lm/builtin/config.ts';
import { disposeCache, disposeModel, modelFromArrays, newCache, stepLogits } from '../src/lm/builtin/model.ts';
import { initTf } from '../src/lm/builtin/tf.ts';
import { readLlama2c } from '../src/lm/formats/llama2c.ts';
import { benchLlamaCppDecode } from '../src/lm/ort/bench.ts';
import { createOrtDecoder } from '../src/lm/ort/decode.ts';
import { randomParams as randomTinyParams, tinyLlamaConfig } from './helpers/tiny-llama.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const STORIES = join(repoRoot, '..', 'shared', 'models', 'stories260K');

const tiny = tinyLlamaConfig({ vocab_size: 13 });

const randomParams = (c: LlamaConfig, seed: number) => randomTinyParams(c, seed, 0.4);

test('decode logits at every position equal the tfjs builtin model with its KV cache (GQA)', async () => {
  const params = randomParams(tiny, 5);
  const dec = await createOrtDecoder(tiny, params);
  await initTf();
  const m = modelFromArrays(tiny, params);
  const cache = newCache();
  const tokens = [1, 7, 3, 12, 0, 5, 5, 9];
  for (const t of tokens) {
    const a = await dec.step(t);
    const b = stepLogits(m, [t], cache);
    assert.equal(a.length, tiny.vocab_size);
    for (let i = 0; i < a.length; i++)
      assert.ok(
        Math.abs((a[i] as number) - (b[i] as number)) < 1e-4,
        `pos ${dec.position} logit ${i}: ${a[i]} vs ${b[i]}`,
      );
  }
  // reset really empties the cache: the first step again gives the first logits
  dec.reset();
  const again = await dec.step(tokens[0] as number);
  const fresh = newCache();
  const ref = stepLogits(m, [tokens[0] as number], fresh);
  assert.ok(Math.abs((again[3] as number) - (ref[3] as number)) < 1e-4);
  disposeCache(cache);
  disposeCache(fresh);
  disposeModel(m);
  await dec.close();
});

test("stories260K: greedy decode from BOS gives llama.cpp's tokens", {
  skip: !existsSync(STORIES) && 'needs ../shared',
}, async () => {
  const w = readLlama2c(join(STORIES, 'stories260K.bin'));
  const config = { ...w.config, bos_token_id: 1, eos_token_id: 2 };
  const params: ParamArrays = new Map([...w.tensors].map(([k, t]) => [k, t.data]));
  const dec = await createOrtDecoder(config, params, { maxPositions: 64 });
  const ours = await dec.greedy([1], 40);
  await dec.close();
  const cpp = await benchLlamaCppDecode(join(STORIES, 'stories260K.gguf'), { tokens: 40, reps: 0, threads: 1 });
  assert.deepEqual(ours, cpp.tokens);
  // the llama2.c tokenizer's ids of "Once" ... as produced by the pretrained model (first tokens, golden)
  assert.deepEqual(ours.slice(0, 5), [403, 407, 261, 378, 432]);
});

test('lm bench --json prints train and decode tokens/s (micro preset, tiny run)', async () => {
  // a child process: the test runner owns this process's stdout
  const script = [
    "import { Command } from 'commander';",
    `import { registerLmBench } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'src/cli/commands/lm-bench.ts')).href)};`,
    'const program = new Command();',
    "registerLmBench(program.command('lm'));",
    'await program.parseAsync(process.argv.slice(1), { from: "user" });',
  ].join('\n');
  const args = [
    'lm',
    'bench',
    '--json',
    '--preset',
    'micro',
    '--batch',
    '2',
    '--seq',
    '16',
    '--steps',
    '1',
    '--decode-tokens',
    '8',
  ];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.ok((out.train_tokens_per_second as number) > 0);
  assert.ok((out.decode_tokens_per_second as number) > 0);
  assert.equal(out.parameters, countParams(presetConfig('micro')));
  assert.equal(out.batch, 2);
  assert.equal(out.seq, 16);
  assert.equal(out.threads, 1);
  assert.equal(out.backend, 'onnxruntime-node');
  await assert.rejects(runLmBench({ preset: 'micro', seq: '999' }), /--seq: 999 is above/);
  await assert.rejects(runLmBench({ preset: 'huge' }), /unknown preset/);
});
