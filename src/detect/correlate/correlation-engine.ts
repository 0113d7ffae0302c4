/**
 * The streaming Sigma correlation engine: fed the matches of base rules one at a time, it keeps
 * a window per correlation and group-by key and says which correlations fire now.
 *
 * Behaviour where the specification is silent (see also correlation-plan.ts for when windows
 * slide and when they close):
 * - Firing: once a group's condition holds, the hit is reported and that group's window is
 *   reset, so one burst gives one hit; a burst of n matches against `gte: k` gives at most
 *   ⌊n/k⌋ hits.
 * - Time is event time (`match.time`, epoch ms), never the wall clock. A window spans
 *   `timespan` inclusive: matches at 0 and exactly `timespan` later are in one window.
 * - Disorder: a sliding window ends at the newest match of its group; a match up to
 *   `timespan` older still counts, an older one is dropped and counted (`lateMatches`).
 *   temporal_ordered compares event times, so a late match never completes a sequence it
 *   belongs before (it may miss one, it never invents one). A closing window spans
 *   `timespan` from its first match, drops matches earlier than its start, closes at once
 *   when a match of its group comes after its end, and otherwise once the newest event time
 *   seen on any match (the watermark) is a timespan past the watermark at which it opened:
 *   past its end, for events in time order; for a window an old event opens (an old file
 *   replayed after newer data), a timespan after that, so the file's later events still
 *   fill it. Call `flush()` at the end of a replay to close the rest. `advance(watermark)`
 *   moves event time on without a match: an engine that holds only some groups (a detection
 *   partition) is told the watermark the whole stream had reached, and then fires exactly
 *   what one engine would.
 * - Memory: a group is forgotten once it has had no window open and no match for a whole
 *   timespan of stream time (the watermark moved a timespan on since its last match) and its
 *   newest match is more than a timespan behind. Its next match starts it afresh whether or
 *   not the sweep that runs once per timespan has freed it yet, so what a group reports
 *   depends only on its own matches and the watermark, never on other groups (replaying old
 *   files after new ones, the watermark stands still, so their groups live). At most
 *   `maxGroupsPerRule` groups are kept per correlation, the oldest
 *   created is evicted first (`evictedGroups`). Per group, sums, averages, percentiles and
 *   distinct values keep at most `maxEntriesPerGroup` entries (`droppedEntries`), and the ids
 *   of the newest `maxEventIdsPerHit` contributing events (default 100).
 * - A match without one of the group-by fields (or the value field, or a value that is not a
 *   number for sums, averages and percentiles, or a time that is not a number) does not count
 *   (`incompleteMatches`).
 * - Chaining: a correlation listed in another's `rules` feeds it one match per hit, at the
 *   hit's window end, whose fields are the inner group-by values; the outer hit lists the
 *   inner hit's event ids.
 * - `generate`: a rule referenced by correlations only feeds them unless one of those has
 *   `generate: true`. Base rules: ask `suppressesBaseAlerts`. Correlations: their hits are
 *   marked `suppressed` and left out of what `observe` returns (unless
 *   `includeSuppressedHits`), but still feed the correlations that reference them.
 * - Level: the correlation's `level`; without one, the highest level among the matches that
 *   made the hit (when the matches carry one), else medium.
 * - value_percentile: v2.1.0 defines it only as "when a certain percentage of observed values
 *   occur", with the example `field: image, lte: 1` for a process name making up at most 1 %
 *   of a computer's processes. So the value is the share, in percent, of the group's window
 *   that carries the value of the match just seen, tested at that match. With pySigma's
 *   `percentile: P` the value is instead the P-th percentile (linear interpolation) of the
 *   window's numbers.
 * - Checkpoints: `snapshot()` returns every window as plain data and `restore()` takes it back
 *   into an engine built from the same rules; the restored engine fires exactly what the
 *   original would have.
 * - Value texts: numbers in group-by and value_count fields are compared as text (3 and '3'
 *   are one group); numeric texts count as numbers for sums, averages and percentiles.
 */
import type { SigmaLevel, SigmaStatus } from '../sigma/sigma-types.js';
import { ClosingQueue } from './closing-queue.js';
import { CorrelationError, type CorrelationRule, type CorrelationType } from './correlation-rule.js';
import {
  baseSubscriptions,
  Group,
  idle,
  LEVEL_RANK,
  linkRuntimes,
  loadGroup,
  remember,
  reset,
  Runtime,
  saveGroup,
  type GroupState,
  type Subscription,
} from './correlation-runtime.js';

