// BPE building blocks shared by the tokenizers: the greedy pair-merge loop (priority queue over a linked list of
// symbols, as llama.cpp and HF tokenizers do it), the GPT-2 byte <-> unicode map, UTF-8 helpers and regex conversion.

import { createHeap } from '../../util/heap.ts';

/**
 * Merge adjacent symbols until no pair merges: at each step the pair with the LOWEST priority value is merged
 * (ties: the leftmost). `priority(a, b)` returns undefined when a+b is not a merge. BPE ranks and negated
 * SentencePiece scores both fit this rule. O(n log n) per word.
 */
export function mergeSymbols(symbols: string[], priority: (a: string, b: string) => number | undefined): string[] {
  const n = symbols.length;
  if (n < 2) return symbols.slice();
  const sym = symbols.slice();
  const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Array.from({ length: n }, (_, i) => i - 1);
  // heap of [priority, left, right, leftText, rightText]
  type Entry = [number, number, number, string, string];
  const heap = createHeap<Entry>((a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]));
  const push = (e: Entry) => heap.push(e);
  const pop = (): Entry => heap.pop()!;
  const tryPair = (l: number, r: number) => {
    if (l < 0 || r < 0) return;
    const p = priority(sym[l], sym[r]);
    if (p !== undefined) push([p, l, r, sym[l], sym[r]]);
  };
  for (let i = 0; i + 1 < n; i++) tryPair(i, i + 1);
  while (heap.size > 0) {
    const [, l, r, lt, rt] = pop();
    if (next[l] !== r || sym[l] !== lt || sym[r] !== rt) continue; // stale entry
    sym[l] = lt + rt;
    sym[r] = '';
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    next[r] = -2;
    tryPair(prev[l], l);
    tryPair(l, next[l]);
  }
  const out: string[] = [];
  for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
  return out;
}

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 onwards (space -> 'Ġ'). */
export const BYTE_TO_CHAR: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let k = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + k++);
  return map;
})();

export const CHAR_TO_BYTE: Map<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Lossy UTF-8 decode (invalid sequences become U+FFFD). */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Text -> byte-level symbols (one char per UTF-8 byte). */
export function toByteLevel(s: string): string {
  let out = '';
  for (const b of utf8(s)) out += BYTE_TO_CHAR[b];
  return out;
}

/** '<0x0A>' style byte-fallback piece of a byte. */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

export const BYTE_PIECE_RE = /^<0x([0-9A-Fa-f]{2})>$/;

/** The GPT-2 pre-tokenizer pattern (HF ByteLevel with use_regex). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** The Llama-3 pre-tokenizer pattern (tokenizer.json Split, llama.cpp "llama-bpe"). */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * Compile an Oniguruma/Rust-regex pattern from a tokenizer file as a JS unicode regex. JS (Node 22) lacks inline
 * modifier groups, so `(?i:...)` is rewritten with each ASCII letter outside escapes as a two-case class.
 */
export function compilePattern(pattern: string): RegExp {
  let src = '';
  let i = 0;
  while (i < pattern.length) {
    if (pattern.startsWith('(?i:', i)) {
      let depth = 1;
      let j = i + 4;
      let inner = '(?:';
      while (j < pattern.length && depth > 0) {
        const c = pattern[j];
        if (c === '\\') {
          inner += pattern.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (c === '(') depth++;
        if (c === ')') depth--;
        if (depth === 0) break;
        inner += /[a-zA-Z]/.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
        j++;
      }
      src += `${inner})`;
      i = j + 1;
      continue;
    }
    if (pattern[i] === '\\') {
      src += pattern.slice(i, i + 2);
      i += 2;
      continue;
    }
    src += pattern[i++];
  }
  return new RegExp(src, 'gu');
}

/** Split with HF "Isolated" behaviour: every match and every non-empty gap between matches is a piece. */
export function splitIsolated(s: string, re: RegExp): string[] {
  const out: string[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > last) out.push(s.slice(last, m.index));
    out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

/** Escape a literal for use in a RegExp. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
