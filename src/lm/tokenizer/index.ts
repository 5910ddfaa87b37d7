// Tokenizer entry points: load by file (tokenizer.json, llama2.c .bin, .gguf), from GGUF metadata, from HF JSON.
// See docs/lm-tokenizers.md.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { DataError, UsageError } from '../../data/errors.ts';
import { type GgufFile, type GgufValue, readGgufHeader } from '../formats/gguf.ts';
import { GPT2_PATTERN, LLAMA3_PATTERN } from './bpe.ts';
import { fromHfTokenizerJson } from './hf.ts';
import { fromLlama2c, PIECE_TYPE, spmTokenizer } from './spm.ts';
import type { HfAddedToken, HfComponent, HfTokenizerJson, Tokenizer } from './types.ts';

export { fromHfTokenizerJson } from './hf.ts';
export { fromLlama2c, spmToHfJson, spmTokenizer } from './spm.ts';
export { trainBpe } from './train.ts';
export type { EncodeOptions, HfTokenizerJson, Tokenizer } from './types.ts';

const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** HF pre-tokenizer equivalent to llama.cpp's `tokenizer.ggml.pre` names (llama-vocab.cpp regex_exprs). */
function preTokenizerFor(pre: string | undefined, file: string): HfComponent {
  const byteLevel = (useRegex: boolean) => ({
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: useRegex,
  });
  const split = (p: string) => ({ type: 'Split', pattern: { Regex: p }, behavior: 'Isolated', invert: false });
  switch (pre ?? 'default') {
    case 'default':
    case 'gpt-2':
    case 'gpt2':
      return byteLevel(true);
    case 'llama3':
    case 'llama-v3':
    case 'llama-bpe':
    case 'smaug-bpe':
      return { type: 'Sequence', pretokenizers: [split(LLAMA3_PATTERN), byteLevel(false)] };
    case 'qwen2':
      return { type: 'Sequence', pretokenizers: [split(QWEN2_PATTERN), byteLevel(false)] };
    case 'smollm':
    case 'starcoder':
    case 'refact':
    case 'command-r':
    case 'codeshell':
    case 'exaone':
    case 'minerva-7b':
      return { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] };
    default:
      throw new DataError(
        [{ file, field: 'tokenizer.ggml.pre', reason: `pre-tokenizer "${pre}" is not supported` }],
        `unsupported GGUF tokenizer in ${file}`,
      );
  }
}

/**
 * The tokenizer stored in a GGUF's metadata: tokenizer.ggml.model "llama" (SentencePiece-BPE with scores and token
 * types) or "gpt2" (byte-level BPE with merges; the pre-tokenizer regex chosen by tokenizer.ggml.pre).
 */
