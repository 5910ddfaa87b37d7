import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { builtinFromModel, openBuiltin } from '../src/lm/builtin/backend.ts';
import { saveCheckpoint } from '../src/lm/builtin/checkpoint.ts';
import { initParams } from '../src/lm/builtin/config.ts';
import { addLora } from '../src/lm/builtin/lora.ts';
import { modelFromArrays } from '../src/lm/builtin/model.ts';
import { initTf, tf } from '../src/lm/builtin/tf.ts';
import { trainBpe } from '../src/lm/tokenizer/index.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const S260 = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-lm-backend-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const text = 'shares rise on strong sales\nshares fall on weak sales\nbank posts record profit\n'.repeat(20);
const tok = trainBpe(text, 300);

function randomModel(seed: number) {
  const c = tinyLlamaConfig({
    vocab_size: tok.vocabSize,
    intermediate_size: 32,
    max_position_embeddings: 64,
    tie_word_embeddings: true,
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId ?? 1,
  });
  const p = initParams(c, seed);
  const rng = createRng(seed);
  for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] += 0.3 * rng.normal();
  return { c, p };
}

test('checkpoint dir through the LanguageModel interface: ids, capabilities, generate/logProbs/nextTokens/embed', async () => {
  await initTf();
  const { c, p } = randomModel(1);
  const dir = join(tmp, 'ck');
  saveCheckpoint(dir, modelFromArrays(c, p), { tokenizerJson: tok.toJSON() });
  const lm = await openBuiltin({ model: dir });
  assert.equal(lm.backend, 'builtin');
  assert.deepEqual(lm.capabilities, { trainable: true, logprobs: true, embeddings: true, grammar: false });
  assert.equal(
    lm.modelId,
    createHash('sha256')
      .update(readFileSync(join(dir, 'model.safetensors')))
      .digest('hex'),
  );

  const g = await lm.generate('shares', { maxTokens: 8, temperature: 0 });
  assert.equal(g.usage.promptTokens, 1 + tok.encode('shares').length);
  assert.ok(g.usage.completionTokens <= 8);
  const s1 = await lm.generate('shares', { maxTokens: 8, temperature: 1, seed: 4 });
  const s2 = await lm.generate('shares', { maxTokens: 8, temperature: 1, seed: 4 });
  assert.deepEqual(s1, s2);

  // next-token distribution and logProbs agree: log p(first token) for a one-token continuation
  const top = await lm.nextTokens('bank posts', { topK: 5 });
  assert.equal(top.length, 5);
  assert.ok(top[0].logprob >= top[4].logprob);
  const [lp] = await lm.logProbs('bank posts', [tok.decode([top[0].id])]);
  assert.ok(Math.abs(lp - top[0].logprob) < 1e-4, `${lp} vs ${top[0].logprob}`);

  const [e1, e2] = await lm.embed(['shares rise', 'bank posts']);
  assert.equal(e1.length, 16);
  assert.notDeepEqual(e1, e2);
  assert.equal(await lm.countTokens('shares rise'), tok.encode('shares rise').length);

  // no grammar: structured output goes through parse + repair + re-ask and reports failure, never throws
  const r = await lm.structured('give json', z.object({ a: z.number() }), { maxTokens: 4, temperature: 0 });
  assert.equal(r.ok, false);
  await lm.close();
});

test('a LoRA-adapted model generates the same tokens through the JS decoder and through tfjs', async () => {
  await initTf();
  const { c, p } = randomModel(2);
  const m = modelFromArrays(c, p);
  const lora = addLora(m, { rank: 2, alpha: 4, targets: ['q_proj', 'up_proj'] });
  for (const b of lora.B.values()) (b as tf.Variable).assign(tf.randomNormal(b.shape, 0, 0.5, 'float32', 3));
  const lm = builtinFromModel(m, tok, 'test');
  const viaJs = await lm.generate('shares rise', { maxTokens: 10, temperature: 0 });
  // same greedy decode through the tfjs path
  const { decodeTokens } = await import('../src/lm/builtin/generate.ts');
  const ids = lm.promptIds('shares rise');
  const viaTf = decodeTokens(m, ids, { maxTokens: 10, stopIds: [c.eos_token_id] }, (x) => tok.decode(x));
  assert.equal(viaJs.usage.completionTokens, viaTf.ids.length);
  assert.equal(viaJs.text, viaTf.text);
  assert.ok(viaTf.ids.length > 0);
  const plain = builtinFromModel(modelFromArrays(c, p), tok, 'plain');
  assert.notDeepEqual(await plain.logProbs('shares', [' rise']), await lm.logProbs('shares', [' rise']));
});

test("stories260K through openBuiltin (.bin + tok512.bin, and .gguf): llama.cpp's greedy text", {
  skip: !existsSync(S260) && 'needs ../shared',
}, async () => {
  const ref = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'lm', 'stories260K-greedy.json'), 'utf8'));
  for (const [model, tokenizer] of [
    [join(S260, 'stories260K.bin'), join(S260, 'tok512.bin')],
    [join(S260, 'stories260K.gguf'), undefined],
  ]) {
    const lm = await openBuiltin({ model: model!, tokenizer });
    assert.deepEqual(lm.promptIds(ref.prompt), ref.prompt_token_ids);
    const g = await lm.generate(ref.prompt, { maxTokens: ref.max_tokens, temperature: 0 });
    assert.equal(g.text, ref.text);
    assert.equal(g.finishReason, 'length');
    const stop = await lm.generate(ref.prompt, { maxTokens: 64, temperature: 0, stop: [' named'] });
    assert.equal(stop.text, ', there was a little girl');
    assert.equal(stop.finishReason, 'stop');
    await lm.close();
  }
});
