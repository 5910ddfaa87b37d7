// The ground truth behind the synthetic news: one HiddenEvent per news item. It lives in DIR/hidden/, which
// loadDataset never reads. It is for oracles and evaluation only; an agent must never see it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DataError, type DataIssue } from '../errors.ts';
import { isIsoDate } from '../time.ts';
import type { IsoDate } from '../types.ts';

export const EVENT_TYPES = [
  'earnings-beat',
  'earnings-miss',
  'guidance-raise',
  'guidance-cut',
  'product-launch',
  'lawsuit',
  'layoffs',
  'analyst-upgrade',
  'analyst-downgrade',
  'm-and-a',
  'macro',
  'misc',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * How a headline relates to its true impact:
 * - `plain`: the wording says what happens.
 * - `mixed`: two opposite signals; the wording leans one way, the impact follows the other (guidance over earnings).
 * - `priced-in`: strong wording about something the market already expected; impact about 0.
 * - `hedged`: speculation (may, could, reportedly); impact about 0.
 * - `negated`: a sentiment word under a negation (denies layoffs, dismisses lawsuit); impact opposite to the word.
 * - `irrelevant`: nothing that matters to value (a charity run, a dividend as usual); impact exactly 0.
 */
export const EVENT_KINDS = ['plain', 'mixed', 'priced-in', 'hedged', 'negated', 'irrelevant'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface HiddenEvent {
  /** Equals the id of the news item in news.jsonl. */
  id: string;
  /** Every ticker the impact applies to (all tickers for a macro event, whose news item lists none). */
  tickers: string[];
  publishedAt: string;
  headline: string;
  type: EventType;
  kind: EventKind;
  /** Total log-return impact on each listed ticker. */
  impact: number;
  /** Fractions of `impact` realised on consecutive trading sessions from `firstImpactDate` on; they sum to 1. */
  impactPath: number[];
  /** The first session the news can move: its publication session, or the next one after the 16:00 close. */
  firstImpactDate: IsoDate;
}

const HiddenEventRow = z
  .object({
    id: z.string().min(1),
    tickers: z.array(z.string().min(1)),
    published_at: z.string().min(1),
    headline: z.string(),
    type: z.enum(EVENT_TYPES),
    kind: z.enum(EVENT_KINDS),
    impact: z.number().finite(),
    impact_path: z.array(z.number().finite().nonnegative()).min(1),
    first_impact_date: z.string().refine(isIsoDate, 'expected YYYY-MM-DD'),
  })
  .strict();

export const HIDDEN_DIR = 'hidden';
export const HIDDEN_IMPACTS_FILE = join(HIDDEN_DIR, 'impacts.jsonl');

/** One JSON object per line, keys in snake_case like the rest of the on-disk layout. */
export function formatHiddenImpacts(events: readonly HiddenEvent[]): string {
  return events
    .map(
      (e) =>
        `${JSON.stringify({
          id: e.id,
          tickers: e.tickers,
          published_at: e.publishedAt,
          headline: e.headline,
          type: e.type,
          kind: e.kind,
          impact: e.impact,
          impact_path: e.impactPath,
          first_impact_date: e.firstImpactDate,
        })}\n`,
    )
    .join('');
}

/**
 * Read DIR/hidden/impacts.jsonl. For oracles and evaluation only: never hand the result to an agent.
 * Throws DataError naming file, line and field of every bad record.
 */
export function loadHiddenImpacts(dir: string): HiddenEvent[] {
  const file = join(dir, HIDDEN_IMPACTS_FILE);
  if (!existsSync(file))
    throw new DataError([{ file, reason: 'no hidden impacts here (only synthetic markets have them)' }]);
  const out: HiddenEvent[] = [];
  const issues: DataIssue[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      if (!raw.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        issues.push({ file, line: i + 1, reason: `invalid JSON: ${(e as Error).message}` });
        return;
      }
      const p = HiddenEventRow.safeParse(value);
      if (!p.success) {
        for (const is of p.error.issues)
          issues.push({ file, line: i + 1, field: is.path.join('.') || '*', reason: is.message });
        return;
      }
      const sum = p.data.impact_path.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-6)
        issues.push({ file, line: i + 1, field: 'impact_path', reason: `fractions sum to ${sum}, not 1` });
      out.push({
        id: p.data.id,
        tickers: p.data.tickers,
        publishedAt: p.data.published_at,
        headline: p.data.headline,
        type: p.data.type,
        kind: p.data.kind,
        impact: p.data.impact,
        impactPath: p.data.impact_path,
        firstImpactDate: p.data.first_impact_date,
      });
    });
  if (issues.length) throw new DataError(issues, `${file}: ${issues.length} problem(s)`);
  return out;
}
