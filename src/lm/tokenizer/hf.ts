// Hugging Face tokenizer.json (model type BPE): byte-level BPE (GPT-2, Llama-3, SmolLM2, Qwen) and the
// SentencePiece-style BPE variant (Prepend/Replace or Metaspace '▁', byte_fallback). Pipeline as in HF tokenizers:
// added tokens split out first, then normalizer, pre-tokenizer, BPE model per pre-token; decode through the decoder.
import { DataError } from '../../data/errors.ts';
import {
  BYTE_PIECE_RE,
  bytePiece,
  CHAR_TO_BYTE,
  compilePattern,
  concatBytes,
  escapeRegex,
  fromUtf8,
  GPT2_PATTERN,
  mergeSymbols,
  splitIsolated,
  toByteLevel,
  utf8,
} from './bpe.ts';
import type { EncodeOptions, HfAddedToken, HfComponent, HfTokenizerJson, Tokenizer } from './types.ts';

export interface HfLoadOptions {
  /** Source file (for error messages). */
  file?: string;
  /** BOS/EOS token contents (e.g. from tokenizer_config.json); otherwise read from the post-processor template
   *  (BOS) or guessed from well-known special-token names. */
  bosToken?: string;
  eosToken?: string;
}

const BOS_NAMES = ['<s>', '<|begin_of_text|>', '<bos>', '<|startoftext|>'];
const EOS_NAMES = ['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>'];

type Normalize = (s: string) => string;
/** A pre-tokenizer: pieces -> pieces; `atStart` = this text segment begins the input (not after an added token). */
type PreTokenize = (pieces: string[], atStart: boolean) => string[];

function bad(file: string, field: string, reason: string): never {
  throw new DataError([{ file, field, reason }], `unsupported or invalid tokenizer.json ${file}`);
}

function patternOf(file: string, field: string, p: unknown): { literal?: string; regex?: RegExp } {
  const o = p as { String?: string; Regex?: string };
  if (typeof o?.String === 'string') return { literal: o.String };
  if (typeof o?.Regex === 'string') {
    try {
      return { regex: compilePattern(o.Regex) };
    } catch (e) {
      bad(file, field, `regex ${JSON.stringify(o.Regex)} does not compile in JS: ${(e as Error).message}`);
    }
  }
  bad(file, field, 'pattern must be {String} or {Regex}');
}

function buildNormalizer(file: string, c: HfComponent | null | undefined, field = 'normalizer'): Normalize {
  if (!c) return (s) => s;
  switch (c.type) {
    case 'Sequence': {
      const parts = ((c.normalizers as HfComponent[]) ?? []).map((n, i) =>
        buildNormalizer(file, n, `${field}.normalizers[${i}]`),
      );
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (s) => s.normalize(c.type as 'NFC');
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Prepend': {
      const pre = String(c.prepend);
      return (s) => (s.length > 0 ? pre + s : s);
    }
    case 'Replace': {
      const p = patternOf(file, `${field}.pattern`, c.pattern);
      const content = String(c.content);
      return p.literal !== undefined ? (s) => s.split(p.literal!).join(content) : (s) => s.replace(p.regex!, content);
    }
    default:
      bad(file, `${field}.type`, `normalizer "${c.type}" is not supported`);
  }
}

function splitBy(s: string, re: RegExp, behavior: string, invert: boolean): string[] {
  if (invert) throw new Error('invert');
  const pieces: { text: string; match: boolean }[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > last) pieces.push({ text: s.slice(last, m.index), match: false });
    pieces.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < s.length) pieces.push({ text: s.slice(last), match: false });
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (behavior === 'Isolated') out.push(p.text);
    else if (behavior === 'Removed') {
      if (!p.match) out.push(p.text);
    } else if (behavior === 'MergedWithPrevious') {
      if (p.match && out.length > 0 && !pieces[i - 1].match) out[out.length - 1] += p.text;
      else out.push(p.text);
    } else if (behavior === 'MergedWithNext') {
      if (p.match && i + 1 < pieces.length && !pieces[i + 1].match) {
        out.push(p.text + pieces[i + 1].text);
        i++;
      } else out.push(p.text);
    } else if (behavior === 'Contiguous') {
      if (out.length > 0 && p.match && pieces[i - 1].match) out[out.length - 1] += p.text;
      else out.push(p.text);
    }
  }
  return out;
}

