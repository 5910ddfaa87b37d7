// Reader for Andrej Karpathy's llama2.c files: model checkpoints (`.bin`, legacy fp32 "version 0" and the
// "ak42" version-2 Q8_0 export) and the `tokenizer.bin` / `tok512.bin` vocabulary.
// Output is the HF Llama layout (see ./types.ts); q/k rows are permuted from interleaved pairs to rotate_half.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { DataError } from '../../data/errors.ts';
import { type LlamaConfig, type ModelWeights, permuteRotaryRows, type Tensor } from './types.ts';

/** Magic of llama2.c's versioned exports: uint32 0x616b3432, the ASCII bytes "24ka" read little-endian ("ak42"). */
export const LLAMA2C_MAGIC = 0x616b3432;

function fail(file: string, field: string, reason: string): never {
  throw new DataError([{ file, field, reason }], `invalid llama2.c file ${file}`);
}

function checkEndianness(): void {
  if (endianness() !== 'LE') throw new Error('llama2.c/GGUF readers need a little-endian host');
}

/** Read `count` bytes at `position` into a fresh buffer, failing with the file name on a short read. */
function readAt(fd: number, file: string, position: number, count: number, what: string): Buffer {
  const buf = Buffer.alloc(count);
  let got = 0;
  while (got < count) {
    const n = readSync(fd, buf, got, count - got, position + got);
    if (n === 0) fail(file, what, `file ends at byte ${position + got}, ${count - got} byte(s) short`);
    got += n;
  }
  return buf;
}

function readF32(fd: number, file: string, position: number, count: number, what: string): Float32Array {
  const out = new Float32Array(count);
  const bytes = new Uint8Array(out.buffer);
  let got = 0;
  while (got < bytes.length) {
    const n = readSync(fd, bytes, got, bytes.length - got, position + got);
    if (n === 0) fail(file, what, `file ends at byte ${position + got}`);
    got += n;
  }
  return out;
}

interface Header {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  shared: boolean;
}

function configFrom(h: Header): LlamaConfig {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: h.vocabSize,
    hidden_size: h.dim,
    intermediate_size: h.hiddenDim,
    num_hidden_layers: h.nLayers,
    num_attention_heads: h.nHeads,
    num_key_value_heads: h.nKvHeads,
    head_dim: h.dim / h.nHeads,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: h.seqLen,
    tie_word_embeddings: h.shared,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
  };
}

function validateHeader(file: string, h: Header): void {
  const fields: [string, number][] = [
    ['dim', h.dim],
    ['hidden_dim', h.hiddenDim],
    ['n_layers', h.nLayers],
    ['n_heads', h.nHeads],
    ['n_kv_heads', h.nKvHeads],
    ['vocab_size', h.vocabSize],
    ['seq_len', h.seqLen],
  ];
  for (const [name, v] of fields) {
    if (!(Number.isInteger(v) && v > 0 && v < 1 << 24)) fail(file, name, `header value ${v} is not a sane size`);
  }
  if (h.dim % h.nHeads !== 0) fail(file, 'n_heads', `dim ${h.dim} is not divisible by n_heads ${h.nHeads}`);
  if ((h.dim / h.nHeads) % 2 !== 0) fail(file, 'n_heads', `head size ${h.dim / h.nHeads} is odd`);
  if (h.nHeads % h.nKvHeads !== 0) fail(file, 'n_kv_heads', `n_heads ${h.nHeads} not a multiple of ${h.nKvHeads}`);
}

/** Split a [L, ...rest] block into per-layer tensors. */
function perLayer(block: Float32Array, nLayers: number, shape: number[]): Float32Array[] {
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: nLayers }, (_, l) => block.slice(l * size, (l + 1) * size));
}

/** Assemble HF tensors from llama2.c's per-kind, per-layer arrays (w1 = gate, w3 = up, w2 = down). */
function assemble(
  h: Header,
  w: {
    emb: Float32Array;
    rmsAtt: Float32Array[];
    wq: Float32Array[];
    wk: Float32Array[];
    wv: Float32Array[];
    wo: Float32Array[];
    rmsFfn: Float32Array[];
    w1: Float32Array[];
    w2: Float32Array[];
    w3: Float32Array[];
    rmsFinal: Float32Array;
    wcls?: Float32Array;
  },
): ModelWeights {
  const config = configFrom(h);
  const D = h.dim;
  const hd = D / h.nHeads;
  const kvDim = h.nKvHeads * hd;
  const F = h.hiddenDim;
  const tensors = new Map<string, Tensor>();
  tensors.set('model.embed_tokens.weight', { shape: [h.vocabSize, D], data: w.emb });
  for (let l = 0; l < h.nLayers; l++) {
    const p = `model.layers.${l}`;
    tensors.set(`${p}.input_layernorm.weight`, { shape: [D], data: w.rmsAtt[l] });
    tensors.set(`${p}.self_attn.q_proj.weight`, { shape: [D, D], data: permuteRotaryRows(w.wq[l], h.nHeads, D, D) });
    tensors.set(`${p}.self_attn.k_proj.weight`, {
      shape: [kvDim, D],
      data: permuteRotaryRows(w.wk[l], h.nKvHeads, kvDim, D),
    });
    tensors.set(`${p}.self_attn.v_proj.weight`, { shape: [kvDim, D], data: w.wv[l] });
    tensors.set(`${p}.self_attn.o_proj.weight`, { shape: [D, D], data: w.wo[l] });
    tensors.set(`${p}.post_attention_layernorm.weight`, { shape: [D], data: w.rmsFfn[l] });
    tensors.set(`${p}.mlp.gate_proj.weight`, { shape: [F, D], data: w.w1[l] });
    tensors.set(`${p}.mlp.up_proj.weight`, { shape: [F, D], data: w.w3[l] });
    tensors.set(`${p}.mlp.down_proj.weight`, { shape: [D, F], data: w.w2[l] });
  }
  tensors.set('model.norm.weight', { shape: [D], data: w.rmsFinal });
  if (w.wcls) tensors.set('lm_head.weight', { shape: [h.vocabSize, D], data: w.wcls });
  return { config, tensors };
}

