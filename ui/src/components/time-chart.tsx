/**
 * Histograms and timelines with uPlot: a canvas, so nothing an event says becomes markup, and
 * uPlot sets styles through the CSSOM only, which the console's style-src 'self' allows.
 * Times are shown in UTC like every other time in the console. Dragging across the chart
 * selects a time range when the page offers `onSelect`.
 */
import { useEffect, useMemo, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useTheme } from '../theme.js';
import { timeText } from './time.js';
import { visibleText } from './visible-text.js';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** A CSS custom property holding the colour (e.g. `--level-high`); the palette otherwise. */
  readonly colorVar?: string;
}

export interface TimeChartProps {
  /** Accessible name: what the chart shows. */
  readonly label: string;
  /** Bucket starts, epoch ms. */
  readonly buckets: readonly number[];
  readonly series: readonly ChartSeries[];
  /** `bars`: one series as a histogram; `stacked`: bars stacked per bucket; `lines`: one line per series. */
  readonly kind: 'bars' | 'stacked' | 'lines';
  readonly height?: number;
  readonly unit?: string;
  /** Called with the dragged range (epoch ms). */
  readonly onSelect?: (from: number, to: number) => void;
  /** Bucket width in ms, when known; otherwise read from the buckets (one minute for a single one). */
  readonly stepMs?: number;
}

/** Tick labels in UTC and 24-hour time: the day where it changes (or every tick for daily steps), the time otherwise. */
function tickLabels(splits: readonly number[], increment: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    const day = iso.slice(5, 10);
    const time = iso.slice(11, increment < 60 ? 19 : 16);
    if (increment >= 86_400) return day;
    const label = day !== lastDay ? `${time}\n${day}` : time;
    lastDay = day;
    return label;
  });
}

const PALETTE = ['--c1', '--c2', '--c3', '--c4', '--c5', '--c6', '--c7', '--c8'];

export function TimeChart(props: TimeChartProps): ReactNode {
  const { label, buckets: given, series: givenSeries, kind, height = 180, unit = 'events', onSelect, stepMs } = props;
  // One bucket alone gives the time axis no width: it is drawn between two empty neighbours.
  const [buckets, series] = useMemo(() => {
    if (given.length !== 1) return [given, givenSeries] as const;
    const step = stepMs ?? 60_000;
    return [[given[0]! - step, given[0]!, given[0]! + step], givenSeries.map((s) => ({ ...s, values: [0, s.values[0] ?? 0, 0] }))] as const;
  }, [given, givenSeries, stepMs]);
  const box = useRef<HTMLDivElement>(null);
  const { resolved } = useTheme();
  const select = useRef(onSelect);
  select.current = onSelect;

  useEffect(() => {
    const el = box.current;
    if (!el || buckets.length === 0) return;
    const css = getComputedStyle(document.documentElement);
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888';
    const xs = buckets.map((t) => t / 1000);
    // Stacked bars: each series is drawn up to the running total, largest first, so the
    // shorter ones are painted over it and every band shows its own share.
    const ys = series.map((s) => s.values.map((v) => v ?? 0));
    const drawn = kind === 'stacked' ? ys.map((_, i) => ys[0]!.map((_, j) => ys.slice(0, i + 1).reduce((n, row) => n + (row[j] ?? 0), 0))) : ys;
    const order = kind === 'stacked' ? drawn.map((_, i) => drawn.length - 1 - i) : drawn.map((_, i) => i);
    const step = xs.length > 1 ? xs[1]! - xs[0]! : 60;
    const bars = uPlot.paths.bars!({ size: [0.8, 64], align: 1 });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: series.length > 1 || kind !== 'bars' },
      cursor: { drag: { x: onSelect !== undefined, y: false, setScale: false } },
      scales: { x: { time: true, range: (_u, min, max) => [min, max + (kind === 'lines' ? 0 : step)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
      axes: [
        { stroke: color('--fg-muted'), grid: { stroke: color('--grid'), width: 1 }, ticks: { stroke: color('--grid') }, values: (_u, splits, _i, _space, incr) => tickLabels(splits, incr) },
        { stroke: color('--fg-muted'), grid: { stroke: color('--grid'), width: 1 }, ticks: { stroke: color('--grid') }, size: 56 },
      ],
      series: [
        { label: 'time (UTC)', value: (_u, v) => (v === null ? '—' : timeText(v * 1000)) },
        ...order.map((i) => {
          const s = series[i]!;
          const c = color(s.colorVar ?? PALETTE[i % PALETTE.length]!);
          return {
            label: visibleText(s.label).slice(0, 80),
            stroke: c,
            width: kind === 'lines' ? 2 : 0,
            fill: kind === 'lines' ? undefined : c,
            paths: kind === 'lines' ? undefined : bars,
            points: { show: false },
            value: (_u: uPlot, v: number | null, _s: number, idx: number | null) => (v === null ? '—' : String(kind === 'stacked' && idx !== null ? (ys[i]![idx] ?? 0) : v)),
          } satisfies uPlot.Series;
        }),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            select.current?.(Math.floor(from), Math.ceil(to));
          },
        ],
      },
    };
    const chart = new uPlot(opts, [xs, ...order.map((i) => drawn[i]!)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [buckets, series, kind, height, resolved, onSelect !== undefined]);

  const total = series.reduce((n, s) => n + s.values.reduce<number>((m, v) => m + (v ?? 0), 0), 0);
  let peak = 0;
  let peakAt = 0;
  buckets.forEach((t, j) => {
    const v = series.reduce((n, s) => n + (s.values[j] ?? 0), 0);
    if (v > peak) [peak, peakAt] = [v, t];
  });
  const summary =
    buckets.length === 0
      ? `${label}: no data`
      : `${label}: ${total.toLocaleString('en')} ${unit} from ${timeText(buckets[0])} to ${timeText(buckets[buckets.length - 1])}${peak > 0 ? `, peak ${peak.toLocaleString('en')} at ${timeText(peakAt)}` : ''}`;
  return (
    <figure className="chart">
      <div ref={box} className="chart-canvas" role="img" aria-label={visibleText(summary)} />
      {buckets.length === 0 ? <figcaption className="muted">No data in this range.</figcaption> : null}
    </figure>
  );
}
