// llama2.c checkpoint and tokenizer reader: a synthetic file with known values, the rotary permutation proven
// equivalent (interleaved pairs == rotate_half after permuting), and the real stories260K files (skipped without
// ../shared): header, Q8_0 within its quantization bound of the fp32 weights, tok512.bin.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import { readLlama2c, readLlama2cTokenizer } from '../src/lm/formats/llama2c.ts';
import { llamaTensorNames, llamaTensorShape, permuteRotaryRows, unpermuteRotaryRows } from '../src/lm/formats/types.ts';
import { createRng } from '../src/util/rng.ts';

const repoRoot = join(import.meta.dirname, '..');
const SHARED = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const skip = !existsSync(SHARED) && 'needs ../shared (stories260K model files)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-llama2c-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A legacy llama2.c file whose k-th float is k (so every tensor's origin is visible in its values). */
function writeLegacy(file: string, h: number[], extraFloats = 0): number[] {
  const [D, F, L, H, Hkv, V, S] = h;
  const hd = D / H;
  const kv = Hkv * hd;
  const V0 = Math.abs(V);
  const n = V0 * D + L * (2 * D + 2 * D * D + 2 * kv * D + 3 * D * F) + D + S * hd + (V < 0 ? V0 * D : 0) + extraFloats;
  const buf = Buffer.alloc(28 + 4 * n);
  h.forEach((v, i) => {
    buf.writeInt32LE(v, 4 * i);
  });
  for (let k = 0; k < n; k++) buf.writeFloatLE(k, 28 + 4 * k);
  writeFileSync(file, buf);
  return [n];
}

test('legacy llama2.c: layout, HF names and q/k permutation on a synthetic file', () => {
  // dim 8, hidden 6, 1 layer, 2 heads (hd 4), 1 kv head, vocab 5 untied (negative), seq 3
  const file = join(tmp, 'tiny.bin');
  writeLegacy(file, [8, 6, 1, 2, 1, -5, 3]);
  const { config, tensors } = readLlama2c(file);
  assert.equal(config.hidden_size, 8);
  assert.equal(config.num_key_value_heads, 1);
  assert.equal(config.head_dim, 4);
  assert.equal(config.vocab_size, 5);
  assert.equal(config.tie_word_embeddings, false);
  assert.equal(config.max_position_embeddings, 3);
  assert.deepEqual(
    [...tensors.keys()],
    [
      'model.embed_tokens.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.v_proj.weight',
      'model.layers.0.self_attn.o_proj.weight',
      'model.layers.0.post_attention_layernorm.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.norm.weight',
      'lm_head.weight',
    ],
  );
  // offsets: emb 0..39, rms_att 40..47, wq 48..111, wk 112..143, wv 144..175, wo 176..239, rms_ffn 240..247,
  // w1 248..295, w2 296..343, w3 344..391, rms_final 392..399, freq_cis_real+imag 400..411 (skipped), wcls 412..
  assert.equal(tensors.get('model.layers.0.input_layernorm.weight')!.data[0], 40);
  const q = tensors.get('model.layers.0.self_attn.q_proj.weight')!;
  assert.deepEqual(q.shape, [8, 8]);
  // head 0 new rows 0,1,2,3 = old rows 0,2,1,3; head 1 new rows 4..7 = old rows 4,6,5,7
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((r) => q.data[r * 8]),
    [0, 2, 1, 3, 4, 6, 5, 7].map((r) => 48 + r * 8),
  );
  const k = tensors.get('model.layers.0.self_attn.k_proj.weight')!;
  assert.deepEqual(k.shape, [4, 8]);
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => k.data[r * 8 + 1]),
    [0, 2, 1, 3].map((r) => 112 + r * 8 + 1),
  );
  assert.equal(tensors.get('model.layers.0.self_attn.v_proj.weight')!.data[0], 144);
  assert.equal(tensors.get('model.layers.0.self_attn.o_proj.weight')!.data[0], 176);
  assert.equal(tensors.get('model.layers.0.post_attention_layernorm.weight')!.data[0], 240);
  assert.deepEqual(tensors.get('model.layers.0.mlp.gate_proj.weight')!.shape, [6, 8]);
  assert.equal(tensors.get('model.layers.0.mlp.gate_proj.weight')!.data[0], 248);
  assert.deepEqual(tensors.get('model.layers.0.mlp.down_proj.weight')!.shape, [8, 6]);
  assert.equal(tensors.get('model.layers.0.mlp.down_proj.weight')!.data[0], 296);
  assert.equal(tensors.get('model.layers.0.mlp.up_proj.weight')!.data[0], 344);
  assert.equal(tensors.get('model.norm.weight')!.data[7], 399);
  assert.equal(tensors.get('lm_head.weight')!.data[0], 412);
});

