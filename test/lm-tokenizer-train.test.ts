// Byte-level BPE training: merges worked out by hand, equality with a naive trainer that recounts every pair before
// each merge (the incremental counts must not drift), determinism, and the HF tokenizer.json round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateMarket } from '../src/data/synth/generate.ts';
import { BYTE_TO_CHAR, compilePattern, GPT2_PATTERN, splitIsolated, toByteLevel } from '../src/lm/tokenizer/bpe.ts';
import { fromHfTokenizerJson } from '../src/lm/tokenizer/hf.ts';
import { trainBpe } from '../src/lm/tokenizer/train.ts';

/** Reference trainer: recount all pairs before every merge; most frequent pair, ties lowest (left id, right id). */
function naiveMerges(corpus: string, vocabSize: number, nSpecial: number, minFrequency = 2): string[] {
  const strs = [...new Array(nSpecial).fill(''), ...BYTE_TO_CHAR];
  const ids = new Map(BYTE_TO_CHAR.map((c, b) => [c, nSpecial + b]));
  const counts = new Map<string, number>();
  for (const w of splitIsolated(corpus, compilePattern(GPT2_PATTERN))) {
    const bl = toByteLevel(w);
    counts.set(bl, (counts.get(bl) ?? 0) + 1);
  }
  let words = [...counts].map(([w, c]) => ({ ids: Array.from(w, (ch) => ids.get(ch)!), c }));
  const merges: string[] = [];
  while (strs.length < vocabSize) {
    const pc = new Map<string, number>();
    for (const w of words)
      for (let i = 0; i + 1 < w.ids.length; i++) {
        const k = `${w.ids[i]},${w.ids[i + 1]}`;
        pc.set(k, (pc.get(k) ?? 0) + w.c);
      }
    let best: [number, number] | undefined;
    let bestC = 0;
    for (const [k, c] of pc) {
      const [a, b] = k.split(',').map(Number);
      if (c > bestC || (c === bestC && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestC = c;
      }
    }
    if (!best || bestC < minFrequency) break;
    const [a, b] = best;
    merges.push(`${strs[a]} ${strs[b]}`);
    const id = strs.length;
    strs.push(strs[a] + strs[b]);
    words = words.map((w) => {
      const out: number[] = [];
      for (let i = 0; i < w.ids.length; i++) {
        if (i + 1 < w.ids.length && w.ids[i] === a && w.ids[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(w.ids[i]);
      }
      return { ids: out, c: w.c };
    });
  }
  return merges;
}

test('trainBpe by hand: most frequent pair first, ties to the lower ids, stops below minFrequency', () => {
  // pre-tokens: "ab", " ab" x2, " abc", " xy" x2, " zw" x2 (Ġ = space, id 3 + 0x20 = 35)
  const t = trainBpe('ab ab ab abc xy xy zw zw', 300);
  const json = t.toJSON();
  // (a,b) x4 first; then (Ġ,ab) x3; then four pairs x2 — (Ġ,x) (x,y) (Ġ,z) (z,w) — tie to the lowest left id
  // Ġ (35) and then the lower right id: (Ġ,x) -> Ġx (261); next (Ġ,z) (left 35) -> Ġz (262); then (Ġx,y) before
  // (Ġz,w) by left id; (Ġab,c) occurs once: below minFrequency 2
  assert.deepEqual(json.model.merges, ['a b', 'Ġ ab', 'Ġ x', 'Ġ z', 'Ġx y', 'Ġz w']);
  assert.equal(t.vocabSize, 3 + 256 + 6);
  assert.equal(json.model.vocab.ab, 259);
  assert.equal(json.model.vocab.Ġab, 260);
  assert.deepEqual(t.encode('ab abc'), [259, 260, 3 + 0x63]);
  assert.equal(t.bosId, 0);
  assert.equal(t.eosId, 1);
  assert.deepEqual(t.encode(' xy', { addBos: true, addEos: true }), [0, 263, 1]);
});

test('trainBpe equals the naive recount-every-merge trainer on synthetic headlines', () => {
  const corpus = generateMarket({ corpusLines: 400 }).corpus;
  const t = trainBpe(corpus, 3 + 256 + 150);
  const merges = t.toJSON().model.merges;
  assert.equal(merges.length, 150);
  assert.deepEqual(merges, naiveMerges(corpus, 3 + 256 + 150, 3));
});

test('trainBpe: deterministic, JSON round trip identical, decode round trip, specials kept whole', () => {
  const corpus = generateMarket({ corpusLines: 3000 }).corpus;
  const a = trainBpe(corpus, 1024, { seed: 1 });
  const b = trainBpe(corpus, 1024, { seed: 2 });
  const ja = JSON.stringify(a.toJSON());
  assert.equal(ja, JSON.stringify(b.toJSON()));
  assert.equal(a.vocabSize, 1024);
  const back = fromHfTokenizerJson(JSON.parse(ja));
  assert.equal(back.vocabSize, 1024);
  assert.equal(back.bosId, a.bosId);
  assert.equal(back.eosId, a.eosId);
  const lines = corpus.split('\n').slice(0, 500);
  lines.push('Unseen text: Ünïcödé 🚀 12345\t tabs  and  spaces', '<s>headline</s><pad>');
  for (const l of lines) {
    const ids = a.encode(l);
    assert.deepEqual(back.encode(l), ids, l);
    assert.equal(a.decode(ids), l.replace(/<s>|<\/s>|<pad>/g, ''), l);
  }
  assert.deepEqual(a.encode('<s>x</s>').slice(0, 1), [0]);
  // a trained tokenizer compresses its own corpus
  const nTokens = lines.slice(0, 500).reduce((s, l) => s + a.encode(l).length, 0);
  const nBytes = lines.slice(0, 500).reduce((s, l) => s + Buffer.byteLength(l), 0);
  assert.ok(nTokens * 3 < nBytes, `${nTokens} tokens for ${nBytes} bytes`);
});

test('trainBpe: a too-small vocabulary is rejected', () => {
  assert.throws(() => trainBpe('abc', 100), /vocabSize 100/);
});
