// The report's charts: echarts rendered server-side to SVG (inlined in report.html), and resvg for the PNG copies.
// Every chart is a pure function of the runs; animation is off and element ids are renamed per chart, so the same
// input gives the same bytes and several charts can share one HTML page.
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts';
import type { StrategyRun } from '../backtest/types.ts';
import { lttbIndices } from './downsample.ts';

/** Chart series longer than this are downsampled with LTTB (per series) for display. */
export const MAX_POINTS = 1500;
/** The same limit for the smaller per-ticker charts. */
export const MAX_POINTS_SMALL = 600;

/** Colours assigned by position: strategy i (or ticker i) gets PALETTE[i % PALETTE.length]. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#1f3b73',
  '#8cd17d',
  '#d37295',
  '#499894',
  '#b6992d',
  '#86bcb6',
  '#a0cbe8',
  '#ffbe7d',
  '#79706e',
  '#d4a6c8',
  '#f1ce63',
];

const FONT = 'Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif';
const TEXT = '#333333';
const MUTED = '#666666';

export interface ChartSpec {
  width: number;
  height: number;
  option: Record<string, unknown>;
  /** True when at least one series was downsampled. */
  downsampled: boolean;
}

/** One line of a chart: x values (epoch ms of UTC midnight on a time axis; any number on a value axis) and y values. */
export interface LineInput {
  name: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  /** Drawn dashed (e.g. a benchmark beside the strategies). */
  dashed?: boolean;
}

/** `YYYY-MM-DD` -> epoch ms of UTC midnight. */
export function dateMs(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

/** `YYYY-MM-DD` dates -> epoch ms of UTC midnight (the x values of a time axis). */
export function datesMs(dates: readonly string[]): Float64Array {
  const xs = new Float64Array(dates.length);
  for (let i = 0; i < dates.length; i++) xs[i] = dateMs(dates[i]);
  return xs;
}

/**
 * Drawdown at each point: equity / running peak - 1 (0 at a new peak, negative below it). NaN equity gives NaN and
 * leaves the running peak unchanged.
 */
export function drawdownSeries(equity: ArrayLike<number>): Float64Array {
  const dd = new Float64Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i];
    if (Number.isNaN(e)) {
      dd[i] = Number.NaN;
      continue;
    }
    if (e > peak) peak = e;
    dd[i] = peak > 0 ? e / peak - 1 : 0;
  }
  return dd;
}

/** Series data for echarts: [x, y] pairs, NaN as null (a gap), rounded to 6 significant digits to keep SVGs small. */
function seriesData(line: LineInput, maxPoints: number): { data: [number, number | null][]; downsampled: boolean } {
  const idx = lttbIndices(line.xs, line.ys, maxPoints);
  const data: [number, number | null][] = idx.map((i) => {
    const y = line.ys[i];
    return [line.xs[i], Number.isFinite(y) ? Number(y.toPrecision(6)) : null];
  });
  return { data, downsampled: idx.length < line.ys.length };
}

/** Rough width of a legend entry at 12px (echarts SSR measures text approximately too). */
function legendItemWidth(name: string): number {
  return 25 + 5 + Math.ceil(name.length * 7) + 10;
}

/** Height the legend needs when its entries wrap within `width`. */
function legendHeight(names: readonly string[], width: number): number {
  let rows = 1;
  let x = 0;
  for (const n of names) {
    const w = legendItemWidth(n);
    if (x > 0 && x + w > width) {
      rows++;
      x = 0;
    }
    x += w;
  }
  return rows * 14 + (rows - 1) * 10;
}

