// Structured output: extraction, repair, one re-ask, counted failures (fake model with scripted answers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createFakeModel } from '../src/lm/fake.ts';
import {
  extractJson,
  newStructuredCounter,
  parseStructured,
  structuredOutput,
  tallyStructured,
} from '../src/lm/structured.ts';

const Signal = z.object({ action: z.enum(['buy', 'sell', 'hold']), confidence: z.number().min(0).max(1) });
const opts = { maxTokens: 200, temperature: 0 };

test('extractJson finds the first balanced JSON value in prose and code fences', () => {
  assert.equal(extractJson('Sure! ```json\n{"a": {"b": "}"}}\n``` done'), '{"a": {"b": "}"}}');
  assert.equal(extractJson('x [1, [2]] y {"z":1}'), '[1, [2]]');
  assert.equal(extractJson('{"a": 1, "b": [2'), '{"a": 1, "b": [2');
  assert.equal(extractJson('no json here'), undefined);
});

test('parseStructured validates, repairs and reports schema errors', () => {
  assert.deepEqual(parseStructured('{"action":"buy","confidence":0.7}', Signal), {
    ok: true,
    value: { action: 'buy', confidence: 0.7 },
    repaired: false,
  });
  const r = parseStructured("{action: 'sell', confidence: 0.2,}", Signal);
  assert.deepEqual(r, { ok: true, value: { action: 'sell', confidence: 0.2 }, repaired: true });
  const bad = parseStructured('{"action":"short","confidence":2}', Signal);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.match(bad.error, /action/);
    assert.match(bad.error, /confidence/);
  }
});

test('a bad first answer gets exactly one re-ask quoting the error; success is counted', async () => {
  const prompts: string[] = [];
  const model = createFakeModel({
    script: (p) => {
      prompts.push(p);
      return prompts.length === 1
        ? 'I think {"action": "moon", "confidence": 0.5}'
        : '{"action": "hold", "confidence": 0.5}';
    },
  });
  const counter = newStructuredCounter();
  const r = await structuredOutput(model, 'Decide.', Signal, opts, counter);
  assert.deepEqual(r, {
    ok: true,
    value: { action: 'hold', confidence: 0.5 },
    raw: '{"action": "hold", "confidence": 0.5}',
    repaired: false,
    attempts: 2,
  });
  assert.equal(prompts.length, 2);
  assert.match(prompts[1], /not valid: does not match the schema: action/);
  assert.deepEqual(counter, { calls: 1, ok: 1, repaired: 0, reasked: 1, failed: 0 });
});

test('two bad answers return ok:false (never throw) and count a failure', async () => {
  const model = createFakeModel({ script: () => 'no idea' });
  const counter = newStructuredCounter();
  const r1 = await structuredOutput(model, 'Decide.', Signal, opts, counter);
  const r2 = await model.structured('Decide.', Signal, opts);
  assert.deepEqual(r1, {
    ok: false,
    error: 'no JSON object or array found in the answer',
    raw: 'no idea',
    attempts: 2,
  });
  assert.deepEqual(r2, r1);
  assert.deepEqual(counter, { calls: 1, ok: 0, repaired: 0, reasked: 1, failed: 1 });
  tallyStructured(counter, r2);
  tallyStructured(counter, { ok: true, value: 1, raw: '1', repaired: true, attempts: 1 });
  assert.deepEqual(counter, { calls: 3, ok: 1, repaired: 1, reasked: 2, failed: 2 });
});

test('grammar hosts are called with the JSON schema of the zod schema', async () => {
  let seen: unknown;
  const host = {
    generate: async () => assert.fail('text path must not be used'),
    generateWithJsonSchema: async (_p: string, js: Record<string, unknown>) => {
      seen = js;
      return {
        text: '{"action":"buy","confidence":1}',
        finishReason: 'stop' as const,
        usage: { promptTokens: 1, completionTokens: 1 },
      };
    },
  };
  const r = await structuredOutput(host, 'Decide.', Signal, opts);
  assert.equal(r.ok, true);
  assert.equal((seen as { type: string }).type, 'object');
  assert.deepEqual((seen as { required: string[] }).required, ['action', 'confidence']);
  assert.equal((seen as Record<string, unknown>).$schema, undefined);
});
