// GGUF (llama.cpp's model file, versions 2 and 3) reader: header, metadata key/values (all types, arrays included),
// tensor infos and tensor data (F32, F16, BF16, Q8_0 -> Float32), plus the mapping of a llama-architecture GGUF to the
// HF Llama layout. Read through a file handle: only the requested bytes are loaded.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { DataError } from '../../data/errors.ts';
import { type LlamaConfig, type ModelWeights, permuteRotaryRows, type Tensor } from './types.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian

/** Metadata value: integers as number (64-bit ones as bigint when beyond 2^53), arrays as JS arrays. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** GGUF metadata value type codes. */
export const GGUF_TYPE = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** ggml tensor type codes this reader can convert to Float32 (others are named in the error). */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8, BF16: 30 } as const;
const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  30: 'BF16',
};

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (columns). The row-major shape is dims reversed. */
  dims: number[];
  type: number;
  /** Absolute byte offset of the tensor data in the file. */
  offset: number;
}

export interface GgufFile {
  file: string;
  version: number;
  metadata: Map<string, GgufValue>;
  /** Value type of each metadata key (for arrays: the element type is in `arrayTypes`). */
  types: Map<string, number>;
  arrayTypes: Map<string, number>;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
}

function fail(file: string, field: string, reason: string): never {
  throw new DataError([{ file, field, reason }], `invalid GGUF file ${file}`);
}

/** Sequential little-endian reader over a file descriptor with a refilling window (metadata can be megabytes). */
function makeReader(fd: number, file: string, size: number) {
  let buf = Buffer.alloc(1 << 20);
  let bufStart = 0;
  let bufLen = 0;
  let pos = 0;
  const ensure = (n: number, what: string) => {
    if (pos + n > size) fail(file, what, `needs ${n} byte(s) at offset ${pos}, past the end of the file (${size})`);
    if (pos >= bufStart && pos + n <= bufStart + bufLen) return;
    if (n > buf.length) buf = Buffer.alloc(Math.max(n, buf.length * 2));
    bufStart = pos;
    bufLen = 0;
    const want = Math.min(buf.length, size - pos);
    while (bufLen < want) {
      const got = readSync(fd, buf, bufLen, want - bufLen, bufStart + bufLen);
      if (got === 0) break;
      bufLen += got;
    }
  };
  const at = () => pos - bufStart;
  const decoder = new TextDecoder('utf-8');
  const r = {
    get pos() {
      return pos;
    },
    u8(what: string) {
      ensure(1, what);
      const v = buf.readUInt8(at());
      pos += 1;
      return v;
    },
    i8(what: string) {
      ensure(1, what);
      const v = buf.readInt8(at());
      pos += 1;
      return v;
    },
    u16(what: string) {
      ensure(2, what);
      const v = buf.readUInt16LE(at());
      pos += 2;
      return v;
    },
    i16(what: string) {
      ensure(2, what);
      const v = buf.readInt16LE(at());
      pos += 2;
      return v;
    },
    u32(what: string) {
      ensure(4, what);
      const v = buf.readUInt32LE(at());
      pos += 4;
      return v;
    },
    i32(what: string) {
      ensure(4, what);
      const v = buf.readInt32LE(at());
      pos += 4;
      return v;
    },
    f32(what: string) {
      ensure(4, what);
      const v = buf.readFloatLE(at());
      pos += 4;
      return v;
    },
    f64(what: string) {
      ensure(8, what);
      const v = buf.readDoubleLE(at());
      pos += 8;
      return v;
    },
    u64(what: string): number | bigint {
      ensure(8, what);
      const v = buf.readBigUInt64LE(at());
      pos += 8;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    },
    i64(what: string): number | bigint {
      ensure(8, what);
      const v = buf.readBigInt64LE(at());
      pos += 8;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
    },
    /** A uint64 that must be a usable count/offset. */
    count(what: string): number {
      const v = r.u64(what);
      if (typeof v !== 'number') fail(file, what, `value ${v} is too large`);
      return v;
    },
    str(what: string): string {
      const n = r.count(`${what} (string length)`);
      ensure(n, what);
      const s = decoder.decode(buf.subarray(at(), at() + n));
      pos += n;
      return s;
    },
  };
  return r;
}

type Reader = ReturnType<typeof makeReader>;

