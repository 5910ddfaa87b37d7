// safetensors read/write: 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }, then the data bytes
// (offsets relative to the end of the header). Reads F32, F16 and BF16 into Float32; writes F32 (default) or F16
// (IEEE half, round to nearest even; a value that overflows half's range is an error, never a silent infinity).
// Writes are deterministic (keys sorted by code unit, data in that order, header padded with spaces to 8 bytes) and
// atomic (temp file + rename).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { DataError } from '../../data/errors.ts';
import { writeFileAtomic } from '../../util/fs.ts';
import { halfToFloat } from './gguf.ts';
import type { Tensor } from './types.ts';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

function fail(file: string, field: string, reason: string): never {
  throw new DataError([{ file, field, reason }], `invalid safetensors file ${file}`);
}

function readExact(fd: number, file: string, pos: number, n: number, what: string): Buffer {
  const b = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const k = readSync(fd, b, got, n - got, pos + got);
    if (k === 0) fail(file, what, `file ends at byte ${pos + got}`);
    got += k;
  }
  return b;
}

/** Parse and validate the JSON header (offsets contiguous-or-not but inside the data and non-overlapping). */
export function readSafetensorsHeader(file: string): {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  dataStart: number;
} {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8) fail(file, 'header', `file has ${size} bytes, less than the 8-byte header length`);
    const n = readExact(fd, file, 0, 8, 'header length').readBigUInt64LE(0);
    if (n > BigInt(size - 8) || n > 100_000_000n) fail(file, 'header length', `${n} is larger than the file allows`);
    const text = readExact(fd, file, 8, Number(n), 'header').toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      fail(file, 'header', `not valid JSON: ${(e as Error).message}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'header', 'not a JSON object');
    const dataStart = 8 + Number(n);
    const dataLen = size - dataStart;
    const entries = new Map<string, SafetensorsEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof v !== 'object' || v === null) fail(file, name, 'must be an object of strings');
        for (const [k, s] of Object.entries(v)) if (typeof s !== 'string') fail(file, `${name}.${k}`, 'not a string');
        metadata = v as Record<string, string>;
        continue;
      }
      const e = v as Partial<SafetensorsEntry>;
      if (typeof e?.dtype !== 'string') fail(file, name, 'missing dtype');
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        fail(file, name, 'shape is not a list of non-negative integers');
      }
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !(off[0] >= 0 && off[1] >= off[0] && off[1] <= dataLen)) {
        fail(file, name, `data_offsets ${JSON.stringify(off)} outside the ${dataLen} data bytes`);
      }
      const bytes = BYTES[e.dtype];
      const count = e.shape.reduce((a, b) => a * b, 1);
      if (bytes !== undefined && off[1] - off[0] !== count * bytes) {
        fail(file, name, `${off[1] - off[0]} bytes for ${e.dtype} ${JSON.stringify(e.shape)} (needs ${count * bytes})`);
      }
      entries.set(name, { dtype: e.dtype, shape: e.shape, data_offsets: [off[0], off[1]] });
    }
    const spans = [...entries.entries()].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i][1].data_offsets[0] < spans[i - 1][1].data_offsets[1]) {
        fail(file, spans[i][0], `data overlaps tensor ${spans[i - 1][0]}`);
      }
    }
    return { entries, metadata, dataStart };
  } finally {
    closeSync(fd);
  }
}

/** Read a safetensors file (F32, F16, BF16 -> Float32Array); `names` limits which tensors are loaded. */
export function readSafetensors(file: string, names?: string[]): SafetensorsFile {
  if (endianness() !== 'LE') throw new Error('the safetensors reader needs a little-endian host');
  const { entries, metadata, dataStart } = readSafetensorsHeader(file);
  const tensors = new Map<string, Tensor>();
  const wanted = names ?? [...entries.keys()];
  const fd = openSync(file, 'r');
  try {
    for (const name of wanted) {
      const e = entries.get(name);
      if (!e) fail(file, name, 'no such tensor');
      if (BYTES[e.dtype] === undefined) fail(file, name, `dtype ${e.dtype} is not supported (F32, F16, BF16)`);
      const [b0, b1] = e.data_offsets;
      const raw = readExact(fd, file, dataStart + b0, b1 - b0, name);
      const count = (b1 - b0) / BYTES[e.dtype];
      const data = new Float32Array(count);
      if (e.dtype === 'F32') new Uint8Array(data.buffer).set(raw);
      else if (e.dtype === 'F16') for (let i = 0; i < count; i++) data[i] = halfToFloat(raw.readUInt16LE(2 * i));
      else {
        const u = new Uint32Array(data.buffer);
        for (let i = 0; i < count; i++) u[i] = raw.readUInt16LE(2 * i) << 16;
      }
      tensors.set(name, { shape: [...e.shape], data });
    }
  } finally {
    closeSync(fd);
  }
  return { tensors, metadata };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float -> IEEE half bits, round to nearest even (subnormals kept; overflow gives ±Infinity's bits 0x7c00). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // half exponent field
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent is the correct rounding
  return sign | h;
}

export interface EncodeOptions {
  /** Stored dtype of every tensor (default F32). */
  dtype?: 'F32' | 'F16';
}

/**
 * Serialize tensors as safetensors bytes (F32, or F16 with `dtype: 'F16'`): keys sorted by code unit, header
 * space-padded to a multiple of 8.
 */
export function encodeSafetensors(
  tensors: Map<string, Tensor>,
  metadata?: Record<string, string>,
  opts: EncodeOptions = {},
): Uint8Array {
  const dtype = opts.dtype ?? 'F32';
  const width = dtype === 'F16' ? 2 : 4;
  if (endianness() !== 'LE') throw new Error('the safetensors writer needs a little-endian host');
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw new Error(`safetensors metadata ${k} must be a string`);
      sorted[k] = metadata[k];
    }
    header.__metadata__ = sorted;
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error('"__metadata__" cannot be a tensor name');
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`tensor ${name}: shape ${JSON.stringify(t.shape)} needs ${count} values, has ${t.data.length}`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + width * count] };
    offset += width * count;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  const view = new DataView(out.buffer);
  for (const name of names) {
    const d = tensors.get(name)!.data;
    if (dtype === 'F32') {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
      pos += d.byteLength;
      continue;
    }
    for (let i = 0; i < d.length; i++) {
      const x = d[i] as number;
      const h = floatToHalf(x);
      if ((h & 0x7c00) === 0x7c00 && Number.isFinite(x)) {
        throw new Error(`tensor ${name}[${i}] = ${x} is outside the F16 range (|x| < 65520)`);
      }
      view.setUint16(pos, h, true);
      pos += 2;
    }
  }
  return out;
}

/** Write tensors as an F32 (or `dtype: 'F16'`) safetensors file, atomically. */
export function writeSafetensors(
  file: string,
  tensors: Map<string, Tensor>,
  metadata?: Record<string, string>,
  opts: EncodeOptions = {},
): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata, opts));
}
