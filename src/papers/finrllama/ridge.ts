// The `ridge` yardstick of a quick run: what a linear learner extracts from the same market feedback as REINFORCE.
// Not a model of the paper; it answers "is there anything in these (date, ticker) forward returns beyond the teacher?"
//   features  x: indicators of the lower-cased [a-z]+ words and adjacent word pairs of the prompt's headlines, kept when
//                they occur in at least `minCount` REINFORCE prompts (sorted, so the design is deterministic);
//   fit       y = 100·d (the reward's forward return, in percent): OLS y ≈ a + b·teacher, then a ridge regression of
//                the residual on x (closed form, (XᵀX + λI) w = Xᵀ(y − a − b·teacher), Cholesky);
//   λ         the value of `lambdas` with the best rank IC on the validation slice (ties: the larger λ);
//   score     S · ŷ / q clamped to [−S, S], ŷ = a + b·teacher + x·w, q = the 95th percentile of |ŷ| on the fit prompts
//             (so the contest threshold T keeps about the same share of positions as a confident score would).
// Point in time: x and the teacher read only the prompt's headlines; y (the future) is read for the fit dates only.
import type { Dataset, IsoDate } from '../../data/types.ts';
import { spearman } from './evaluate.ts';
import { headlinesFromPrompt, type PromptOptions, scoreScale } from './prompt.ts';
import { forwardReturns } from './reward.ts';
import { newsPairsAt, type ScoreRecord, seedFor } from './score.ts';
import { teacherScore } from './teacher.ts';

export interface RidgeExample {
  date: IsoDate;
  ticker: string;
  headlines: readonly string[];
  teacher: number;
  /** Forward return of the reward (fit and validation examples only). */
  d?: number;
}

export interface RidgeFit {
  lambda: number;
  /** Validation rank IC of each λ tried (NaN without validation examples). */
  validationIc: Record<string, number>;
  features: number;
  score: (x: Pick<RidgeExample, 'headlines' | 'teacher'>) => number;
}

export const RIDGE_LAMBDAS = [10, 30, 100, 300, 1000] as const;

/** Words and adjacent word pairs of each headline (a pair never spans two headlines). */
export function headlineTerms(headlines: readonly string[]): string[] {
  const out = new Set<string>();
  for (const h of headlines) {
    const w = h.toLowerCase().match(/[a-z]+/g) ?? [];
    w.forEach((x, i) => {
      out.add(x);
      if (i > 0) out.add(`${w[i - 1]} ${x}`);
    });
  }
  return [...out];
}

/** Solve (A + λI) w = v for a symmetric positive semi-definite A (row-major n×n) by Cholesky. */
export function solveRidge(A: Float64Array, v: Float64Array, n: number, lambda: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j] + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`solveRidge: matrix not positive definite at ${i} (λ = ${lambda})`);
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = v[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * w[k];
    w[i] = s / L[i * n + i];
  }
  return w;
}

