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
 *   belongs before (it may miss one, it never invents one). A closing window drops matches
 *   earlier than its start, and closes when the newest event time seen on any match passes
 *   its end; call `flush()` at the end of a replay to close the rest.
 * - Memory: a group idle for longer than its timespan (against the newest event time seen)
 *   is forgotten; at most `maxGroupsPerRule` groups are kept per correlation, the oldest
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
 * - Value texts: numbers in group-by and value_count fields are compared as text (3 and '3'
 *   are one group); numeric texts count as numbers for sums, averages and percentiles.
 */
import type { SigmaLevel, SigmaStatus } from '../sigma/sigma-types.js';
import { CorrelationError, type CorrelationRule, type CorrelationType } from './correlation-rule.js';
import {
  Group,
  LEVEL_RANK,
  linkRuntimes,
  remember,
  reset,
  Runtime,
  subscription,
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
      for (let i = 0; i < subs.length; i++) this.feed(subs[i]!, match, undefined, rank);
    }
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

  private subscriptionsOf(rule: RuleRef): Subscription[] {
    let subs = this.subsByObject.get(rule);
    if (subs !== undefined) return subs;
    const cached = this.subsById.get(rule.id);
    if (cached !== undefined && cached.name === rule.name) subs = cached.subs;
    else {
      const refs = this.resolver(rule);
      const byRuntime = new Map<Runtime, { positions: Set<number>; ref: string }>();
      for (const ref of refs) {
        for (const { rt, position } of this.baseTargets.get(ref) ?? []) {
          const entry = byRuntime.get(rt) ?? { positions: new Set<number>(), ref };
          entry.positions.add(position);
          byRuntime.set(rt, entry);
        }
      }
      subs = [...byRuntime].map(([rt, { positions, ref }]) => subscription(rt, [...positions], [ref, ...refs]));
      this.subsById.set(rule.id, { name: rule.name, subs });
    }
    this.subsByObject.set(rule, subs);
    return subs;
  }

  // --- the hot path -----------------------------------------------------------------------

  private feed(sub: Subscription, m: CorrelationMatch, ids: readonly string[] | undefined, rank: number): void {
    const rt = sub.rt;
    if (this.watermark - rt.lastSweep >= rt.ts) this.sweep(rt);
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
    if (g === undefined) g = this.newGroup(rt, key, sub, m);
    const t = m.time;
    if (rt.plan.sliding) {
      if (t < g.latest - rt.ts) {
        rt.lateMatches++;
        return;
      }
      if (t > g.latest) g.latest = t;
      const from = g.latest - rt.ts;
      g.agg.expire(from);
      g.agg.add(t, num, text, sub.positions);
      remember(g, t, m.eventId, ids, rank);
      if (rt.plan.test(g.agg)) this.fire(rt, g, g.agg.start(), g.latest, from);
      return;
    }
    if (g.open && t > g.deadline) this.close(rt, g);
    if (!g.open) {
      g.open = true;
      g.start = t;
      g.deadline = t + rt.ts;
      rt.queue.push(g);
      rt.deadlines.push(g.deadline);
    } else if (t < g.start) {
      rt.lateMatches++;
      return;
    }
    if (t > g.latest) g.latest = t;
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

  private fire(rt: Runtime, g: Group, windowStart: number, windowEnd: number, idsFrom: number): void {
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
    for (const parent of rt.parents) this.feed(parent, chained, eventIds, rank);
  }

  private close(rt: Runtime, g: Group): void {
    g.open = false;
    if (rt.plan.test(g.agg)) this.fire(rt, g, g.start, g.deadline, -Infinity);
    else reset(g);
  }

  /** Closes windows whose end the watermark has passed (all of them when `all`). */
  private closeDue(all: boolean): void {
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const rt of this.closing) {
        while (rt.queueHead < rt.queue.length) {
          const deadline = rt.deadlines[rt.queueHead]!;
          if (!all && deadline >= this.watermark) break;
          const g = rt.queue[rt.queueHead]!;
          rt.queueHead++;
          progressed = true;
          if (g.alive && g.open && g.deadline === deadline) this.close(rt, g);
        }
        if (rt.queueHead > 1024 && rt.queueHead * 2 > rt.queue.length) {
          rt.queue.splice(0, rt.queueHead);
          rt.deadlines.splice(0, rt.queueHead);
          rt.queueHead = 0;
        }
      }
      if (!all) return; // chained hits opened later windows; the next match checks them
    }
  }

  /** Forgets groups that saw nothing for a whole timespan. Runs once per timespan of event time. */
  private sweep(rt: Runtime): void {
    rt.lastSweep = this.watermark;
    const cutoff = this.watermark - rt.ts;
    let expired = 0;
    for (const [key, g] of rt.groups) {
      if (!g.open && g.latest < cutoff) {
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

