// Response cache: keys, modes, exact replay with no model, budget, and two processes writing the same keys.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  BudgetExceededError,
  CacheMissError,
  cacheKey,
  canonicalJson,
  newAccounting,
  openCache,
  replayOnlyModel,
  withCache,
} from '../src/lm/cache.ts';
import { createFakeModel } from '../src/lm/fake.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = () => mkdtempSync(join(tmpdir(), 'rlmf-cache-'));
const greedy = { maxTokens: 12, temperature: 0 };

test('canonical JSON sorts keys at every level and the key covers every sampling parameter', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: undefined } }),
    '{"a":{"d":[2,{"e":2,"f":1}]},"b":1}',
  );
  const base = { backend: 'fake', modelId: 'm', method: 'generate', prompt: 'p', params: { maxTokens: 5, seed: 1 } };
  const k = cacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base, params: { seed: 1, maxTokens: 5 } }), k);
  assert.notEqual(cacheKey({ ...base, params: { maxTokens: 5, seed: 2 } }), k);
  assert.notEqual(cacheKey({ ...base, modelId: 'm2' }), k);
  assert.notEqual(cacheKey({ ...base, prompt: 'p ' }), k);
});

test('use stores, hits on repeat; replay reproduces the run with zero model calls', async () => {
  const dir = tmp();
  const fake = createFakeModel({ seed: 3 });
  const acc = newAccounting();
  const m = withCache(fake, openCache(dir, 'use'), acc);
  const run = async (model: typeof m | ReturnType<typeof withCache>) => ({
    g: await model.generate('Headline: ', greedy),
    s: await model.generate('Headline: ', { maxTokens: 8, temperature: 0.8, seed: 5 }),
    lp: await model.logProbs('up', ['!', '?']),
    nt: await model.nextTokens('up', { topK: 3 }),
    e: await model.embed(['a b', 'c']),
    n: await model.countTokens('four'),
  });
  const first = await run(m);
  assert.deepEqual(fake.calls, { generate: 2, logProbs: 1, nextTokens: 1, embed: 1 });
  assert.equal(acc.calls, 5);
  assert.equal(acc.cacheHits, 0);
  assert.equal(acc.completionTokens, 12 + 8);
  const again = await run(m);
  assert.deepEqual(fake.calls, { generate: 2, logProbs: 1, nextTokens: 1, embed: 1 }, 'second run is all hits');
  assert.equal(acc.cacheHits, 5);
  assert.equal(again.g.cached, true);
  assert.equal(again.g.text, first.g.text);
  assert.deepEqual(again.e, first.e);
  // Replay with a stand-in that would throw if called.
  const replay = withCache(replayOnlyModel(fake.backend, fake.modelId), openCache(dir, 'replay'));
  const third = await run(replay);
  assert.equal(third.g.text, first.g.text);
  assert.equal(third.s.text, first.s.text);
  assert.deepEqual(third.lp, first.lp);
  assert.deepEqual(third.nt, first.nt);
  assert.deepEqual(third.e, first.e);
  assert.equal(third.n, 4);
  assert.equal(replay.accounting.calls, 0);
  // A miss in replay names the method and the prompt.
  await assert.rejects(replay.generate('Never asked before', greedy), (e: Error) => {
    assert.ok(e instanceof CacheMissError);
    assert.match(e.message, /cache miss in replay mode: generate for prompt "Never asked before"/);
    return true;
  });
});

test('refresh calls again and overwrites; off never touches the cache', async () => {
  const dir = tmp();
  const a = createFakeModel({ seed: 1 });
  await withCache(a, openCache(dir, 'use')).generate('x', greedy);
  const b = createFakeModel({ seed: 1 });
  const r = withCache(b, openCache(dir, 'refresh'));
  await r.generate('x', greedy);
  assert.equal(b.calls.generate, 1);
  const c = createFakeModel({ seed: 1 });
  const off = withCache(c, openCache(dir, 'off'));
  await off.generate('y', greedy);
  await off.generate('y', greedy);
  assert.equal(c.calls.generate, 2);
  const files = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.json'));
  assert.equal(files.length, 1);
  const entry = JSON.parse(readFileSync(join(dir, String(files[0])), 'utf8'));
  assert.equal(entry.request.prompt, 'x');
  assert.equal(entry.request.params.maxTokens, 12);
});