/**
 * Read a llama2.c checkpoint. Legacy (version 0, fp32): 7 int32 header (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size — negative when the classifier is not shared — and seq_len), then fp32 weights in run.c order,
 * including freq_cis_real/imag (skipped). Versions 1 and 2 (magic "ak42"): 256-byte header with a shared-classifier
 * flag (version 2: and a group size), fp32 norms, then embedding, all wq, wk, wv, wo, w1, w2, w3 (and wcls) — fp32 in
 * version 1, Q8_0 in version 2 (int8 values, then one fp32 scale per group), dequantized here.
 */
export function readLlama2c(file: string): ModelWeights {
  checkEndianness();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 28) fail(file, 'header', `file has ${size} bytes, less than the 28-byte header`);
    const head = readAt(fd, file, 0, Math.min(size, 256), 'header');
    if (head.readUInt32LE(0) === LLAMA2C_MAGIC) return readVersioned(fd, file, size, head);
    return readLegacy(fd, file, size, head);
  } finally {
    closeSync(fd);
  }
}

function readLegacy(fd: number, file: string, size: number, head: Buffer): ModelWeights {
  const v = Array.from({ length: 7 }, (_, i) => head.readInt32LE(4 * i));
  const h: Header = {
    dim: v[0],
    hiddenDim: v[1],
    nLayers: v[2],
    nHeads: v[3],
    nKvHeads: v[4],
    vocabSize: Math.abs(v[5]),
    seqLen: v[6],
    shared: v[5] > 0,
  };
  validateHeader(file, h);
  const { dim: D, hiddenDim: F, nLayers: L, vocabSize: V } = h;
  const hd = D / h.nHeads;
  const kvDim = h.nKvHeads * hd;
  const freqLen = (h.seqLen * hd) / 2;
  const floats = V * D + L * (2 * D + D * D * 2 + 2 * D * kvDim + 3 * D * F) + D + 2 * freqLen + (h.shared ? 0 : V * D);
  const expected = 28 + 4 * floats;
  if (size !== expected) {
    fail(file, 'size', `header (${v.join(', ')}) implies ${expected} bytes (legacy fp32 layout), file has ${size}`);
  }
  let pos = 28;
  const next = (count: number, what: string): Float32Array => {
    const a = readF32(fd, file, pos, count, what);
    pos += 4 * count;
    return a;
  };
  const emb = next(V * D, 'token_embedding_table');
  const rmsAtt = perLayer(next(L * D, 'rms_att_weight'), L, [D]);
  const wq = perLayer(next(L * D * D, 'wq'), L, [D, D]);
  const wk = perLayer(next(L * kvDim * D, 'wk'), L, [kvDim, D]);
  const wv = perLayer(next(L * kvDim * D, 'wv'), L, [kvDim, D]);
  const wo = perLayer(next(L * D * D, 'wo'), L, [D, D]);
  const rmsFfn = perLayer(next(L * D, 'rms_ffn_weight'), L, [D]);
  const w1 = perLayer(next(L * F * D, 'w1'), L, [F, D]);
  const w2 = perLayer(next(L * D * F, 'w2'), L, [D, F]);
  const w3 = perLayer(next(L * F * D, 'w3'), L, [F, D]);
  const rmsFinal = next(D, 'rms_final_weight');
  pos += 2 * 4 * freqLen; // freq_cis_real, freq_cis_imag: precomputed RoPE tables, recomputed by the model
  const wcls = h.shared ? undefined : next(V * D, 'wcls');
  return assemble(h, { emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls });
}

