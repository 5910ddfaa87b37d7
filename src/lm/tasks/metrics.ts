// Classification metrics over a fixed label set. Conventions: confusion[i][j] = number of examples whose TRUE label is
// labels[i] and PREDICTED label is labels[j]. Per-class F1 = 2·P·R/(P+R), taken as 0 when P+R = 0 (a class never
// predicted and never present, or never right); macro-F1 = unweighted mean of the per-class F1 over all labels.

export interface ClassMetrics {
  label: string;
  /** True examples of this class (row sum). */
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  n: number;
  accuracy: number;
  macroF1: number;
  labels: string[];
  /** confusion[true][predicted], in `labels` order. */
  confusion: number[][];
  perClass: ClassMetrics[];
}

/** Confusion matrix; throws on a label outside `labels` or on arrays of different length. */
export function confusionMatrix(
  labels: readonly string[],
  truth: readonly string[],
  pred: readonly string[],
): number[][] {
  if (truth.length !== pred.length)
    throw new Error(`metrics: ${truth.length} true labels vs ${pred.length} predictions`);
  const index = new Map(labels.map((l, i) => [l, i]));
  const m = labels.map(() => labels.map(() => 0));
  for (let k = 0; k < truth.length; k++) {
    const i = index.get(truth[k] as string);
    const j = index.get(pred[k] as string);
    if (i === undefined || j === undefined) {
      throw new Error(
        `metrics: label "${i === undefined ? truth[k] : pred[k]}" at ${k} is not one of ${labels.join('|')}`,
      );
    }
    (m[i] as number[])[j] = ((m[i] as number[])[j] as number) + 1;
  }
  return m;
}

/** Fraction of predictions equal to the truth (NaN for no examples). */
export function accuracy(truth: readonly string[], pred: readonly string[]): number {
  if (truth.length !== pred.length)
    throw new Error(`metrics: ${truth.length} true labels vs ${pred.length} predictions`);
  if (!truth.length) return Number.NaN;
  let right = 0;
  for (let k = 0; k < truth.length; k++) if (truth[k] === pred[k]) right++;
  return right / truth.length;
}

/** Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix. */
export function classificationReport(
  labels: readonly string[],
  truth: readonly string[],
  pred: readonly string[],
): ClassificationReport {
  const confusion = confusionMatrix(labels, truth, pred);
  const perClass = labels.map((label, i) => {
    const tp = (confusion[i] as number[])[i] as number;
    const support = (confusion[i] as number[]).reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + (row[i] as number), 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, support, precision, recall, f1 };
  });
  return {
    n: truth.length,
    accuracy: accuracy(truth, pred),
    macroF1: perClass.reduce((a, c) => a + c.f1, 0) / labels.length,
    labels: [...labels],
    confusion,
    perClass,
  };
}

/** Macro-F1 alone (see classificationReport). */
export function macroF1(labels: readonly string[], truth: readonly string[], pred: readonly string[]): number {
  return classificationReport(labels, truth, pred).macroF1;
}