/** Who a match is from: a base rule's RuleMeta (or any object with its id and name), or a correlation. */
export interface RuleRef {
  readonly id: string;
  readonly name?: string | undefined;
  readonly level?: SigmaLevel | undefined;
}

/** One base-rule match, as the correlation engine reads it. */
export interface CorrelationMatch {
  readonly rule: RuleRef;
  /** Event time, epoch milliseconds. */
  readonly time: number;
  readonly eventId: string;
  /** A field of the matched event, by the name the rules use. */
  field(name: string): string | number | undefined;
}

/** The references (ids and names) a base rule answers to in `correlation.rules`. */
export type RuleResolver = (rule: RuleRef) => readonly string[];

export const resolveByIdAndName: RuleResolver = (rule) => (rule.name === undefined ? [rule.id] : [rule.id, rule.name]);

/** What a hit says about the correlation that fired (a RuleMeta-like subset). */
export interface CorrelationMeta {
  readonly id: string;
  readonly name: string | undefined;
  readonly title: string;
  readonly level: SigmaLevel;
  readonly status: SigmaStatus | undefined;
  readonly author: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  readonly file: string | undefined;
}

export interface CorrelationHit {
  readonly rule: CorrelationMeta;
  readonly type: CorrelationType;
  /** group-by name (field or alias) → value. */
  readonly group: Readonly<Record<string, string | number>>;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** The count (events, distinct values, rules, sequence steps) or aggregate (sum, average, percentile, share %). */
  readonly value: number;
  /** Ids of the newest contributing events, at most `maxEventIdsPerHit`. */
  readonly eventIds: readonly string[];
  /** True when older contributing event ids were dropped to respect the cap. */
  readonly eventIdsTruncated: boolean;
  /** True when the correlation only feeds other correlations (`generate: false` on all of them). */
  readonly suppressed: boolean;
}

export interface CorrelationEngineOptions {
  /** Groups kept per correlation; the oldest created is evicted beyond it. Default 100,000. */
  readonly maxGroupsPerRule?: number;
  /** Values kept per group for sums, averages, percentiles and distinct counts. Default 10,000. */
  readonly maxEntriesPerGroup?: number;
  /** Contributing event ids kept per group and reported per hit. Default 100. */
  readonly maxEventIdsPerHit?: number;
  /** Also return hits of correlations that only feed other correlations. Default false. */
  readonly includeSuppressedHits?: boolean;
  /** The base rules that exist: when given, a reference to anything else is an error. */
  readonly baseRules?: Iterable<RuleRef>;
}

export interface CorrelationStats {
  readonly id: string;
  readonly title: string;
  readonly groups: number;
  readonly hits: number;
  readonly evictedGroups: number;
  readonly expiredGroups: number;
  readonly lateMatches: number;
  readonly incompleteMatches: number;
  readonly droppedEntries: number;
}

/** An engine's windows and counters as plain data (numbers may be ±Infinity or NaN). */
export interface CorrelationSnapshot {
  /** The correlations' ids, in order: a snapshot only goes back into an engine of the same rules. */
  readonly rules: readonly string[];
  readonly watermark: number;
  readonly seq: number;
  /** Per correlation: [lastSweep, hits, evictedGroups, expiredGroups, lateMatches, incompleteMatches, droppedEntries], then the groups oldest first. */
  readonly runtimes: readonly { readonly counters: readonly number[]; readonly groups: readonly GroupState[] }[];
  /** Open closing windows: [correlation index, group key, close point, opening number]. */
  readonly closing: readonly (readonly [number, string, number, number])[];
}

/** Joins group-by values into one key; a NUL inside a value could merge two groups, which no log field carries. */
const SEP = '\u0000';
const NO_HITS: readonly CorrelationHit[] = Object.freeze([]);

export class CorrelationEngine {
  private readonly runtimes: readonly Runtime[];
  private readonly closing: readonly Runtime[];
  private readonly baseTargets: ReadonlyMap<string, readonly { rt: Runtime; position: number }[]>;
  /** For each referenced id or name: whether any correlation referencing it has `generate: true`. */
  private readonly generateByRef: ReadonlyMap<string, boolean>;
  private readonly subsByObject = new WeakMap<RuleRef, Subscription[]>();
  private readonly subsById = new Map<string, { name: string | undefined; subs: Subscription[] }>();
  private readonly maxGroups: number;
  private readonly maxIds: number;
  private readonly includeSuppressed: boolean;
  private readonly closingQueue = new ClosingQueue();
  private watermark = -Infinity;
  private out: CorrelationHit[] | undefined;

