// SentencePiece-BPE (llama2.c tok512.bin and GGUF "llama" vocabularies): merge-by-score worked out by hand, then the
// real tok512.bin against llama.cpp itself (node-llama-cpp on stories260K.gguf, vocab only) and against the GGUF's own
// tokenizer metadata; HF tokenizer.json export loads back to the same encodings. Real files need ../shared.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../src/data/errors.ts';
import { generateMarket } from '../src/data/synth/generate.ts';
import { readGgufHeader } from '../src/lm/formats/gguf.ts';
import { fromGgufMetadata, fromHfTokenizerJson, fromLlama2c, loadTokenizer } from '../src/lm/tokenizer/index.ts';
import { PIECE_TYPE, spmTokenizer } from '../src/lm/tokenizer/spm.ts';

const repoRoot = join(import.meta.dirname, '..');
const S260 = join(repoRoot, '..', 'shared', 'models', 'stories260K');
const skip = !existsSync(S260) && 'needs ../shared (stories260K tokenizer files)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-tok-spm-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TEXTS = [
  'Once upon a time',
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park.',
  'Hello world!\n  ok 日本 🚀',
  ' leading space',
  'trailing spaces  ',
  'a  b   c\t\td',
  'Lily said, "I\'m happy!" 123 4567 89.5%',
  'ünïcödé façade — naïve',
  '\n\nnew lines\n',
  'x',
  'The cat sat on the mat. The dog ran away and the bird sang.',
];

function handVocab(withBytes: boolean) {
  const pieces = ['<unk>', '<s>', '</s>'];
  const types: number[] = [PIECE_TYPE.UNKNOWN, PIECE_TYPE.CONTROL, PIECE_TYPE.CONTROL];
  const scores: number[] = [0, 0, 0];
  if (withBytes) {
    for (let b = 0; b < 256; b++) {
      pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      types.push(PIECE_TYPE.BYTE);
      scores.push(0);
    }
  }
  const normal: [string, number][] = [
    ['▁', -5],
    ['a', -5],
    ['b', -5],
    ['▁a', -1],
    ['ab', -0.5],
    ['▁ab', -2],
    ['aa', -1],
  ];
  const base = pieces.length;
  for (const [p, s] of normal) {
    pieces.push(p);
    types.push(PIECE_TYPE.NORMAL);
    scores.push(s);
  }
  const id = (p: string) => base + normal.findIndex(([q]) => q === p);
  return { v: { pieces, scores, types, bosId: 1, eosId: 2, unkId: 0 }, id };
}

test('SentencePiece-BPE by hand: highest score first, ties leftmost, dummy prefix, byte fallback, unk', () => {
  const { v, id } = handVocab(true);
  const t = spmTokenizer(v);
  // '▁ab': pairs ▁a (-1) and ab (-0.5): ab first, then ▁+ab = ▁ab
  assert.deepEqual(t.encode('ab'), [id('▁ab')]);
  // '▁a▁b': only ▁a merges
  assert.deepEqual(t.encode('a b'), [id('▁a'), id('▁'), id('b')]);
  // '▁aa': ▁a (-1) and aa (-1) tie -> leftmost ▁a
  assert.deepEqual(t.encode('aa'), [id('▁a'), id('a')]);
  // 'é' falls back to its UTF-8 bytes C3 A9 (byte pieces have ids 3 + byte)
  assert.deepEqual(t.encode('é', { addBos: true, addEos: true }), [1, id('▁'), 3 + 0xc3, 3 + 0xa9, 2]);
  assert.deepEqual(t.encode(''), []);
  assert.equal(t.decode([1, id('▁ab'), id('▁'), 3 + 0xc3, 3 + 0xa9, 2]), 'ab é');
  assert.equal(t.tokenText(id('▁ab')), ' ab');
  assert.equal(t.tokenText(1), '<s>');
  // without byte pieces: <unk>
  const u = handVocab(false);
  assert.deepEqual(spmTokenizer(u.v).encode('aé'), [u.id('▁a'), 0]);
});

