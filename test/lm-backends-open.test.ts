// openModel: backend names, clear errors, and the lazily loaded builtin backend.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/data/errors.ts';
import { openModel, parseBackend } from '../src/lm/open.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

test('parseBackend and openModel give one-line usage errors', async () => {
  assert.equal(parseBackend('llama-cpp'), 'llama-cpp');
  assert.throws(() => parseBackend('gpt'), /--backend: "gpt" is not one of builtin, llama-cpp, openai, fake/);
  await assert.rejects(openModel({ backend: 'llama-cpp' }), UsageError);
  await assert.rejects(openModel({ backend: 'llama-cpp', model: '/nonexistent/x.gguf' }), /does not exist/);
  await assert.rejects(openModel({ backend: 'openai' }), /--base-url is required/);
  const fake = await openModel({ backend: 'fake', seed: 5 });
  assert.equal(fake.modelId, 'fake-bigram:seed=5:scale=3:dim=16');
});

test('builtin backend: a clear error while src/lm/builtin/backend.ts is absent', {
  skip: existsSync(join(repoRoot, 'src', 'lm', 'builtin', 'backend.ts')) && 'builtin backend present',
}, async () => {
  await assert.rejects(openModel({ backend: 'builtin', model: 'x' }), /builtin backend is not available in this build/);
});