function compactNumber(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(Number(x.toFixed(2)));
  if (a >= 1e9) return `${trim(v / 1e9)}B`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/** A fraction as an axis label: 0.1234 -> `12.34%`. */
export function percentLabel(v: number): string {
  return `${Number((v * 100).toFixed(2))}%`;
}

/** A number as an axis label: at most 2 decimals; k / M / B above 10,000. */
export function numberLabel(v: number): string {
  return compactNumber(v);
}

export interface LineChartOptions {
  title: string;
  lines: LineInput[];
  width: number;
  height: number;
  /** Lines longer than this are downsampled with LTTB for display. */
  maxPoints: number;
  yFormat: (v: number) => string;
  /** A second title line saying what the y axis measures. */
  subtitle: string;
  /** `time` (default): xs are epoch ms; `value`: xs are plain numbers (e.g. training steps). */
  xAxis?: 'time' | 'value';
  /** Colour of line i (default: PALETTE by position). */
  colors?: readonly string[];
}

/** A generic line chart (the report's look: title and subtitle, legend below, no animation). */
export function lineChart(opts: LineChartOptions): ChartSpec {
  const { width, lines } = opts;
  const legendWidth = width - 80;
  const legendH = legendHeight(
    lines.map((l) => l.name),
    legendWidth,
  );
  const height = opts.height + legendH;
  let downsampled = false;
  const series = lines.map((line) => {
    const s = seriesData(line, opts.maxPoints);
    downsampled ||= s.downsampled;
    return {
      type: 'line',
      name: line.name,
      data: s.data,
      showSymbol: false,
      symbol: 'none',
      lineStyle: { width: lines.length > 6 ? 1 : 1.5, ...(line.dashed && { type: 'dashed' }) },
      emphasis: { disabled: true },
      connectNulls: false,
    };
  });
  const option = {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    color: opts.colors ? [...opts.colors] : PALETTE,
    textStyle: { fontFamily: FONT, color: TEXT },
    title: {
      text: opts.title,
      subtext: opts.subtitle,
      left: 12,
      top: 8,
      itemGap: 4,
      textStyle: { fontFamily: FONT, fontSize: 14, fontWeight: 'bold', color: TEXT },
      subtextStyle: { fontFamily: FONT, fontSize: 12, color: MUTED },
    },
    legend: {
      type: 'plain',
      bottom: 10,
      left: 40,
      width: legendWidth,
      icon: 'roundRect',
      itemWidth: 18,
      itemHeight: 4,
      textStyle: { fontFamily: FONT, fontSize: 12, color: TEXT },
    },
    grid: { left: 64, right: 28, top: 64, bottom: legendH + 50 },
    xAxis: {
      type: opts.xAxis ?? 'time',
      ...(opts.xAxis === 'value' && { scale: true, minInterval: 1 }),
      axisLabel: { color: MUTED, fontFamily: FONT, hideOverlap: true },
      axisLine: { lineStyle: { color: '#999999' } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      scale: true,
      axisLabel: { color: MUTED, fontFamily: FONT, formatter: opts.yFormat },
      splitLine: { lineStyle: { color: '#e6e6e6' } },
    },
    series,
  };
  return { width, height, option, downsampled };
}

/** Equity of every strategy on one chart. */
export function equityChart(runs: readonly StrategyRun[]): ChartSpec {
  return lineChart({
    title: 'Equity',
    lines: runs.map((r) => ({ name: r.name, xs: datesMs(r.dates), ys: r.equity })),
    width: 960,
    height: 400,
    maxPoints: MAX_POINTS,
    yFormat: compactNumber,
    subtitle: 'portfolio value at each close',
  });
}

/** Drawdown from the running peak of every strategy on one chart. */
export function drawdownChart(runs: readonly StrategyRun[]): ChartSpec {
  return lineChart({
    title: 'Drawdown',
    lines: runs.map((r) => ({ name: r.name, xs: datesMs(r.dates), ys: drawdownSeries(r.equity) })),
    width: 960,
    height: 300,
    maxPoints: MAX_POINTS,
    yFormat: percentLabel,
    subtitle: 'equity / running peak - 1',
  });
}

/** Cumulative P&L of each ticker of one strategy, as a fraction of starting capital. */
export function tickerPnlChart(run: StrategyRun): ChartSpec {
  const xs = datesMs(run.dates);
  return lineChart({
    title: run.name,
    lines: run.tickers.map((t, k) => ({ name: t, xs, ys: run.tickerPnl[k] })),
    width: 480,
    height: 290,
    maxPoints: MAX_POINTS_SMALL,
    yFormat: percentLabel,
    subtitle: 'cumulative P&L by ticker, % of starting capital',
  });
}

/**
 * Render a chart to an SVG string. Element ids and class names get `idPrefix` (unique per chart on a page), and the
 * hover-only style block and interaction attributes are dropped (there is no echarts runtime in the report).
 */
export function renderSvg(spec: ChartSpec, idPrefix: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: spec.width, height: spec.height });
  let svg: string;
  try {
    chart.setOption(spec.option);
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  // Text content is escaped by echarts, so a raw `<` only ever opens a tag.
  return svg.replace(/<style\b[^>]*>[\s\S]*?<\/style>\s*/g, '').replace(/<[^>]+>/g, (tag) =>
    tag
      .replace(/ (?:class|pointer-events|ecmeta_[a-z_]+)="[^"]*"/g, '')
      .replace(/\bzr\d+-/g, `${idPrefix}-`)
      .replace(/<(\w+) >/, '<$1>'),
  );
}

/** Rasterize an SVG to PNG at twice its size, on white, with the system's fonts. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
