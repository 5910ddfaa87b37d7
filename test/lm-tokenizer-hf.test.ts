// Hugging Face tokenizer.json loading (byte-level BPE and the SentencePiece-style BPE variant) and GGUF "gpt2"
// tokenizers. Goldens: llama.cpp's own tokenizer test vectors for GPT-2 and Llama-3 (embedded below), published
// SmolLM2 encodings, llama.cpp itself (node-llama-cpp, vocab-only GGUFs written by rlmf) for SmolLM2; plus small
// hand-made tokenizer.json files whose every encoding is worked out by hand. Real tokenizers need ../shared.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataError } from '../src/data/errors.ts';
import { encodeGguf, GGUF_TYPE, type GgufValue } from '../src/lm/formats/gguf.ts';
import { compilePattern, LLAMA3_PATTERN } from '../src/lm/tokenizer/bpe.ts';
import { fromGgufMetadata, fromHfTokenizerJson, loadTokenizer } from '../src/lm/tokenizer/index.ts';
import type { HfTokenizerJson, Tokenizer } from '../src/lm/tokenizer/types.ts';

const repoRoot = join(import.meta.dirname, '..');
const TOK = join(repoRoot, '..', 'shared', 'models', 'tokenizers');
const skip = !existsSync(TOK) && 'needs ../shared (tokenizer.json files)';
const tmp = mkdtempSync(join(tmpdir(), 'rlmf-tok-hf-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cache = new Map<string, Tokenizer>();
function shared(name: string): Tokenizer {
  if (!cache.has(name)) cache.set(name, loadTokenizer(join(TOK, name, 'tokenizer.json')));
  return cache.get(name)!;
}
const readJson = (name: string) =>
  JSON.parse(readFileSync(join(TOK, name, 'tokenizer.json'), 'utf8')) as HfTokenizerJson;

/** Varied text for decode round trips: unicode, digits, whitespace runs, emojis, code, specials-like text. */
const VARIED = [
  'Hello world',
  '  leading and trailing   ',
  'tabs\tand\nnewlines\r\n\n\nend',
  'Digits 0123456789 3.14159 -42 1,000,000 $1.5B 12.5%',
  'Ünïcödé çà et là — “quotes” ‘single’ … naïve façade',
  'Emojis 🚀📈📉💰 👩‍💻 🏳️‍🌈 ✅',
  '中文 日本語 한국어 العربية עברית हिन्दी ไทย',
  'def f(x):\n    return x**2  # comment',
  "It's, I'M, we'll, they'd, you're, she've",
  'URL https://example.com/a?b=c&d=e#f and e-mail a.b@c.de',
  '',
  ' ',
  '\u00a0non-breaking\u2009thin\u200bzero-width',
];

export const VECTORS = {
  common: [
    'ied 4 ½ months',
    'Führer',
    '',
    ' ',
    '  ',
    '   ',
    '\t',
    '\n',
    '\n\n',
    '\n\n\n',
    '\t\n',
    'Hello world',
    ' Hello world',
    'Hello World',
    ' Hello World',
    ' Hello World!',
    'Hello, world!',
    ' Hello, world!',
    ' this is 🦙.cpp',
    'w048 7tuijk dsdfhu',
    'нещо на Български',
    'កាន់តែពិសេសអាចខលចេញ',
    '🚀 (normal) 😶\u200d🌫\ufe0f (multiple emojis concatenated) ✅ (only emoji that has its own token)',
    'Hello',
    ' Hello',
    '  Hello',
    '   Hello',
    '    Hello',
    '    Hello\n    Hello',
    ' (',
    '\n =',
    "' era",
    "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
  ],
  digits: ['3', '33', '333', '3333', '33333', '333333', '3333333', '33333333', '333333333'],
  long: "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫\ufe0f (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
  llama3Extra: [' Việt'],
  gpt2Extra: ['乡—서울에서'],
  llama3: [
    [1142, 220, 19, 220, 27154, 4038],
    [37, 51853, 261],
    [],
    [220],
    [256],
    [262],
    [197],
    [198],
    [271],
    [1432],
    [1602],
    [9906, 1917],
    [22691, 1917],
    [9906, 4435],
    [22691, 4435],
    [22691, 4435, 0],
    [9906, 11, 1917, 0],
    [22691, 11, 1917, 0],
    [420, 374, 11410, 99, 247, 13, 11055],
    [86, 23904, 220, 22, 83, 2005, 42908, 11729, 3013, 17156],
    [79862, 102118, 13373, 64571, 34694, 3114, 112203, 80112],
    [
      21549, 222, 98629, 241, 45358, 233, 21549, 237, 45358, 224, 21549, 244, 21549, 115, 21549, 253, 45358, 223, 21549,
      253, 21549, 95, 98629, 227, 21549, 223, 21549, 249, 21549, 227, 45358, 223, 21549, 231,
    ],
    [
      9468, 248, 222, 320, 8416, 8, 27623, 114, 102470, 9468, 234, 104, 31643, 320, 36773, 100166, 98634, 8, 26602, 227,
      320, 3323, 43465, 430, 706, 1202, 1866, 4037, 8,
    ],
    [9906],
    [22691],
    [220, 22691],
    [256, 22691],
    [262, 22691],
    [262, 22691, 198, 262, 22691],
    [320],
    [198, 284],
    [6, 11639],
    [
      9906, 11, 379, 65948, 0, 2650, 527, 499, 27623, 223, 949, 37046, 101067, 19000, 23182, 102301, 9263, 18136, 16,
      36827, 21909,
    ],
    [18],
    [1644],
    [8765],
    [8765, 18],
    [8765, 1644],
    [8765, 8765],
    [8765, 8765, 18],
    [8765, 8765, 1644],
    [8765, 8765, 8765],
    [
      198, 4815, 15073, 66597, 8004, 1602, 2355, 79772, 11187, 9468, 248, 222, 320, 8416, 8, 27623, 114, 102470, 9468,
      234, 104, 31643, 320, 36773, 100166, 98634, 8, 26602, 227, 11410, 99, 247, 9468, 99, 247, 220, 18, 220, 1644, 220,
      8765, 220, 8765, 18, 220, 8765, 1644, 220, 8765, 8765, 220, 8765, 8765, 18, 220, 8765, 8765, 1644, 220, 18, 13,
      18, 220, 18, 497, 18, 220, 18, 1131, 18, 220, 21549, 222, 98629, 241, 45358, 233, 21549, 237, 45358, 224, 21549,
      244, 21549, 115, 21549, 253, 45358, 223, 21549, 253, 21549, 95, 98629, 227, 76460, 223, 949, 37046, 101067, 19000,
      23182, 102301, 9263, 18136, 16, 36827, 21909, 56560, 54337, 19175, 102118, 13373, 64571, 34694, 3114, 112203,
      80112, 3436, 106451, 14196, 14196, 74694, 3089, 3089, 29249, 17523, 3001, 27708, 7801, 358, 3077, 1027, 364, 83,
      820, 568, 596, 1070, 11, 364, 793, 499, 2771, 30, 364, 44, 539, 2771, 358, 3358, 1304, 433, 11, 364, 35, 499,
      1093, 1063, 15600, 30, 1226, 6, 43712, 264, 64966, 43,
    ],
    [101798],
  ],
  gpt2: [
    [798, 604, 25208, 1933],
    [37, 9116, 71, 11751],
    [],
    [220],
    [220, 220],
    [220, 220, 220],
    [197],
    [198],
    [628],
    [628, 198],
    [197, 198],
    [15496, 995],
    [18435, 995],
    [15496, 2159],
    [18435, 2159],
    [18435, 2159, 0],
    [15496, 11, 995, 0],
    [18435, 11, 995, 0],
    [428, 318, 12520, 99, 247, 13, 20322],
    [86, 47202, 767, 28047, 45961, 288, 82, 7568, 13415],
    [
      22177, 16843, 141, 231, 15166, 12466, 121, 16142, 12466, 239, 141, 232, 30143, 140, 111, 16142, 21169, 21727,
      31583, 18849,
    ],
    [
      157, 252, 222, 157, 252, 114, 157, 252, 241, 157, 253, 233, 157, 252, 237, 157, 253, 224, 157, 252, 244, 157, 252,
      115, 157, 252, 253, 157, 253, 223, 157, 252, 253, 157, 252, 95, 157, 252, 114, 157, 252, 227, 157, 252, 223, 157,
      252, 249, 157, 252, 227, 157, 253, 223, 157, 252, 231,
    ],
    [
      8582, 248, 222, 357, 11265, 8, 30325, 114, 447, 235, 8582, 234, 104, 37929, 357, 48101, 795, 13210, 271, 1673,
      36686, 515, 8, 14519, 227, 357, 8807, 44805, 326, 468, 663, 898, 11241, 8,
    ],
    [15496],
    [18435],
    [220, 18435],
    [220, 220, 18435],
    [220, 220, 220, 18435],
    [220, 220, 220, 18435, 198, 220, 220, 220, 18435],
    [357],
    [198, 796],
    [6, 6980],
    [
      15496, 11, 331, 6, 439, 0, 1374, 389, 345, 30325, 223, 5633, 22755, 239, 46349, 111, 28839, 101, 18040, 32432, 98,
      43291, 1485, 1415, 24309, 25465, 171, 121, 252,
    ],
    [18],
    [2091],
    [20370],
    [24840],
    [2091, 20370],
    [24840, 2091],
    [24840, 20370],
    [24840, 24840],
    [24840, 2091, 20370],
    [20046, 94, 960, 168, 226, 250, 168, 248, 116, 168, 245, 238, 168, 226, 250],
    [
      198, 220, 628, 220, 628, 198, 220, 197, 220, 197, 197, 220, 197, 198, 220, 220, 198, 220, 220, 220, 198, 220, 220,
      220, 220, 198, 220, 220, 220, 220, 220, 198, 8582, 248, 222, 357, 11265, 8, 30325, 114, 447, 235, 8582, 234, 104,
      37929, 357, 48101, 795, 13210, 271, 1673, 36686, 515, 8, 14519, 227, 12520, 99, 247, 8582, 99, 247, 513, 4747,
      23460, 513, 20370, 23460, 2091, 23460, 20370, 23460, 24840, 23460, 2091, 20370, 513, 13, 18, 513, 492, 18, 513,
      986, 18, 28053, 252, 222, 157, 252, 114, 157, 252, 241, 157, 253, 233, 157, 252, 237, 157, 253, 224, 157, 252,
      244, 157, 252, 115, 157, 252, 253, 157, 253, 223, 157, 252, 253, 157, 252, 95, 157, 252, 114, 157, 252, 227,
      47249, 223, 5633, 22755, 239, 46349, 111, 28839, 101, 18040, 32432, 98, 43291, 1485, 1415, 24309, 25465, 171, 121,
      252, 40103, 1421, 18604, 12466, 121, 16843, 141, 231, 15166, 12466, 121, 16142, 12466, 239, 141, 232, 30143, 140,
      111, 16142, 21169, 21727, 31583, 18849, 705, 39115, 6, 33153, 15506, 63, 15931, 15931, 16317, 13896, 3228, 9805,
      3548, 314, 1053, 587, 705, 44040, 339, 338, 612, 11, 705, 2200, 345, 1654, 30, 705, 44, 407, 1654, 314, 1183, 787,
      340, 11, 705, 35, 345, 588, 617, 8887, 30, 775, 6, 26979, 257, 6, 75, 43,
    ],
  ],
};

test('GPT-2 tokenizer.json: llama.cpp test vectors (models/ggml-vocab-gpt-2.gguf.inp/.out)', { skip }, () => {
  const t = shared('gpt2-hf');
  const inputs = [...VECTORS.common, ...VECTORS.digits, ...VECTORS.gpt2Extra, VECTORS.long];
  assert.equal(inputs.length, VECTORS.gpt2.length);
  inputs.forEach((s, i) => {
    assert.deepEqual(t.encode(s), VECTORS.gpt2[i], `input ${i}: ${JSON.stringify(s)}`);
    assert.equal(t.decode(VECTORS.gpt2[i]), s, `decode ${i}`);
  });
  assert.deepEqual(t.encode('Hello world'), [15496, 995]);
  assert.equal(t.vocabSize, 50257);
  // bos/eos from tokenizer_config.json beside the file
  assert.equal(t.bosId, 50256);
  assert.equal(t.eosId, 50256);
  assert.deepEqual(t.encode('a<|endoftext|>b'), [64, 50256, 65]);
});

test('Llama-3 tokenizer.json: llama.cpp test vectors (models/ggml-vocab-llama-bpe.gguf.inp/.out)', { skip }, () => {
  const t = shared('llama3');
  const inputs = [...VECTORS.common, ...VECTORS.digits, VECTORS.long, ...VECTORS.llama3Extra];
  assert.equal(inputs.length, VECTORS.llama3.length);
  inputs.forEach((s, i) => {
    assert.deepEqual(t.encode(s), VECTORS.llama3[i], `input ${i}: ${JSON.stringify(s)}`);
    assert.equal(t.decode(VECTORS.llama3[i]), s, `decode ${i}`);
  });
  assert.equal(t.bosId, 128000);
  assert.equal(t.eosId, 128001);
  assert.deepEqual(t.encode('Hello world', { addBos: true }), [128000, 9906, 1917]);
  assert.deepEqual(t.encode('<|start_header_id|>user<|end_header_id|>'), [128006, 882, 128007]);
  // special tokens are skipped by decode, tokenText shows them
  assert.equal(t.decode([128000, 9906, 1917, 128001]), 'Hello world');
  assert.equal(t.tokenText(128000), '<|begin_of_text|>');
});

test('SmolLM2 tokenizer.json: published HF encodings', { skip }, () => {
  const t = shared('smollm2');
  const golden: [string, number[]][] = [
    ['Hello world', [19556, 905]],
    ['hello', [28120]],
    ['Hello, world!', [19556, 28, 905, 17]],
    ['The quick brown fox', [504, 2365, 6354, 16438]],
    ['  spaced  text', [216, 23861, 216, 1694]],
    ['Once upon a time', [6403, 1980, 253, 655]],
    ['In 2026, the weather', [788, 216, 34, 32, 34, 38, 28, 260, 3947]],
    ['def add(a, b): return', [1604, 803, 24, 81, 28, 278, 727, 1003]],
    ['Hello world, this is', [19556, 905, 28, 451, 314]],
    ['She walked into the', [8113, 13197, 618, 260]],
  ];
  for (const [s, ids] of golden) assert.deepEqual(t.encode(s), ids, s);
  assert.equal(t.idOf('<|im_end|>'), 2);
  assert.equal(t.eosId, 2); // tokenizer_config.json: eos_token <|im_end|>
});

test('round trips: decode(encode(x)) === x on varied text for all three byte-level tokenizers', { skip }, () => {
  for (const name of ['gpt2-hf', 'llama3', 'smollm2']) {
    const t = shared(name);
    for (const s of VARIED) assert.equal(t.decode(t.encode(s)), s, `${name}: ${JSON.stringify(s)}`);
    // joining tokenBytes is the streaming form of decode
    const ids = t.encode(VARIED[5]);
    const bytes = Buffer.concat(ids.map((i) => Buffer.from(t.tokenBytes(i))));
    assert.equal(bytes.toString('utf8'), VARIED[5]);
    assert.deepEqual(fromHfTokenizerJson(t.toJSON()).encode(VARIED[4]), t.encode(VARIED[4]));
  }
});

/** A vocab-only GGUF holding an HF tokenizer as tokenizer.ggml.model "gpt2" (what llama.cpp's converter writes). */
function ggufMetadataFor(json: HfTokenizerJson, pre: string): Map<string, GgufValue> {
  let n = 0;
  for (const id of Object.values(json.model.vocab)) n = Math.max(n, id + 1);
  for (const a of json.added_tokens ?? []) n = Math.max(n, a.id + 1);
  const tokens: string[] = new Array(n).fill('');
  const types: number[] = new Array(n).fill(1);
  for (const [p, i] of Object.entries(json.model.vocab)) tokens[i] = p;
  for (const a of json.added_tokens ?? []) {
    tokens[a.id] = a.content;
    types[a.id] = a.special ? 3 : 4;
  }
  return new Map<string, GgufValue>([
    ['general.architecture', 'llama'],
    ['llama.context_length', 64],
    ['llama.embedding_length', 64],
    ['llama.block_count', 1],
    ['llama.feed_forward_length', 64],
    ['llama.attention.head_count', 1],
    ['llama.attention.layer_norm_rms_epsilon', 1e-5],
    ['tokenizer.ggml.model', 'gpt2'],
    ['tokenizer.ggml.pre', pre],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.token_type', types],
    ['tokenizer.ggml.merges', json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m))],
    ['tokenizer.ggml.bos_token_id', 1],
    ['tokenizer.ggml.eos_token_id', 2],
  ]);
}

