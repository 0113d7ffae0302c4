/**
 * What the engine keeps per correlation rule (its plan, its groups, who it feeds) and per
 * group, and how rules are linked to each other and to base rules. Internal to the engine.
 */
import type { SigmaLevel } from '../sigma/sigma-types.js';
import type { CorrelationMeta, RuleRef, RuleResolver } from './correlation-engine.js';
import { planFor, type EvaluationPlan } from './correlation-plan.js';
import { hitMeta, type CorrelationRule } from './correlation-rule.js';
import type { Aggregate, AggregateState, DropCounter } from './window-aggregates.js';
import { WindowRing, type RingState } from './window-ring.js';

export const LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];
export const LEVEL_RANK: Readonly<Record<string, number>> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface Subscription {
  readonly rt: Runtime;
  /** Where the source rule sits in `rules`, descending. */
  readonly positions: readonly number[];
  /** The field to read for each group-by entry (aliases resolved for this source rule). */
  readonly groupFields: readonly string[];
  readonly valueFields: readonly string[];
}

export class Group {
  latest = -Infinity;
  /** The watermark when a match last changed the group: it is forgotten once the stream has moved a timespan past that. */
  touched = -Infinity;
  /** Closing windows: when the open window closes (a timespan after the watermark at which it opened). */
  closeAt = Infinity;
  open = false;
  start = 0;
  deadline = 0;
  alive = true;
  levelRank = -1;
  idsDropped = false;
  readonly ids: WindowRing;
  constructor(
    readonly key: string,
    readonly values: readonly (string | number)[],
    readonly agg: Aggregate,
    maxIds: number,
  ) {
    this.ids = new WindowRing(maxIds, false, true);
  }
}

export class Runtime implements DropCounter {
  readonly ts: number;
  readonly plan: EvaluationPlan;
  readonly groups = new Map<string, Group>();
  /**
   * Groups in creation order, for evicting the oldest at the cap. A Map's own order cannot be
   * used for that: V8 leaves deleted slots in place until it rehashes, so a fresh iterator
   * from the front walks every one of them, and evicting at the cap became quadratic.
   * Entries of groups already gone are skipped at the head and dropped by `compactOrder`.
   */
  order: Group[] = [];
  orderHead = 0;
  readonly parents: Subscription[] = [];
  suppressed = false;
  lastSweep = -Infinity;
  hits = 0;
  evictedGroups = 0;
  expiredGroups = 0;
  lateMatches = 0;
  incompleteMatches = 0;
  droppedEntries = 0;
  private readonly metas: CorrelationMeta[];

  constructor(
    readonly rule: CorrelationRule,
    maxEntries: number,
  ) {
    this.ts = rule.correlation.timespan.ms;
    this.plan = planFor(rule, maxEntries);
    this.metas = LEVELS.map((level) => hitMeta(rule, rule.level ?? level));
  }

  meta(levelRank: number): CorrelationMeta {
    return this.metas[levelRank < 0 ? 2 : levelRank]!;
  }

  /** Removes and returns the oldest group still kept. */
  evictOldest(): Group | undefined {
    while (this.orderHead < this.order.length) {
      const g = this.order[this.orderHead++]!;
      if (!g.alive) continue;
      this.groups.delete(g.key);
      g.alive = false;
      this.compactOrder(false);
      return g;
    }
    return undefined;
  }

  /** Drops the entries of groups already gone (all of them when `full`, else the consumed head). */
  compactOrder(full: boolean): void {
    if (full) {
      this.order = this.order.slice(this.orderHead).filter((g) => g.alive);
      this.orderHead = 0;
    } else if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
  }
}

export interface Links {
  /** Base-rule reference (id or name) → where it is used. */
  readonly baseTargets: Map<string, { rt: Runtime; position: number }[]>;
  /** For each referenced id or name: whether any correlation referencing it has `generate: true`. */
  readonly generateByRef: Map<string, boolean>;
  readonly problems: string[];
}

/**
 * Resolves references between correlations (setting each runtime's parents and `suppressed`),
 * indexes references to base rules, and checks the chain graph for loops, ambiguous names and
 * (when the base rules are given) unknown references.
 */
export function linkRuntimes(runtimes: readonly Runtime[], resolver: RuleResolver, baseRules: Iterable<RuleRef> | undefined): Links {
  const baseTargets = new Map<string, { rt: Runtime; position: number }[]>();
  const generateByRef = new Map<string, boolean>();
  const problems: string[] = [];
  const byRef = new Map<string, Runtime>();
  for (const rt of runtimes) {
    for (const ref of new Set([rt.rule.id, rt.rule.name])) {
      if (ref === undefined) continue;
      const other = byRef.get(ref);
      if (other) problems.push(`correlation '${rt.rule.title}': id or name '${ref}' is also used by '${other.rule.title}', so references to it would be ambiguous`);
      else byRef.set(ref, rt);
    }
  }
  const known = baseRules ? new Set([...baseRules].flatMap((r) => resolver(r))) : undefined;
  const children = new Map<Runtime, Runtime[]>();
  for (const rt of runtimes) {
    const chained = new Map<Runtime, { positions: number[]; ref: string }>();
    rt.rule.correlation.rules.forEach((ref, position) => {
      const prev = generateByRef.get(ref) ?? false;
      generateByRef.set(ref, prev || rt.rule.generate);
      const target = byRef.get(ref);
      if (target) {
        const entry = chained.get(target) ?? { positions: [], ref };
        entry.positions.push(position);
        chained.set(target, entry);
        return;
      }
      if (known && !known.has(ref)) {
        problems.push(`correlation '${rt.rule.title}': correlation.rules[${position}] '${ref}' is neither a loaded rule nor a correlation (check the id or name)`);
      }
      const list = baseTargets.get(ref) ?? [];
      list.push({ rt, position });
      baseTargets.set(ref, list);
    });
    for (const [target, { positions, ref }] of chained) {
      target.parents.push(subscription(rt, positions, [ref, target.rule.name, target.rule.id]));
    }
    children.set(rt, [...chained.keys()]);
  }
  const cycle = findCycle(runtimes, children);
  if (cycle) problems.push(`correlations reference each other in a loop: ${cycle.map((rt) => `'${rt.rule.title}'`).join(' → ')}`);
  for (const rt of runtimes) {
    const refs = [rt.rule.id, rt.rule.name].filter((r): r is string => r !== undefined);
    const flags = refs.map((r) => generateByRef.get(r)).filter((g) => g !== undefined);
    rt.suppressed = flags.length > 0 && !flags.includes(true);
  }
  return { baseTargets, generateByRef, problems };
}

