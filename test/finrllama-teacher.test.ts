import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateMarket, QUICK_SYNTH_CONFIG } from '../src/data/synth/index.ts';
import { PAPER_EXAMPLES } from '../src/papers/finrllama/prompt.ts';
import { loadLoughranMcDonald, netSentiment, teacherScore, tokenizeWords } from '../src/papers/finrllama/teacher.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = join(repoRoot, '..', 'shared');
const LM_DIR = join(SHARED, 'data', 'loughran-mcdonald');

test('teacher: net word count x (T + 1), clamped to [-S, S]', () => {
  // the paper's examples: two negative words, two positive, two positive
  assert.deepEqual(
    PAPER_EXAMPLES.map((e) => teacherScore(e.headline)),
    [-8, 8, 8],
  );
  assert.equal(teacherScore('Quantix Systems beats Q3 estimates as revenue jumps 12%'), 8);
  assert.equal(teacherScore('Quantix posts record profit, strong growth, shares surge'), 10, '4 words x 4 clamped');
  assert.equal(teacherScore('Quantix to hold annual shareholder meeting in Denver'), 0);
  assert.equal(teacherScore('Quantix sued; layoffs follow', { perWord: 1 }), -2);
  assert.equal(teacherScore('Quantix sued; layoffs follow', { signalStrength: 5 }), -4, 'T = 1, perWord 2');
  assert.equal(teacherScore(['Quantix beats', 'Quantix sued', 'Quantix upgraded']), 4, 'headlines add up');
  assert.deepEqual(tokenizeWords("Quantix won't cut: Q3's 12% beat"), [
    'quantix',
    'wo',
    "n't",
    'cut',
    'q',
    's',
    'beat',
  ]);
});

test('teacher: negation is off by default; on, it flips the next three words', () => {
  const h = 'Sunfield Power denies rumours of layoffs';
  assert.equal(teacherScore(h), -4);
  assert.equal(teacherScore(h, { negation: true }), 4);
  assert.equal(netSentiment('Court dismisses lawsuit against Redmesa Energy', { negation: true }), 1);
  assert.equal(netSentiment("Quantix won't miss targets", { negation: true }), 1);
  // the flip reaches three tokens only
  assert.equal(netSentiment('Quantix does not say anything about layoffs', { negation: true }), -1);
});

test('teacher on the synthetic market: right on plain news, wrong on misleading news', () => {
  const m = generateMarket({ ...QUICK_SYNTH_CONFIG, seed: 7 });
  const acc = (kinds: (k: string) => boolean, negation = false) => {
    let right = 0;
    let n = 0;
    for (const h of m.hidden) {
      if (!kinds(h.kind)) continue;
      const truth = Math.abs(h.impact) < 0.004 ? 0 : Math.sign(h.impact);
      right += Math.sign(teacherScore(h.headline, { negation })) === truth ? 1 : 0;
      n++;
    }
    return right / n;
  };
  const plain = acc((k) => k === 'plain');
  const misleading = acc((k) => k !== 'plain');
  const negated = acc((k) => k === 'negated');
  const mixed = acc((k) => k === 'mixed');
  assert.ok(plain > 0.95, `plain ${plain}`);
  assert.ok(misleading < 0.35, `misleading ${misleading}`);
  assert.ok(negated < 0.1, `negated ${negated}`);
  assert.ok(mixed < 0.2, `mixed ${mixed}`);
  // negation handling repairs part of the negated headlines (and nothing else)
  assert.ok(acc((k) => k === 'negated', true) > 0.4, `negated with negation ${acc((k) => k === 'negated', true)}`);
});

test('Loughran-McDonald lists: absent directory -> undefined', () => {
  assert.equal(loadLoughranMcDonald(join(repoRoot, 'no-such-dir')), undefined);
});

test('Loughran-McDonald lists from ../shared at run time', { skip: !existsSync(LM_DIR) && 'needs ../shared' }, () => {
  const lex = loadLoughranMcDonald(LM_DIR)!;
  assert.equal(lex.negative.size, 2355);
  assert.equal(lex.positive.size, 354);
  assert.ok(lex.negative.has('layoffs') && lex.positive.has('gains'));
  // LM 2014 counts "despite" as POSITIVE: strong + gains + despite - losses = 2 words
  assert.equal(teacherScore('Company reports strong gains despite losses', { lexicon: lex }), 8);
});
