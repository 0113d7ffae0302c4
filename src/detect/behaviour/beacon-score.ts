/**
 * Beacon scoring: how much the connections of one internal host to one external destination
 * look like a program checking in on a timer (malware command-and-control) rather than a
 * person or an event-driven application. In the manner of RITA (Active Countermeasures), with
 * robust statistics that a few odd connections cannot move. Three parts, each in [0, 1]:
 *
 * - **Interval regularity** (weight 0.6). The gaps between check-ins of a beacon are nearly
 *   constant: the period plus jitter. Two measures on the gaps, averaged:
 *   - *symmetry*: Bowley (quartile) skewness (Q1 + Q3 − 2·Q2) / (Q3 − Q1), in [−1, 1]. Jitter
 *     spreads gaps evenly around the period (skew ≈ 0); human and event-driven traffic has many
 *     short gaps and a long tail (exponential gaps: +0.26). Score 1 − |skew|. Asymmetry inside a
 *     spread narrower than 10 % of the median gap is timer and clock noise, not a shape, so the
 *     skew counts in proportion to IQR ÷ (0.1 × median), up to fully.
 *   - *dispersion*: the median absolute deviation (MAD) of the gaps relative to the median gap.
 *     Score 1 − MAD ÷ (0.5 × median), floored at 0: a MAD of half the period scores 0 (Poisson
 *     arrivals sit near 0.7); a 60 s timer with ±2 s jitter (MAD ≈ 1.2 s) scores 0.96;
 *     Cobalt Strike's "20 % jitter" about 0.9, its 50 % about 0.65.
 * - **Size regularity** (weight 0.2). The same two measures on the bytes sent per connection
 *   (an idle beacon asks the same question every time), with an absolute tolerance of 32 bytes
 *   (headers and padding wobble). Sizes are optional: when fewer than half of the connections
 *   carry a byte count, the part is left out and the other weights are scaled to sum to 1
 *   (interval 0.75, count 0.25).
 * - **Connection count over the span** (weight 0.2): the check-ins seen compared with those a
 *   strict period of the median gap would make over the observed span, (check-ins − 1) × median
 *   gap ÷ span (= median gap ÷ mean gap). A beacon is ≈ 1; bursty browsing (a page's connections,
 *   then hours of nothing) is far lower. Mapped linearly from 0 at a ratio of 0.5 to 1 at 0.9, so
 *   a beacon that missed some check-ins (a laptop asleep) keeps part of it; and multiplied by the
 *   interval dispersion, because without a period the median gap predicts nothing (Poisson
 *   arrivals have a ratio of ln 2 ≈ 0.69 by chance).
 *
 * Why these weights: timing is what makes a beacon and is measured on every source, so it
 * decides; sizes change as soon as the operator sends tasks and are missing from DNS and many
 * firewall logs, so they support; the count part separates steady timers from bursts and gaps.
 * On synthetic series (see the tests, 20 seeds each): a 60 s ±2 s beacon with steady sizes
 * scores 0.90 to 0.98 from 20 connections on; the same beacon with page-sized, random sizes
 * 0.81 to 0.86; Poisson browsing with page-sized transfers 0.21 to 0.35. The detector alerts
 * from 0.8.
 *
 * Gates, reported as "not scored" rather than a low score:
 * - fewer than `minConnections` (20) check-ins: quartiles of a handful of gaps are noise.
 *   Connections closer than `minIntervalMs` (1 s) to the previous one are one check-in (a
 *   beacon that opens two sockets, one connection logged twice), making no gap;
 * - a median gap under `minPeriodMs` (4 s): a stream, scan or brute force, not a check-in timer;
 *   so close to the 1 s merge threshold, the threshold itself would make gaps look regular.
 */

export interface BeaconScoreOptions {
  /** Check-ins needed before a series is scored. Default 20. */
  readonly minConnections?: number;
  /** Gaps shorter than this (ms) join two connections into one check-in. Default 1000. */
  readonly minIntervalMs?: number;
  /** Byte differences up to this are not dispersion. Default 32. */
  readonly sizeToleranceBytes?: number;
  /** A median gap shorter than this (ms) is not a check-in timer. Default 4 × minIntervalMs. */
  readonly minPeriodMs?: number;
}