function readValue(r: Reader, type: number, file: string, key: string): GgufValue {
  switch (type) {
    case GGUF_TYPE.UINT8:
      return r.u8(key);
    case GGUF_TYPE.INT8:
      return r.i8(key);
    case GGUF_TYPE.UINT16:
      return r.u16(key);
    case GGUF_TYPE.INT16:
      return r.i16(key);
    case GGUF_TYPE.UINT32:
      return r.u32(key);
    case GGUF_TYPE.INT32:
      return r.i32(key);
    case GGUF_TYPE.FLOAT32:
      return shortestFloat32(r.f32(key));
    case GGUF_TYPE.BOOL: {
      const b = r.u8(key);
      if (b > 1) fail(file, key, `bool value ${b} is neither 0 nor 1`);
      return b === 1;
    }
    case GGUF_TYPE.STRING:
      return r.str(key);
    case GGUF_TYPE.UINT64:
      return r.u64(key);
    case GGUF_TYPE.INT64:
      return r.i64(key);
    case GGUF_TYPE.FLOAT64:
      return r.f64(key);
    case GGUF_TYPE.ARRAY:
      return readArray(r, r.u32(`${key} (array type)`), file, key);
    default:
      fail(file, key, `unknown metadata value type ${type}`);
  }
}

function readArray(r: Reader, elemType: number, file: string, key: string): GgufValue[] {
  const n = r.count(`${key} (array length)`);
  const out: GgufValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, elemType, file, `${key}[${i}]`);
  return out;
}

/** The shortest decimal that reads back as the same float32 (1e-5 stored as f32 reads 1e-5, not 9.99999974e-6). */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p < 10; p++) {
    const x = Number(v.toPrecision(p));
    if (Math.fround(x) === v) return x;
  }
  return v;
}

/** Read the header, metadata and tensor infos of a GGUF file (no tensor data). */
export function readGgufHeader(file: string): GgufFile {
  if (endianness() !== 'LE') throw new Error('the GGUF reader needs a little-endian host');
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const r = makeReader(fd, file, size);
    const magic = r.u32('magic');
    if (magic !== GGUF_MAGIC) fail(file, 'magic', `0x${magic.toString(16)} is not "GGUF"`);
    const version = r.u32('version');
    if (version !== 2 && version !== 3) fail(file, 'version', `GGUF version ${version} is not supported (2 or 3)`);
    const nTensors = r.count('tensor_count');
    const nKv = r.count('metadata_kv_count');
    const metadata = new Map<string, GgufValue>();
    const types = new Map<string, number>();
    const arrayTypes = new Map<string, number>();
    for (let i = 0; i < nKv; i++) {
      const key = r.str(`metadata key ${i}`);
      const type = r.u32(`${key} (type)`);
      if (types.has(key)) fail(file, key, 'metadata key appears twice');
      if (type === GGUF_TYPE.ARRAY) {
        const elemType = r.u32(`${key} (array type)`);
        arrayTypes.set(key, elemType);
        metadata.set(key, readArray(r, elemType, file, key));
      } else {
        metadata.set(key, readValue(r, type, file, key));
      }
      types.set(key, type);
    }
    const alignment = metadata.has('general.alignment') ? Number(metadata.get('general.alignment')) : 32;
    if (!(Number.isInteger(alignment) && alignment > 0 && alignment % 8 === 0)) {
      fail(file, 'general.alignment', `${alignment} is not a positive multiple of 8`);
    }
    const infos: { name: string; dims: number[]; type: number; rel: number }[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = r.str(`tensor ${i} name`);
      const nDims = r.u32(`${name} (n_dims)`);
      if (nDims > 8) fail(file, name, `n_dims ${nDims} is more than 8`);
      const dims = Array.from({ length: nDims }, () => r.count(`${name} (dims)`));
      const type = r.u32(`${name} (type)`);
      const rel = r.count(`${name} (offset)`);
      if (rel % alignment !== 0) fail(file, name, `data offset ${rel} is not aligned to ${alignment}`);
      infos.push({ name, dims, type, rel });
    }
    const dataOffset = Math.ceil(r.pos / alignment) * alignment;
    const tensors = infos.map((t) => ({ name: t.name, dims: t.dims, type: t.type, offset: dataOffset + t.rel }));
    for (const t of tensors) {
      const end = t.offset + tensorByteSize(t, file);
      if (end > size) fail(file, t.name, `tensor data ends at byte ${end}, past the end of the file (${size})`);
    }
    return { file, version, metadata, types, arrayTypes, tensors, alignment, dataOffset };
  } finally {
    closeSync(fd);
  }
}

