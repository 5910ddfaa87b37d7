// Decoding paths of the built-in backend (onnxruntime graph, plain JS, tfjs): the same greedy and seeded-sampled
// tokens on every path, and the 'auto' choice (ORT for a fixed model, JS for a small model trained between calls);
// stories260K through each path equals llama.cpp's greedy text (skipped without ../shared).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { builtinFromModel, openBuiltin } from '../src/lm/builtin/backend.ts';
import { initParams } from '../src/lm/builtin/config.ts';
import { modelFromArrays } from '../src/lm/builtin/model.ts';
import { initTf, tf } from '../src/lm/builtin/tf.ts';
import { trainBpe } from '../src/lm/tokenizer/index.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const S260 = join(repoRoot, '..', 'shared', 'models', 'stories260K');
before(() => initTf());

const tok = trainBpe(
  'shares rise on strong sales\nshares fall on weak sales\nbank posts record profit\n'.repeat(20),
  300,
);

function randomModel(seed: number, trainable = false) {
  const c = tinyLlamaConfig({
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 48,
    max_position_embeddings: 64,
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId ?? 1,
  });
  const p = initParams(c, seed);
  const rng = createRng(seed);
  for (const a of p.values()) for (let i = 0; i < a.length; i++) a[i] += 0.3 * rng.normal();
  return modelFromArrays(c, p, () => trainable);
}

test('ort, js and tfjs decoding paths give the same greedy and seeded-sampled generations', async () => {
  const out: Record<string, Awaited<ReturnType<ReturnType<typeof builtinFromModel>['generate']>>[]> = {};
  for (const decoder of ['ort', 'js', 'tfjs'] as const) {
    const lm = builtinFromModel(randomModel(5), tok, 'm', { decoder });
    out[decoder] = [
      await lm.generate('shares', { maxTokens: 20, temperature: 0 }),
      await lm.generate('bank posts', { maxTokens: 12, temperature: 0.9, topK: 20, seed: 3 }),
    ];
    assert.equal(lm.lastDecodePath, decoder);
    await lm.close();
  }
  const first = out.ort?.[0];
  assert.ok(first && first.usage.completionTokens > 3, 'greedy generation is not empty');
  assert.deepEqual(out.ort, out.tfjs);
  assert.deepEqual(out.js, out.tfjs);
});

test("auto: ORT for a fixed model; JS when a small model's weights change between calls (no graph rebuild)", async () => {
  const m = randomModel(6, true);
  const lm = builtinFromModel(m, tok, 'm');
  const a = await lm.generate('shares', { maxTokens: 10, temperature: 0 });
  assert.equal(lm.lastDecodePath, 'ort');
  await lm.generate('shares', { maxTokens: 10, temperature: 0 });
  assert.equal(lm.lastDecodePath, 'ort');
  // a training step in between: new weight storage
  const name = 'model.layers.0.mlp.up_proj.weight';
  const w = m.weights.get(name) as tf.Variable;
  w.assign(tf.mul(w, 1.5));
  const b = await lm.generate('shares', { maxTokens: 10, temperature: 0 });
  assert.equal(lm.lastDecodePath, 'js');
  // the weights stay put: the next call builds the ORT graph for them, with the same tokens as JS
  const c = await lm.generate('shares', { maxTokens: 10, temperature: 0 });
  assert.equal(lm.lastDecodePath, 'ort');
  assert.deepEqual(c, b);
  assert.notDeepEqual(a, b);
  await lm.close();
});

test("stories260K: every decoding path reproduces llama.cpp's greedy text", {
  skip: !existsSync(S260) && 'needs ../shared',
}, async () => {
  const ref = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'lm', 'stories260K-greedy.json'), 'utf8'));
  for (const decoder of ['ort', 'js'] as const) {
    const lm = await openBuiltin({
      model: join(S260, 'stories260K.bin'),
      tokenizer: join(S260, 'tok512.bin'),
      decoder,
    });
    const g = await lm.generate(ref.prompt, { maxTokens: ref.max_tokens, temperature: 0 });
    assert.equal(g.text, ref.text, decoder);
    await lm.close();
  }
});
