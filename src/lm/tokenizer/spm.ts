// SentencePiece-BPE with piece scores, as llama2.c's `encode` and llama.cpp's SPM tokenizer run it: spaces become
// '▁', a dummy prefix '▁' is prepended to non-empty text, every character starts as a symbol, the adjacent pair whose
// concatenation is a vocabulary piece with the HIGHEST score is merged (ties: leftmost) until none is left, and a
// symbol that is not a piece falls back to its UTF-8 bytes as <0xXX> tokens (or <unk> when there are none).
import { DataError } from '../../data/errors.ts';
import { readLlama2cTokenizer } from '../formats/llama2c.ts';
import { BYTE_PIECE_RE, concatBytes, fromUtf8, mergeSymbols, utf8 } from './bpe.ts';
import { bosTemplate } from './hf.ts';
import type { EncodeOptions, HfTokenizerJson, Tokenizer } from './types.ts';

/** SentencePiece piece types (sentencepiece_model.proto; also GGUF tokenizer.ggml.token_type). */
export const PIECE_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface SpmVocab {
  /** Pieces in '▁' notation (a space is '▁'); control pieces by name ('<s>'), byte pieces as '<0x0A>'. */
  pieces: string[];
  scores: ArrayLike<number>;
  types: ArrayLike<number>;
  bosId?: number;
  eosId?: number;
  unkId?: number;
  /** Prepend '▁' to non-empty text (SentencePiece add_dummy_prefix; default true). */
  addDummyPrefix?: boolean;
}

const SPACE = '▁';

/** A SentencePiece-BPE tokenizer from pieces, scores and types. */
export function spmTokenizer(v: SpmVocab): Tokenizer {
  const n = v.pieces.length;
  if (v.scores.length !== n || v.types.length !== n) {
    throw new Error(`SentencePiece vocabulary: ${n} pieces, ${v.scores.length} scores, ${v.types.length} types`);
  }
  const addDummyPrefix = v.addDummyPrefix !== false;
  // pieces a symbol may become: normal and user-defined (not control, unknown, unused, byte)
  const lookup = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const t = v.types[i];
    if ((t === PIECE_TYPE.NORMAL || t === PIECE_TYPE.USER_DEFINED) && !lookup.has(v.pieces[i]))
      lookup.set(v.pieces[i], i);
  }
  const byteIds: (number | undefined)[] = new Array(256).fill(undefined);
  for (let i = 0; i < n; i++) {
    const m = BYTE_PIECE_RE.exec(v.pieces[i]);
    if (m && v.types[i] === PIECE_TYPE.BYTE) byteIds[Number.parseInt(m[1], 16)] = i;
  }
  const priority = (a: string, b: string) => {
    const id = lookup.get(a + b);
    return id === undefined ? undefined : -v.scores[id];
  };

  const encode = (text: string, opts: EncodeOptions = {}): number[] => {
    const out: number[] = [];
    if (opts.addBos && v.bosId !== undefined) out.push(v.bosId);
    if (text.length > 0) {
      const norm = (addDummyPrefix ? SPACE : '') + text.replaceAll(' ', SPACE);
      for (const s of mergeSymbols(Array.from(norm), priority)) {
        const id = lookup.get(s);
        if (id !== undefined) {
          out.push(id);
          continue;
        }
        for (const b of utf8(s)) {
          const bid = byteIds[b];
          if (bid !== undefined) out.push(bid);
          else if (v.unkId !== undefined) {
            out.push(v.unkId);
            break;
          } else throw new Error(`"${s}" is not in the vocabulary, which has no byte pieces and no <unk>`);
        }
      }
    }
    if (opts.addEos && v.eosId !== undefined) out.push(v.eosId);
    return out;
  };

  const bytesOf: Uint8Array[] = v.pieces.map((p, i) => {
    const t = v.types[i];
    if (t === PIECE_TYPE.CONTROL || t === PIECE_TYPE.UNUSED) return new Uint8Array(0);
    if (t === PIECE_TYPE.BYTE) return Uint8Array.of(Number.parseInt(p.slice(3, 5), 16));
    if (t === PIECE_TYPE.UNKNOWN) return utf8(' \u2047 '); // sentencepiece renders <unk> as " ⁇ "
    return utf8(p.replaceAll(SPACE, ' '));
  });
  const tokenBytes = (id: number): Uint8Array => {
    if (!(id >= 0 && id < n)) throw new RangeError(`token id ${id} outside 0..${n - 1}`);
    return bytesOf[id];
  };
  const decode = (ids: number[]): string => {
    const s = fromUtf8(concatBytes(ids.map(tokenBytes)));
    return addDummyPrefix && s.startsWith(' ') ? s.slice(1) : s;
  };
  const byPiece = new Map<string, number>();
  v.pieces.forEach((p, i) => {
    if (!byPiece.has(p)) byPiece.set(p, i);
  });
  const idOf = (piece: string) => byPiece.get(piece);
  return {
    vocabSize: n,
    bosId: v.bosId,
    eosId: v.eosId,
    encode,
    decode,
    tokenBytes,
    tokenText: (id) => {
      const t = v.types[id];
      return t === PIECE_TYPE.CONTROL || t === PIECE_TYPE.UNKNOWN ? v.pieces[id] : fromUtf8(tokenBytes(id));
    },
    idOf,
    toJSON: () => spmToHfJson(v),
  };
}

