import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { evalCommand, registerLmTrain } from '../src/cli/commands/lm-train.ts';
import { DataError } from '../src/data/errors.ts';
import { generateMarket } from '../src/data/synth/generate.ts';
import { openBuiltin } from '../src/lm/builtin/backend.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const S260 = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-lm-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const corpus = join(tmp, 'corpus.txt');
writeFileSync(corpus, generateMarket({ seed: 3, days: 63, corpusLines: 400 }).corpus);

async function cli(args: string[]): Promise<unknown> {
  const program = new Command().exitOverride();
  registerLmTrain(program.command('lm'));
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // Capture printJson's text only: the node:test runner itself writes binary frames to stdout.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s === 'string') {
      lines.push(s);
      return true;
    }
    return (write as (...a: unknown[]) => boolean)(s, ...rest);
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'rlmf', 'lm', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(lines.join(''));
}

const small = [
  '--preset',
  'micro',
  '--corpus',
  corpus,
  '--vocab',
  '300',
  '--batch',
  '2',
  '--seq',
  '24',
  '--lr',
  '3e-3',
  '--quiet',
];

test('lm pretrain: BPE + micro model; --stop-after 3 then --resume == 6 straight steps, bit for bit', async () => {
  const straight = join(tmp, 'straight');
  const s = (await cli(['pretrain', ...small, '--out', straight, '--steps', '6', '--seed', '5'])) as Record<
    string,
    number
  >;
  assert.equal(s.steps, 6);
  assert.equal(s.vocab, 300);
  for (const f of [
    'model.safetensors',
    'config.json',
    'tokenizer.json',
    'training_state.json',
    'optimizer.safetensors',
  ]) {
    assert.ok(existsSync(join(straight, f)), f);
  }
  const cfg = JSON.parse(readFileSync(join(straight, 'config.json'), 'utf8'));
  assert.equal(cfg.model_type, 'llama');
  assert.equal(cfg.hidden_size, 128);

  const split = join(tmp, 'split');
  await cli(['pretrain', ...small, '--out', split, '--steps', '6', '--seed', '5', '--stop-after', '3']);
  assert.equal(JSON.parse(readFileSync(join(split, 'training_state.json'), 'utf8')).step, 3);
  const r = (await cli(['pretrain', ...small, '--out', split, '--steps', '6', '--seed', '5', '--resume'])) as Record<
    string,
    number
  >;
  assert.equal(r.steps, 6);
  assert.equal(r.finalLoss, s.finalLoss);
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'tokenizer.json']) {
    assert.deepEqual(readFileSync(join(split, f)), readFileSync(join(straight, f)), f);
  }
});

test('lm sft (LoRA) writes PEFT adapter files; lm eval reports perplexity = exp(mean NLL)', async () => {
  const base = join(tmp, 'base');
  await cli(['pretrain', ...small, '--out', base, '--steps', '4', '--seed', '1']);
  const data = join(tmp, 'sft.jsonl');
  writeFileSync(
    data,
    [
      { prompt: 'Headline: shares jump. Sentiment:', completion: ' positive' },
      { prompt: 'Headline: shares fall. Sentiment:', completion: ' negative' },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n'),
  );
  const out = join(tmp, 'sft');
  const r = (await cli([
    'sft',
    '--model',
    base,
    '--data',
    data,
    '--out',
    out,
    '--steps',
    '3',
    '--lora',
    '--lora-rank',
    '2',
    '--freeze-layers',
    '2',
    '--batch',
    '2',
    '--quiet',
  ])) as Record<string, unknown>;
  assert.equal(r.mode, 'lora');
  assert.equal(r.examples, 2);
  const ac = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
  assert.equal(ac.peft_type, 'LORA');
  assert.deepEqual(ac.layers_to_transform, [2, 3]);
  assert.ok(existsSync(join(out, 'adapter_model.safetensors')));
  // the base weights are untouched by LoRA training
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(base, 'model.safetensors')));
  const model = await openBuiltin(out);
  const g = await model.generate('Headline: shares jump. Sentiment:', { maxTokens: 3, temperature: 0 });
  assert.equal(typeof g.text, 'string');
  await model.close();

  const e = await evalCommand({ model: base, file: corpus, seq: '32' });
  assert.ok(e.tokens > 100);
  assert.ok(Math.abs(e.perplexity - Math.exp(e.nll)) < 1e-9 * e.perplexity);
  assert.ok(e.perplexity > 1 && e.perplexity < 300, `perplexity ${e.perplexity}`);

  const bad = join(tmp, 'bad.jsonl');
  writeFileSync(bad, '{"prompt": "a", "completion": "b"}\n{"prompt": 3}\n');
  await assert.rejects(
    cli(['sft', '--model', base, '--data', bad, '--out', join(tmp, 'x'), '--steps', '1', '--quiet']),
    (err: unknown) => err instanceof DataError && err.issues[0].line === 2 && err.issues[0].field === 'prompt',
  );
});