function buildPreTokenizer(file: string, c: HfComponent | null | undefined, field = 'pre_tokenizer'): PreTokenize {
  if (!c) return (p) => p;
  switch (c.type) {
    case 'Sequence': {
      const parts = ((c.pretokenizers as HfComponent[]) ?? []).map((n, i) =>
        buildPreTokenizer(file, n, `${field}.pretokenizers[${i}]`),
      );
      return (p, atStart) => parts.reduce((acc, f) => f(acc, atStart), p);
    }
    case 'ByteLevel': {
      const re = c.use_regex === false ? undefined : compilePattern(GPT2_PATTERN);
      const prefix = c.add_prefix_space === true;
      return (pieces) => {
        const out: string[] = [];
        for (let s of pieces) {
          if (prefix && !s.startsWith(' ')) s = ` ${s}`;
          for (const w of re ? splitIsolated(s, re) : [s]) out.push(toByteLevel(w));
        }
        return out;
      };
    }
    case 'Split': {
      const p = patternOf(file, `${field}.pattern`, c.pattern);
      const behavior = String(c.behavior);
      if (!['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].includes(behavior)) {
        bad(file, `${field}.behavior`, `split behavior "${behavior}" is not supported`);
      }
      if (c.invert === true) bad(file, `${field}.invert`, 'inverted splits are not supported');
      const re = p.regex ?? new RegExp(escapeRegex(p.literal!), 'gu');
      return (pieces) => pieces.flatMap((s) => splitBy(s, re, behavior, false));
    }
    case 'Digits': {
      const re = c.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      return (pieces) => pieces.flatMap((s) => splitBy(s, re, 'Isolated', false));
    }
    case 'Metaspace': {
      const rep = String(c.replacement ?? '▁');
      const scheme = String(c.prepend_scheme ?? (c.add_prefix_space === false ? 'never' : 'always'));
      const split = c.split !== false;
      return (pieces, atStart) =>
        pieces.flatMap((s, i) => {
          let t = s.split(' ').join(rep);
          const prepend = scheme === 'always' || (scheme === 'first' && atStart && i === 0);
          if (prepend && !t.startsWith(rep)) t = rep + t;
          if (!split) return [t];
          return splitBy(t, new RegExp(escapeRegex(rep), 'gu'), 'MergedWithNext', false);
        });
    }
    default:
      bad(file, `${field}.type`, `pre-tokenizer "${c.type}" is not supported`);
  }
}

interface DecoderSpec {
  byteLevel: boolean;
  byteFallback: boolean;
  replaces: [string, string][];
  /** Leading spaces to strip from the decoded text (Strip start / Metaspace prefix). */
  stripStart: number;
}

function buildDecoder(file: string, c: HfComponent | null | undefined): DecoderSpec {
  const spec: DecoderSpec = { byteLevel: false, byteFallback: false, replaces: [], stripStart: 0 };
  const visit = (d: HfComponent, field: string) => {
    switch (d.type) {
      case 'Sequence':
        ((d.decoders as HfComponent[]) ?? []).forEach((x, i) => {
          visit(x, `${field}.decoders[${i}]`);
        });
        return;
      case 'ByteLevel':
        spec.byteLevel = true;
        return;
      case 'ByteFallback':
        spec.byteFallback = true;
        return;
      case 'Fuse':
        return;
      case 'Replace': {
        const p = patternOf(file, `${field}.pattern`, d.pattern);
        if (p.literal === undefined) bad(file, `${field}.pattern`, 'only String patterns are supported in decoders');
        spec.replaces.push([p.literal, String(d.content)]);
        return;
      }
      case 'Strip':
        if (d.content !== ' ' || Number(d.stop ?? 0) !== 0)
          bad(file, field, 'only Strip of leading spaces is supported');
        spec.stripStart += Number(d.start ?? 0);
        return;
      case 'Metaspace': {
        spec.replaces.push([String(d.replacement ?? '▁'), ' ']);
        const scheme = String(d.prepend_scheme ?? (d.add_prefix_space === false ? 'never' : 'always'));
        if (scheme !== 'never') spec.stripStart += 1;
        return;
      }
      default:
        bad(file, `${field}.type`, `decoder "${d.type}" is not supported`);
    }
  };
  if (c) visit(c, 'decoder');
  return spec;
}

/** Load a Hugging Face tokenizer.json object (BPE models). Throws a DataError naming the unsupported part. */
export function fromHfTokenizerJson(obj: unknown, opts: HfLoadOptions = {}): Tokenizer {
  const file = opts.file ?? 'tokenizer.json';
  const json = obj as HfTokenizerJson;
  if (typeof json !== 'object' || json === null || typeof json.model !== 'object') bad(file, 'model', 'missing');
  const m = json.model;
  if (m.type !== 'BPE' && !(m.type === undefined && m.merges)) {
    bad(file, 'model.type', `model "${m.type}" is not supported (only BPE)`);
  }
  if (m.continuing_subword_prefix || m.end_of_word_suffix) {
    bad(file, 'model', 'continuing_subword_prefix / end_of_word_suffix are not supported');
  }
  const vocab = new Map<string, number>(Object.entries(m.vocab));
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const added: HfAddedToken[] = json.added_tokens ?? [];
  for (const a of added) vocabSize = Math.max(vocabSize, a.id + 1);
  const idToPiece: string[] = new Array(vocabSize).fill('');
  for (const [p, id] of vocab) idToPiece[id] = p;
  for (const a of added) idToPiece[a.id] = a.content;
  const addedById = new Map(added.map((a) => [a.id, a]));
  const ranks = new Map<string, number>();
  m.merges.forEach((mg, i) => {
    let a: string;
    let b: string;
    if (Array.isArray(mg)) [a, b] = mg;
    else {
      const parts = mg.split(' ');
      if (parts.length !== 2) bad(file, `model.merges[${i}]`, `"${mg}" is not two space-separated pieces`);
      [a, b] = parts;
    }
    const key = `${a}\u0000${b}`;
    if (!ranks.has(key)) ranks.set(key, i);
  });
  const normalize = buildNormalizer(file, json.normalizer);
  const preTokenize = buildPreTokenizer(file, json.pre_tokenizer);
  const dec = buildDecoder(file, json.decoder);
  const unkId = m.unk_token ? vocab.get(m.unk_token) : undefined;
  if (m.unk_token && unkId === undefined) bad(file, 'model.unk_token', `"${m.unk_token}" is not in the vocabulary`);
  const byteFallback = m.byte_fallback === true;
  const byteIds: (number | undefined)[] = Array.from({ length: 256 }, (_, b) => vocab.get(bytePiece(b)));
  if (byteFallback && byteIds.some((x) => x === undefined)) {
    bad(file, 'model.byte_fallback', 'byte_fallback is on but not all 256 <0xXX> tokens are in the vocabulary');
  }

  // post-processor: BOS from a TemplateProcessing that starts with a special token
  let bosId: number | undefined;
  let eosId: number | undefined;
  const pp = json.post_processor;
  const templates: HfComponent[] = !pp ? [] : pp.type === 'Sequence' ? ((pp.processors as HfComponent[]) ?? []) : [pp];
  for (const t of templates) {
    if (t.type === 'TemplateProcessing') {
      const single = t.single as { SpecialToken?: { id: string } }[];
      const first = single?.[0]?.SpecialToken?.id;
      if (first !== undefined) {
        const special = (t.special_tokens as Record<string, { ids: number[] }>)?.[first];
        bosId = special?.ids?.[0] ?? vocab.get(first) ?? added.find((a) => a.content === first)?.id;
      }
    } else if (!['ByteLevel', 'RobertaProcessing', 'BertProcessing'].includes(t.type)) {
      bad(file, 'post_processor.type', `post-processor "${t.type}" is not supported`);
    }
  }
  const idOfContent = (s: string) => added.find((a) => a.content === s)?.id ?? vocab.get(s);
  if (opts.bosToken !== undefined) {
    bosId = idOfContent(opts.bosToken);
    if (bosId === undefined) bad(file, 'bos_token', `"${opts.bosToken}" is not a token`);
  }
  if (bosId === undefined) bosId = BOS_NAMES.map(idOfContent).find((x) => x !== undefined);
  if (opts.eosToken !== undefined) {
    eosId = idOfContent(opts.eosToken);
    if (eosId === undefined) bad(file, 'eos_token', `"${opts.eosToken}" is not a token`);
  }
  if (eosId === undefined) eosId = EOS_NAMES.map(idOfContent).find((x) => x !== undefined);

  // added tokens are matched in the raw text, longest first (like HF's leftmost-longest Aho-Corasick)
  // one capture group per added token, in this order: the group that matched names the token
  const addedSorted = [...added].sort((a, b) => b.content.length - a.content.length || a.id - b.id);
  const addedRe =
    added.length === 0
      ? undefined
      : new RegExp(
          addedSorted
            .map((a) => {
              let p = escapeRegex(a.content);
              if (a.single_word) p = `(?<![\\p{L}\\p{N}_])${p}(?![\\p{L}\\p{N}_])`;
              return `(${a.lstrip ? '\\s*' : ''}${p}${a.rstrip ? '\\s*' : ''})`;
            })
            .join('|'),
          'gu',
        );
  const addedByContent = new Map(added.map((a) => [a.content, a.id]));

  const cache = new Map<string, number[]>();
  const priority = (a: string, b: string) => ranks.get(`${a}\u0000${b}`);
  const encodeWord = (w: string): number[] => {
    const hit = cache.get(w);
    if (hit) return hit;
    const ids: number[] = [];
    const direct = m.ignore_merges ? vocab.get(w) : undefined;
    if (direct !== undefined) ids.push(direct);
    else {
      let unkRun = false;
      for (const s of mergeSymbols(Array.from(w), priority)) {
        const id = vocab.get(s);
        if (id !== undefined) {
          ids.push(id);
          unkRun = false;
          continue;
        }
        if (byteFallback) {
          for (const b of utf8(s)) ids.push(byteIds[b]!);
          unkRun = false;
        } else if (unkId !== undefined) {
          if (!(m.fuse_unk && unkRun)) ids.push(unkId);
          unkRun = true;
        } else {
          throw new Error(`${file}: "${s}" is not in the vocabulary and the model has no unk_token or byte_fallback`);
        }
      }
    }
    if (cache.size > 100_000) cache.clear();
    cache.set(w, ids);
    return ids;
  };

  const encodeText = (text: string, atStart: boolean, out: number[]) => {
    if (text.length === 0) return;
    for (const w of preTokenize([normalize(text)], atStart)) if (w.length > 0) out.push(...encodeWord(w));
  };

  const encode = (text: string, eo: EncodeOptions = {}): number[] => {
    const out: number[] = [];
    if (eo.addBos && bosId !== undefined) out.push(bosId);
    if (addedRe) {
      let last = 0;
      for (const mt of text.matchAll(addedRe)) {
        if (mt[0].length === 0) continue;
        encodeText(text.slice(last, mt.index), last === 0, out);
        out.push(addedSorted[mt.findIndex((g, i) => i > 0 && g !== undefined) - 1].id);
        last = mt.index + mt[0].length;
      }
      encodeText(text.slice(last), last === 0, out);
    } else encodeText(text, true, out);
    if (eo.addEos && eosId !== undefined) out.push(eosId);
    return out;
  };

  const bytesCache: (Uint8Array | undefined)[] = new Array(vocabSize);
  const tokenBytes = (id: number): Uint8Array => {
    if (!(id >= 0 && id < vocabSize)) throw new RangeError(`token id ${id} outside 0..${vocabSize - 1}`);
    const hit = bytesCache[id];
    if (hit) return hit;
    let out: Uint8Array;
    const piece = idToPiece[id];
    if (addedById.has(id)) out = utf8(piece);
    else if ((dec.byteFallback || byteFallback) && BYTE_PIECE_RE.test(piece))
      out = Uint8Array.of(Number.parseInt(piece.slice(3, 5), 16));
    else if (dec.byteLevel) {
      const bytes: number[] = [];
      for (const ch of piece) {
        const b = CHAR_TO_BYTE.get(ch);
        if (b !== undefined) bytes.push(b);
        else bytes.push(...utf8(ch));
      }
      out = Uint8Array.from(bytes);
    } else {
      let s = piece;
      for (const [from, to] of dec.replaces) s = s.split(from).join(to);
      out = utf8(s);
    }
    bytesCache[id] = out;
    return out;
  };

  const decode = (ids: number[]): string => {
    const parts: Uint8Array[] = [];
    for (const id of ids) {
      if (addedById.get(id)?.special) continue;
      parts.push(tokenBytes(id));
    }
    let s = fromUtf8(concatBytes(parts));
    for (let k = 0; k < dec.stripStart && s.startsWith(' '); k++) s = s.slice(1);
    return s;
  };

  return {
    vocabSize,
    bosId,
    eosId,
    encode,
    decode,
    tokenBytes,
    tokenText: (id) => fromUtf8(tokenBytes(id)),
    idOf: (piece) => addedByContent.get(piece) ?? vocab.get(piece),
    toJSON: () => json,
  };
}

/** HF `TemplateProcessing` post-processor that prepends the BOS token `bos` (id `id`) to every sequence. */
export function bosTemplate(bos: string, id: number): HfComponent {
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [
      { SpecialToken: { id: bos, type_id: 0 } },
      { Sequence: { id: 'A', type_id: 0 } },
      { SpecialToken: { id: bos, type_id: 1 } },
      { Sequence: { id: 'B', type_id: 1 } },
    ],
    special_tokens: { [bos]: { id: bos, ids: [id], tokens: [bos] } },
  };
}
