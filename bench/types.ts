export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The target from the issue, as text (e.g. ">= 2e7"). */
  target?: string;
  note?: string;
}
