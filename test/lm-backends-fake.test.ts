// The fake bigram model: a real distribution (probabilities sum to 1), greedy = argmax, seeded sampling reproducible.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFakeModel } from '../src/lm/fake.ts';

test('fake model: distribution, greedy, logProbs, sampling, embeddings are consistent and deterministic', async () => {
  const m = createFakeModel({ seed: 2 });
  const all = await m.nextTokens('ab', { topK: 1000 });
  assert.equal(all.length, 97);
  const total = all.reduce((s, t) => s + Math.exp(t.logprob), 0);
  assert.ok(Math.abs(total - 1) < 1e-12);
  const g = await m.generate('ab', { maxTokens: 1, temperature: 0 });
  assert.equal(g.text, all[0].text);
  const [lp] = await m.logProbs('ab', [all[1].text]);
  assert.equal(lp, all[1].logprob);
  const two = await m.generate('ab', { maxTokens: 2, temperature: 0 });
  const [lp2] = await m.logProbs('ab', [two.text]);
  const second = await m.nextTokens(`ab${two.text[0]}`, { topK: 1 });
  assert.equal(lp2, all[0].logprob + second[0].logprob);
  const s1 = await m.generate('ab', { maxTokens: 30, temperature: 1, seed: 5 });
  const s2 = await createFakeModel({ seed: 2 }).generate('ab', { maxTokens: 30, temperature: 1, seed: 5 });
  assert.equal(s1.text, s2.text);
  assert.notEqual((await m.generate('ab', { maxTokens: 30, temperature: 1, seed: 6 })).text, s1.text);
  const [e] = await m.embed(['hello']);
  assert.equal(e.length, 16);
  assert.ok(Math.abs(e.reduce((s, x) => s + x * x, 0) - 1) < 1e-6);
  assert.notEqual(createFakeModel({ seed: 3 }).modelId, m.modelId);
});