  constructor(
    rules: readonly CorrelationRule[],
    private readonly resolver: RuleResolver = resolveByIdAndName,
    options: CorrelationEngineOptions = {},
  ) {
    this.maxGroups = Math.max(1, options.maxGroupsPerRule ?? 100_000);
    this.maxIds = Math.max(1, options.maxEventIdsPerHit ?? 100);
    this.includeSuppressed = options.includeSuppressedHits ?? false;
    const maxEntries = Math.max(1, options.maxEntriesPerGroup ?? 10_000);
    const runtimes = rules.map((r) => new Runtime(r, maxEntries));
    this.runtimes = runtimes;
    this.closing = runtimes.filter((rt) => !rt.plan.sliding);
    const { baseTargets, generateByRef, problems } = linkRuntimes(runtimes, resolver, options.baseRules);
    if (problems.length > 0) throw new CorrelationError(problems);
    this.baseTargets = baseTargets;
    this.generateByRef = generateByRef;
  }

  /** Feeds one base-rule match; returns the correlations that fire now (a shared empty array when none). */
  observe(match: CorrelationMatch): readonly CorrelationHit[] {
    const t = match.time;
    if (t > this.watermark) this.watermark = t;
    const subs = this.subscriptionsOf(match.rule);
    if (!Number.isFinite(t)) {
      for (const sub of subs) sub.rt.incompleteMatches++;
    } else if (subs.length > 0) {
      const rank = match.rule.level === undefined ? -1 : (LEVEL_RANK[match.rule.level] ?? -1);
      for (let i = 0; i < subs.length; i++) this.feed(subs[i]!, match, undefined, rank, this.watermark, this.watermark);
    }
    if (this.closing.length > 0) this.closeDue(false);
    const out = this.out;
    this.out = undefined;
    return out ?? NO_HITS;
  }

  /**
   * Moves event time on to `watermark` (never back) and returns what fires because windows
   * ended before it. One engine fed every match never needs this; an engine fed part of the
   * stream is told how far the whole stream has got.
   */
  advance(watermark: number): readonly CorrelationHit[] {
    if (!(watermark > this.watermark)) return NO_HITS;
    this.watermark = watermark;
    if (this.closing.length > 0) this.closeDue(false);
    const out = this.out;
    this.out = undefined;
    return out ?? NO_HITS;
  }

  /** Closes every open window (end of a replay or shutdown) and returns what fires. */
  flush(): readonly CorrelationHit[] {
    this.closeDue(true);
    const out = this.out;
    this.out = undefined;
    return out ?? NO_HITS;
  }

  /**
   * True when the base rule is referenced by at least one correlation and none of those has
   * `generate: true`: its matches feed correlations but should not alert on their own.
   */
  suppressesBaseAlerts(rule: RuleRef): boolean {
    return this.baseAlertPolicy(rule) === 'suppress';
  }

  /** Whether correlations reference the base rule, and if so whether one asks for its own alerts. */
  baseAlertPolicy(rule: RuleRef): 'unreferenced' | 'suppress' | 'generate' {
    let referenced = false;
    for (const ref of this.resolver(rule)) {
      const generate = this.generateByRef.get(ref);
      if (generate === true) return 'generate';
      if (generate === false) referenced = true;
    }
    return referenced ? 'suppress' : 'unreferenced';
  }

  /** True when some correlation reads this base rule's matches. */
  consumes(rule: RuleRef): boolean {
    return this.subscriptionsOf(rule).length > 0;
  }

  stats(): CorrelationStats[] {
    return this.runtimes.map((rt) => ({
      id: rt.rule.id,
      title: rt.rule.title,
      groups: rt.groups.size,
      hits: rt.hits,
      evictedGroups: rt.evictedGroups,
      expiredGroups: rt.expiredGroups,
      lateMatches: rt.lateMatches,
      incompleteMatches: rt.incompleteMatches,
      droppedEntries: rt.droppedEntries,
    }));
  }