/**
 * Llama-2 style tokenizer.json for a SentencePiece-BPE vocabulary (as HF's LlamaConverter writes it): Prepend '▁' +
 * Replace ' ' -> '▁' normalizer, BPE with byte_fallback, merges = every split (l, r) of each piece where l and r are
 * pieces, ordered by the merged piece's score (highest first; HF's SentencePieceExtractor), BOS template.
 * Rank-ordered merges reproduce score-ordered merging except for ties between different splits of one piece.
 */
export function spmToHfJson(v: SpmVocab): HfTokenizerJson {
  const vocab: Record<string, number> = {};
  v.pieces.forEach((p, i) => {
    if (!(p in vocab)) vocab[p] = i;
  });
  const mergeable = (id: number | undefined) =>
    id !== undefined && (v.types[id] === PIECE_TYPE.NORMAL || v.types[id] === PIECE_TYPE.USER_DEFINED);
  const merges: { l: string; r: string; score: number; li: number; ri: number; order: number }[] = [];
  let order = 0;
  v.pieces.forEach((p, i) => {
    if (!mergeable(i)) return;
    const chars = Array.from(p);
    const local: typeof merges = [];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('');
      const r = chars.slice(k).join('');
      if (mergeable(vocab[l]) && mergeable(vocab[r])) {
        local.push({ l, r, score: v.scores[i], li: vocab[l], ri: vocab[r], order: 0 });
      }
    }
    local.sort((a, b) => a.li - b.li || a.ri - b.ri);
    for (const m of local) merges.push({ ...m, order: order++ });
  });
  merges.sort((a, b) => b.score - a.score || a.order - b.order);
  const added = v.pieces
    .map((p, i) => ({ p, i }))
    .filter(({ i }) => v.types[i] === PIECE_TYPE.CONTROL || v.types[i] === PIECE_TYPE.UNKNOWN)
    .map(({ p, i }) => ({
      id: i,
      content: p,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
  const bos = v.bosId !== undefined ? v.pieces[v.bosId] : undefined;
  const anyPieceHasSpace = merges.some((m) => m.l.includes(' ') || m.r.includes(' '));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer:
      v.addDummyPrefix === false
        ? { type: 'Replace', pattern: { String: ' ' }, content: SPACE }
        : {
            type: 'Sequence',
            normalizers: [
              { type: 'Prepend', prepend: SPACE },
              { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
            ],
          },
    pre_tokenizer: null,
    post_processor: bos === undefined || v.bosId === undefined ? null : bosTemplate(bos, v.bosId),
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(v.addDummyPrefix === false ? [] : [{ type: 'Strip', content: ' ', start: 1, stop: 0 }]),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: v.unkId !== undefined ? v.pieces[v.unkId] : null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: byteComplete(v),
      ignore_merges: false,
      vocab,
      merges: merges.map((m) => (anyPieceHasSpace ? [m.l, m.r] : `${m.l} ${m.r}`)),
    },
  };
}

function byteComplete(v: SpmVocab): boolean {
  let k = 0;
  v.pieces.forEach((p, i) => {
    if (v.types[i] === PIECE_TYPE.BYTE && BYTE_PIECE_RE.test(p)) k++;
  });
  return k === 256;
}

/**
 * The llama2.c tokenizer (tokenizer.bin / tok512.bin): pieces use ' ' for spaces (converted to '▁' here), id 0 is
 * <unk>, ids 1 and 2 are BOS/EOS (stored as '\n<s>\n' and '\n</s>\n', named '<s>'/'</s>' here), '<0xXX>' are bytes.
 */
export function fromLlama2c(data: Uint8Array, file = 'tokenizer.bin', vocabSize?: number): Tokenizer {
  return spmTokenizer(llama2cVocab(data, file, vocabSize));
}

export function llama2cVocab(data: Uint8Array, file = 'tokenizer.bin', vocabSize?: number): SpmVocab {
  const raw = readLlama2cTokenizer(data, file, vocabSize);
  if (raw.pieces.length < 3) {
    throw new DataError([{ file, reason: `only ${raw.pieces.length} tokens; llama2.c needs <unk>, BOS, EOS` }]);
  }
  const types: number[] = [];
  const pieces = raw.pieces.map((p, i) => {
    if (i === 0) {
      types.push(PIECE_TYPE.UNKNOWN);
      return p.trim();
    }
    if (i === 1 || i === 2) {
      types.push(PIECE_TYPE.CONTROL);
      return p.trim();
    }
    if (BYTE_PIECE_RE.test(p)) {
      types.push(PIECE_TYPE.BYTE);
      return p;
    }
    types.push(PIECE_TYPE.NORMAL);
    return p.replaceAll(' ', SPACE);
  });
  return { pieces, scores: raw.scores, types, bosId: 1, eosId: 2, unkId: 0, addDummyPrefix: true };
}
