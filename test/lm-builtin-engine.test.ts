// Training engines: the onnxruntime engine and the tfjs engine compute the same losses on the same parameters and
// batches (also after AdamW updates, with accumulation, a loss mask and a frozen bottom layer), and an ORT run
// stopped, checkpointed and resumed is bit-identical to the straight run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { UsageError } from '../src/data/errors.ts';
import { loadCheckpoint, type TrainableSpec } from '../src/lm/builtin/checkpoint.ts';
import { initParams } from '../src/lm/builtin/config.ts';
import { createEngine, defaultEngine, padBatch, parseEngine } from '../src/lm/builtin/engine.ts';
import { initTf } from '../src/lm/builtin/tf.ts';
import { type Batch, sampleWindows } from '../src/lm/builtin/train.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyLlamaConfig } from './helpers/tiny-llama.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-engine-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(() => initTf());

const config = tinyLlamaConfig({ vocab_size: 40 });
const optim = { lr: 1e-2, warmupSteps: 2, totalSteps: 6, accumSteps: 1, weightDecay: 0.1, clipNorm: 1 };
const stream = Int32Array.from({ length: 400 }, (_, i) => (i * 7 + ((i * i) % 11)) % 40);

function batches(n: number, seed: number): Batch[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sampleWindows(stream, 3, 8, rng));
}

const relClose = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.abs(b), `${what}: ${a} vs ${b}`);

for (const spec of [
  { mode: 'full', freezeLayers: 0 },
  { mode: 'full', freezeLayers: 1 },
] as TrainableSpec[]) {
  test(`ort and tfjs engines: same losses over 3 AdamW steps (freezeLayers ${spec.freezeLayers})`, async () => {
    const params = initParams(config, 3);
    const data = batches(3, 5);
    const losses: Record<string, number[]> = {};
    for (const name of ['ort', 'tfjs'] as const) {
      const eng = await createEngine(name, { config, params, spec, optim, seed: 1 });
      losses[name] = [];
      for (const b of data) losses[name].push((await eng.trainStep([b])).loss);
      assert.equal(eng.step, 3);
      await eng.close();
    }
    const [o, t] = [losses.ort as number[], losses.tfjs as number[]];
    relClose(o[0] as number, t[0] as number, 1e-5, 'step 1 loss (same params, same batch)');
    // after updates the engines differ only by float rounding (and torch's clip scale clip/(norm + 1e-6))
    relClose(o[1] as number, t[1] as number, 1e-4, 'step 2 loss');
    relClose(o[2] as number, t[2] as number, 1e-4, 'step 3 loss');
    assert.ok((o[0] as number) > 3 && (o[0] as number) < 4.5, `untrained loss ≈ ln 40, got ${o[0]}`);
  });
}

test('ort and tfjs engines: gradient accumulation over masked micro-batches of different lengths', async () => {
  const params = initParams(config, 4);
  const long = batches(1, 9)[0] as Batch;
  const short: Batch = {
    inputs: long.inputs.map((r) => r.slice(0, 5)),
    targets: long.targets.map((r) => r.slice(0, 5)),
    mask: long.inputs.map((_, i) => [0, 1, 1, i === 0 ? 0 : 1, 1]),
  };
  const res: Record<string, number[]> = {};
  for (const name of ['ort', 'tfjs'] as const) {
    const eng = await createEngine(name, { config, params, spec: { mode: 'full', freezeLayers: 0 }, optim, seed: 1 });
    const a = await eng.trainStep([long, short]);
    const b = await eng.trainStep([short, long]);
    res[name] = [a.loss, a.gradNorm, b.loss];
    await eng.close();
  }
  const [o, t] = [res.ort as number[], res.tfjs as number[]];
  relClose(o[0] as number, t[0] as number, 1e-5, 'accumulated loss');
  relClose(o[1] as number, t[1] as number, 1e-4, 'gradient norm of the averaged gradients');
  relClose(o[2] as number, t[2] as number, 1e-4, 'loss after the accumulated update');
});

test('ort engine: stop after 2 steps, save, resume 2 more == 4 straight steps, bit for bit', async () => {
  const params = initParams(config, 6);
  const spec: TrainableSpec = { mode: 'full', freezeLayers: 0 };
  const run = async (eng: Awaited<ReturnType<typeof createEngine>>, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await eng.trainStep([sampleWindows(stream, 2, 8, eng.rng)])).loss);
    return out;
  };
  const straight = await createEngine('ort', { config, params, spec, optim, seed: 11 });
  const lossesA = await run(straight, 4);
  const first = await createEngine('ort', { config, params, spec, optim, seed: 11 });
  const lossesB = await run(first, 2);
  first.save(join(tmp, 'ck'), { run: { note: 'test' } });
  await first.close();
  const ck = loadCheckpoint(join(tmp, 'ck'));
  assert.equal(ck.training?.state.step, 2);
  const resumed = await createEngine('ort', { config, params: new Map(), spec, optim, seed: 999, resume: ck });
  assert.equal(resumed.step, 2);
  lossesB.push(...(await run(resumed, 2)));
  assert.deepEqual(lossesB, lossesA);
  assert.deepEqual(resumed.rng.state(), straight.rng.state());
  for (const [name, a] of straight.params()) {
    assert.ok(Buffer.from(a.buffer).equals(Buffer.from((resumed.params().get(name) as Float32Array).buffer)), name);
  }
  await straight.close();
  await resumed.close();
});

test('engine choice: ort by default, tfjs for LoRA; --engine ort with LoRA is a usage error naming tfjs', () => {
  const lora: TrainableSpec = { mode: 'lora', freezeLayers: 0 };
  assert.equal(defaultEngine({ mode: 'full', freezeLayers: 2 }), 'ort');
  assert.equal(parseEngine(undefined, lora), 'tfjs');
  assert.equal(parseEngine('tfjs', { mode: 'full', freezeLayers: 0 }), 'tfjs');
  assert.throws(
    () => parseEngine('ort', lora),
    (e: unknown) => e instanceof UsageError && /tfjs/.test(e.message),
  );
  assert.throws(() => parseEngine('cuda', lora), UsageError);
});

test('padBatch: right-pads inputs/targets with the pad id and the mask with 0', () => {
  const b = padBatch({ inputs: [[5, 6]], targets: [[6, 7]] }, 4, 2);
  assert.deepEqual(b, { inputs: [[5, 6, 2, 2]], targets: [[6, 7, 2, 2]], mask: [[1, 1, 0, 0]] });
  const m = padBatch({ inputs: [[5]], targets: [[6]], mask: [[0]] }, 2, 9);
  assert.deepEqual(m.mask, [[0, 0]]);
});