test('legacy llama2.c: a file of the wrong size is a DataError naming the file', () => {
  const file = join(tmp, 'long.bin');
  writeLegacy(file, [8, 6, 1, 2, 1, 5, 3], 1);
  assert.throws(
    () => readLlama2c(file),
    (e: unknown) => e instanceof DataError && /long\.bin.*size/s.test(e.message),
  );
  writeFileSync(join(tmp, 'short.bin'), Buffer.alloc(10));
  assert.throws(() => readLlama2c(join(tmp, 'short.bin')), DataError);
});

test('permuted q/k with rotate_half give the same attention scores as interleaved pairs with the original', () => {
  const rng = createRng(7);
  const H = 2;
  const hd = 8;
  const D = 6;
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const wq = rand(H * hd * D);
  const wk = rand(H * hd * D);
  const x1 = rand(D);
  const x2 = rand(D);
  const matvec = (w: Float32Array, x: Float32Array) =>
    Array.from({ length: H * hd }, (_, r) => x.reduce((s, xi, c) => s + w[r * D + c] * xi, 0));
  const theta = (i: number) => 10000 ** ((-2 * i) / hd);
  const interleaved = (v: number[], pos: number) => {
    const o = v.slice();
    for (let h = 0; h < H; h++)
      for (let i = 0; i < hd / 2; i++) {
        const [a, b] = [v[h * hd + 2 * i], v[h * hd + 2 * i + 1]];
        const [c, s] = [Math.cos(pos * theta(i)), Math.sin(pos * theta(i))];
        o[h * hd + 2 * i] = a * c - b * s;
        o[h * hd + 2 * i + 1] = a * s + b * c;
      }
    return o;
  };
  const rotateHalf = (v: number[], pos: number) => {
    const o = v.slice();
    for (let h = 0; h < H; h++)
      for (let i = 0; i < hd / 2; i++) {
        const [a, b] = [v[h * hd + i], v[h * hd + i + hd / 2]];
        const [c, s] = [Math.cos(pos * theta(i)), Math.sin(pos * theta(i))];
        o[h * hd + i] = a * c - b * s;
        o[h * hd + i + hd / 2] = a * s + b * c;
      }
    return o;
  };
  const scores = (q: number[], k: number[]) =>
    Array.from({ length: H }, (_, h) => q.slice(h * hd, h * hd + hd).reduce((s, qi, j) => s + qi * k[h * hd + j], 0));
  const ref = scores(interleaved(matvec(wq, x1), 5), interleaved(matvec(wk, x2), 2));
  const pq = permuteRotaryRows(wq, H, H * hd, D);
  const pk = permuteRotaryRows(wk, H, H * hd, D);
  const got = scores(rotateHalf(matvec(pq, x1), 5), rotateHalf(matvec(pk, x2), 2));
  for (let h = 0; h < H; h++) assert.ok(Math.abs(ref[h] - got[h]) < 1e-9, `head ${h}: ${ref[h]} vs ${got[h]}`);
  // and without the permutation the scores differ (the test can fail)
  const wrong = scores(rotateHalf(matvec(wq, x1), 5), rotateHalf(matvec(wk, x2), 2));
  assert.ok(Math.abs(wrong[0] - ref[0]) > 1e-6);
  assert.deepEqual(unpermuteRotaryRows(pq, H, H * hd, D), wq);
});

test('stories260K.bin: header and shapes', { skip }, () => {
  const { config, tensors } = readLlama2c(join(SHARED, 'stories260K.bin'));
  assert.deepEqual(
    [
      config.hidden_size,
      config.intermediate_size,
      config.num_hidden_layers,
      config.num_attention_heads,
      config.num_key_value_heads,
      config.vocab_size,
      config.max_position_embeddings,
    ],
    [64, 172, 5, 8, 4, 512, 512],
  );
  assert.equal(config.tie_word_embeddings, true);
  assert.equal(tensors.has('lm_head.weight'), false);
  let params = 0;
  for (const t of tensors.values()) params += t.data.length;
  assert.equal(params, 260_032); // PROVENANCE.md
  assert.deepEqual(tensors.get('model.layers.4.self_attn.k_proj.weight')!.shape, [32, 64]);
  assert.deepEqual([...tensors.keys()], llamaTensorNames(config));
  for (const [name, t] of tensors) assert.deepEqual(t.shape, llamaTensorShape(config, name), name);
});