test('tok512.bin: "Once upon a time" and the same ids as llama.cpp on stories260K.gguf', { skip }, async () => {
  const t = fromLlama2c(readFileSync(join(S260, 'tok512.bin')), 'tok512.bin');
  assert.equal(t.vocabSize, 512);
  assert.equal(t.bosId, 1);
  assert.equal(t.eosId, 2);
  // ▁Once ▁upon ▁a ▁time
  assert.deepEqual(t.encode('Once upon a time', { addBos: true }), [1, 403, 407, 261, 378]);
  assert.deepEqual(
    [403, 407, 261, 378].map((i) => t.tokenText(i)),
    [' Once', ' upon', ' a', ' time'],
  );
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: join(S260, 'stories260K.gguf'), vocabOnly: true });
  try {
    for (const s of TEXTS) {
      assert.deepEqual(t.encode(s), Array.from(model.tokenize(s)), `llama.cpp vs tok512.bin: ${JSON.stringify(s)}`);
      assert.equal(t.decode(t.encode(s, { addBos: true })), s);
    }
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test('stories260K.gguf tokenizer metadata encodes identically to tok512.bin', { skip }, () => {
  const bin = fromLlama2c(readFileSync(join(S260, 'tok512.bin')), 'tok512.bin');
  const gguf = fromGgufMetadata(readGgufHeader(join(S260, 'stories260K.gguf')));
  assert.equal(gguf.vocabSize, 512);
  assert.equal(gguf.bosId, 1);
  assert.equal(gguf.eosId, 2);
  const corpus = generateMarket({ corpusLines: 300 }).corpus.split('\n');
  for (const s of [...TEXTS, ...corpus]) assert.deepEqual(gguf.encode(s), bin.encode(s), JSON.stringify(s));
  for (let id = 0; id < 512; id++) assert.deepEqual(gguf.tokenBytes(id), bin.tokenBytes(id), `token ${id}`);
});

test('tok512.bin -> tokenizer.json (Llama-2 style) loads back with identical encodings', { skip }, () => {
  const t = fromLlama2c(readFileSync(join(S260, 'tok512.bin')), 'tok512.bin');
  const json = JSON.parse(JSON.stringify(t.toJSON()));
  assert.equal(json.model.byte_fallback, true);
  assert.equal(json.model.vocab['▁Once'], 403);
  const back = fromHfTokenizerJson(json);
  assert.equal(back.bosId, 1);
  assert.equal(back.eosId, 2);
  const corpus = generateMarket({ corpusLines: 300 }).corpus.split('\n');
  for (const s of [...TEXTS, ...corpus]) {
    assert.deepEqual(back.encode(s, { addBos: true }), t.encode(s, { addBos: true }), JSON.stringify(s));
    assert.equal(back.decode(back.encode(s)), s);
  }
});

test('loadTokenizer picks the format by file name', { skip }, () => {
  const s = 'Once upon a time';
  const expected = [403, 407, 261, 378];
  assert.deepEqual(loadTokenizer(join(S260, 'tok512.bin')).encode(s), expected);
  assert.deepEqual(loadTokenizer(join(S260, 'stories260K.gguf')).encode(s), expected);
  const dir = join(tmp, 'ckpt');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(loadTokenizer(join(S260, 'tok512.bin')).toJSON()));
  assert.deepEqual(loadTokenizer(dir).encode(s), expected);
  assert.deepEqual(loadTokenizer(join(dir, 'tokenizer.json')).encode(s), expected);
});

test('loadTokenizer: missing file or unknown extension is a UsageError', () => {
  assert.throws(() => loadTokenizer(join(tmp, 'nope.json')), UsageError);
  writeFileSync(join(tmp, 'vocab.txt'), 'x');
  assert.throws(
    () => loadTokenizer(join(tmp, 'vocab.txt')),
    (e: unknown) => e instanceof UsageError && /vocab\.txt/.test(e.message),
  );
});