/**
 * How a base rule answering to `refs` feeds the correlations: one subscription per
 * correlation that references it (under any of its refs), with the fields it reads there.
 */
export function baseSubscriptions(refs: readonly string[], baseTargets: ReadonlyMap<string, readonly { rt: Runtime; position: number }[]>): Subscription[] {
  const byRuntime = new Map<Runtime, { positions: Set<number>; ref: string }>();
  for (const ref of refs) {
    for (const { rt, position } of baseTargets.get(ref) ?? []) {
      const entry = byRuntime.get(rt) ?? { positions: new Set<number>(), ref };
      entry.positions.add(position);
      byRuntime.set(rt, entry);
    }
  }
  return [...byRuntime].map(([rt, { positions, ref }]) => subscription(rt, [...positions], [ref, ...refs]));
}

export function subscription(rt: Runtime, positions: number[], refs: readonly (string | undefined)[]): Subscription {
  const c = rt.rule.correlation;
  const resolve = (name: string): string => {
    const alias = c.aliases.get(name);
    if (alias) for (const ref of refs) if (ref !== undefined && alias.has(ref)) return alias.get(ref)!;
    return name;
  };
  return {
    rt,
    positions: positions.sort((a, b) => b - a),
    groupFields: c.groupBy.map(resolve),
    valueFields: (c.field ?? []).map(resolve),
  };
}

export function remember(g: Group, t: number, eventId: string, ids: readonly string[] | undefined, rank: number): void {
  if (rank > g.levelRank) g.levelRank = rank;
  if (ids === undefined) pushId(g, t, eventId);
  else for (const id of ids) pushId(g, t, id);
}

function pushId(g: Group, t: number, id: string): void {
  if (g.ids.full) {
    g.ids.shift();
    g.idsDropped = true;
  }
  g.ids.push(t, 0, id);
}

/** One group as plain data, for a checkpoint (see CorrelationEngine.snapshot). */
export type GroupState = readonly [
  key: string,
  values: readonly (string | number)[],
  latest: number,
  touched: number,
  open: boolean,
  start: number,
  deadline: number,
  closeAt: number,
  levelRank: number,
  idsDropped: boolean,
  ids: RingState,
  agg: AggregateState,
];

export function saveGroup(g: Group): GroupState {
  return [g.key, g.values, g.latest, g.touched, g.open, g.start, g.deadline, g.closeAt, g.levelRank, g.idsDropped, g.ids.save(), g.agg.save()];
}

export function loadGroup(g: Group, [, , latest, touched, open, start, deadline, closeAt, levelRank, idsDropped, ids, agg]: GroupState): void {
  g.latest = latest;
  g.touched = touched;
  g.open = open;
  g.start = start;
  g.deadline = deadline;
  g.closeAt = closeAt;
  g.levelRank = levelRank;
  g.idsDropped = idsDropped;
  g.ids.load(ids);
  g.agg.load(agg);
}

/**
 * Whether a group is forgotten at this watermark: no window open, nothing new for a whole
 * timespan of stream time, and its newest match more than a timespan behind. Decided from the
 * group alone, so a sweep (which frees memory) and a lookup (which starts the group afresh)
 * agree, and an engine holding part of the groups decides as one holding all of them.
 */
export function idle(g: Group, watermark: number, ts: number): boolean {
  return !g.open && g.touched <= watermark - ts && g.latest < watermark - ts;
}

export function reset(g: Group): void {
  g.agg.clear();
  g.ids.clear();
  g.idsDropped = false;
  g.levelRank = -1;
  g.open = false;
}

function findCycle(runtimes: readonly Runtime[], children: ReadonlyMap<Runtime, readonly Runtime[]>): Runtime[] | undefined {
  const state = new Map<Runtime, 'visiting' | 'done'>();
  const path: Runtime[] = [];
  const visit = (rt: Runtime): Runtime[] | undefined => {
    if (state.get(rt) === 'done') return undefined;
    if (state.get(rt) === 'visiting') return [...path.slice(path.indexOf(rt)), rt];
    state.set(rt, 'visiting');
    path.push(rt);
    for (const child of children.get(rt) ?? []) {
      const cycle = visit(child);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(rt, 'done');
    return undefined;
  };
  for (const rt of runtimes) {
    const cycle = visit(rt);
    if (cycle) return cycle;
  }
  return undefined;
}