/** Fit the yardstick on `fit` (with d), choose λ on `validation` (with d); see the module header. */
export function fitFeedbackRidge(
  fit: readonly RidgeExample[],
  validation: readonly RidgeExample[],
  o: { signalStrength: number; minCount?: number; lambdas?: readonly number[] },
): RidgeFit {
  const rows = fit.filter((x) => Number.isFinite(x.d));
  if (rows.length === 0) throw new RangeError('ridge: no fit example with a forward return');
  const count = new Map<string, number>();
  for (const x of rows) for (const t of headlineTerms(x.headlines)) count.set(t, (count.get(t) ?? 0) + 1);
  const vocab = [...count]
    .filter(([, c]) => c >= (o.minCount ?? 3))
    .map(([t]) => t)
    .sort();
  const index = new Map(vocab.map((t, i) => [t, i]));
  const n = vocab.length;
  const cols = (x: Pick<RidgeExample, 'headlines'>) =>
    headlineTerms(x.headlines)
      .map((t) => index.get(t))
      .filter((i) => i !== undefined);
  // OLS on the teacher
  const y = rows.map((x) => 100 * (x.d as number));
  const tm = rows.reduce((s, x) => s + x.teacher, 0) / rows.length;
  const ym = y.reduce((s, v) => s + v, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  rows.forEach((x, i) => {
    sxy += (x.teacher - tm) * (y[i] - ym);
    sxx += (x.teacher - tm) ** 2;
  });
  const b = sxx > 0 ? sxy / sxx : 0;
  const a = ym - b * tm;
  // normal equations of the residual
  const A = new Float64Array(n * n);
  const v = new Float64Array(n);
  rows.forEach((x, r) => {
    const c = cols(x);
    const res = y[r] - a - b * x.teacher;
    for (const i of c) {
      v[i] += res;
      for (const j of c) A[i * n + j] += 1;
    }
  });
  const predict = (w: Float64Array, x: Pick<RidgeExample, 'headlines' | 'teacher'>) =>
    a + b * x.teacher + cols(x).reduce((s, i) => s + w[i], 0);
  const lambdas = o.lambdas ?? RIDGE_LAMBDAS;
  const val = validation.filter((x) => Number.isFinite(x.d));
  const validationIc: Record<string, number> = {};
  let best: { lambda: number; ic: number; w: Float64Array } = {
    lambda: lambdas[0],
    ic: Number.NEGATIVE_INFINITY,
    w: new Float64Array(n),
  };
  for (const lambda of lambdas) {
    const w = solveRidge(A, v, n, lambda);
    const ic = spearman(
      val.map((x) => predict(w, x)),
      val.map((x) => x.d as number),
    );
    validationIc[String(lambda)] = ic;
    // NaN (no validation) keeps the last λ, the strongest shrinkage towards the teacher
    if (!(ic < best.ic)) best = { lambda, ic, w };
  }
  const fitted = rows.map((x) => Math.abs(predict(best.w, x))).sort((p, q) => p - q);
  const q = fitted[Math.min(fitted.length - 1, Math.floor(0.95 * fitted.length))] || 1;
  const S = o.signalStrength;
  return {
    lambda: best.lambda,
    validationIc,
    features: n,
    score: (x) => Math.max(-S, Math.min(S, (S * predict(best.w, x)) / q)),
  };
}

/**
 * The (date, ticker) pairs of `dates` as ridge examples: the prompt's headlines, the word-list teacher's score of them
 * (whatever the run's SFT teacher) and, with `withReturn`, the forward return of the reward (`basis`).
 */
export function ridgeExamples(
  ds: Dataset,
  dates: readonly IsoDate[],
  o: { prompt: PromptOptions; lookahead: number; basis: 'excess' | 'raw'; withReturn: boolean },
): RidgeExample[] {
  const S = scoreScale(o.prompt.signalStrength ?? 10).signalStrength;
  return dates.flatMap((date) => {
    const fr = o.withReturn ? forwardReturns(ds.bars, date, o.lookahead) : undefined;
    return newsPairsAt(ds, date, o.prompt).map((x) => {
      const headlines = headlinesFromPrompt(x.prompt);
      const d = fr && (o.basis === 'excess' ? fr.excess : fr.raw).get(x.ticker);
      return { date, ticker: x.ticker, headlines, teacher: teacherScore(headlines, { signalStrength: S }), d };
    });
  });
}

/** Fit the yardstick on `dates.fit`, choose λ on `dates.validation`, score `dates.test` (held-out: no return read). */
export function ridgeYardstick(
  ds: Dataset,
  dates: { fit: readonly IsoDate[]; validation: readonly IsoDate[]; test: readonly IsoDate[] },
  o: { prompt: PromptOptions; lookahead: number; basis: 'excess' | 'raw'; seed: number },
): { fit: RidgeFit; records: ScoreRecord[] } {
  const S = scoreScale(o.prompt.signalStrength ?? 10).signalStrength;
  const fit = fitFeedbackRidge(
    ridgeExamples(ds, dates.fit, { ...o, withReturn: true }),
    ridgeExamples(ds, dates.validation, { ...o, withReturn: true }),
    { signalStrength: S },
  );
  const records = ridgeExamples(ds, dates.test, { ...o, withReturn: false }).map((x) => {
    const score = fit.score(x);
    return {
      date: x.date,
      ticker: x.ticker,
      score,
      failed: false,
      completion: ` ${Math.round(score)}`,
      headlines: x.headlines.length,
      seed: seedFor(o.seed, x.date, x.ticker),
    };
  });
  return { fit, records };
}
