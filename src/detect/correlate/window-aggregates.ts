/**
 * What one group of one correlation remembers about its window, one class per correlation
 * type. Each keeps only what its condition needs: event_count the newest N times (N = the
 * threshold), value_count the last time of each distinct value and its sightings, temporal
 * one time per rule, temporal_ordered two numbers per step. Distinct counts, sums, averages and
 * percentiles keep the window's entries up to a per-group cap; every value lost to the cap is
 * counted.
 */
import { WindowRing, type RingState } from './window-ring.js';

export interface DropCounter {
  droppedEntries: number;
}

export interface Aggregate {
  /**
   * Adds one match at time t: `num` is its numeric value (NaN when unused), `key` its
   * value as text ('' when unused), `positions` where its rule sits in `correlation.rules`
   * (descending).
   */
  add(t: number, num: number, key: string, positions: readonly number[]): void;
  /** Forgets what is older than `from` (sliding windows only). */
  expire(from: number): void;
  /** The count or aggregate the condition is tested against. */
  value(): number;
  /** Time of the oldest match the value still covers. */
  start(): number;
  /** Temporal types: whether the rule at `position` matched in the window. */
  has(position: number): boolean;
  clear(): void;
  /** What the window holds, as plain data (numbers may be ±Infinity or NaN), for a checkpoint. */
  save(): AggregateState;
  /** Takes over what `save` returned, on a fresh aggregate of the same rule. */
  load(state: AggregateState): void;
}

export type AggregateState = readonly unknown[];

/** event_count over a sliding window: the newest `cap` times (cap = the smallest satisfying count). */
export class CountWindow implements Aggregate {
  private readonly ring: WindowRing;
  constructor(cap: number) {
    this.ring = new WindowRing(Math.max(1, cap), false, false);
  }
  add(t: number): void {
    if (this.ring.full) this.ring.shift(); // the condition already held then; keeping the newest is enough
    this.ring.push(t, 0, undefined);
  }
  expire(from: number): void {
    while (this.ring.size > 0 && this.ring.oldestTime() < from) this.ring.shift();
  }
  value(): number {
    return this.ring.size;
  }
  start(): number {
    return this.ring.oldestTime();
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.ring.clear();
  }
  save(): AggregateState {
    return [this.ring.save()];
  }
  load([ring]: AggregateState): void {
    this.ring.load(ring as RingState);
  }
}

/** event_count or value_sum over a closing window: a running total. */
export class Total implements Aggregate {
  private total = 0;
  private first = Infinity;
  constructor(private readonly sum: boolean) {}
  add(t: number, num: number): void {
    this.total += this.sum ? num : 1;
    if (t < this.first) this.first = t;
  }
  expire(): void {}
  value(): number {
    return this.total;
  }
  start(): number {
    return this.first;
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.total = 0;
    this.first = Infinity;
  }
  save(): AggregateState {
    return [this.total, this.first];
  }
  load([total, first]: AggregateState): void {
    this.total = total as number;
    this.first = first as number;
  }
}

/**
 * value_count: when each distinct value was last seen, plus a time-ordered ring of sightings
 * that expiry pops from the front; a popped sighting forgets its value only when it was that
 * value's latest. (Not a Map kept in last-seen order and expired from its front: V8 leaves
 * deleted slots in place until it rehashes, and every fresh iterator walks them.) At the cap,
 * the oldest sighting goes; when that loses a distinct value, the drop is counted.
 */
export class DistinctWindow implements Aggregate {
  private readonly seen = new Map<string, number>();
  private readonly sightings: WindowRing;
  constructor(
    max: number,
    private readonly drops: DropCounter,
  ) {
    this.sightings = new WindowRing(max, false, true);
  }
  add(t: number, _num: number, key: string): void {
    const prev = this.seen.get(key);
    if (prev !== undefined && prev >= t) return;
    if (this.sightings.full && this.dropOldest()) this.drops.droppedEntries++;
    this.sightings.push(t, 0, key);
    this.seen.set(key, t);
  }
  expire(from: number): void {
    while (this.sightings.size > 0 && this.sightings.oldestTime() < from) this.dropOldest();
  }
  /** Pops the oldest sighting; true when that was the last trace of its value. */
  private dropOldest(): boolean {
    const key = this.sightings.text(0);
    const t = this.sightings.time(0);
    this.sightings.shift();
    if (this.seen.get(key) !== t) return false;
    this.seen.delete(key);
    return true;
  }
  value(): number {
    return this.seen.size;
  }
  start(): number {
    let min = Infinity;
    for (const t of this.seen.values()) if (t < min) min = t;
    return min;
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.seen.clear();
    this.sightings.clear();
  }
  save(): AggregateState {
    return [this.sightings.save(), [...this.seen]];
  }
  load([sightings, seen]: AggregateState): void {
    this.sightings.load(sightings as RingState);
    this.seen.clear();
    for (const [k, t] of seen as [string, number][]) this.seen.set(k, t);
  }
}

