// F16 safetensors writing (round to nearest even, hand-checked bit patterns) and `lm import --dtype f16`: a trained
// checkpoint exported as weights only (config.json, model.safetensors, tokenizer.json) at half the size, computing
// the same model up to F16 rounding.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { importCommand, pretrainCommand } from '../src/cli/commands/lm-train.ts';
import { halfToFloat } from '../src/lm/formats/gguf.ts';
import {
  encodeSafetensors,
  floatToHalf,
  readSafetensors,
  readSafetensorsHeader,
} from '../src/lm/formats/safetensors.ts';
import type { Tensor } from '../src/lm/formats/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'rlmf-export-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('floatToHalf: exact bit patterns, ties to even, subnormals, overflow to infinity', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [65519, 0x7bff], // rounds down
    [65520, 0x7c00], // rounds up to infinity
    [1 / 3, 0x3555],
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1+2^-10: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 1+2^-10 and 1+2^-9: ties to even
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
    [3 * 2 ** -25, 0x0002],
    [Number.POSITIVE_INFINITY, 0x7c00],
  ];
  for (const [x, h] of cases) assert.equal(floatToHalf(x), h, `floatToHalf(${x})`);
  assert.equal(floatToHalf(Number.NaN) & 0x7c00, 0x7c00);
  assert.ok(floatToHalf(Number.NaN) & 0x3ff);
  // every half value survives half -> float -> half
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaNs
    assert.equal(floatToHalf(halfToFloat(h)), h);
  }
});

test('encodeSafetensors F16: header dtype and offsets, 2 bytes per value, read back as Float32; overflow is an error', () => {
  const tensors = new Map<string, Tensor>([['w', { shape: [3], data: Float32Array.from([1, -2, 0.1]) }]]);
  const bytes = Buffer.from(encodeSafetensors(tensors, undefined, { dtype: 'F16' }));
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(
    bytes
      .subarray(8, 8 + n)
      .toString()
      .trimEnd(),
    '{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}',
  );
  assert.deepEqual(
    [0, 1, 2].map((i) => bytes.readUInt16LE(8 + n + 2 * i)),
    [0x3c00, 0xc000, 0x2e66],
  );
  const big = new Map<string, Tensor>([['w', { shape: [2], data: Float32Array.from([1, 70000]) }]]);
  assert.throws(() => encodeSafetensors(big, undefined, { dtype: 'F16' }), /w\[1\] = 70000 is outside the F16 range/);
});

test('lm import --dtype f16 of a trained checkpoint: weights only, half the bytes, same model up to F16 rounding', async () => {
  const corpus = join(tmp, 'corpus.txt');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    corpus,
    'shares rise on strong sales\nbank posts record profit\nshares fall on weak sales\n'.repeat(30),
  );
  const ck = join(tmp, 'ck');
  await pretrainCommand({
    preset: 'micro',
    corpus,
    vocab: '300',
    out: ck,
    steps: '3',
    batch: '2',
    seq: '16',
    quiet: true,
  });
  assert.ok(readdirSync(ck).includes('optimizer.safetensors'));
  const out = join(tmp, 'half');
  const r = await importCommand({ from: ck, out, dtype: 'f16' });
  assert.equal(r.dtype, 'f16');
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
  const full = statSync(join(ck, 'model.safetensors')).size;
  const half = statSync(join(out, 'model.safetensors')).size;
  assert.ok(Math.abs(half - full / 2) < 4096, `${half} vs ${full}/2`);
  for (const e of readSafetensorsHeader(join(out, 'model.safetensors')).entries.values()) assert.equal(e.dtype, 'F16');
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype, 'float16');
  assert.equal(readFileSync(join(out, 'tokenizer.json'), 'utf8'), readFileSync(join(ck, 'tokenizer.json'), 'utf8'));
  const a = readSafetensors(join(ck, 'model.safetensors')).tensors;
  const b = readSafetensors(join(out, 'model.safetensors')).tensors;
  for (const [name, t] of a) {
    const h = (b.get(name) as Tensor).data;
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i] as number;
      assert.ok(Math.abs((h[i] as number) - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${name}[${i}]`);
    }
  }
});
