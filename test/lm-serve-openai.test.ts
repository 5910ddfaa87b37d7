// `rlmf serve` + the openai backend, end to end over real HTTP on 127.0.0.1 (port 0): the fake model always,
// and the llama-cpp backend on stories260K when ../shared is present.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { runServe } from '../src/cli/commands/lm-serve.ts';
import { openLlamaCpp } from '../src/lm/backends/llama-cpp.ts';
import { openOpenAI, scrubSecret } from '../src/lm/backends/openai.ts';
import { createFakeModel } from '../src/lm/fake.ts';
import { startServer } from '../src/lm/serve.ts';
import type { LanguageModel } from '../src/lm/types.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const GGUF = join(repoRoot, '..', 'shared', 'models', 'stories260K', 'stories260K.gguf');
const noShared = !existsSync(GGUF) && 'needs ../shared/models/stories260K';
const noSleep = async () => {};

async function roundTrip(local: LanguageModel & { scoreTokens: unknown }, prompt: string, cont: string) {
  const srv = await startServer(local, { port: 0 });
  try {
    const remote = await openOpenAI({ baseURL: srv.baseURL, env: {} });
    assert.equal(remote.modelId, local.modelId);
    for (const opts of [
      { maxTokens: 20, temperature: 0 },
      { maxTokens: 15, temperature: 0.8, seed: 11 },
      { maxTokens: 30, temperature: 0, stop: ['e'] },
    ]) {
      const [a, b] = [await local.generate(prompt, opts), await remote.generate(prompt, opts)];
      assert.equal(b.text, a.text);
      assert.equal(b.finishReason, a.finishReason);
      assert.deepEqual(b.usage, a.usage);
    }
    const [lpLocal] = await local.logProbs(prompt, [cont]);
    const [lpRemote] = await remote.logProbs(prompt, [cont]);
    assert.ok(Math.abs(lpLocal - lpRemote) < 1e-4, `${lpLocal} vs ${lpRemote}`);
    const topLocal = await local.nextTokens(prompt, { topK: 3 });
    const topRemote = await remote.nextTokens(prompt, { topK: 3 });
    assert.deepEqual(
      topRemote.map((t) => t.text),
      topLocal.map((t) => t.text),
    );
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(topRemote[i].logprob - topLocal[i].logprob) < 1e-4);
    const [eLocal] = await local.embed([prompt]);
    const [eRemote] = await remote.embed([prompt]);
    assert.deepEqual(eRemote, eLocal);
    assert.equal(await remote.countTokens(prompt), await local.countTokens(prompt));
    // Chat: incremental SSE deltas add up to the non-streamed answer.
    const chatBody = { messages: [{ role: 'user', content: prompt }], max_tokens: 24, temperature: 0, stop: ['e'] };
    const post = (b: unknown) => fetch(`${srv.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(b) });
    const whole = (await (await post(chatBody)).json()) as { choices: { message: { content: string } }[] };
    const events = (await (await post({ ...chatBody, stream: true })).text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const deltas = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)).choices[0].delta.content ?? '');
    assert.equal(deltas.join(''), whole.choices[0].message.content);
    assert.ok(!deltas.join('').includes('e'));
  } finally {
    await srv.close();
  }
}

test('openai backend against rlmf serve over the fake model matches the model itself', async () => {
  await roundTrip(createFakeModel({ seed: 4 }), 'The market opened ', 'higher');
});

test('openai backend against rlmf serve over llama-cpp (stories260K) matches llama-cpp', {
  skip: noShared,
}, async () => {
  const local = await openLlamaCpp({
    modelPath: GGUF,
    threads: 1,
    contextSize: 256,
    hashCacheDir: mkdtempSync(join(tmpdir(), 'rlmf-h-')),
  });
  try {
    await roundTrip(local, 'Once upon a time', ', there was');
  } finally {
    await local.close();
  }
});

test('chat completions: plain template, JSON and SSE streaming carry the same text', async () => {
  const fake = createFakeModel({ script: (p) => (p.endsWith('Assistant:') ? ' Buy the dip.' : undefined) });
  const srv = await startServer(fake, { port: 0 });
  try {
    const body = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Advice?' },
      ],
      max_tokens: 50,
    };
    const r = await fetch(`${srv.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
    const j = (await r.json()) as { choices: { message: { content: string }; finish_reason: string }[] };
    assert.equal(j.choices[0].message.content, 'Buy the dip.');
    assert.equal(j.choices[0].finish_reason, 'stop');
    const s = await fetch(`${srv.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...body, stream: true }),
    });
    assert.equal(s.headers.get('content-type'), 'text/event-stream');
    const events = (await s.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), 'Buy the dip.');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    // The openai SDK in chat mode reads the same server.
    const remote = await openOpenAI({ baseURL: srv.baseURL, chat: true, env: {} });
    const g = await remote.generate('Advice?', { maxTokens: 50 });
    assert.equal(g.text, 'Buy the dip.');
  } finally {
    await srv.close();
  }
});

test('bearer token (401), body limit (413), unknown model (404) and bad params (400) in OpenAI error shape', async () => {
  const secret = 'sk-test-SECRET-123456';
  const running = await runServe(
    { backend: 'fake', host: '127.0.0.1', port: '0', apiKeyEnv: 'SERVE_KEY', maxBodyBytes: '2000', quiet: true },
    { SERVE_KEY: secret },
  );
  try {
    const url = running.baseURL;
    const noAuth = await fetch(`${url}/models`);
    assert.equal(noAuth.status, 401);
    assert.equal(((await noAuth.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
    const auth = { authorization: `Bearer ${secret}` };
    const models = (await (await fetch(`${url}/models`, { headers: auth })).json()) as { data: { id: string }[] };
    assert.equal(models.data[0].id, 'fake-bigram:seed=0:scale=3:dim=16');
    const big = await fetch(`${url}/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ prompt: 'x'.repeat(5000) }),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const wrong = await fetch(`${url}/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ model: 'gpt-9', prompt: 'x' }),
    });
    assert.equal(wrong.status, 404);
    const bad = await fetch(`${url}/completions`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ prompt: 'x', max_tokens: -1 }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { error: unknown }).error, {
      message: 'max_tokens must be a non-negative integer',
      type: 'invalid_request_error',
      param: 'max_tokens',
      code: null,
    });
    // The backend with the right key works; with a wrong key its error never contains the key.
    const ok = await openOpenAI({ baseURL: url, apiKeyEnv: 'MY_KEY', env: { MY_KEY: secret } });
    assert.equal((await ok.generate('ab', { maxTokens: 3 })).usage.completionTokens, 3);
    const wrongKey = 'sk-wrong-KEY-987654';
    await assert.rejects(openOpenAI({ baseURL: url, apiKeyEnv: 'MY_KEY', env: { MY_KEY: wrongKey } }), (e: Error) => {
      assert.match(e.message, /HTTP 401/);
      assert.ok(!e.message.includes(wrongKey));
      assert.ok(!JSON.stringify(e).includes(wrongKey));
      return true;
    });
  } finally {
    await running.close();
  }
  assert.equal(scrubSecret('bad key sk-abc in sk-abc', 'sk-abc'), 'bad key [redacted] in [redacted]');
});

/** A raw HTTP server that answers with a scripted list of statuses (for retry/timeout/concurrency logic only). */
async function scriptedServer(statuses: number[], delayMs = 0) {
  let i = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(i++, statuses.length - 1)];
      setTimeout(() => {
        inFlight--;
        if (status === 0) return; // never answer (timeout)
        const body =
          status === 200
            ? {
                id: 'c',
                object: 'text_completion',
                created: 0,
                model: 'm',
                choices: [{ index: 0, text: 'ok', finish_reason: 'stop', logprobs: null }],
                usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
              }
            : { error: { message: `status ${status}`, type: 'server_error', param: null, code: null } };
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests: () => i,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

test('retries 429 and 5xx with exponential backoff and jitter, bounded', async () => {
  const srv = await scriptedServer([429, 503, 200]);
  const delays: number[] = [];
  try {
    const m = await openOpenAI({
      baseURL: srv.baseURL,
      model: 'm',
      env: {},
      sleep: async (ms) => void delays.push(ms),
      baseDelayMs: 100,
    });
    assert.equal((await m.generate('x', { maxTokens: 2 })).text, 'ok');
    assert.equal(srv.requests(), 3);
    assert.equal(delays.length, 2);
    assert.ok(delays[0] >= 50 && delays[0] < 100, `${delays[0]}`);
    assert.ok(delays[1] >= 100 && delays[1] < 200, `${delays[1]}`);
  } finally {
    await srv.close();
  }
  const down = await scriptedServer([500]);
  try {
    const m = await openOpenAI({ baseURL: down.baseURL, model: 'm', env: {}, sleep: noSleep, maxAttempts: 3 });
    await assert.rejects(m.generate('x', { maxTokens: 2 }), /failed after 3 attempts: HTTP 500/);
    assert.equal(down.requests(), 3);
  } finally {
    await down.close();
  }
  const client = await scriptedServer([400]);
  try {
    const m = await openOpenAI({ baseURL: client.baseURL, model: 'm', env: {}, sleep: noSleep });
    await assert.rejects(m.generate('x', { maxTokens: 2 }), /HTTP 400/);
    assert.equal(client.requests(), 1, '4xx other than 429 is not retried');
  } finally {
    await client.close();
  }
});

test('request timeouts are retried then reported; the concurrency limit holds', async () => {
  const hang = await scriptedServer([0]);
  try {
    const m = await openOpenAI({
      baseURL: hang.baseURL,
      model: 'm',
      env: {},
      sleep: noSleep,
      maxAttempts: 2,
      timeoutMs: 150,
    });
    await assert.rejects(m.generate('x', { maxTokens: 2 }), /failed after 2 attempts: timed out after 150 ms/);
  } finally {
    await hang.close();
  }
  const slow = await scriptedServer([200], 30);
  try {
    const m = await openOpenAI({ baseURL: slow.baseURL, model: 'm', env: {}, concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, () => m.generate('x', { maxTokens: 1 })));
    assert.equal(slow.requests(), 6);
    assert.equal(slow.maxInFlight(), 2);
  } finally {
    await slow.close();
  }
});

test('structured output over the openai backend (parse + repair path)', async () => {
  const fake = createFakeModel({
    script: (p) => (p.includes('JSON schema') ? "{ticker: 'AAPL', score: 0.5" : undefined),
  });
  const srv = await startServer(fake, { port: 0 });
  try {
    const remote = await openOpenAI({ baseURL: srv.baseURL, env: {} });
    const r = await remote.structured('Rate it.', z.object({ ticker: z.string(), score: z.number() }), {
      maxTokens: 100,
    });
    assert.deepEqual(r.ok && r.value, { ticker: 'AAPL', score: 0.5 });
    assert.equal(r.ok && r.repaired, true);
  } finally {
    await srv.close();
  }
});

test('rlmf serve as a process: prints its URL, answers, stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'test', 'helpers', 'serve-cli.ts'),
      'serve',
      '--backend',
      'fake',
      '--port',
      '0',
      '--model-name',
      'fake-1',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /rlmf serve: (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const remote = await openOpenAI({ baseURL: url, env: {} });
  assert.equal(remote.modelId, 'fake-1');
  const g = await remote.generate('abc', { maxTokens: 5 });
  assert.equal(g.text, (await createFakeModel().generate('abc', { maxTokens: 5 })).text);
  const code = await new Promise<number | null>((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
  assert.match(err, /POST \/v1\/completions 200/);
});