test('the token budget stops before the call that would exceed it, and says so', async () => {
  const fake = createFakeModel();
  const acc = newAccounting({ maxTokensTotal: 40 });
  const m = withCache(fake, undefined, acc);
  // "abcd" = 4 prompt tokens (+1 BOS reported by the fake) + 12 completion tokens.
  await m.generate('abcd', greedy);
  assert.equal(acc.promptTokens + acc.completionTokens, 17);
  await m.generate('abcd', greedy); // estimate 4 + 12 = 16 -> 33 <= 40
  await assert.rejects(m.generate('abcd', greedy), (e: Error) => {
    assert.ok(e instanceof BudgetExceededError);
    assert.match(
      e.message,
      /needs up to 16 tokens, 34 of --max-tokens-total 40 are already used; stopped before making the call/,
    );
    return true;
  });
  assert.equal(fake.calls.generate, 2);
});

test('structured output through the cache: each attempt is cached, replay needs no model', async () => {
  const dir = tmp();
  let n = 0;
  const fake = createFakeModel({ script: () => (++n === 1 ? 'oops' : '{"x": 1}') });
  const schema = z.object({ x: z.number() });
  const r1 = await withCache(fake, openCache(dir, 'use')).structured('q', schema, greedy);
  assert.equal(r1.ok && r1.attempts, 2);
  const replay = withCache(replayOnlyModel('fake', fake.modelId), openCache(dir, 'replay'));
  assert.deepEqual(await replay.structured('q', schema, greedy), r1);
});

test('two processes writing the same keys at once leave one valid entry per key', async () => {
  const dir = tmp();
  const child = join(repoRoot, 'test', 'helpers', 'cache-writer.ts');
  const runChild = () =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [child, dir, '40'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d) => {
        err += d;
      });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
    });
  await Promise.all([runChild(), runChild()]);
  const files = readdirSync(dir, { recursive: true }).map(String);
  assert.equal(files.filter((f) => f.endsWith('.tmp')).length, 0);
  assert.equal(files.filter((f) => f.endsWith('.json')).length, 40);
  // Every entry parses and equals what a fresh model computes.
  const fake = createFakeModel({ seed: 9 });
  const replay = withCache(replayOnlyModel('fake', fake.modelId), openCache(dir, 'replay'));
  for (let i = 0; i < 40; i++) {
    const g = await replay.generate(`prompt ${i}`, { maxTokens: 10, temperature: 0 });
    assert.equal(g.text, (await fake.generate(`prompt ${i}`, { maxTokens: 10, temperature: 0 })).text);
  }
});

test('rlmf lm generate: --cache then --cache-mode replay gives the same text; the budget stops the run', async () => {
  const { runLmGenerate } = await import('../src/cli/commands/lm-generate.ts');
  const dir = tmp();
  const base = { backend: 'fake', prompt: 'Stocks ', maxTokens: '10', temperature: '0.7', seed: '3', cache: dir };
  const first = await runLmGenerate({ ...base, cacheMode: 'use' });
  assert.equal(first.accounting.calls, 1);
  const again = await runLmGenerate({ ...base, cacheMode: 'replay' });
  assert.equal(again.generation.text, first.generation.text);
  assert.equal(again.accounting.calls, 0);
  assert.equal(again.accounting.cacheHits, 1);
  await assert.rejects(runLmGenerate({ ...base, seed: '4', cacheMode: 'replay' }), CacheMissError);
  await assert.rejects(runLmGenerate({ ...base, cacheMode: 'off', maxTokensTotal: '12' }), BudgetExceededError);
  await assert.rejects(runLmGenerate({ ...base, cacheMode: 'bogus' }), /--cache-mode: "bogus" is not one of/);
});