test('GGUF "gpt2" tokenizer metadata: same ids as tokenizer.json, and as llama.cpp itself (SmolLM2)', {
  skip,
}, async () => {
  const json = readJson('smollm2');
  const meta = ggufMetadataFor(json, 'smollm');
  const fromMeta = fromGgufMetadata(meta, 'smollm2.gguf');
  const file = join(tmp, 'smollm2-vocab.gguf');
  writeFileSync(
    file,
    encodeGguf({ metadata: meta, arrayTypes: new Map([['tokenizer.ggml.token_type', GGUF_TYPE.INT32]]), tensors: [] }),
  );
  const fromFile = loadTokenizer(file);
  const hf = fromHfTokenizerJson(json);
  const inputs = [...VECTORS.common, ...VECTORS.digits, VECTORS.long, ...VARIED];
  for (const s of inputs) {
    assert.deepEqual(fromMeta.encode(s), hf.encode(s), JSON.stringify(s));
    assert.deepEqual(fromFile.encode(s), hf.encode(s), JSON.stringify(s));
  }
  assert.equal(fromMeta.bosId, 1);
  assert.equal(fromMeta.eosId, 2);
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: file, vocabOnly: true });
  try {
    for (const s of inputs)
      assert.deepEqual(Array.from(model.tokenize(s)), hf.encode(s), `llama.cpp: ${JSON.stringify(s)}`);
  } finally {
    await model.dispose();
    await llama.dispose();
  }
});

