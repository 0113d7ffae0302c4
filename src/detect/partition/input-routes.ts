/**
 * Where a base-rule match goes in partitioned detection: which stateful targets read it, by
 * which key, and which of its fields they need. Decided once per rule set.
 *
 * Targets:
 * - A correlation family: the correlations linked by chaining (one referencing another's
 *   hits) share a target, because a chained hit must reach its outer correlation's window.
 *   A correlation nobody chains is a family of one. The key is the group-by of the family's
 *   outermost correlation, followed down the chain: the outer group of "bursts for two users
 *   from one source" (group-by source.ip) over "three failures for one user from one source"
 *   (group-by source.ip, user.name) is keyed by source.ip, so every inner group that feeds one
 *   outer group is on the same partition. A family where that cannot be followed (an inner
 *   correlation feeding two outer ones, an outer group-by the inner hit does not carry, one
 *   base rule reaching the root by paths that disagree) is not split: key ''.
 * - A behaviour rule: keyed by its group-by values, as BehaviourEngine groups them.
 *
 * A correlation over several rules (temporal, value_count over two rules…) resolves its
 * group-by per source rule (aliases), so all its inputs for one group have one key and meet
 * on one partition.
 */
import { createHash } from 'node:crypto';
import type { BehaviourRule } from '../behaviour/behaviour-rule.js';
import { resolveByIdAndName } from '../correlate/correlation-engine.js';
import type { CorrelationRule } from '../correlate/correlation-rule.js';
import { baseSubscriptions, linkRuntimes, Runtime, type Subscription } from '../correlate/correlation-runtime.js';
import type { RuleSet } from '../sigma/rule-loader.js';
import type { RuleMeta } from '../sigma/sigma-types.js';

export interface InputRoute {
  readonly kind: 'correlation' | 'behaviour';
  /** `c:<family id>` or `b:<behaviour rule id>`. */
  readonly target: string;
  /** Fields whose values, joined, make the partition key; [] for a target not split by key. */
  readonly keyFields: readonly string[];
  /** Fields the target's engine reads from the match. */
  readonly carry: readonly string[];
}

/** A correlation family: the rules its engine is built from, in rule-set order. */
export interface CorrelationFamily {
  readonly target: string;
  readonly rules: readonly CorrelationRule[];
  /** Whether its inputs are spread by key (false: the whole family on one partition). */
  readonly keyed: boolean;
  /** Changes whenever one of its rules changes: windows are only restored into the same rules. */
  readonly fingerprint: string;
}

export class InputRoutes {
  readonly families: ReadonlyMap<string, CorrelationFamily>;
  readonly behaviours: ReadonlyMap<string, BehaviourRule>;
  readonly #byRule = new Map<string, readonly InputRoute[]>();
  readonly #byObject = new WeakMap<RuleMeta, readonly InputRoute[]>();
  readonly #correlationRoutes: (rule: RuleMeta) => InputRoute[];