/** Quartiles, Bowley skewness and median absolute deviation of a sample. */
export interface Spread {
  readonly count: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  /** Bowley (quartile) skewness in [−1, 1]; 0 when Q1 = Q3. */
  readonly skew: number;
  /** Median absolute deviation about the median. */
  readonly mad: number;
}

/** Sub-scores in [0, 1]; 1 is beacon-like. Size parts are null when sizes are unknown. */
export interface BeaconParts {
  readonly interval: number;
  readonly intervalSymmetry: number;
  readonly intervalDispersion: number;
  readonly size: number | null;
  readonly sizeSymmetry: number | null;
  readonly sizeDispersion: number | null;
  readonly count: number;
}

export interface BeaconWeights {
  readonly interval: number;
  readonly size: number;
  readonly count: number;
}

export interface BeaconScore {
  readonly scored: true;
  /** Weighted total in [0, 1]. */
  readonly score: number;
  readonly parts: BeaconParts;
  /** The weights used (sizes unknown: size 0 and the others scaled up). */
  readonly weights: BeaconWeights;
  readonly connections: number;
  readonly checkIns: number;
  /** Earliest and latest connection time (ms) and the span between them. */
  readonly first: number;
  readonly last: number;
  readonly spanMs: number;
  /** Gaps between check-ins, in ms. */
  readonly intervals: Spread;
  /** Bytes per connection, over the connections that have a count. */
  readonly sizes: Spread | null;
  /** Check-ins seen ÷ check-ins a strict period would make over the span, before mapping. */
  readonly countRatio: number;
}

export interface BeaconNotScored {
  readonly scored: false;
  readonly reason: 'too-few-connections' | 'too-few-check-ins' | 'period-too-short';
  readonly connections: number;
  readonly checkIns: number;
  /** The median gap (ms) when the reason is `period-too-short`. */
  readonly medianIntervalMs?: number;
}

export type BeaconScoreResult = BeaconScore | BeaconNotScored;

/** Weights of the parts when sizes are known. */
export const BEACON_WEIGHTS: BeaconWeights = { interval: 0.6, size: 0.2, count: 0.2 };
export const DEFAULT_MIN_CONNECTIONS = 20;
export const DEFAULT_MIN_INTERVAL_MS = 1000;
export const DEFAULT_SIZE_TOLERANCE_BYTES = 32;
/** MAD ÷ median at which dispersion scores 0. */
export const DISPERSION_LIMIT = 0.5;
/** IQR ÷ median from which skewness counts fully. */
export const SKEW_SIGNIFICANT_SPREAD = 0.1;
/** Count ratio scoring 0 and 1. */
export const COUNT_RATIO_FLOOR = 0.5;
export const COUNT_RATIO_FULL = 0.9;

/** Linear-interpolation quantile (R type 7) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}

/** Bowley skewness from the quartiles; 0 when they coincide (no spread, no shape). */
export function bowleySkew(q1: number, median: number, q3: number): number {
  const iqr = q3 - q1;
  if (!(iqr > 0)) return 0;
  return Math.max(-1, Math.min(1, (q1 + q3 - 2 * median) / iqr));
}

/** Quartiles, skewness and MAD of an ascending array (not modified). */
export function spreadOf(sorted: Float64Array): Spread {
  const n = sorted.length;
  const q1 = quantileSorted(sorted, 0.25);
  const median = quantileSorted(sorted, 0.5);
  const q3 = quantileSorted(sorted, 0.75);
  const deviations = new Float64Array(n);
  for (let i = 0; i < n; i++) deviations[i] = Math.abs(sorted[i]! - median);
  deviations.sort();
  return { count: n, q1, median, q3, skew: bowleySkew(q1, median, q3), mad: quantileSorted(deviations, 0.5) };
}

/**
 * Symmetry and dispersion scores of a spread (see the module comment); `tolerance` is an
 * absolute difference that does not count as spread.
 */