test("lm import: stories260K .bin + tok512.bin -> checkpoint dir that generates llama.cpp's tokens", {
  skip: !existsSync(S260) && 'needs ../shared',
}, async () => {
  const out = join(tmp, 's260');
  const r = (await cli([
    'import',
    '--from',
    join(S260, 'stories260K.bin'),
    '--tokenizer',
    join(S260, 'tok512.bin'),
    '--out',
    out,
  ])) as Record<string, unknown>;
  assert.equal(r.params, 260032);
  const ref = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'lm', 'stories260K-greedy.json'), 'utf8'));
  const m = await openBuiltin(out);
  const g = await m.generate(ref.prompt, { maxTokens: ref.max_tokens, temperature: 0 });
  assert.equal(g.text, ref.text);
  assert.equal(g.usage.promptTokens, ref.prompt_token_ids.length);
  await m.close();
});

test('lm sft --engine ort --freeze-layers 2 on models/micro: bottom layers untouched; stop + --resume == straight', async () => {
  const base = join(repoRoot, 'models', 'micro');
  const data = join(tmp, 'sft-ort.jsonl');
  writeFileSync(
    data,
    [
      { prompt: 'Headline: Fed hikes rates. Sentiment:', completion: ' negative' },
      { prompt: 'Headline: Quantix Systems beats estimates. Sentiment:', completion: ' positive' },
      { prompt: 'Headline: Inflation cools. Sentiment:', completion: ' positive' },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n'),
  );
  const args = (out: string) => [
    'sft',
    '--model',
    base,
    '--data',
    data,
    '--out',
    out,
    '--steps',
    '4',
    '--freeze-layers',
    '2',
    '--batch',
    '3',
    '--lr',
    '1e-3',
    '--quiet',
  ];
  const straight = (await cli(args(join(tmp, 'ort-a')))) as Record<string, unknown>;
  assert.equal(straight.engine, 'ort');
  assert.equal(straight.mode, 'full');
  await cli([...args(join(tmp, 'ort-b')), '--stop-after', '2']);
  const resumed = (await cli([...args(join(tmp, 'ort-b')), '--resume'])) as Record<string, unknown>;
  assert.equal(resumed.steps, 4);
  for (const f of ['model.safetensors', 'optimizer.safetensors']) {
    assert.ok(readFileSync(join(tmp, 'ort-a', f)).equals(readFileSync(join(tmp, 'ort-b', f))), f);
  }
  const { readSafetensors } = await import('../src/lm/formats/safetensors.ts');
  const before = readSafetensors(join(base, 'model.safetensors')).tensors;
  const after_ = readSafetensors(join(tmp, 'ort-a', 'model.safetensors')).tensors;
  for (const [name, t] of before) {
    const same = Buffer.from(t.data.buffer).equals(
      Buffer.from((after_.get(name) as { data: Float32Array }).data.buffer),
    );
    const frozen = /^model\.layers\.[01]\./.test(name);
    assert.equal(same, frozen, `${name} ${frozen ? 'is frozen' : 'trains'}`);
  }
});

test('lm sft --lora --engine ort is a usage error that points to --engine tfjs', async () => {
  const { UsageError } = await import('../src/data/errors.ts');
  await assert.rejects(
    cli(
      ['sft', '--model', join(repoRoot, 'models', 'micro'), '--data', corpus, '--out', join(tmp, 'y')].concat([
        '--lora',
        '--engine',
        'ort',
        '--quiet',
      ]),
    ),
    (e: unknown) => e instanceof UsageError && /--engine tfjs/.test(e.message),
  );
});