export function fromGgufMetadata(meta: Map<string, GgufValue> | GgufFile, file = '<gguf>'): Tokenizer {
  const md = meta instanceof Map ? meta : meta.metadata;
  if (!(meta instanceof Map)) file = meta.file;
  const fail = (field: string, reason: string): never => {
    throw new DataError([{ file, field, reason }], `invalid GGUF tokenizer in ${file}`);
  };
  const model = md.get('tokenizer.ggml.model');
  const tokens = md.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
    return fail('tokenizer.ggml.tokens', 'missing or not an array of strings');
  }
  const pieces = tokens as string[];
  const n = pieces.length;
  const numArray = (key: string): number[] | undefined => {
    const v = md.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number')) {
      return fail(key, `must be an array of ${n} numbers`);
    }
    return v as number[];
  };
  const id = (key: string): number | undefined => {
    const v = md.get(key);
    return typeof v === 'number' && v >= 0 && v < n ? v : undefined;
  };
  const types = numArray('tokenizer.ggml.token_type') ?? new Array(n).fill(PIECE_TYPE.NORMAL);
  if (model === 'llama') {
    const scores = numArray('tokenizer.ggml.scores') ?? fail('tokenizer.ggml.scores', 'missing');
    return spmTokenizer({
      pieces,
      scores,
      types,
      bosId: id('tokenizer.ggml.bos_token_id') ?? 1,
      eosId: id('tokenizer.ggml.eos_token_id') ?? 2,
      unkId: id('tokenizer.ggml.unknown_token_id'),
      addDummyPrefix: md.get('tokenizer.ggml.add_space_prefix') !== false,
    });
  }
  if (model === 'gpt2') {
    const merges = md.get('tokenizer.ggml.merges');
    if (!Array.isArray(merges) || !merges.every((m) => typeof m === 'string')) {
      return fail('tokenizer.ggml.merges', 'missing or not an array of strings');
    }
    const vocab: Record<string, number> = {};
    const added: HfAddedToken[] = [];
    pieces.forEach((p, i) => {
      if (types[i] === PIECE_TYPE.CONTROL || types[i] === PIECE_TYPE.USER_DEFINED) {
        added.push({ id: i, content: p, special: types[i] === PIECE_TYPE.CONTROL, normalized: false });
      }
      if (!(p in vocab)) vocab[p] = i;
    });
    const pre = md.get('tokenizer.ggml.pre');
    const json: HfTokenizerJson = {
      version: '1.0',
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: preTokenizerFor(typeof pre === 'string' ? pre : undefined, file),
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', vocab, merges: merges as string[], ignore_merges: pre === 'llama-bpe' || pre === 'llama3' },
    };
    const bos = id('tokenizer.ggml.bos_token_id');
    const eos = id('tokenizer.ggml.eos_token_id');
    return fromHfTokenizerJson(json, {
      file,
      bosToken: bos === undefined ? undefined : pieces[bos],
      eosToken: eos === undefined ? undefined : pieces[eos],
    });
  }
  return fail('tokenizer.ggml.model', `"${String(model)}" is not supported ("llama" or "gpt2")`);
}

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

/**
 * Load a tokenizer by file: `tokenizer.json` / `*.json` (HF; BOS/EOS from a tokenizer_config.json beside it when
 * present), a llama2.c `*.bin` (tok512.bin), a `*.gguf` (its metadata), or a directory holding tokenizer.json.
 */
export function loadTokenizer(path: string): Tokenizer {
  if (!existsSync(path)) throw new UsageError(`tokenizer file not found: ${path}`);
  if (statSync(path).isDirectory()) {
    const inner = join(path, 'tokenizer.json');
    if (!existsSync(inner)) throw new UsageError(`no tokenizer.json in directory ${path}`);
    return loadTokenizer(inner);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.json') {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new DataError([{ file: path, reason: `not valid JSON: ${(e as Error).message}` }]);
    }
    const cfgPath = join(dirname(path), 'tokenizer_config.json');
    let bosToken: string | undefined;
    let eosToken: string | undefined;
    if (basename(path) !== 'tokenizer_config.json' && existsSync(cfgPath)) {
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
      bosToken = tokenContent(cfg.bos_token);
      eosToken = tokenContent(cfg.eos_token);
    }
    return fromHfTokenizerJson(json, { file: path, bosToken, eosToken });
  }
  if (ext === '.gguf') return fromGgufMetadata(readGgufHeader(path));
  if (ext === '.bin') return fromLlama2c(readFileSync(path), path);
  throw new UsageError(
    `cannot tell the tokenizer format of ${path} (expected tokenizer.json, a llama2.c .bin or .gguf)`,
  );
}

export { GPT2_PATTERN, LLAMA3_PATTERN };

/**
 * The text of a continuation's token ids: their bytes joined, then UTF-8 decoded (no SentencePiece prefix stripping,
 * so it can be appended to the prompt's text; see Tokenizer.decode).
 */
export function continuationText(tok: Tokenizer, ids: readonly number[]): string {
  const parts = ids.map((i) => tok.tokenBytes(i));
  const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}
