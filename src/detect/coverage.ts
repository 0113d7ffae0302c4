/**
 * Detection coverage of one installation: which enabled rules can fire on the data it has
 * actually stored, which of its sources no rule looks at, and which ATT&CK techniques the rules
 * that can fire cover. A rule "cannot fire" when no stored event belongs to its log source, or
 * when the events of its log source never have the fields its condition needs (judged on field
 * presence, see rule-fields.ts: a rule that can fire by presence may still never match).
 *
 * The data side is the store's profile (`Store.profileEvents`): one entry per shape of event
 * (format, source kind, field names, and the values the log-source mappings test), so the answer
 * costs one grouped scan, not a pass of every rule over every event.
 */
import { createEvent, type Event, type Fields } from '../core/event.js';
import type { EventShape, Store } from '../core/store.js';
import type { LogsourceMap } from './sigma/logsource-map.js';
import type { RuleSet } from './sigma/rule-loader.js';
import type { CompiledRule } from './sigma/sigma-types.js';

export interface CoverageRuleRef {
  readonly id: string;
  readonly title: string;
  readonly author: string;
  readonly level: string;
  readonly file: string | undefined;
}

export interface RuleThatCannotFire extends CoverageRuleRef {
  readonly kind: 'rule' | 'correlation' | 'behaviour';
  /** `product/category/service`, or undefined when Vigil has no mapping for it. */
  readonly logsource: string | undefined;
  readonly reason: 'no-mapping' | 'log-source-never-seen' | 'fields-never-seen' | 'inputs-cannot-fire';
  /** For fields-never-seen: the fields the rule tests that no event of its log source has. */
  readonly missing?: readonly string[];
}

export interface UncoveredSource {
  readonly format: string;
  readonly sourceKind: string;
  /** The Sigma log sources these events belong to (most specific first); empty: none. */
  readonly logsources: readonly string[];
  readonly events: number;
  readonly shapes: number;
  readonly exampleFields: readonly string[];
}

export interface TechniqueCoverage {
  /** `T1110`, `T1110.001`. */
  readonly technique: string;
  /** Rules, correlations and behaviour rules that can fire and are tagged with it. */
  readonly rules: number;
  readonly tactics: readonly string[];
}

export interface CoverageReport {
  readonly events: number;
  readonly shapes: number;
  readonly enabled: { readonly rules: number; readonly correlations: number; readonly behaviours: number };
  readonly canFire: { readonly rules: number; readonly correlations: number; readonly behaviours: number };
  readonly cannotFire: readonly RuleThatCannotFire[];
  readonly uncoveredSources: readonly UncoveredSource[];
  readonly techniques: readonly TechniqueCoverage[];
  /** Techniques only rules that cannot fire here are tagged with. */
  readonly techniquesNotCovered: readonly string[];
}

interface RoutedShape {
  readonly shape: EventShape;
  readonly keys: ReadonlySet<string>;
  has(field: string, key: string): boolean;
}

const TECHNIQUE = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;
const TACTICS = new Set([
  'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion',
  'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact',
]);

/** Coverage of a tenant's stored data: the store's profile, then `computeCoverage`. */
export async function coverageOf(store: Pick<Store, 'profileEvents'>, tenant: string, ruleSet: RuleSet, routing: LogsourceMap): Promise<CoverageReport> {
  return computeCoverage(ruleSet, routing, await store.profileEvents(tenant, routing.conditionFields()));
}

export function computeCoverage(ruleSet: RuleSet, routing: LogsourceMap, shapes: readonly EventShape[]): CoverageReport {
  const routed = shapes.map((shape) => routeShape(shape, routing));
  const canFire = new Set<string>();
  const cannotFire: RuleThatCannotFire[] = [];

  for (const rule of ruleSet.rules) {
    const problem = whyRuleCannotFire(rule, routing, routed);
    const key = routing.ruleKey(rule.meta.logsource);
    if (problem === undefined) {
      canFire.add(rule.meta.id);
      if (rule.meta.name !== undefined) canFire.add(rule.meta.name);
    } else cannotFire.push({ kind: 'rule', ...refOf(rule.meta), logsource: key, ...problem });
  }

  // Correlations can reference correlations: settle them until nothing changes.
  const pending = new Set(ruleSet.correlations);
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of pending) {
      const refs = c.correlation.rules;
      const all = c.correlation.type === 'temporal' || c.correlation.type === 'temporal_ordered';
      if (all ? refs.every((r) => canFire.has(r)) : refs.some((r) => canFire.has(r))) {
        canFire.add(c.id);
        if (c.name !== undefined) canFire.add(c.name);
        pending.delete(c);
        changed = true;
      }
    }
  }
  for (const c of pending) cannotFire.push({ kind: 'correlation', ...refOf({ ...c, level: c.level ?? 'medium' }), logsource: undefined, reason: 'inputs-cannot-fire', missing: c.correlation.rules.filter((r) => !canFire.has(r)) });

  let behavioursThatFire = 0;
  for (const b of ruleSet.behaviours) {
    if (b.behaviour.rules.some((r) => canFire.has(r))) {
      canFire.add(b.id);
      behavioursThatFire++;
    } else cannotFire.push({ kind: 'behaviour', ...refOf(b), logsource: undefined, reason: 'inputs-cannot-fire', missing: [...b.behaviour.rules] });
  }

  const techniques = new Map<string, { rules: number; tactics: Set<string> }>();
  const notCovered = new Set<string>();
  const everything = [
    ...ruleSet.rules.map((r) => ({ id: r.meta.id, tags: r.meta.tags })),
    ...ruleSet.correlations.map((c) => ({ id: c.id, tags: c.tags })),
    ...ruleSet.behaviours.map((b) => ({ id: b.id, tags: b.tags })),
  ];
  for (const { id, tags } of everything) {
    const tactics = tags.map((t) => t.toLowerCase().replace(/^attack\./, '').replace(/_/g, '-')).filter((t) => TACTICS.has(t));
    for (const tag of tags) {
      const m = TECHNIQUE.exec(tag);
      if (!m) continue;
      const technique = m[1]!.toUpperCase();
      if (!canFire.has(id)) {
        notCovered.add(technique);
        continue;
      }
      const entry = techniques.get(technique) ?? { rules: 0, tactics: new Set<string>() };
      entry.rules++;
      for (const t of tactics) entry.tactics.add(t);
      techniques.set(technique, entry);
    }
  }
  for (const t of techniques.keys()) notCovered.delete(t);

  return {
    events: shapes.reduce((n, s) => n + s.count, 0),
    shapes: shapes.length,
    enabled: { rules: ruleSet.rules.length, correlations: ruleSet.correlations.length, behaviours: ruleSet.behaviours.length },
    canFire: {
      rules: ruleSet.rules.length - cannotFire.filter((c) => c.kind === 'rule').length,
      correlations: ruleSet.correlations.length - pending.size,
      behaviours: behavioursThatFire,
    },
    cannotFire,
    uncoveredSources: uncovered(routed, ruleSet.rules, routing),
    techniques: [...techniques].map(([technique, e]) => ({ technique, rules: e.rules, tactics: [...e.tactics].sort() })).sort((a, b) => (a.technique < b.technique ? -1 : 1)),
    techniquesNotCovered: [...notCovered].sort(),
  };
}