test('GGUF tokenizer metadata: unsupported model or pre-tokenizer is a DataError', () => {
  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', 'bert'],
    ['tokenizer.ggml.tokens', ['a']],
  ]);
  assert.throws(
    () => fromGgufMetadata(meta, 'x.gguf'),
    (e: unknown) => e instanceof DataError && /x\.gguf.*bert/s.test(e.message),
  );
  meta.set('tokenizer.ggml.model', 'gpt2');
  meta.set('tokenizer.ggml.merges', []);
  meta.set('tokenizer.ggml.pre', 'mystery');
  assert.throws(() => fromGgufMetadata(meta, 'x.gguf'), /mystery/);
});

/** A tiny byte-level tokenizer.json: bytes 'a','b','c','Ġ' and merges a b -> ab, Ġ ab -> Ġab, ab c -> abc. */
function tinyByteLevel(): HfTokenizerJson {
  return {
    added_tokens: [{ id: 0, content: '<|end|>', special: true, lstrip: true, rstrip: false, normalized: false }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel' },
    model: {
      type: 'BPE',
      vocab: { '<|end|>': 0, a: 1, b: 2, c: 3, Ġ: 4, ab: 5, Ġab: 6, abc: 7, Ċ: 8 },
      merges: ['a b', 'Ġ ab', ['ab', 'c']],
    },
  };
}

test('byte-level BPE by hand: merge order by rank, added token with lstrip, string and pair merges', () => {
  const t = fromHfTokenizerJson(tinyByteLevel());
  assert.equal(t.vocabSize, 9);
  assert.deepEqual(t.encode('abc'), [7]); // a b -> ab (rank 0), ab c -> abc (rank 2)
  assert.deepEqual(t.encode(' abc'), [6, 3]); // Ġ ab (rank 1) beats ab c (rank 2)
  assert.deepEqual(t.encode('ab\nc'), [5, 8, 3]);
  assert.deepEqual(t.encode('ab <|end|>c'), [5, 0, 3]); // lstrip: the space before <|end|> belongs to it
  assert.equal(t.eosId, undefined);
  assert.equal(t.decode([6, 3, 0]), ' abc'); // special skipped
  assert.equal(t.tokenText(0), '<|end|>');
  assert.throws(() => t.encode('x'), /"x" is not in the vocabulary/);
});

test('SentencePiece-style tokenizer.json (Metaspace, byte_fallback, unk) by hand', () => {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  Object.assign(vocab, { '▁': 259, h: 260, i: 261, '▁h': 262, '▁hi': 263, '!': 264 });
  const json: HfTokenizerJson = {
    added_tokens: [
      { id: 0, content: '<unk>', special: true },
      { id: 1, content: '<s>', special: true },
      { id: 2, content: '</s>', special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
    model: { type: 'BPE', vocab, merges: ['▁ h', '▁h i'], byte_fallback: true, unk_token: '<unk>', fuse_unk: true },
  };
  const t = fromHfTokenizerJson(json);
  assert.equal(t.bosId, 1);
  assert.equal(t.eosId, 2);
  assert.deepEqual(t.encode('hi hi!', { addBos: true, addEos: true }), [1, 263, 263, 264, 2]);
  // 'é' is not a piece: UTF-8 bytes C3 A9 via byte fallback
  assert.deepEqual(t.encode('hé'), [262, 3 + 0xc3, 3 + 0xa9]);
  assert.equal(t.decode([1, 263, 263, 264]), 'hi hi!');
  assert.equal(t.decode([262, 3 + 0xc3, 3 + 0xa9]), 'hé');
});

test('unsupported tokenizer.json parts are DataErrors that name them', () => {
  const wp = { model: { type: 'WordPiece', vocab: {}, merges: [] } };
  assert.throws(
    () => fromHfTokenizerJson(wp, { file: 'bert.json' }),
    (e: unknown) => e instanceof DataError && /bert\.json.*WordPiece/s.test(e.message),
  );
  const j = tinyByteLevel();
  j.pre_tokenizer = { type: 'BertPreTokenizer' };
  assert.throws(() => fromHfTokenizerJson(j), /BertPreTokenizer/);
  const k = tinyByteLevel();
  k.model.merges = ['a b c'];
  assert.throws(() => fromHfTokenizerJson(k), /merges\[0\]/);
});

test('(?i:...) groups are rewritten for JS regexes', () => {
  const re = compilePattern(LLAMA3_PATTERN);
  assert.deepEqual("I'VE it's".match(re), ['I', "'VE", ' it', "'s"]);
});
