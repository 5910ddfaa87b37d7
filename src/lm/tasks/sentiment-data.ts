// Data for the financial-sentiment check (issue 3 item 8), read at run time from ../shared/data (never copied into the
// repository): Financial PhraseBank (Malo et al. 2014, CC BY-NC-SA 3.0), SEntFiN 1.0 (Sinha et al. 2022), the
// Loughran-McDonald word lists (research-use licence) and unlabeled FNSPID news text. See docs/lm-sentiment.md.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { columnIndex, readCsv } from '../../data/csv.ts';
import { DataError } from '../../data/errors.ts';
import { createRng } from '../../util/rng.ts';

export const SENTIMENT_LABELS = ['positive', 'negative', 'neutral'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

export interface LabeledSentence {
  text: string;
  label: SentimentLabel;
  /** Where it came from: 'phrasebank' | 'sentfin'. */
  source: string;
  /** PhraseBank only: the highest agreement level whose file holds this sentence (AllAgree, 75Agree, 66Agree, 50Agree). */
  agreement?: string;
}

export interface LoadReport {
  file: string;
  rows: number;
  kept: number;
  /** Reason -> count of rows not kept. Nothing is dropped without being counted here. */
  dropped: Record<string, number>;
}

function isLabel(s: string): s is SentimentLabel {
  return (SENTIMENT_LABELS as readonly string[]).includes(s);
}

/** Whitespace-normalised, lower-cased key used for de-duplication and for keeping test sentences out of training. */
export function sentenceKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function bump(r: Record<string, number>, k: string): void {
  r[k] = (r[k] ?? 0) + 1;
}

/**
 * Financial PhraseBank, all 4,846 sentences of the 50Agree release (phrasebank_all_utf8.csv: sentence,label,
 * max_agreement_bucket). De-duplicated by sentenceKey: exact repeats keep the first row (the release has 5–6 repeated
 * lines per file); a sentence that appears with different labels is dropped entirely (counted).
 */
export function loadPhraseBank(sharedDir: string): { items: LabeledSentence[]; report: LoadReport } {
  const file = join(sharedDir, 'data', 'financial-phrasebank', 'phrasebank_all_utf8.csv');
  const table = readCsv(file);
  const col = columnIndex(table, ['sentence', 'label', 'max_agreement_bucket']);
  const issues: { file: string; line: number; field: string; reason: string }[] = [];
  const byKey = new Map<string, LabeledSentence[]>();
  const order: string[] = [];
  for (const row of table.rows) {
    const text = (row.cells[col.sentence as number] ?? '').trim();
    const label = (row.cells[col.label as number] ?? '').trim();
    const agreement = (row.cells[col.max_agreement_bucket as number] ?? '').trim();
    if (!text) issues.push({ file, line: row.line, field: 'sentence', reason: 'empty sentence' });
    if (!isLabel(label)) issues.push({ file, line: row.line, field: 'label', reason: `unknown label "${label}"` });
    if (!text || !isLabel(label)) continue;
    const key = sentenceKey(text);
    if (!byKey.has(key)) {
      byKey.set(key, []);
      order.push(key);
    }
    (byKey.get(key) as LabeledSentence[]).push({ text, label, source: 'phrasebank', agreement });
  }
  if (issues.length) throw new DataError(issues, `${file}: bad rows`);
  const dropped: Record<string, number> = {};
  const items: LabeledSentence[] = [];
  for (const key of order) {
    const group = byKey.get(key) as LabeledSentence[];
    if (new Set(group.map((g) => g.label)).size > 1) {
      dropped['same sentence with conflicting labels'] =
        (dropped['same sentence with conflicting labels'] ?? 0) + group.length;
      continue;
    }
    for (let i = 1; i < group.length; i++) bump(dropped, 'exact duplicate sentence');
    items.push(group[0] as LabeledSentence);
  }
  return { items, report: { file, rows: table.rows.length, kept: items.length, dropped } };
}

/**
 * Deterministic stratified split by sentence: within each label the sentences are sorted by key, shuffled with
 * createRng(seed).fork('phrasebank-split:<label>'), and the first round(testFraction·n) go to the test side.
 * Input must already be de-duplicated (loadPhraseBank), so no sentence can land on both sides.
 */
export function splitPhraseBank(
  items: readonly LabeledSentence[],
  seed: number,
  testFraction = 0.2,
): { train: LabeledSentence[]; test: LabeledSentence[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction ${testFraction} must be in (0, 1)`);
  const seen = new Set<string>();
  for (const it of items) {
    const k = sentenceKey(it.text);
    if (seen.has(k))
      throw new Error(`splitPhraseBank: duplicate sentence "${it.text.slice(0, 60)}" (de-duplicate first)`);
    seen.add(k);
  }
  const train: LabeledSentence[] = [];
  const test: LabeledSentence[] = [];
  for (const label of SENTIMENT_LABELS) {
    const group = items
      .filter((it) => it.label === label)
      .map((it) => ({ it, key: sentenceKey(it.text) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    shuffleInPlace(group, createRng(seed).fork(`phrasebank-split:${label}`));
    const nTest = Math.round(testFraction * group.length);
    group.forEach(({ it }, i) => {
      (i < nTest ? test : train).push(it);
    });
  }
  return { train, test };
}

/** Fisher-Yates with the given generator. */
export function shuffleInPlace<T>(xs: T[], rng: { int(n: number): number }): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = xs[i] as T;
    xs[i] = xs[j] as T;
    xs[j] = t;
  }
  return xs;
}

/**
 * SEntFiN 1.0 headlines (S No.,Title,Decisions,Words; Decisions = JSON entity -> label). Sentence label: the entities'
 * common label when all entities agree (single-entity headlines, and multi-entity ones that agree); headlines whose
 * entities disagree are dropped (counted), as are repeated titles after the first and any title whose key is in
 * `exclude` (the PhraseBank test sentences).
 */
export function loadSentFin(
  sharedDir: string,
  exclude: ReadonlySet<string> = new Set(),
): {
  items: LabeledSentence[];
  report: LoadReport;
} {
  const file = join(sharedDir, 'data', 'financial-sentiment-labeled', 'sentfin-1.0', 'SEntFiN-1.0_dataset_1.csv');
  const table = readCsv(file);
  const col = columnIndex(table, ['Title', 'Decisions']);
  const issues: { file: string; line: number; field: string; reason: string }[] = [];
  const dropped: Record<string, number> = {};
  const seen = new Set<string>();
  const items: LabeledSentence[] = [];
  for (const row of table.rows) {
    const text = (row.cells[col.Title as number] ?? '').trim();
    let decisions: unknown;
    try {
      decisions = JSON.parse(row.cells[col.Decisions as number] ?? '');
    } catch (e) {
      issues.push({ file, line: row.line, field: 'Decisions', reason: `not JSON: ${(e as Error).message}` });
      continue;
    }
    const labels = decisions && typeof decisions === 'object' ? Object.values(decisions as object) : [];
    if (!text || labels.length === 0 || !labels.every((l) => typeof l === 'string' && isLabel(l))) {
      issues.push({ file, line: row.line, field: 'Decisions', reason: 'expected a non-empty {entity: label} object' });
      continue;
    }
    const distinct = new Set(labels as string[]);
    if (distinct.size > 1) {
      bump(dropped, 'entities disagree');
      continue;
    }
    const key = sentenceKey(text);
    if (exclude.has(key)) {
      bump(dropped, 'in the PhraseBank test split');
      continue;
    }
    if (seen.has(key)) {
      bump(dropped, 'repeated title');
      continue;
    }
    seen.add(key);
    items.push({ text, label: labels[0] as SentimentLabel, source: 'sentfin' });
  }
  if (issues.length) throw new DataError(issues, `${file}: bad rows`);
  return { items, report: { file, rows: table.rows.length, kept: items.length, dropped } };
}

export interface WordLists {
  positive: Set<string>;
  negative: Set<string>;
  file: string;
}

/**
 * Loughran-McDonald 1993-2021 master dictionary, positive/negative flags. A word is in a list when its column is
 * strictly positive (the value is the year it was added); a negative value (-2020) marks a word removed from the list,
 * 0 = never in it. Gives the official 2021 sizes: 347 positive, 2,345 negative. Read at run time, never copied.
 */
export function loadLoughranMcDonald(sharedDir: string): WordLists {
  const file = join(sharedDir, 'data', 'loughran-mcdonald', 'LM_MasterDictionary_1993-2021_NegPos.csv');
  const table = readCsv(file);
  const col = columnIndex(table, ['Word', 'Negative', 'Positive']);
  const positive = new Set<string>();
  const negative = new Set<string>();
  const issues: { file: string; line: number; field: string; reason: string }[] = [];
  for (const row of table.rows) {
    const word = (row.cells[col.Word as number] ?? '').trim().toUpperCase();
    const neg = Number(row.cells[col.Negative as number]);
    const pos = Number(row.cells[col.Positive as number]);
    if (!word || !Number.isFinite(neg) || !Number.isFinite(pos)) {
      issues.push({ file, line: row.line, field: 'Word', reason: 'empty word or non-numeric flag' });
      continue;
    }
    if (neg > 0) negative.add(word);
    if (pos > 0) positive.add(word);
  }
  if (issues.length) throw new DataError(issues, `${file}: bad rows`);
  return { positive, negative, file };
}

/** Words as the LM dictionary spells them: upper-case letter runs (apostrophes kept inside a word). */
export function lmWords(text: string): string[] {
  return text.toUpperCase().match(/[A-Z]+(?:'[A-Z]+)*/g) ?? [];
}

/** Word-list baseline: score = #positive words − #negative words; > 0 positive, < 0 negative, 0 neutral. */
export function lmBaseline(
  text: string,
  lists: Pick<WordLists, 'positive' | 'negative'>,
): {
  label: SentimentLabel;
  positive: number;
  negative: number;
} {
  let positive = 0;
  let negative = 0;
  for (const w of lmWords(text)) {
    if (lists.positive.has(w)) positive++;
    if (lists.negative.has(w)) negative++;
  }
  const score = positive - negative;
  return { label: score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral', positive, negative };
}

/**
 * Unlabeled financial text for the tokenizer and optional language-model pretraining: the FNSPID news sample
 * (aapl_nasdaq_articles.csv `Text`, AA_summarized.csv `New_text`), split into lines, up to `maxChars` characters.
 * Contains no PhraseBank sentence (different source: 2016–2024 Nasdaq articles vs. 2000s Finnish press releases).
 */
export function loadUnlabeledText(sharedDir: string, maxChars = Number.POSITIVE_INFINITY): string[] {
  const dir = join(sharedDir, 'data', 'fnspid-samples', 'news');
  const out: string[] = [];
  let chars = 0;
  for (const [name, column] of [
    ['aapl_nasdaq_articles.csv', 'Text'],
    ['AA_summarized.csv', 'New_text'],
  ] as const) {
    const file = join(dir, name);
    if (!existsSync(file)) throw new DataError([{ file, reason: 'missing (FNSPID sample expected in ../shared)' }]);
    const table = readCsv(file);
    const c = columnIndex(table, [column])[column] as number;
    for (const row of table.rows) {
      for (const line of (row.cells[c] ?? '').split(/\r?\n/)) {
        const t = line.replace(/\s+/g, ' ').trim();
        if (t.length < 20) continue;
        if (chars + t.length > maxChars) return out;
        out.push(t);
        chars += t.length + 1;
      }
    }
  }
  return out;
}

/** Read a UTF-8 text file (helper for tests that need raw counts). */
export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}
