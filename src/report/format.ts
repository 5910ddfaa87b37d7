// Text formatting for the report: HTML escaping, metric labels and number formats, file-name slugs.

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** How a metric value is shown: `percent` (a fraction x 100, 2 decimals), `ratio` (2 decimals), `count` (integer). */
export type MetricFormat = 'percent' | 'ratio' | 'count' | 'number';

export interface MetricColumn {
  key: string;
  label: string;
  format: MetricFormat;
}

// Known metrics, by key lowercased with everything but letters and digits removed (so `max_drawdown`,
// `maxDrawdown` and `max-drawdown` are one key).
const KNOWN: Record<string, { label: string; format: MetricFormat }> = {
  cumulativereturn: { label: 'Cumulative return', format: 'percent' },
  cumreturn: { label: 'Cumulative return', format: 'percent' },
  totalreturn: { label: 'Total return', format: 'percent' },
  annualreturn: { label: 'Annual return', format: 'percent' },
  annualizedreturn: { label: 'Annual return', format: 'percent' },
  cagr: { label: 'CAGR', format: 'percent' },
  annualvol: { label: 'Annual vol', format: 'percent' },
  annualvolatility: { label: 'Annual vol', format: 'percent' },
  annualizedvolatility: { label: 'Annual vol', format: 'percent' },
  volatility: { label: 'Volatility', format: 'percent' },
  sharpe: { label: 'Sharpe', format: 'ratio' },
  sharperatio: { label: 'Sharpe', format: 'ratio' },
  sortino: { label: 'Sortino', format: 'ratio' },
  sortinoratio: { label: 'Sortino', format: 'ratio' },
  calmar: { label: 'Calmar', format: 'ratio' },
  calmarratio: { label: 'Calmar', format: 'ratio' },
  maxdrawdown: { label: 'Max drawdown', format: 'percent' },
  hitrate: { label: 'Hit rate', format: 'percent' },
  winrate: { label: 'Win rate', format: 'percent' },
  turnover: { label: 'Turnover', format: 'percent' },
  avgturnover: { label: 'Avg turnover', format: 'percent' },
  meanturnover: { label: 'Mean turnover', format: 'percent' },
  annualturnover: { label: 'Annual turnover', format: 'percent' },
  exposure: { label: 'Exposure', format: 'percent' },
  grossexposure: { label: 'Gross exposure', format: 'percent' },
  netexposure: { label: 'Net exposure', format: 'percent' },
  avgexposure: { label: 'Avg exposure', format: 'percent' },
  profitfactor: { label: 'Profit factor', format: 'ratio' },
  trades: { label: 'Trades', format: 'count' },
  numtrades: { label: 'Trades', format: 'count' },
  tradecount: { label: 'Trades', format: 'count' },
  days: { label: 'Days', format: 'count' },
  timeinmarket: { label: 'Time in market', format: 'percent' },
  // INVESTOR-BENCH's own metrics (sum of log rewards, its Sharpe, annual vol, max drawdown): see docs/metrics.md
  investorbenchcr: { label: 'IB cumulative return', format: 'percent' },
  investorbenchsr: { label: 'IB Sharpe', format: 'ratio' },
  investorbenchav: { label: 'IB annual vol', format: 'percent' },
  investorbenchmdd: { label: 'IB max drawdown', format: 'percent' },
  investorbenchnprices: { label: 'IB prices', format: 'count' },
  ndays: { label: 'Days', format: 'count' },
  downsiderisk: { label: 'Downside risk', format: 'percent' },
  nperiods: { label: 'Periods', format: 'count' },
  nmissing: { label: 'Missing', format: 'count' },
  nroundtrips: { label: 'Round trips', format: 'count' },
  periodsperyear: { label: 'Periods / year', format: 'count' },
  riskfreeperperiod: { label: 'Risk-free / period', format: 'percent' },
  requiredreturn: { label: 'Required return', format: 'percent' },
};

// Conventions a run was measured under, not results: shown after the results.
const SETTINGS = new Set(['nperiods', 'nmissing', 'periodsperyear', 'riskfreeperperiod', 'requiredreturn']);

// Unknown keys naming a fraction (returns, rates, drawdowns, exposures...) are shown as percentages.
const FRACTION_WORDS = /(return|vol|drawdown|rate|exposure|turnover|cagr|var|pct|percent|fraction|weight)/;
const RATIO_WORDS = /(ratio|sharpe|sortino|calmar|omega|beta|alpha|factor|skew|kurt|tstat|ir$)/;
const COUNT_WORDS = /(count|num|days|trades)/;

/** `maxDrawdown` / `max_drawdown` -> `Max drawdown`. */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.\s]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : key;
}

export function metricColumn(key: string): MetricColumn {
  const norm = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  const known = KNOWN[norm];
  if (known) return { key, ...known };
  const format: MetricFormat = RATIO_WORDS.test(norm)
    ? 'ratio'
    : FRACTION_WORDS.test(norm)
      ? 'percent'
      : COUNT_WORDS.test(norm)
        ? 'count'
        : 'number';
  return { key, label: humanizeKey(key), format };
}

/** The union of metric keys over all strategies, in first-seen order, with the measuring conventions last. */
export function metricColumns(metrics: readonly (Record<string, number | null> | undefined)[]): MetricColumn[] {
  const seen = new Set<string>();
  for (const m of metrics) for (const k of Object.keys(m ?? {})) seen.add(k);
  const isSetting = (k: string) => SETTINGS.has(k.toLowerCase().replace(/[^a-z0-9]/g, ''));
  const keys = [...seen];
  return [...keys.filter((k) => !isSetting(k)), ...keys.filter(isSetting)].map(metricColumn);
}

const DASH = '—';

/** Fixed decimals without a negative zero (`-0.00` -> `0.00`). */
function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** A metric value as shown: null, undefined and NaN as "—", ±Infinity as "∞"/"−∞". */
export function formatMetric(v: number | null | undefined, format: MetricFormat): string {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  switch (format) {
    case 'percent':
      return `${fixed(v * 100, 2)}%`;
    case 'ratio':
      return fixed(v, 2);
    case 'count':
      return Number.isInteger(v) ? groupThousands(String(v)) : fixed(v, 2);
    default:
      return Math.abs(v) >= 1000 || Number.isInteger(v) ? groupThousands(fixed(v, 2)) : formatSignificant(v, 4);
  }
}

function formatSignificant(v: number, digits: number): string {
  const s = v.toPrecision(digits);
  return s.includes('e') ? s : String(Number(s));
}

/** `1234567.5` -> `1,234,567.5` (locale-independent). */
export function groupThousands(s: string): string {
  const m = /^(-?)(\d+)(.*)$/.exec(s);
  if (!m) return s;
  return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + m[3];
}

/** A money-like amount with 2 decimals and thousands separators. */
export function formatAmount(v: number): string {
  return Number.isFinite(v) ? groupThousands(fixed(v, 2)) : DASH;
}

/**
 * A file-name-safe form of a strategy name: characters other than letters, digits, `.`, `_` and `-` become `_`, a
 * leading `.` becomes `_`; `taken` (lowercased) makes it unique by appending `-2`, `-3`, ... (case-insensitively, for
 * case-insensitive file systems). The chosen slug is added to `taken`.
 */
export function uniqueSlug(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  if (base === '') base = '_';
  if (base.length > 100) base = base.slice(0, 100);
  let slug = base;
  for (let k = 2; taken.has(slug.toLowerCase()); k++) slug = `${base}-${k}`;
  taken.add(slug.toLowerCase());
  return slug;
}
