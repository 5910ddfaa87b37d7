// Byte-level BPE training (GPT-2 style) for new models. Pre-tokenization = the GPT-2 regex over the corpus, each
// pre-token as UTF-8 bytes; start from all 256 bytes; repeatedly merge the most frequent adjacent pair.
// Ties: lowest (left id, right id) — no randomness, so the same corpus always gives the same tokenizer.
// Pair counts are kept incrementally (only words containing the merged pair are re-counted) with a lazy max-heap.
import { createHeap } from '../../util/heap.ts';
import { BYTE_TO_CHAR, compilePattern, escapeRegex, GPT2_PATTERN, splitIsolated, toByteLevel } from './bpe.ts';
import { bosTemplate, fromHfTokenizerJson } from './hf.ts';
import type { HfTokenizerJson, Tokenizer } from './types.ts';

export interface TrainBpeOptions {
  /** Accepted for API symmetry; training has no random choices (ties broken by token ids), so it changes nothing. */
  seed?: number;
  /** Special tokens, given the first ids. Default ['<s>', '</s>', '<pad>']; the first is BOS, the second EOS. */
  specialTokens?: string[];
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
}

const SHIFT = 2 ** 21; // pair key = left * SHIFT + right (vocabularies up to 2M tokens)

/**
 * Train a byte-level BPE tokenizer to `vocabSize` ids (specials + 256 bytes + merges; fewer when no pair reaches
 * `minFrequency`). Returns a tokenizer whose toJSON() is a valid HF tokenizer.json (ByteLevel pre-tokenizer and
 * decoder, BPE model, BOS template) that `fromHfTokenizerJson` loads back identically.
 */
export function trainBpe(corpus: string, vocabSize: number, opts: TrainBpeOptions = {}): Tokenizer {
  const specials = opts.specialTokens ?? ['<s>', '</s>', '<pad>'];
  const minFrequency = opts.minFrequency ?? 2;
  if (!(Number.isInteger(vocabSize) && vocabSize >= specials.length + 256 && vocabSize < SHIFT)) {
    throw new RangeError(
      `vocabSize ${vocabSize} must be an integer >= ${specials.length + 256} (specials + 256 bytes)`,
    );
  }
  if (new Set(specials).size !== specials.length) throw new Error('special tokens must be distinct');

  // 1. word counts (special tokens written in the corpus are cut out, as encode() would match them)
  const re = compilePattern(GPT2_PATTERN);
  const counts = new Map<string, number>();
  const segments =
    specials.length > 0
      ? corpus.split(
          new RegExp(
            [...specials]
              .sort((a, b) => b.length - a.length)
              .map(escapeRegex)
              .join('|'),
            'u',
          ),
        )
      : [corpus];
  for (const seg of segments) {
    for (const w of splitIsolated(seg, re)) {
      const bl = toByteLevel(w);
      counts.set(bl, (counts.get(bl) ?? 0) + 1);
    }
  }

  // 2. initial vocabulary: specials, then the 256 bytes in byte order
  const strs: string[] = [...specials, ...BYTE_TO_CHAR];
  const ids = new Map<string, number>(strs.map((s, i) => [s, i]));
  const byteId = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, specials.length + b]));
  const wordKeys = [...counts.keys()].sort();
  const words: number[][] = wordKeys.map((w) => Array.from(w, (ch) => byteId.get(ch)!));
  const freq: number[] = wordKeys.map((w) => counts.get(w)!);

  // 3. pair counts and where each pair occurs
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, wi) => {
    for (let i = 0; i + 1 < w.length; i++) {
      const k = w[i] * SHIFT + w[i + 1];
      pairCount.set(k, (pairCount.get(k) ?? 0) + freq[wi]);
      let s = where.get(k);
      if (!s) {
        s = new Set();
        where.set(k, s);
      }
      s.add(wi);
    }
  });

  // lazy max-heap of [count, key]: higher count first, then lower key (= lower left id, then lower right id)
  const heap = createHeap<[number, number]>((a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]));
  const push = (e: [number, number]) => heap.push(e);
  const pop = (): [number, number] => heap.pop()!;
  for (const [k, c] of pairCount) push([c, k]);

  // 4. merge loop
  const merges: [string, string][] = [];
  let size = strs.length;
  while (size < vocabSize && heap.size > 0) {
    const [c, key] = pop();
    if (pairCount.get(key) !== c) continue; // stale
    if (c < minFrequency) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const merged = strs[a] + strs[b];
    let id = ids.get(merged);
    if (id === undefined) {
      id = strs.length;
      strs.push(merged);
      ids.set(merged, id);
      size++;
    }
    merges.push([strs[a], strs[b]]);
    const changed = new Set<number>();
    const add = (k: number, delta: number, wi: number) => {
      pairCount.set(k, (pairCount.get(k) ?? 0) + delta);
      changed.add(k);
      if (delta > 0) {
        let s = where.get(k);
        if (!s) {
          s = new Set();
          where.set(k, s);
        }
        s.add(wi);
      }
    };
    for (const wi of where.get(key) ?? []) {
      const w = words[wi];
      let has = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) has = true;
      if (!has) continue;
      const f = freq[wi];
      for (let i = 0; i + 1 < w.length; i++) add(w[i] * SHIFT + w[i + 1], -f, wi);
      const nw: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          nw.push(id);
          i++;
        } else nw.push(w[i]);
      }
      words[wi] = nw;
      for (let i = 0; i + 1 < nw.length; i++) add(nw[i] * SHIFT + nw[i + 1], f, wi);
    }
    where.delete(key);
    pairCount.delete(key);
    changed.delete(key);
    for (const k of changed) {
      const n = pairCount.get(k)!;
      if (n > 0) push([n, k]);
      else pairCount.delete(k);
    }
  }

  const vocab: Record<string, number> = {};
  strs.forEach((s, i) => {
    vocab[s] = i;
  });
  const bos = specials[0];
  const json: HfTokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: bos === undefined ? null : bosTemplate(bos, 0),
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([l, r]) => `${l} ${r}`),
    },
  };
  return fromHfTokenizerJson(json, { file: '<trained>', bosToken: specials[0], eosToken: specials[1] });
}