export function regularityOf(s: Spread, tolerance = 0): { symmetry: number; dispersion: number; score: number } {
  const scale = Math.abs(s.median);
  const excessMad = Math.max(0, s.mad - tolerance);
  const dispersion = scale > 0 ? clamp01(1 - excessMad / (DISPERSION_LIMIT * scale)) : excessMad > 0 ? 0 : 1;
  const excessIqr = Math.max(0, s.q3 - s.q1 - 2 * tolerance);
  const significance = scale > 0 ? clamp01(excessIqr / (SKEW_SIGNIFICANT_SPREAD * scale)) : excessIqr > 0 ? 1 : 0;
  const symmetry = 1 - Math.abs(s.skew) * significance;
  return { symmetry, dispersion, score: (symmetry + dispersion) / 2 };
}

/**
 * Scores a series of connections from one source to one destination. `times` are epoch ms
 * in any order; `sizes[i]`, when given, is the bytes of connection i (NaN or negative: unknown).
 */
export function scoreBeacon(times: ArrayLike<number>, sizes?: ArrayLike<number>, options: BeaconScoreOptions = {}): BeaconScoreResult {
  const minConnections = Math.max(3, options.minConnections ?? DEFAULT_MIN_CONNECTIONS);
  const minInterval = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const tolerance = options.sizeToleranceBytes ?? DEFAULT_SIZE_TOLERANCE_BYTES;
  const n = times.length;
  if (n < minConnections) return { scored: false, reason: 'too-few-connections', connections: n, checkIns: n };

  // Order matters for gaps only; size statistics do not depend on order.
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = times[i]!;
  t.sort();

  const gaps = new Float64Array(n - 1);
  let m = 0;
  for (let i = 1; i < n; i++) {
    const d = t[i]! - t[i - 1]!;
    if (d >= minInterval) gaps[m++] = d;
  }
  const checkIns = m + 1;
  if (checkIns < minConnections) return { scored: false, reason: 'too-few-check-ins', connections: n, checkIns };

  const sortedGaps = gaps.subarray(0, m).sort();
  const intervals = spreadOf(sortedGaps);
  const minPeriod = options.minPeriodMs ?? 4 * minInterval;
  if (intervals.median < minPeriod) return { scored: false, reason: 'period-too-short', connections: n, checkIns, medianIntervalMs: intervals.median };
  const ir = regularityOf(intervals, 0);

  let sizeSpread: Spread | null = null;
  let sr: { symmetry: number; dispersion: number; score: number } | null = null;
  if (sizes) {
    const known = new Float64Array(n);
    let k = 0;
    const len = Math.min(n, sizes.length);
    for (let i = 0; i < len; i++) {
      const v = sizes[i]!;
      if (Number.isFinite(v) && v >= 0) known[k++] = v;
    }
    if (k * 2 >= n && k >= 3) {
      sizeSpread = spreadOf(known.subarray(0, k).sort());
      sr = regularityOf(sizeSpread, tolerance);
    }
  }

  const first = t[0]!;
  const last = t[n - 1]!;
  const spanMs = last - first;
  const countRatio = spanMs > 0 ? ((checkIns - 1) * intervals.median) / spanMs : 0;
  // Without a period (dispersed gaps) the median gap predicts nothing: count only as far as there is one.
  const count = clamp01((countRatio - COUNT_RATIO_FLOOR) / (COUNT_RATIO_FULL - COUNT_RATIO_FLOOR)) * ir.dispersion;

  const weights: BeaconWeights = sr
    ? BEACON_WEIGHTS
    : {
        interval: BEACON_WEIGHTS.interval / (BEACON_WEIGHTS.interval + BEACON_WEIGHTS.count),
        size: 0,
        count: BEACON_WEIGHTS.count / (BEACON_WEIGHTS.interval + BEACON_WEIGHTS.count),
      };
  const score = clamp01(weights.interval * ir.score + weights.size * (sr?.score ?? 0) + weights.count * count);

  return {
    scored: true,
    score,
    parts: {
      interval: ir.score,
      intervalSymmetry: ir.symmetry,
      intervalDispersion: ir.dispersion,
      size: sr?.score ?? null,
      sizeSymmetry: sr?.symmetry ?? null,
      sizeDispersion: sr?.dispersion ?? null,
      count,
    },
    weights,
    connections: n,
    checkIns,
    first,
    last,
    spanMs,
    intervals,
    sizes: sizeSpread,
    countRatio,
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : Number.isNaN(x) ? 0 : x;
}