function numel(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Bytes of a tensor's data (throws for types this reader cannot convert). */
export function tensorByteSize(t: GgufTensorInfo, file = '<gguf>'): number {
  const n = numel(t.dims);
  switch (t.type) {
    case GGML_TYPE.F32:
      return 4 * n;
    case GGML_TYPE.F16:
    case GGML_TYPE.BF16:
      return 2 * n;
    case GGML_TYPE.Q8_0:
      if (t.dims[0] % 32 !== 0) fail(file, t.name, `Q8_0 row length ${t.dims[0]} is not a multiple of 32`);
      return (n / 32) * 34;
    default:
      fail(file, t.name, `tensor type ${GGML_TYPE_NAMES[t.type] ?? t.type} is not supported (F32, F16, BF16, Q8_0)`);
  }
}

/** IEEE half -> float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Read one tensor's data as Float32 with its row-major shape (dims reversed). */
export function readGgufTensor(g: GgufFile, name: string): Tensor {
  const t = g.tensors.find((x) => x.name === name);
  if (!t) fail(g.file, name, 'no such tensor');
  const bytes = tensorByteSize(t, g.file);
  const raw = Buffer.alloc(bytes);
  const fd = openSync(g.file, 'r');
  try {
    let got = 0;
    while (got < bytes) {
      const n = readSync(fd, raw, got, bytes - got, t.offset + got);
      if (n === 0) fail(g.file, name, 'file ends inside the tensor data');
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  const n = numel(t.dims);
  const data = new Float32Array(n);
  if (t.type === GGML_TYPE.F32) {
    new Uint8Array(data.buffer).set(raw);
  } else if (t.type === GGML_TYPE.F16) {
    for (let i = 0; i < n; i++) data[i] = halfToFloat(raw.readUInt16LE(2 * i));
  } else if (t.type === GGML_TYPE.BF16) {
    const u = new Uint32Array(data.buffer);
    for (let i = 0; i < n; i++) u[i] = raw.readUInt16LE(2 * i) << 16;
  } else {
    // Q8_0: blocks of 32 values = f16 scale d + 32 int8 q; value = d * q
    for (let b = 0; b < n / 32; b++) {
      const d = halfToFloat(raw.readUInt16LE(34 * b));
      for (let j = 0; j < 32; j++) data[32 * b + j] = d * raw.readInt8(34 * b + 2 + j);
    }
  }
  return { shape: [...t.dims].reverse(), data };
}

function metaNumber(g: GgufFile, key: string, fallback?: number): number {
  const v = g.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    fail(g.file, key, 'required metadata key is missing');
  }
  if (typeof v !== 'number') fail(g.file, key, `expected a number, got ${typeof v}`);
  return v;
}

/** HF LlamaConfig from a llama-architecture GGUF's metadata. */
export function llamaConfigFromGguf(g: GgufFile): LlamaConfig {
  const arch = g.metadata.get('general.architecture');
  if (arch !== 'llama') fail(g.file, 'general.architecture', `"${String(arch)}" is not "llama"`);
  const D = metaNumber(g, 'llama.embedding_length');
  const H = metaNumber(g, 'llama.attention.head_count');
  const tokens = g.metadata.get('tokenizer.ggml.tokens');
  const embd = g.tensors.find((t) => t.name === 'token_embd.weight');
  const vocab = metaNumber(
    g,
    'llama.vocab_size',
    Array.isArray(tokens) ? tokens.length : embd ? embd.dims[1] : Number.NaN,
  );
  const cfg: LlamaConfig = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: vocab,
    hidden_size: D,
    intermediate_size: metaNumber(g, 'llama.feed_forward_length'),
    num_hidden_layers: metaNumber(g, 'llama.block_count'),
    num_attention_heads: H,
    num_key_value_heads: metaNumber(g, 'llama.attention.head_count_kv', H),
    head_dim: metaNumber(g, 'llama.attention.key_length', D / H),
    rms_norm_eps: metaNumber(g, 'llama.attention.layer_norm_rms_epsilon', 1e-5),
    rope_theta: metaNumber(g, 'llama.rope.freq_base', 10000),
    max_position_embeddings: metaNumber(g, 'llama.context_length'),
    tie_word_embeddings: !g.tensors.some((t) => t.name === 'output.weight'),
    // llama.cpp's defaults for a SentencePiece ("llama") vocabulary are bos 1, eos 2; otherwise -1 = none
    bos_token_id: tokenId(g, 'tokenizer.ggml.bos_token_id'),
    eos_token_id: tokenId(g, 'tokenizer.ggml.eos_token_id'),
    hidden_act: 'silu',
  };
  const ropeDims = g.metadata.get('llama.rope.dimension_count');
  if (typeof ropeDims === 'number' && ropeDims !== cfg.head_dim) {
    fail(g.file, 'llama.rope.dimension_count', `partial rotary (${ropeDims} of head_dim ${cfg.head_dim}) unsupported`);
  }
  return cfg;
}

function tokenId(g: GgufFile, key: string): number {
  const v = g.metadata.get(key);
  if (typeof v === 'number' && v < 2 ** 31) return v;
  if (g.metadata.get('tokenizer.ggml.model') === 'llama') return key.includes('bos') ? 1 : 2;
  return -1;
}

const LAYER_MAP: Record<string, string> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

/** HF name of a llama-arch GGUF tensor name (undefined when it has none). */
export function hfNameOfGguf(name: string): string | undefined {
  if (name === 'token_embd.weight') return 'model.embed_tokens.weight';
  if (name === 'output_norm.weight') return 'model.norm.weight';
  if (name === 'output.weight') return 'lm_head.weight';
  const m = /^blk\.(\d+)\.([a-z_]+)\.weight$/.exec(name);
  if (m && LAYER_MAP[m[2]]) return `model.layers.${m[1]}.${LAYER_MAP[m[2]]}.weight`;
  return undefined;
}

/**
 * Read a llama-architecture GGUF as HF tensors. q/k rows are permuted from GGUF's interleaved-pairs order (llama.cpp's
 * convert_hf_to_gguf.py un-permutes HF weights; llama2.c exports are interleaved already) to HF rotate_half.
 * An `output.weight` equal to `token_embd.weight` (converters duplicate tied embeddings) is dropped and the model
 * reported as tied, so the result matches the llama2.c original. Unknown tensors are an error, never skipped.
 */
export function readGgufLlama(file: string): ModelWeights {
  const g = readGgufHeader(file);
  const config = llamaConfigFromGguf(g);
  const tensors = new Map<string, Tensor>();
  const order = (n: string) => {
    if (n === 'model.embed_tokens.weight') return -1;
    const m = /^model\.layers\.(\d+)\.(.*)$/.exec(n);
    const sub = ['input_layernorm', 'self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj'];
    sub.push('post_attention_layernorm', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj');
    if (m) return Number(m[1]) * 100 + sub.indexOf(m[2].replace(/\.weight$/, ''));
    return n === 'model.norm.weight' ? 1e9 : 1e9 + 1;
  };
  const named = g.tensors.map((t) => {
    const hf = hfNameOfGguf(t.name);
    if (!hf) fail(file, t.name, 'tensor has no Hugging Face Llama equivalent (not a plain llama model?)');
    return { t, hf };
  });
  named.sort((a, b) => order(a.hf) - order(b.hf));
  const hd = config.head_dim;
  for (const { t, hf } of named) {
    const x = readGgufTensor(g, t.name);
    if (hf.endsWith('q_proj.weight') || hf.endsWith('k_proj.weight')) {
      const heads = hf.endsWith('q_proj.weight') ? config.num_attention_heads : config.num_key_value_heads;
      if (x.shape[0] !== heads * hd) fail(file, t.name, `has ${x.shape[0]} rows, expected ${heads} heads x ${hd}`);
      x.data = permuteRotaryRows(x.data, heads, x.shape[0], x.shape[1]);
    }
    tensors.set(hf, x);
  }
  const out = tensors.get('lm_head.weight');
  const emb = tensors.get('model.embed_tokens.weight');
  if (out && emb && sameData(out.data, emb.data)) {
    tensors.delete('lm_head.weight');
    config.tie_word_embeddings = true;
  }
  return { config, tensors };
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A tensor to write: Float32 data (stored F32) or raw bytes of a given ggml type. `shape` is row-major. */
export type GgufTensorToWrite =
  | { name: string; shape: number[]; data: Float32Array }
  | { name: string; shape: number[]; type: number; bytes: Uint8Array };

/** Metadata type for writing: inferred from the JS value unless given (integers -> UINT32/INT32, others FLOAT32). */
function inferType(v: GgufValue): number {
  if (typeof v === 'string') return GGUF_TYPE.STRING;
  if (typeof v === 'boolean') return GGUF_TYPE.BOOL;
  if (typeof v === 'bigint') return v < 0n ? GGUF_TYPE.INT64 : GGUF_TYPE.UINT64;
  if (Array.isArray(v)) return GGUF_TYPE.ARRAY;
  if (Number.isInteger(v)) return v < 0 ? GGUF_TYPE.INT32 : GGUF_TYPE.UINT32;
  return GGUF_TYPE.FLOAT32;
}

function inferArrayType(v: GgufValue[]): number {
  if (v.length === 0) return GGUF_TYPE.INT32;
  if (v.every((x) => typeof x === 'string')) return GGUF_TYPE.STRING;
  if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) return GGUF_TYPE.INT32;
  if (v.every((x) => typeof x === 'number')) return GGUF_TYPE.FLOAT32;
  return inferType(v[0]);
}

/**
 * Encode a GGUF v3 file in memory: metadata in the given order (types inferred or from `types`/`arrayTypes`),
 * tensors in the given order, each aligned to `general.alignment` (default 32).
 */
export function encodeGguf(opts: {
  metadata: Map<string, GgufValue>;
  types?: Map<string, number>;
  arrayTypes?: Map<string, number>;
  tensors: GgufTensorToWrite[];
}): Uint8Array {
  const chunks: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    chunks.push(b);
  };
  const u64 = (v: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    chunks.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    u64(b.length);
    chunks.push(b);
  };
  const value = (type: number, v: GgufValue, elemType?: number) => {
    const b8 = Buffer.alloc(8);
    switch (type) {
      case GGUF_TYPE.UINT8:
        b8.writeUInt8(Number(v));
        return chunks.push(b8.subarray(0, 1));
      case GGUF_TYPE.INT8:
        b8.writeInt8(Number(v));
        return chunks.push(b8.subarray(0, 1));
      case GGUF_TYPE.UINT16:
        b8.writeUInt16LE(Number(v));
        return chunks.push(b8.subarray(0, 2));
      case GGUF_TYPE.INT16:
        b8.writeInt16LE(Number(v));
        return chunks.push(b8.subarray(0, 2));
      case GGUF_TYPE.UINT32:
        return u32(Number(v));
      case GGUF_TYPE.INT32:
        b8.writeInt32LE(Number(v));
        return chunks.push(b8.subarray(0, 4));
      case GGUF_TYPE.FLOAT32:
        b8.writeFloatLE(Number(v));
        return chunks.push(b8.subarray(0, 4));
      case GGUF_TYPE.BOOL:
        b8.writeUInt8(v ? 1 : 0);
        return chunks.push(b8.subarray(0, 1));
      case GGUF_TYPE.STRING:
        return str(String(v));
      case GGUF_TYPE.UINT64:
        return u64(BigInt(v as number | bigint));
      case GGUF_TYPE.INT64:
        b8.writeBigInt64LE(BigInt(v as number | bigint));
        return chunks.push(b8);
      case GGUF_TYPE.FLOAT64:
        b8.writeDoubleLE(Number(v));
        return chunks.push(b8);
      case GGUF_TYPE.ARRAY: {
        const arr = v as GgufValue[];
        const et = elemType ?? inferArrayType(arr);
        u32(et);
        u64(arr.length);
        for (const x of arr) value(et, x);
        return;
      }
      default:
        throw new Error(`unknown GGUF metadata type ${type}`);
    }
  };
  const alignment = Number(opts.metadata.get('general.alignment') ?? 32);
  u32(GGUF_MAGIC);
  u32(3);
  u64(opts.tensors.length);
  u64(opts.metadata.size);
  for (const [k, v] of opts.metadata) {
    const type = opts.types?.get(k) ?? inferType(v);
    str(k);
    u32(type);
    value(type, v, opts.arrayTypes?.get(k));
  }
  const datas: Uint8Array[] = [];
  let rel = 0;
  for (const t of opts.tensors) {
    const type = 'data' in t ? GGML_TYPE.F32 : t.type;
    const bytes = 'data' in t ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : t.bytes;
    const dims = [...t.shape].reverse();
    const need = tensorByteSize({ name: t.name, dims, type, offset: 0 });
    if (need !== bytes.length) throw new Error(`tensor ${t.name}: ${bytes.length} bytes, shape needs ${need}`);
    str(t.name);
    u32(dims.length);
    for (const d of dims) u64(d);
    u32(type);
    u64(rel);
    datas.push(bytes);
    rel += Math.ceil(bytes.length / alignment) * alignment;
  }
  const headerLen = chunks.reduce((a, b) => a + b.length, 0);
  const dataStart = Math.ceil(headerLen / alignment) * alignment;
  const out = new Uint8Array(dataStart + rel);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  pos = dataStart;
  for (const d of datas) {
    out.set(d, pos);
    pos += Math.ceil(d.length / alignment) * alignment;
  }
  return out;
}
