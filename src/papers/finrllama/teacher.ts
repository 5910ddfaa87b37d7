// A word-list sentiment teacher: headline -> integer score in [-S, S]. Deliberately naive (it counts words), so that on
// the synthetic market it is right on plain news and wrong on the misleading kinds (mixed, negated, priced-in, hedged,
// irrelevant), which is where learning from market feedback has something to add.
//
// Convention: net = (# positive words) - (# negative words), counted over lower-cased [a-z]+ tokens;
// score = clamp(perWord x net, -S, S) (perWord default T + 1 = 4, so one word clears the threshold T = 3).
// Negation (off by default): a sentiment word within the 3 tokens after a negator (not, no, denies, ...) counts with
// the opposite sign.
// The lists below are our own short financial-news lists. The Loughran-McDonald lists (research use only) are never
// copied into this repository; `loadLoughranMcDonald(dir)` reads them at run time from a local copy when present.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../data/errors.ts';
import { scoreScale } from './prompt.ts';

export const POSITIVE_WORDS: readonly string[] = [
  'beat',
  'beats',
  'tops',
  'top',
  'raise',
  'raises',
  'raised',
  'lift',
  'lifts',
  'boost',
  'boosts',
  'upgrade',
  'upgrades',
  'upgraded',
  'record',
  'strong',
  'stronger',
  'surge',
  'surges',
  'soar',
  'soars',
  'jump',
  'jumps',
  'rally',
  'rallies',
  'gain',
  'gains',
  'growth',
  'improves',
  'improve',
  'launch',
  'launches',
  'unveils',
  'wins',
  'win',
  'approval',
  'premium',
  'outperform',
  'bullish',
  'cools',
  'best',
  'buy',
  'positive',
  'positively',
];

export const NEGATIVE_WORDS: readonly string[] = [
  'miss',
  'misses',
  'cut',
  'cuts',
  'lowers',
  'slashes',
  'downgrade',
  'downgrades',
  'downgraded',
  'lawsuit',
  'sued',
  'probe',
  'layoffs',
  'weak',
  'weaken',
  'weakens',
  'fall',
  'falls',
  'drop',
  'drops',
  'plunge',
  'plunges',
  'slump',
  'slumps',
  'collapse',
  'collapses',
  'warns',
  'loss',
  'losses',
  'underperform',
  'bearish',
  'fears',
  'block',
  'blocks',
  'hotter',
  'downturn',
  'recession',
  'sell',
  'negative',
];

export const NEGATORS: readonly string[] = [
  'not',
  'no',
  "n't",
  'never',
  'denies',
  'deny',
  'dismisses',
  'without',
  'unlikely',
  'rules',
];

export interface Lexicon {
  positive: ReadonlySet<string>;
  negative: ReadonlySet<string>;
}

export function defaultLexicon(): Lexicon {
  return { positive: new Set(POSITIVE_WORDS), negative: new Set(NEGATIVE_WORDS) };
}

/** The LM 2014 word lists file name under `<shared>/data/loughran-mcdonald/` (`word,category`). */
export const LM_LISTS_FILE = 'LM_2014_wordlists_long.csv';

/**
 * The Loughran-McDonald POSITIVE / NEGATIVE lists from `dir/LM_2014_wordlists_long.csv` (`word,category` rows), or
 * undefined when the file is absent (callers fall back to defaultLexicon). Malformed rows throw a DataError.
 */
export function loadLoughranMcDonald(dir: string): Lexicon | undefined {
  const file = join(dir, LM_LISTS_FILE);
  if (!existsSync(file)) return undefined;
  const positive = new Set<string>();
  const negative = new Set<string>();
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const [word, cat] = line.split(',');
    if (!word || !cat)
      throw new DataError([{ file, line: i + 1, field: 'word,category', reason: `malformed row "${line}"` }]);
    if (cat === 'POSITIVE') positive.add(word.toLowerCase());
    else if (cat === 'NEGATIVE') negative.add(word.toLowerCase());
  });
  return { positive, negative };
}

export interface TeacherOptions {
  signalStrength?: number;
  /** Score per net word (default T + 1). */
  perWord?: number;
  /** Flip words within 3 tokens after a negator (default false: the teacher is meant to be fooled). */
  negation?: boolean;
  lexicon?: Lexicon;
}

/** Lower-cased word tokens; "n't" kept as its own token. */
export function tokenizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/n't\b/g, " n't")
    .split(/[^a-z']+/)
    .map((w) => (w === "n't" ? w : w.replace(/'/g, '')))
    .filter((w) => w !== '');
}

/** Net word count (positive minus negative) of one text. */
export function netSentiment(text: string, o: TeacherOptions = {}): number {
  const lex = o.lexicon ?? defaultLexicon();
  const negators = new Set(NEGATORS);
  let net = 0;
  let negatedUntil = -1;
  tokenizeWords(text).forEach((w, i) => {
    const sign = lex.positive.has(w) ? 1 : lex.negative.has(w) ? -1 : 0;
    if (sign !== 0) net += o.negation && i <= negatedUntil ? -sign : sign;
    if (o.negation && negators.has(w)) negatedUntil = i + 3;
  });
  return net;
}

/** The teacher's integer score of a set of headlines (their net counts summed), in [-S, S]. */
export function teacherScore(headlines: string | readonly string[], o: TeacherOptions = {}): number {
  const { signalStrength: S, threshold: T } = scoreScale(o.signalStrength ?? 10);
  const perWord = o.perWord ?? T + 1;
  const texts = typeof headlines === 'string' ? [headlines] : headlines;
  const net = texts.reduce((a, h) => a + netSentiment(h, o), 0);
  const s = Math.max(-S, Math.min(S, Math.round(perWord * net)));
  return s === 0 ? 0 : s;
}