  /** Every window and counter, to restore into an engine of the same rules (a checkpoint). */
  snapshot(): CorrelationSnapshot {
    const index = new Map(this.runtimes.map((rt, i) => [rt, i]));
    return {
      rules: this.runtimes.map((rt) => rt.rule.id),
      watermark: this.watermark,
      seq: this.closingQueue.seq,
      runtimes: this.runtimes.map((rt) => ({
        counters: [rt.lastSweep, rt.hits, rt.evictedGroups, rt.expiredGroups, rt.lateMatches, rt.incompleteMatches, rt.droppedEntries],
        groups: rt.order.slice(rt.orderHead).filter((g) => g.alive).map(saveGroup),
      })),
      closing: this.closingQueue.live().map((e) => [index.get(e.rt)!, e.g.key, e.at, e.seq] as const),
    };
  }

  /** Takes over a snapshot of an engine built from the same rules; call it on a fresh engine. */
  restore(snapshot: CorrelationSnapshot): void {
    const ids = this.runtimes.map((rt) => rt.rule.id);
    if (snapshot.rules.length !== ids.length || snapshot.rules.some((id, i) => id !== ids[i])) {
      throw new Error(`correlation snapshot is of other rules (${snapshot.rules.join(', ')}), not of ${ids.join(', ')}`);
    }
    this.watermark = snapshot.watermark;
    this.closingQueue.seq = snapshot.seq;
    snapshot.runtimes.forEach((saved, i) => {
      const rt = this.runtimes[i]!;
      const c = saved.counters;
      rt.lastSweep = c[0]!;
      rt.hits = c[1]!;
      rt.evictedGroups = c[2]!;
      rt.expiredGroups = c[3]!;
      rt.lateMatches = c[4]!;
      rt.incompleteMatches = c[5]!;
      rt.droppedEntries = c[6]!;
      for (const state of saved.groups) {
        const g = new Group(state[0], state[1], rt.plan.newAggregate(rt), this.maxIds);
        loadGroup(g, state);
        rt.groups.set(g.key, g);
        rt.order.push(g);
      }
    });
    for (const [i, key, at, seq] of snapshot.closing) {
      const rt = this.runtimes[i]!;
      this.closingQueue.insert({ rt, g: rt.groups.get(key)!, at, seq });
    }
  }

  private subscriptionsOf(rule: RuleRef): Subscription[] {
    let subs = this.subsByObject.get(rule);
    if (subs !== undefined) return subs;
    const cached = this.subsById.get(rule.id);
    if (cached !== undefined && cached.name === rule.name) subs = cached.subs;
    else {
      subs = baseSubscriptions(this.resolver(rule), this.baseTargets);
      this.subsById.set(rule.id, { name: rule.name, subs });
    }
    this.subsByObject.set(rule, subs);
    return subs;
  }

  // --- the hot path -----------------------------------------------------------------------

  /**
   * Feeds one match to one correlation. `asOf` is the watermark the match is judged at: the
   * engine's for a base match, and for a closing window's chained hit the window's close
   * point, the same whenever and wherever the window is closed.
   * `floor` is no more than the `asOf` of any feed still to come, which bounds what a sweep
   * may free.
   */
  private feed(sub: Subscription, m: CorrelationMatch, ids: readonly string[] | undefined, rank: number, asOf: number, floor: number): void {
    const rt = sub.rt;
    if (this.watermark - rt.lastSweep >= rt.ts) this.sweep(rt, Math.min(floor, this.closingQueue.peek()));
    const key = groupKey(sub.groupFields, m);
    if (key === undefined) {
      rt.incompleteMatches++;
      return;
    }
    let num = NaN;
    let text = '';
    const input = rt.plan.input;
    if (input !== 'none') {
      const vf = sub.valueFields;
      if (input === 'key') {
        const k = vf.length === 1 ? m.field(vf[0]!) : groupKey(vf, m);
        if (k === undefined) {
          rt.incompleteMatches++;
          return;
        }
        text = typeof k === 'string' ? k : String(k);
      } else {
        const v = m.field(vf[0]!);
        num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
        if (!Number.isFinite(num)) {
          rt.incompleteMatches++;
          return;
        }
      }
    }
    let g = rt.groups.get(key);
    if (g !== undefined && idle(g, asOf, rt.ts)) {
      // Forgotten now, as the next sweep would have done.
      rt.groups.delete(key);
      g.alive = false;
      rt.expiredGroups++;
      g = undefined;
    }
    if (g === undefined) g = this.newGroup(rt, key, sub, m);
    const t = m.time;
    if (rt.plan.sliding) {
      if (t < g.latest - rt.ts) {
        rt.lateMatches++;
        return;
      }
      if (t > g.latest) g.latest = t;
      g.touched = asOf;
      const from = g.latest - rt.ts;
      g.agg.expire(from);
      g.agg.add(t, num, text, sub.positions);
      remember(g, t, m.eventId, ids, rank);
      if (rt.plan.test(g.agg)) this.fire(rt, g, g.agg.start(), g.latest, from, asOf, floor);
      return;
    }
    if (g.open && t > g.deadline) this.close(rt, g, floor);
    if (!g.open) {
      g.open = true;
      g.start = t;
      g.deadline = t + rt.ts;
      g.closeAt = asOf + rt.ts;
      this.closingQueue.push(rt, g, g.closeAt);
    } else if (t < g.start) {
      rt.lateMatches++;
      return;
    }
    if (t > g.latest) g.latest = t;
    g.touched = asOf;
    g.agg.add(t, num, text, sub.positions);
    remember(g, t, m.eventId, ids, rank);
  }