  constructor(readonly ruleSet: RuleSet) {
    const runtimes = ruleSet.correlations.map((rule) => new Runtime(rule, 1));
    // DetectionRun has already refused a set with unknown or looping references.
    const { baseTargets } = linkRuntimes(runtimes, resolveByIdAndName, undefined);
    const familyOf = familiesOf(runtimes);
    const members = new Map<Runtime, Runtime[]>();
    for (const rt of runtimes) {
      const root = familyOf.get(rt)!;
      members.set(root, [...(members.get(root) ?? []), rt]);
    }
    const targetOf = (rt: Runtime): string => `c:${rootOf(members.get(familyOf.get(rt)!)!).rule.id}`;

    // Key fields per (base rule, family), and whether every family can be keyed.
    const keyedFamily = new Map<string, boolean>();
    const plans = new Map<string, Map<string, { keyFields: readonly string[] | undefined; carry: Set<string> }>>();
    for (const base of ruleSet.rules) {
      const perFamily = new Map<string, { keyFields: readonly string[] | undefined; carry: Set<string> }>();
      for (const sub of baseSubscriptions(resolveByIdAndName(base.meta), baseTargets)) {
        const target = targetOf(sub.rt);
        const fields = rootKeyFields(sub);
        const plan = perFamily.get(target);
        if (!plan) perFamily.set(target, { keyFields: fields, carry: new Set([...sub.groupFields, ...sub.valueFields]) });
        else {
          if (!sameList(plan.keyFields, fields)) plan.keyFields = undefined;
          for (const f of [...sub.groupFields, ...sub.valueFields]) plan.carry.add(f);
        }
      }
      for (const [target, plan] of perFamily) if (plan.keyFields === undefined) keyedFamily.set(target, false);
      plans.set(base.meta.id + '\u0000' + (base.meta.name ?? ''), perFamily);
    }

    const families = new Map<string, CorrelationFamily>();
    for (const group of members.values()) {
      const target = targetOf(group[0]!);
      const rules = group.map((rt) => rt.rule);
      const keyed = (keyedFamily.get(target) ?? true) && group.every((rt) => rt.parents.length <= 1);
      families.set(target, { target, rules, keyed, fingerprint: fingerprintOf(rules) });
    }
    this.families = families;
    this.behaviours = new Map(ruleSet.behaviours.map((b) => [`b:${b.id}`, b]));

    this.#correlationRoutes = (rule) => {
      const perFamily = plans.get(rule.id + '\u0000' + (rule.name ?? ''));
      if (!perFamily) {
        // A rule object not of this set (never in practice): route it as the engine would.
        return baseSubscriptions(resolveByIdAndName(rule), baseTargets).map((sub) => ({
          kind: 'correlation' as const, target: targetOf(sub.rt), keyFields: [], carry: [...sub.groupFields, ...sub.valueFields],
        }));
      }
      return [...perFamily].map(([target, plan]) => ({
        kind: 'correlation' as const,
        target,
        keyFields: families.get(target)!.keyed ? plan.keyFields! : [],
        carry: [...plan.carry],
      }));
    };
  }

  /** The stateful targets a match of this base rule feeds (cached per rule). */
  of(rule: RuleMeta): readonly InputRoute[] {
    let routes = this.#byObject.get(rule);
    if (routes) return routes;
    const cacheKey = rule.id + '\u0000' + (rule.name ?? '');
    routes = this.#byRule.get(cacheKey);
    if (!routes) {
      routes = [...this.#correlationRoutes(rule), ...this.#behaviourRoutes(rule)];
      this.#byRule.set(cacheKey, routes);
    }
    this.#byObject.set(rule, routes);
    return routes;
  }

  #behaviourRoutes(rule: RuleMeta): InputRoute[] {
    const refs = resolveByIdAndName(rule);
    const out: InputRoute[] = [];
    for (const [target, b] of this.behaviours) {
      if (!b.behaviour.rules.some((r) => refs.includes(r))) continue;
      out.push({ kind: 'behaviour', target, keyFields: b.behaviour.groupBy, carry: [...new Set([...b.behaviour.groupBy, ...behaviourFields(b)])] });
    }
    return out;
  }
}

/** The fields a behaviour rule reads besides its group-by. */
function behaviourFields(b: BehaviourRule): string[] {
  const spec = b.behaviour;
  switch (spec.type) {
    case 'first_seen':
    case 'rare':
      return [...spec.field];
    case 'impossible_travel':
      return [spec.latitude, spec.longitude, ...spec.place];
    case 'periodic':
      return spec.size === undefined ? [] : [spec.size];
    default:
      return [];
  }
}

/** Connected components of the chaining graph, each named by one member (union-find). */
function familiesOf(runtimes: readonly Runtime[]): Map<Runtime, Runtime> {
  const parent = new Map<Runtime, Runtime>(runtimes.map((rt) => [rt, rt]));
  const find = (rt: Runtime): Runtime => {
    let r = rt;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(rt, r);
    return r;
  };
  for (const rt of runtimes) for (const sub of rt.parents) parent.set(find(rt), find(sub.rt));
  return new Map(runtimes.map((rt) => [rt, find(rt)]));
}

/** The family's outermost correlation (the first without parents, in rule-set order). */
function rootOf(group: readonly Runtime[]): Runtime {
  return group.find((rt) => rt.parents.length === 0) ?? group[0]!;
}

/**
 * The base-event fields that make the root correlation's group, for a base subscription:
 * each level up the chain reads, by group-by name, values of the hit below it. Undefined when
 * a level has several parents or reads a name the hit below does not carry.
 */
function rootKeyFields(sub: Subscription): readonly string[] | undefined {
  let rt = sub.rt;
  let fields: readonly string[] = sub.groupFields;
  for (;;) {
    if (rt.parents.length === 0) return fields;
    if (rt.parents.length > 1) return undefined;
    const up = rt.parents[0]!;
    const names = rt.rule.correlation.groupBy;
    const next: string[] = [];
    for (const name of up.groupFields) {
      const i = names.indexOf(name);
      if (i < 0) return undefined;
      next.push(fields[i]!);
    }
    fields = next;
    rt = up.rt;
  }
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function fingerprintOf(rules: readonly CorrelationRule[]): string {
  const text = JSON.stringify(
    rules.map((r) => [r.id, r.name, r.level, r.generate, r.title, r.correlation]),
    (_key, value: unknown) => (value instanceof Map ? [...value] : value),
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