export type NumericKind = 'sum' | 'avg' | 'percentile';

/** value_sum / value_avg / value_percentile (pySigma form) over a sliding window of numbers. */
export class NumericWindow implements Aggregate {
  private readonly ring: WindowRing;
  private sum = 0;
  /** Sorted copy of the window's values, for percentiles only. */
  private readonly sorted: number[] | undefined;
  constructor(
    private readonly kind: NumericKind,
    private readonly percentile: number,
    max: number,
    private readonly drops: DropCounter,
  ) {
    this.ring = new WindowRing(max, true, false);
    this.sorted = kind === 'percentile' ? [] : undefined;
  }
  add(t: number, num: number): void {
    if (this.ring.full) {
      this.dropOldest();
      this.drops.droppedEntries++;
    }
    this.ring.push(t, num, undefined);
    this.sum += num;
    if (this.sorted) this.sorted.splice(lowerBound(this.sorted, num), 0, num);
  }
  expire(from: number): void {
    while (this.ring.size > 0 && this.ring.oldestTime() < from) this.dropOldest();
  }
  private dropOldest(): void {
    const v = this.ring.num(0);
    this.ring.shift();
    // Recompute from zero when empty so float rounding never accumulates across windows.
    this.sum = this.ring.size === 0 ? 0 : this.sum - v;
    if (this.sorted) this.sorted.splice(lowerBound(this.sorted, v), 1);
  }
  value(): number {
    const n = this.ring.size;
    if (n === 0) return NaN;
    if (this.kind === 'sum') return this.sum;
    if (this.kind === 'avg') return this.sum / n;
    // Linear interpolation between closest ranks (numpy's default, Elasticsearch's approximation of it).
    const s = this.sorted!;
    const rank = (this.percentile / 100) * (n - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
  }
  start(): number {
    return this.ring.oldestTime();
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.ring.clear();
    this.sum = 0;
    this.sorted?.splice(0);
  }
  save(): AggregateState {
    return [this.ring.save(), this.sum, this.sorted ?? null];
  }
  load([ring, sum, sorted]: AggregateState): void {
    this.ring.load(ring as RingState);
    // The running sum as it was, not recomputed: float addition in another order could differ in the last bit.
    this.sum = sum as number;
    if (this.sorted) this.sorted.splice(0, this.sorted.length, ...(sorted as number[]));
  }
}

/**
 * value_percentile (Sigma v2.1.0 form): what share of the window's matches, in percent, carry
 * the value of the match just added. `lte: 1` fires for a value making up at most 1 %.
 */
export class ShareWindow implements Aggregate {
  private readonly ring: WindowRing;
  private readonly counts = new Map<string, number>();
  private last = '';
  constructor(
    max: number,
    private readonly drops: DropCounter,
  ) {
    this.ring = new WindowRing(max, false, true);
  }
  add(t: number, _num: number, key: string): void {
    if (this.ring.full) {
      this.dropOldest();
      this.drops.droppedEntries++;
    }
    this.ring.push(t, 0, key);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.last = key;
  }
  expire(from: number): void {
    while (this.ring.size > 0 && this.ring.oldestTime() < from) this.dropOldest();
  }
  private dropOldest(): void {
    const key = this.ring.text(0);
    const c = this.counts.get(key)! - 1;
    if (c === 0) this.counts.delete(key);
    else this.counts.set(key, c);
    this.ring.shift();
  }
  value(): number {
    const n = this.ring.size;
    return n === 0 ? NaN : (100 * (this.counts.get(this.last) ?? 0)) / n;
  }
  start(): number {
    return this.ring.oldestTime();
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.ring.clear();
    this.counts.clear();
    this.last = '';
  }
  save(): AggregateState {
    return [this.ring.save(), [...this.counts], this.last];
  }
  load([ring, counts, last]: AggregateState): void {
    this.ring.load(ring as RingState);
    this.counts.clear();
    for (const [k, n] of counts as [string, number][]) this.counts.set(k, n);
    this.last = last as string;
  }
}

/** temporal: the last time each referenced rule matched; the value is how many matched since `from`. */
export class TemporalWindow implements Aggregate {
  private readonly last: number[] = [];
  private from = -Infinity;
  constructor(rules: number) {
    for (let p = 0; p < rules; p++) this.last.push(-Infinity);
  }
  add(t: number, _num: number, _key: string, positions: readonly number[]): void {
    for (const p of positions) if (t > this.last[p]!) this.last[p] = t;
  }
  expire(from: number): void {
    this.from = from;
  }
  has(position: number): boolean {
    const t = this.last[position]!;
    return t !== -Infinity && t >= this.from;
  }
  value(): number {
    let n = 0;
    for (let p = 0; p < this.last.length; p++) if (this.has(p)) n++;
    return n;
  }
  start(): number {
    let min = Infinity;
    for (let p = 0; p < this.last.length; p++) if (this.has(p) && this.last[p]! < min) min = this.last[p]!;
    return min;
  }
  clear(): void {
    this.last.fill(-Infinity);
    this.from = -Infinity;
  }
  save(): AggregateState {
    return [[...this.last], this.from];
  }
  load([last, from]: AggregateState): void {
    this.last.splice(0, this.last.length, ...(last as number[]));
    this.from = from as number;
  }
}

/**
 * temporal_ordered: for each chain length L (the first L steps, in order), the latest start of
 * such a chain and when it ended. A match of step s extends the best chain of length s when
 * that chain ended no later than the match, so an event that arrives late never completes a
 * chain it would come before. Steps are processed from the last to the first so one event
 * never fills two steps.
 */
export class OrderedWindow implements Aggregate {
  private readonly startOf: number[] = [];
  private readonly endOf: number[] = [];
  private from = -Infinity;
  /**
   * @param stepOf step index of each position in `correlation.rules`, -1 for rules that are
   *   not a step (a conjunction condition naming only some of them)
   */
  constructor(
    private readonly stepOf: Int32Array,
    private readonly steps: number,
  ) {
    for (let len = 0; len <= steps; len++) {
      this.startOf.push(-Infinity);
      this.endOf.push(Infinity);
    }
  }
  add(t: number, _num: number, _key: string, positions: readonly number[]): void {
    for (const p of positions) {
      const s = this.stepOf[p]!;
      if (s < 0) continue;
      let start: number;
      if (s === 0) start = t;
      else {
        start = this.startOf[s]!;
        if (start === -Infinity || start < this.from || this.endOf[s]! > t) continue;
      }
      const len = s + 1;
      if (start > this.startOf[len]! || (start === this.startOf[len]! && t < this.endOf[len]!)) {
        this.startOf[len] = start;
        this.endOf[len] = t;
      }
    }
  }
  expire(from: number): void {
    this.from = from;
  }
  value(): number {
    for (let len = this.steps; len > 0; len--) {
      const s = this.startOf[len]!;
      if (s !== -Infinity && s >= this.from) return len;
    }
    return 0;
  }
  start(): number {
    const len = this.value();
    return len === 0 ? Infinity : this.startOf[len]!;
  }
  has(): boolean {
    return false;
  }
  clear(): void {
    this.startOf.fill(-Infinity);
    this.endOf.fill(Infinity);
    this.from = -Infinity;
  }
  save(): AggregateState {
    return [[...this.startOf], [...this.endOf], this.from];
  }
  load([startOf, endOf, from]: AggregateState): void {
    this.startOf.splice(0, this.startOf.length, ...(startOf as number[]));
    this.endOf.splice(0, this.endOf.length, ...(endOf as number[]));
    this.from = from as number;
  }
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