test('stories260K_q80.bin (version 2, Q8_0): every weight within half a quantization step of the fp32 file', {
  skip,
}, () => {
  const fp = readLlama2c(join(SHARED, 'stories260K.bin'));
  const q8 = readLlama2c(join(SHARED, 'stories260K_q80.bin'));
  assert.deepEqual(q8.config, fp.config);
  assert.deepEqual([...q8.tensors.keys()], [...fp.tensors.keys()]);
  const GS = 32; // PROVENANCE.md: group size 32
  let maxRel = 0;
  for (const [name, t] of fp.tensors) {
    const u = q8.tensors.get(name)!;
    if (t.shape.length === 1) {
      assert.deepEqual(u.data, t.data, `${name}: norms are stored in fp32`);
      continue;
    }
    // groups of 32 run along llama2.c's flattened rows; the q/k row permutation moves whole 64-wide rows (2 groups)
    for (let g = 0; g < t.data.length / GS; g++) {
      let max = 0;
      for (let i = g * GS; i < (g + 1) * GS; i++) max = Math.max(max, Math.abs(t.data[i]));
      const step = max / 127;
      for (let i = g * GS; i < (g + 1) * GS; i++) {
        const err = Math.abs(u.data[i] - t.data[i]);
        assert.ok(err <= step / 2 + 1e-7, `${name}[${i}]: |${u.data[i]} - ${t.data[i]}| > ${step / 2}`);
        if (step > 0) maxRel = Math.max(maxRel, err / step);
      }
    }
  }
  assert.ok(maxRel > 0.3, 'the Q8_0 file really is quantized');
});

test('version-1 (fp32, "ak42" header) file written from stories260K.bin reads back bit-identical', { skip }, () => {
  const fp = readLlama2c(join(SHARED, 'stories260K.bin'));
  const c = fp.config;
  const L = c.num_hidden_layers;
  const raw = (name: string) => {
    const t = fp.tensors.get(name)!;
    if (name.endsWith('q_proj.weight'))
      return unpermuteRotaryRows(t.data, c.num_attention_heads, t.shape[0], t.shape[1]);
    if (name.endsWith('k_proj.weight'))
      return unpermuteRotaryRows(t.data, c.num_key_value_heads, t.shape[0], t.shape[1]);
    return t.data;
  };
  const layers = (sub: string) => Array.from({ length: L }, (_, l) => raw(`model.layers.${l}.${sub}.weight`));
  const head = Buffer.alloc(256);
  head.writeUInt32LE(0x616b3432, 0);
  head.writeInt32LE(1, 4);
  [64, 172, 5, 8, 4, 512, 512].forEach((v, i) => {
    head.writeInt32LE(v, 8 + 4 * i);
  });
  head.writeUInt8(1, 36);
  const parts = [
    ...layers('input_layernorm'),
    ...layers('post_attention_layernorm'),
    raw('model.norm.weight'),
    raw('model.embed_tokens.weight'),
    ...layers('self_attn.q_proj'),
    ...layers('self_attn.k_proj'),
    ...layers('self_attn.v_proj'),
    ...layers('self_attn.o_proj'),
    ...layers('mlp.gate_proj'),
    ...layers('mlp.down_proj'),
    ...layers('mlp.up_proj'),
  ].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const file = join(tmp, 'v1.bin');
  writeFileSync(file, Buffer.concat([head, ...parts]));
  const v1 = readLlama2c(file);
  assert.deepEqual(v1.config, fp.config);
  for (const [name, t] of fp.tensors) assert.deepEqual(v1.tensors.get(name), t, name);
  writeFileSync(file, Buffer.concat([head, ...parts]).subarray(0, 1000));
  assert.throws(() => readLlama2c(file), /version-1 fp32 layout/);
});

test('tok512.bin: 512 pieces, every byte consumed, byte tokens and scores', { skip }, () => {
  const bytes = readFileSync(join(SHARED, 'tok512.bin'));
  const v = readLlama2cTokenizer(bytes, 'tok512.bin', 512);
  assert.equal(v.maxTokenLength, 7);
  assert.equal(v.pieces.length, 512);
  const total = 4 + v.pieces.reduce((s, p) => s + 8 + Buffer.byteLength(p), 0);
  assert.equal(total, bytes.length);
  assert.deepEqual(v.pieces.slice(0, 4), ['<unk>', '\n<s>\n', '\n</s>\n', '<0x00>']);
  assert.equal(v.pieces[3 + 0x41], '<0x41>');
  assert.equal(v.pieces[259], ' t');
  assert.deepEqual(Array.from(v.scores.slice(259, 262)), [-0, -1, -2]);
  assert.throws(() => readLlama2cTokenizer(bytes, 'tok512.bin', 600), /600/);
});
