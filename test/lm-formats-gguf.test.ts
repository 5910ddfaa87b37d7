// GGUF reader: a synthetic file written with every metadata type, F16/BF16/Q8_0 tensors with hand-computed values and
// a non-default alignment; and the real stories260K.gguf (skipped without ../shared), whose tensors after mapping to
// HF names (and the q/k permutation) must be bit-identical to those read from the llama2.c stories260K.bin.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import {
  encodeGguf,
  GGML_TYPE,
  GGUF_TYPE,
  type GgufValue,
  hfNameOfGguf,
  readGgufHeader,
  readGgufLlama,
  readGgufTensor,
} from '../src/lm/formats/gguf.ts';
import { readLlama2c } from '../src/lm/formats/llama2c.ts';

const repoRoot = join(import.meta.dirname, '..');
const SHARED = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const skip = !existsSync(SHARED) && 'needs ../shared (stories260K model files)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-gguf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('GGUF: every metadata type, arrays, alignment 64, F32/F16/BF16/Q8_0 tensors', () => {
  const meta = new Map<string, GgufValue>([
    ['general.alignment', 64],
    ['u8', 200],
    ['i8', -100],
    ['u16', 60000],
    ['i16', -30000],
    ['u32', 4000000000],
    ['i32', -2000000000],
    ['f32', 1e-5],
    ['bool', true],
    ['str', 'héllo ▁wörld'],
    ['u64', 2n ** 60n],
    ['i64', -5],
    ['f64', Math.PI],
    ['arr.str', ['<unk>', '▁a', '']],
    ['arr.f32', [0, -1.5, 2.25]],
    ['arr.arr', [[1, 2], [3]]],
  ]);
  const types = new Map<string, number>([
    ['u8', GGUF_TYPE.UINT8],
    ['i8', GGUF_TYPE.INT8],
    ['u16', GGUF_TYPE.UINT16],
    ['i16', GGUF_TYPE.INT16],
    ['i32', GGUF_TYPE.INT32],
    ['u64', GGUF_TYPE.UINT64],
    ['i64', GGUF_TYPE.INT64],
    ['f64', GGUF_TYPE.FLOAT64],
  ]);
  const arrayTypes = new Map<string, number>([['arr.f32', GGUF_TYPE.FLOAT32]]);
  // F16: 1, -2, 65504 (max half), 2^-24 (smallest subnormal), 0.333251953125 (0x3555), -0
  const f16 = Buffer.alloc(12);
  [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x8000].forEach((h, i) => {
    f16.writeUInt16LE(h, 2 * i);
  });
  // BF16 0x3fc0 = 1.5, 0xc120 = -10
  const bf16 = Buffer.alloc(4);
  bf16.writeUInt16LE(0x3fc0, 0);
  bf16.writeUInt16LE(0xc120, 2);
  // Q8_0: one block, d = 0.5 (half 0x3800), q = -16..15 -> values -8..7.5
  const q8 = Buffer.alloc(34);
  q8.writeUInt16LE(0x3800, 0);
  for (let j = 0; j < 32; j++) q8.writeInt8(j - 16, 2 + j);
  const file = join(tmp, 'all.gguf');
  writeFileSync(
    file,
    encodeGguf({
      metadata: meta,
      types,
      arrayTypes,
      tensors: [
        { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        { name: 'h', shape: [3, 2], type: GGML_TYPE.F16, bytes: f16 },
        { name: 'b', shape: [2], type: GGML_TYPE.BF16, bytes: bf16 },
        { name: 'q', shape: [1, 32], type: GGML_TYPE.Q8_0, bytes: q8 },
      ],
    }),
  );
  const g = readGgufHeader(file);
  assert.equal(g.version, 3);
  assert.equal(g.alignment, 64);
  assert.equal(g.dataOffset % 64, 0);
  assert.deepEqual([...g.metadata.keys()], [...meta.keys()]);
  for (const [k, v] of meta) assert.deepEqual(g.metadata.get(k), v, k);
  assert.equal(g.types.get('arr.str'), GGUF_TYPE.ARRAY);
  assert.equal(g.arrayTypes.get('arr.str'), GGUF_TYPE.STRING);
  assert.equal(g.arrayTypes.get('arr.f32'), GGUF_TYPE.FLOAT32);
  assert.equal(g.types.get('u32'), GGUF_TYPE.UINT32);
  assert.deepEqual(
    g.tensors.map((t) => [t.name, t.dims, t.type, (t.offset - g.dataOffset) % 64]),
    [
      ['a', [3, 2], 0, 0],
      ['h', [2, 3], 1, 0],
      ['b', [2], 30, 0],
      ['q', [32, 1], 8, 0],
    ],
  );
  assert.deepEqual(readGgufTensor(g, 'a'), { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  assert.deepEqual(Array.from(readGgufTensor(g, 'h').data), [1, -2, 65504, 2 ** -24, 0.333251953125, -0]);
  assert.deepEqual(Array.from(readGgufTensor(g, 'b').data), [1.5, -10]);
  const q = readGgufTensor(g, 'q');
  assert.deepEqual(q.shape, [1, 32]);
  assert.deepEqual(
    Array.from(q.data),
    Array.from({ length: 32 }, (_, j) => (j - 16) * 0.5),
  );
});

test('GGUF: bad magic, bad version and truncation are DataErrors naming the file', () => {
  const good = encodeGguf({
    metadata: new Map([['k', 'v']]),
    tensors: [{ name: 't', shape: [4], data: new Float32Array(4) }],
  });
  const bad = Buffer.from(good);
  bad.write('GGUX', 0);
  writeFileSync(join(tmp, 'magic.gguf'), bad);
  assert.throws(
    () => readGgufHeader(join(tmp, 'magic.gguf')),
    (e: unknown) => e instanceof DataError && /magic/.test(e.message),
  );
  const v1 = Buffer.from(good);
  v1.writeUInt32LE(1, 4);
  writeFileSync(join(tmp, 'v1.gguf'), v1);
  assert.throws(() => readGgufHeader(join(tmp, 'v1.gguf')), /version 1/);
  writeFileSync(join(tmp, 'cut.gguf'), good.subarray(0, good.length - 24));
  assert.throws(() => readGgufHeader(join(tmp, 'cut.gguf')), /cut\.gguf[\s\S]*past the end/);
});

test('GGUF tensor names map to HF Llama names', () => {
  assert.equal(hfNameOfGguf('token_embd.weight'), 'model.embed_tokens.weight');
  assert.equal(hfNameOfGguf('blk.3.attn_output.weight'), 'model.layers.3.self_attn.o_proj.weight');
  assert.equal(hfNameOfGguf('blk.0.ffn_gate.weight'), 'model.layers.0.mlp.gate_proj.weight');
  assert.equal(hfNameOfGguf('blk.0.ffn_norm.weight'), 'model.layers.0.post_attention_layernorm.weight');
  assert.equal(hfNameOfGguf('output_norm.weight'), 'model.norm.weight');
  assert.equal(hfNameOfGguf('rope_freqs.weight'), undefined);
});

test('stories260K.gguf: metadata as documented', { skip }, () => {
  const g = readGgufHeader(join(SHARED, 'stories260K.gguf'));
  assert.equal(g.version, 3);
  assert.equal(g.tensors.length, 48);
  assert.equal(g.metadata.size, 19);
  assert.equal(g.metadata.get('tokenizer.ggml.model'), 'llama');
  assert.equal((g.metadata.get('tokenizer.ggml.tokens') as string[]).length, 512);
  assert.equal(g.metadata.get('llama.context_length'), 2048);
  assert.equal(g.metadata.get('llama.attention.layer_norm_rms_epsilon'), 1e-5);
  assert.ok(g.tensors.every((t) => t.type === GGML_TYPE.F32));
});

test('stories260K.gguf and stories260K.bin give bit-identical HF tensors', { skip }, () => {
  const bin = readLlama2c(join(SHARED, 'stories260K.bin'));
  const gguf = readGgufLlama(join(SHARED, 'stories260K.gguf'));
  // the GGUF carries a duplicate output.weight equal to the embedding: reported as tied, like the .bin
  assert.deepEqual({ ...gguf.config, max_position_embeddings: 512 }, bin.config);
  assert.equal(gguf.config.max_position_embeddings, 2048); // the converter's metadata; trained at 512
  assert.deepEqual([...gguf.tensors.keys()], [...bin.tensors.keys()]);
  for (const [name, t] of bin.tensors) {
    const u = gguf.tensors.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(Buffer.from(u.data.buffer).equals(Buffer.from(t.data.buffer)), `${name} differs`);
  }
});