function readVersioned(fd: number, file: string, size: number, head: Buffer): ModelWeights {
  const version = head.readInt32LE(4);
  if (version !== 1 && version !== 2) {
    fail(file, 'version', `llama2.c export version ${version} is not supported (legacy, 1 = fp32, 2 = Q8_0)`);
  }
  if (head.length < 256) fail(file, 'header', 'version-2 header is shorter than 256 bytes');
  const v = Array.from({ length: 7 }, (_, i) => head.readInt32LE(8 + 4 * i));
  const h: Header = {
    dim: v[0],
    hiddenDim: v[1],
    nLayers: v[2],
    nHeads: v[3],
    nKvHeads: v[4],
    vocabSize: v[5],
    seqLen: v[6],
    shared: head.readUInt8(36) !== 0,
  };
  validateHeader(file, h);
  // version 1: everything fp32 (no group size); version 2: Q8_0 with an int32 group size after the flag
  const gs = version === 2 ? head.readInt32LE(37) : 1;
  if (!(gs > 0)) fail(file, 'group_size', `group size ${gs} is not positive`);
  const { dim: D, hiddenDim: F, nLayers: L, vocabSize: V } = h;
  const kvDim = (h.nKvHeads * D) / h.nHeads;
  const qsize = (n: number) => (version === 2 ? n + 4 * (n / gs) : 4 * n);
  const sizes = [V * D, D * D, kvDim * D, kvDim * D, D * D, F * D, D * F, F * D];
  for (const n of sizes) if (n % gs !== 0) fail(file, 'group_size', `tensor of ${n} values not divisible by ${gs}`);
  const expected =
    256 +
    4 * (2 * L * D + D) +
    qsize(V * D) +
    L * sizes.slice(1).reduce((a, n) => a + qsize(n), 0) +
    (h.shared ? 0 : qsize(V * D));
  if (size !== expected) {
    const layout = version === 2 ? `Q8_0 layout, group ${gs}` : 'version-1 fp32 layout';
    fail(file, 'size', `header (${v.join(', ')}) implies ${expected} bytes (${layout}), file has ${size}`);
  }
  let pos = 256;
  const f32 = (count: number, what: string): Float32Array => {
    const a = readF32(fd, file, pos, count, what);
    pos += 4 * count;
    return a;
  };
  const q80 = (count: number, what: string): Float32Array => {
    if (version === 1) return f32(count, what);
    const q = readAt(fd, file, pos, count, what);
    pos += count;
    const s = f32(count / gs, `${what} scales`);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = q.readInt8(i) * s[Math.floor(i / gs)];
    return out;
  };
  const layers = (count: number, what: string) => Array.from({ length: L }, (_, l) => q80(count, `${what}[${l}]`));
  const rmsAtt = Array.from({ length: L }, (_, l) => f32(D, `rms_att_weight[${l}]`));
  const rmsFfn = Array.from({ length: L }, (_, l) => f32(D, `rms_ffn_weight[${l}]`));
  const rmsFinal = f32(D, 'rms_final_weight');
  const emb = q80(V * D, 'token_embedding_table');
  const wq = layers(D * D, 'wq');
  const wk = layers(kvDim * D, 'wk');
  const wv = layers(kvDim * D, 'wv');
  const wo = layers(D * D, 'wo');
  const w1 = layers(F * D, 'w1');
  const w2 = layers(D * F, 'w2');
  const w3 = layers(F * D, 'w3');
  const wcls = h.shared ? undefined : q80(V * D, 'wcls');
  return assemble(h, { emb, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls });
}

/** llama2.c tokenizer file: int32 max_token_length, then per token: float32 score, int32 byte length, UTF-8 bytes. */
export interface Llama2cVocab {
  maxTokenLength: number;
  pieces: string[];
  scores: Float32Array;
}

/**
 * Read a llama2.c `tokenizer.bin` (e.g. tok512.bin). The vocabulary size is not stored: all entries up to the end of
 * the file are read (pass `vocabSize` to check it against the model's).
 */
export function readLlama2cTokenizer(data: Uint8Array, file: string, vocabSize?: number): Llama2cVocab {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 4) fail(file, 'max_token_length', 'file is shorter than 4 bytes');
  const maxTokenLength = buf.readInt32LE(0);
  if (!(maxTokenLength > 0 && maxTokenLength < 1 << 16))
    fail(file, 'max_token_length', `${maxTokenLength} is not sane`);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  let pos = 4;
  while (pos < buf.length) {
    const i = pieces.length;
    if (pos + 8 > buf.length) fail(file, `token ${i}`, `truncated entry at byte ${pos}`);
    const score = buf.readFloatLE(pos);
    const len = buf.readInt32LE(pos + 4);
    pos += 8;
    if (len < 0 || len > maxTokenLength || pos + len > buf.length) {
      fail(file, `token ${i}`, `length ${len} at byte ${pos - 4} is negative, above max_token_length or past the end`);
    }
    let piece: string;
    try {
      piece = decoder.decode(buf.subarray(pos, pos + len));
    } catch {
      fail(file, `token ${i}`, 'piece is not valid UTF-8');
    }
    pieces.push(piece);
    scores.push(score);
    pos += len;
    if (vocabSize !== undefined && pieces.length === vocabSize) break;
  }
  if (vocabSize !== undefined && pieces.length !== vocabSize) {
    fail(file, 'vocab_size', `has ${pieces.length} tokens, the model expects ${vocabSize}`);
  }
  return { maxTokenLength, pieces, scores: Float32Array.from(scores) };
}
