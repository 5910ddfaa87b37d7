// Parsing a FinRLlama answer: the first number after `SENTIMENT SCORE:` (the public code's regex
// `SENTIMENT SCORE:\s*(-?\d+(?:\.\d+)?)`), clamped to [-S, S]. Our backends return only the continuation, so a text
// without the anchor is read as if the anchor preceded it (the prompt ends with it). No number -> score 0, and the
// failure is reported (the code silently used 0; we count it).
import { SCORE_ANCHOR } from './prompt.ts';

const SCORE_RE = /SENTIMENT SCORE:\s*(-?\d+(?:\.\d+)?)/;

export interface ParsedScore {
  /** In [-S, S]; 0 when nothing parsed. */
  score: number;
  /** True when no number followed the anchor (score fell back to 0). */
  failed: boolean;
  /** True when the number lay outside [-S, S] and was clamped. */
  clamped: boolean;
}

/** Parse a completion (or a whole prompt + completion) into a score in [-S, S]. */
export function parseScore(text: string, signalStrength = 10): ParsedScore {
  const m = SCORE_RE.exec(text.includes(SCORE_ANCHOR) ? text : SCORE_ANCHOR + text);
  if (!m) return { score: 0, failed: true, clamped: false };
  const v = Number(m[1]);
  const score = Math.min(signalStrength, Math.max(-signalStrength, v));
  return { score: score === 0 ? 0 : score, failed: false, clamped: score !== v };
}
