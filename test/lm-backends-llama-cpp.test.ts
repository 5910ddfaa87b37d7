// llama-cpp backend on the real stories260K GGUF (skipped without ../shared).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import { registerLmGenerate } from '../src/cli/commands/lm-generate.ts';
import { type LlamaCppModel, openLlamaCpp } from '../src/lm/backends/llama-cpp.ts';
import { writeJsonAtomic } from '../src/util/fs.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = join(repoRoot, '..', 'shared');
const GGUF = join(SHARED, 'models', 'stories260K', 'stories260K.gguf');
const skip = !existsSync(GGUF) && 'needs ../shared/models/stories260K';
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'lm', 'stories260K-greedy.json');
let fixture = JSON.parse(readFileSync(FIXTURE, 'utf8'));
const hashCacheDir = mkdtempSync(join(tmpdir(), 'rlmf-hash-'));

let m: LlamaCppModel;
before(async () => {
  if (!skip) m = await openLlamaCpp({ modelPath: GGUF, threads: 1, contextSize: 512, hashCacheDir });
});
after(async () => {
  await m?.close();
});

test('modelId is the sha256 of the GGUF file (PROVENANCE.md)', { skip }, () => {
  assert.equal(m.modelId, 'sha256:270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d');
  assert.equal(fixture.model_sha256, m.modelId.slice('sha256:'.length));
});

// RLMF_UPDATE_FIXTURES=1 re-records test/fixtures/lm/stories260K-greedy.json from llama.cpp (then review the diff).
test('record the llama.cpp greedy fixture (only with RLMF_UPDATE_FIXTURES=1)', {
  skip: skip || (process.env.RLMF_UPDATE_FIXTURES !== '1' && 'set RLMF_UPDATE_FIXTURES=1 to re-record'),
}, async () => {
  const g = await m.generateTokens(fixture.prompt, { maxTokens: 64, temperature: 0 });
  writeJsonAtomic(FIXTURE, {
    ...fixture,
    model_sha256: m.modelId.slice('sha256:'.length),
    prompt_token_ids: [1, ...(await m.tokenize(fixture.prompt))],
    token_ids: g.tokens,
    text: g.text,
  });
  fixture = JSON.parse(readFileSync(FIXTURE, 'utf8'));
});

test('greedy from BOS + "Once upon a time" reproduces the recorded llama.cpp tokens, twice', { skip }, async () => {
  assert.deepEqual([1, ...(await m.tokenize(fixture.prompt))], fixture.prompt_token_ids);
  for (let i = 0; i < 2; i++) {
    const g = await m.generateTokens(fixture.prompt, { maxTokens: 64, temperature: 0 });
    assert.deepEqual(g.tokens, fixture.token_ids);
    assert.equal(g.text, fixture.text);
    assert.equal(g.finishReason, 'length');
    assert.deepEqual(g.usage, { promptTokens: 5, completionTokens: 64 });
  }
  assert.ok(
    fixture.text.startsWith(', there was a little girl named Lily. She loved to play outside in the park. One day,'),
  );
});

test('stop strings cut the text before the stop; seeded sampling is reproducible', { skip }, async () => {
  const g = await m.generate('Once upon a time', { maxTokens: 40, temperature: 0, stop: ['Lily'] });
  assert.equal(g.text, ', there was a little girl named ');
  assert.equal(g.finishReason, 'stop');
  const a = await m.generate('Once upon a time', { maxTokens: 20, temperature: 0.9, seed: 7 });
  const b = await m.generate('Once upon a time', { maxTokens: 20, temperature: 0.9, seed: 7 });
  assert.equal(a.text, b.text);
  assert.equal(a.usage.completionTokens, 20);
});

test('streamed text arrives in pieces that add up to the generated text, stop strings held back', {
  skip,
}, async () => {
  const pieces: string[] = [];
  const g = await m.generateStream('Once upon a time', { maxTokens: 40, temperature: 0, stop: ['Lily'] }, (d) =>
    pieces.push(d),
  );
  assert.equal(pieces.join(''), g.text);
  assert.equal(g.text, ', there was a little girl named ');
  assert.ok(pieces.length >= 5, `only ${pieces.length} pieces`);
});

test('logProbs agree with nextTokens and with per-token scores', { skip }, async () => {
  const top = await m.nextTokens('Once upon a time', { topK: 3 });
  assert.deepEqual(
    top.map((t) => [t.id, t.text]),
    [
      [432, ','],
      [383, ' there'],
      [322, ' in'],
    ],
  );
  const total = top.reduce((s, t) => s + Math.exp(t.logprob), 0);
  assert.ok(total > 0.99 && total <= 1 + 1e-9);
  const [comma, there, commaThere] = await m.logProbs('Once upon a time', [',', ' there', ', there']);
  assert.ok(Math.abs(comma - top[0].logprob) < 1e-4, `${comma} vs ${top[0].logprob}`);
  assert.ok(Math.abs(there - top[1].logprob) < 1e-4);
  const scores = await m.scoreTokens('Once upon a time', ', there');
  assert.deepEqual(
    scores.map((s) => [s.text, s.offset]),
    [
      [',', 0],
      [' there', 1],
    ],
  );
  assert.ok(Math.abs(commaThere - (scores[0].logprob + scores[1].logprob)) < 1e-6);
  const next = await m.nextTokens('Once upon a time,', { topK: 1 });
  assert.ok(Math.abs(scores[1].logprob - next[0].logprob) < 1e-4);
  assert.equal(next[0].text, ' there');
});

test('JSON-schema grammar output parses and validates', { skip }, async () => {
  const schema = z.object({ name: z.string(), age: z.number().int() });
  const r = await m.structured('Lily said', schema, { maxTokens: 60, temperature: 0 });
  assert.equal(r.ok, true);
  if (r.ok) {
    assert.equal(typeof r.value.name, 'string');
    assert.ok(Number.isInteger(r.value.age));
    assert.deepEqual(JSON.parse(r.raw), r.value);
    assert.equal(r.attempts, 1);
  }
});

test('embeddings and token counts', { skip }, async () => {
  const [a, b] = await m.embed(['Once upon a time', 'Once upon a time']);
  assert.equal(a.length, 64);
  assert.deepEqual(a, b);
  assert.equal(await m.countTokens('Once upon a time'), 4);
});

test('rlmf lm generate --backend llama-cpp prints the continuation only', { skip }, async () => {
  const program = new Command('rlmf').exitOverride();
  let out = '';
  registerLmGenerate(program.command('lm'), (s) => {
    out += s;
  });
  const env = process.env.RLMF_CACHE_DIR;
  process.env.RLMF_CACHE_DIR = hashCacheDir;
  try {
    await program.parseAsync(
      [
        'lm',
        'generate',
        '--backend',
        'llama-cpp',
        '--model',
        GGUF,
        '--prompt',
        'Once upon a time',
        '--max-tokens',
        '64',
        '--temperature',
        '0',
        '--threads',
        '1',
        '--context-size',
        '256',
      ],
      { from: 'user' },
    );
  } finally {
    if (env === undefined) delete process.env.RLMF_CACHE_DIR;
    else process.env.RLMF_CACHE_DIR = env;
  }
  assert.equal(out, `${fixture.text}\n`);
});