function refOf(meta: { id: string; title: string; author: string; level: string; file?: string | undefined }): CoverageRuleRef {
  return { id: meta.id, title: meta.title, author: meta.author, level: meta.level, file: meta.file };
}

function whyRuleCannotFire(rule: CompiledRule, routing: LogsourceMap, shapes: readonly RoutedShape[]): Pick<RuleThatCannotFire, 'reason' | 'missing'> | undefined {
  const key = routing.ruleKey(rule.meta.logsource);
  if (key === undefined) return { reason: 'no-mapping' };
  const mine = shapes.filter((s) => s.keys.has(key));
  if (mine.length === 0) return { reason: 'log-source-never-seen' };
  if (mine.some((s) => rule.needs.canMatch((f) => s.has(f, key)))) return undefined;
  return { reason: 'fields-never-seen', missing: rule.needs.fields.filter((f) => !mine.some((s) => s.has(f, key))) };
}

/** The log sources of a shape, from a stand-in event with its fields and deciding values. */
function routeShape(shape: EventShape, routing: LogsourceMap): RoutedShape {
  const fields: Fields = {};
  for (const f of shape.fields) fields[f] = 'x';
  for (const [f, v] of Object.entries(shape.values)) if (v !== null) fields[f] = deciding(v);
  const event: Event = createEvent({ tenant: 'coverage', received: shape.last, time: shape.last, source: { input: 'coverage', kind: shape.sourceKind as Event['source']['kind'] }, format: shape.format as Event['format'], original: '', fields });
  const sources = routing.sourcesOf(event);
  const present = new Set(shape.fields);
  const renames = new Map(sources.map((s) => [s.key, s.renames]));
  return {
    shape,
    keys: new Set(sources.map((s) => s.key)),
    has(field: string, key: string): boolean {
      if (present.has(field)) return true;
      const from = renames.get(key)?.get(field);
      return from !== undefined && from.some((src) => present.has(typeof src === 'string' ? src : src.field));
    },
  };
}

/** A value as the store gives it back (text) in the type the mappings compare: numbers, lists of texts. */
function deciding(v: string): Fields[string] {
  if (/^-?\d+$/.test(v)) return Number(v);
  if (v.startsWith('[')) {
    try {
      const list = JSON.parse(v) as unknown;
      if (Array.isArray(list) && list.every((x) => typeof x === 'string')) return list as string[];
    } catch {
      // Not a list after all: compared as text.
    }
  }
  return v;
}

/**
 * Shapes no enabled rule can match by field presence: events some log source has, but no rule
 * of it tests fields they carry (a product-wide rule reading `event.action` does not cover
 * kernel messages that have none).
 */
function uncovered(shapes: readonly RoutedShape[], rules: readonly CompiledRule[], routing: LogsourceMap): UncoveredSource[] {
  const keyed = rules.map((rule) => ({ rule, key: routing.ruleKey(rule.meta.logsource) })).filter((r): r is { rule: CompiledRule; key: string } => r.key !== undefined);
  const groups = new Map<string, { format: string; sourceKind: string; logsources: string[]; events: number; shapes: number; exampleFields: readonly string[] }>();
  for (const s of shapes) {
    if (keyed.some(({ rule, key }) => s.keys.has(key) && rule.needs.canMatch((f) => s.has(f, key)))) continue;
    const logsources = [...s.keys].sort((a, b) => specificity(b) - specificity(a) || (a < b ? -1 : 1));
    const id = JSON.stringify([s.shape.format, s.shape.sourceKind, logsources[0] ?? '']);
    const g = groups.get(id) ?? { format: s.shape.format, sourceKind: s.shape.sourceKind, logsources, events: 0, shapes: 0, exampleFields: s.shape.fields.slice(0, 12) };
    g.events += s.shape.count;
    g.shapes++;
    groups.set(id, g);
  }
  return [...groups.values()].sort((a, b) => b.events - a.events);
}

function specificity(key: string): number {
  return key.split('/').filter((p) => p !== '*').length;
}
