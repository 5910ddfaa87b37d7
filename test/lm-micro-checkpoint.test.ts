// The committed pretrained micro model (models/micro, made by `rlmf lm pretrain --engine ort`, see its README.md):
// small, weights-only, and it has learned the synthetic headline language — low perplexity on held-out headlines
// from a market seed it never saw, and greedy continuations that are clean, complete headlines about companies of
// the synthetic universe.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evalCommand } from '../src/cli/commands/lm-train.ts';
import { ALL_COMPANIES } from '../src/data/synth/companies.ts';
import { generateMarket } from '../src/data/synth/generate.ts';
import { openBuiltin } from '../src/lm/builtin/backend.ts';
import { readSafetensorsHeader } from '../src/lm/formats/safetensors.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const MICRO = join(repoRoot, 'models', 'micro');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-micro-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The training run used market seed 7 (README.md); held-out headlines come from another seed. */
const TRAIN_SEED = 7;
const HELD_OUT_SEED = 2027;
/**
 * Perplexity bar. The test headlines are new draws of the same templates and universe that the model never saw
 * verbatim, so it can only get low by having learned the language: the uniform model over the 1,024-token vocabulary
 * scores 1,024 and a unigram model fitted to these very tokens ~270 (computed below); the model at step 250 of its run
 * scored 2.2, and the committed one 1.89 (README.md). 3 (1.10 nats/token against the measured 0.64) fails any model
 * that has not learned the templates, while float differences across machines (~1e-6) cannot reach it.
 */
const MAX_PERPLEXITY = 3;

test('models/micro holds only config.json, model.safetensors (F16), tokenizer.json, README.md, ≤ 2 MB in all', () => {
  assert.deepEqual(readdirSync(MICRO).sort(), ['README.md', 'config.json', 'model.safetensors', 'tokenizer.json']);
  const total = readdirSync(MICRO).reduce((s, f) => s + statSync(join(MICRO, f)).size, 0);
  assert.ok(total <= 2 * 1024 * 1024, `${total} bytes`);
  for (const e of readSafetensorsHeader(join(MICRO, 'model.safetensors')).entries.values())
    assert.equal(e.dtype, 'F16');
});

test(`unseen synthetic headlines (market seed ${HELD_OUT_SEED}): perplexity below ${MAX_PERPLEXITY}, far below unigram`, async () => {
  const lines = (seed: number) =>
    generateMarket({ seed, days: 63 })
      .corpus.split('\n')
      .filter((l) => l.trim());
  // only headlines the model never saw verbatim (templates repeat: ~40% of another seed's lines are in training)
  const seen = new Set(lines(TRAIN_SEED));
  const headlines = lines(HELD_OUT_SEED)
    .filter((l) => !seen.has(l))
    .slice(0, 120);
  const file = join(tmp, 'held-out.txt');
  writeFileSync(file, `${headlines.join('\n')}\n`);
  const r = await evalCommand({ model: MICRO, file, seq: '128' });
  process.stdout.write(`# held-out perplexity ${r.perplexity.toFixed(3)} over ${r.tokens} tokens\n`);
  assert.ok(r.tokens > 2000, `${r.tokens} tokens`);
  // unigram perplexity of the same token stream, with counts from that stream itself (an optimistic baseline)
  const lm = await openBuiltin({ model: MICRO });
  const ids = headlines.flatMap((h) => [...lm.tokenizer.encode(h), lm.config.eos_token_id]);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const unigram = Math.exp(
    -ids.reduce((s, id) => s + Math.log((counts.get(id) as number) / ids.length), 0) / ids.length,
  );
  await lm.close();
  process.stdout.write(`# unigram perplexity of the same tokens ${unigram.toFixed(1)}\n`);
  assert.ok(unigram > 50, `unigram perplexity ${unigram}`);
  assert.ok(r.perplexity < MAX_PERPLEXITY, `perplexity ${r.perplexity} (unigram ${unigram.toFixed(1)})`);
});

test('greedy continuation of a headline prefix: a clean, complete headline naming a synthetic company', async () => {
  const lm = await openBuiltin({ model: MICRO });
  const names = ALL_COMPANIES.flatMap((c) => [c.name, c.ticker]);
  for (const [prompt, namesCompany] of [
    ['Halbrook Securities upgrades', true], // an analyst firm: the headline goes on to name the company it rates
    ['Sandrow Capital', true],
    ['Redmesa Energy', false],
  ] as const) {
    const g = await lm.generate(prompt, { maxTokens: 40, temperature: 0 });
    const headline = `${prompt}${g.text}`;
    process.stdout.write(`# ${JSON.stringify(prompt)} -> ${JSON.stringify(g.text)}\n`);
    assert.equal(g.finishReason, 'stop', `the headline ends with EOS: ${headline}`);
    assert.match(g.text, /^[ -~]+$/, `printable ASCII only: ${JSON.stringify(g.text)}`);
    assert.ok(!/ {2}/.test(headline) && headline.trim() === headline, headline);
    assert.ok(headline.split(' ').length >= 5, `a headline, not a fragment: ${headline}`);
    assert.ok(/^[A-Za-z0-9&$%().,'\- ]+$/.test(g.text), `headline characters only: ${JSON.stringify(g.text)}`);
    assert.ok(
      !namesCompany || names.some((n) => g.text.includes(n)),
      `the continuation names a company of the synthetic universe: ${headline}`,
    );
  }
  await lm.close();
});