  private newGroup(rt: Runtime, key: string, sub: Subscription, m: CorrelationMatch): Group {
    if (rt.groups.size >= this.maxGroups && rt.evictOldest()) rt.evictedGroups++;
    const values = sub.groupFields.map((f) => m.field(f)!);
    const g = new Group(key, values, rt.plan.newAggregate(rt), this.maxIds);
    rt.groups.set(key, g);
    rt.order.push(g);
    return g;
  }

  private fire(rt: Runtime, g: Group, windowStart: number, windowEnd: number, idsFrom: number, asOf: number, floor: number): void {
    const eventIds: string[] = [];
    for (let i = 0; i < g.ids.size; i++) if (g.ids.time(i) >= idsFrom) eventIds.push(g.ids.text(i));
    const groupBy = rt.rule.correlation.groupBy;
    const hit: CorrelationHit = {
      rule: rt.meta(g.levelRank),
      type: rt.rule.correlation.type,
      group: Object.fromEntries(groupBy.map((name, i) => [name, g.values[i]!])),
      windowStart,
      windowEnd,
      value: g.agg.value(),
      eventIds,
      eventIdsTruncated: g.idsDropped,
      suppressed: rt.suppressed,
    };
    rt.hits++;
    reset(g);
    if (!rt.suppressed || this.includeSuppressed) (this.out ??= []).push(hit);
    if (rt.parents.length === 0) return;
    const group = hit.group;
    const chained: CorrelationMatch = {
      rule: { id: rt.rule.id, name: rt.rule.name, level: hit.rule.level },
      time: windowEnd,
      eventId: '',
      field: (name) => (Object.hasOwn(group, name) ? group[name] : undefined),
    };
    const rank = LEVEL_RANK[hit.rule.level]!;
    for (const parent of rt.parents) this.feed(parent, chained, eventIds, rank, asOf, floor);
  }

  private close(rt: Runtime, g: Group, floor: number): void {
    g.open = false;
    const asOf = g.closeAt;
    if (rt.plan.test(g.agg)) this.fire(rt, g, g.start, g.deadline, -Infinity, asOf, Math.min(floor, asOf));
    else reset(g);
  }

  /**
   * Closes the windows whose close point the watermark has passed (all of them when `all`),
   * earliest first, including windows that chained hits open on the way.
   */
  private closeDue(all: boolean): void {
    const q = this.closingQueue;
    while (q.size > 0 && (all || q.peek() < this.watermark)) {
      const { rt, g, at } = q.pop()!;
      if (g.alive && g.open && g.closeAt === at) this.close(rt, g, Math.min(this.watermark, at));
    }
  }

  /** Forgets groups that saw nothing for a whole timespan. Runs once per timespan of event time. */
  private sweep(rt: Runtime, safe: number): void {
    rt.lastSweep = this.watermark;
    let expired = 0;
    for (const [key, g] of rt.groups) {
      // Idle at `safe`, so idle for every feed still to come: freeing it changes no result.
      if (idle(g, safe, rt.ts)) {
        rt.groups.delete(key);
        g.alive = false;
        expired++;
      }
    }
    rt.expiredGroups += expired;
    if (expired > 0) rt.compactOrder(true);
  }
}

/** The group key of a match, or undefined when one of the fields is missing. */
function groupKey(fields: readonly string[], m: CorrelationMatch): string | undefined {
  if (fields.length === 0) return '';
  const first = m.field(fields[0]!);
  if (first === undefined) return undefined;
  let key = typeof first === 'string' ? first : String(first);
  for (let i = 1; i < fields.length; i++) {
    const v = m.field(fields[i]!);
    if (v === undefined) return undefined;
    key = key + SEP + String(v);
  }
  return key;
}

