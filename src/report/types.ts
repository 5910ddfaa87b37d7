// What a run report is made from. See docs/report.md.
import type { StrategyRun } from '../backtest/types.ts';

/** Where the data of a run came from. */
export interface DatasetRef {
  name: string;
  source: string;
}

/** Everything about a run except the per-strategy series: as stored in RUN/run.json. */
export interface RunMeta {
  /** Shown as the report's heading; defaults to `Backtest: <dataset name>`. */
  title?: string;
  /** The run's full configuration, shown verbatim as JSON. */
  config: unknown;
  seed?: number;
  /** Versions of the software that produced the run (e.g. `{ rlmf: '0.1.0' }`). */
  versions: Record<string, string>;
  dataset: DatasetRef;
  /** Caveats shown prominently (e.g. "oracle uses hidden impacts: an upper bound, not a strategy"). */
  notes?: string[];
}

export interface ReportInput {
  title: string;
  /** The run's full config (shown verbatim as JSON), its seed, and versions. */
  config: unknown;
  seed?: number;
  versions?: Record<string, string>;
  dataset: DatasetRef;
  /** One per strategy, in the order they are shown. */
  runs: StrategyRun[];
  notes?: string[];
}

/** The content of metrics.json, both in a run directory and next to a report. */
export interface MetricsFile {
  title: string;
  dataset: DatasetRef;
  seed?: number;
  strategies: Record<string, Record<string, number | null>>;
}

export function defaultTitle(dataset: DatasetRef): string {
  return `Backtest: ${dataset.name}`;
}

/** metrics.json content for a report input; strategies without metrics get `{}`. Non-finite numbers become null. */
export function metricsFile(input: Pick<ReportInput, 'title' | 'dataset' | 'seed' | 'runs'>): MetricsFile {
  const strategies: MetricsFile['strategies'] = {};
  for (const run of input.runs) {
    const m: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(run.metrics ?? {})) m[k] = v !== null && Number.isFinite(v) ? v : null;
    strategies[run.name] = m;
  }
  return {
    title: input.title,
    dataset: { name: input.dataset.name, source: input.dataset.source },
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    strategies,
  };
}
