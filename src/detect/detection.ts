/**
 * One detection pass over a stream of events: the Sigma engine finds the rules each event
 * matches, and their matches feed the correlation rules. What comes out is a `Detection`: a
 * rule match or a correlation hit, each carrying the rule's id, title, level and author (the
 * Detection Rule License asks for the author wherever a match is shown). Live detection,
 * `vigil scan` and `vigil rules test` all use this, so a rule gives the same hits everywhere.
 *
 * Correlation state is kept per tenant: two tenants' events never fall in one group.
 */
import type { Event } from '../core/event.js';
import { BehaviourEngine, type BehaviourHit, type BehaviourMeta, type BehaviourSnapshot } from './behaviour/behaviour-engine.js';
import { CorrelationEngine, type CorrelationHit } from './correlate/correlation-engine.js';
import { correlationMatch } from './correlate/correlation-input.js';
import type { RuleSet } from './sigma/rule-loader.js';
import { SigmaEngine, type LogsourceRouting } from './sigma/sigma-engine.js';
import type { RuleMeta, SigmaLevel } from './sigma/sigma-types.js';

export interface RuleDetection {
  readonly kind: 'rule';
  readonly rule: RuleMeta;
  readonly event: Event;
  readonly time: number;
  readonly eventIds: readonly string[];
}

export interface CorrelationDetection {
  readonly kind: 'correlation';
  readonly rule: CorrelationHit['rule'] & { readonly level: SigmaLevel };
  readonly hit: CorrelationHit;
  readonly tenant: string;
  /** The window's end: when the correlation became true. */
  readonly time: number;
  readonly eventIds: readonly string[];
}

/** A behaviour rule's hit: a value new or rare for its group, an unusual hour, impossible travel… */
export interface BehaviourDetection {
  readonly kind: 'behaviour';
  readonly rule: BehaviourMeta;
  readonly hit: BehaviourHit;
  readonly tenant: string;
  readonly time: number;
  readonly eventIds: readonly string[];
}

export type Detection = RuleDetection | CorrelationDetection | BehaviourDetection;

/** Learned behaviour state per tenant, as `DetectionRun.behaviourSnapshot()` returns it. */
export type BehaviourState = Record<string, BehaviourSnapshot>;

export interface DetectionOptions {
  /** Groups kept per correlation and tenant. */
  readonly maxGroupsPerRule?: number;
  /** Learned behaviour baselines to start from (a snapshot of an earlier run). */
  readonly behaviourState?: BehaviourState | undefined;
}

export class DetectionRun {
  readonly engine: SigmaEngine;
  readonly #correlations = new Map<string, CorrelationEngine>();
  readonly #behaviours = new Map<string, BehaviourEngine>();
  readonly #ownAlerts = new Map<string, boolean>();

  constructor(
    readonly ruleSet: RuleSet,
    routing: LogsourceRouting,
    private readonly options: DetectionOptions = {},
  ) {
    this.engine = new SigmaEngine(ruleSet.rules, routing);
    // Built once now, so a correlation that names a missing rule fails at load, not at the first event.
    if (ruleSet.correlations.length > 0) this.#correlationsOf('');
    if (ruleSet.behaviours.length > 0) checkBehaviourReferences(ruleSet);
    for (const [tenant, snapshot] of Object.entries(options.behaviourState ?? {})) if (ruleSet.behaviours.length > 0) this.#behavioursOf(tenant).restore(snapshot);
  }

  /** What one event sets off. Never throws for an event's content. */
  process(event: Event): Detection[] {
    const matches = this.engine.match(event);
    if (matches.length === 0) return [];
    const out: Detection[] = [];
    const correlations = this.ruleSet.correlations.length > 0 ? this.#correlationsOf(event.tenant) : undefined;
    const behaviours = this.ruleSet.behaviours.length > 0 ? this.#behavioursOf(event.tenant) : undefined;
    for (const m of matches) {
      if (this.#alertsOnItsOwn(m.rule, correlations)) {
        out.push({ kind: 'rule', rule: m.rule, event, time: event.time, eventIds: [event.id] });
      }
      if (!correlations && !behaviours) continue;
      const input = correlationMatch(m.rule, m.view);
      if (correlations) for (const hit of correlations.observe(input)) out.push(correlationDetection(hit, event.tenant));
      if (behaviours) for (const hit of behaviours.observe(input)) out.push({ kind: 'behaviour', rule: hit.rule, hit, tenant: event.tenant, time: hit.time, eventIds: hit.eventIds });
    }
    return out;
  }

  /** What the behaviour rules have learned, per tenant: to save, and to restore after a restart or reload. */
  behaviourSnapshot(): BehaviourState {
    const out: BehaviourState = {};
    for (const [tenant, engine] of this.#behaviours) out[tenant] = engine.snapshot();
    return out;
  }

  /** Whether a match of this rule becomes an alert of its own (false when it only feeds correlations or behaviour rules). */
  raisesOnItsOwn(rule: RuleMeta): boolean {
    return this.#alertsOnItsOwn(rule, this.ruleSet.correlations.length > 0 ? this.#correlationsOf('') : undefined);
  }

  /**
   * A base rule referenced by correlations or behaviour rules only feeds them (as Sigma's
   * `generate` says), unless one of those has `generate: true`: "Change Outside the Change
   * Window" observes the change alerts without silencing them.
   */
  #alertsOnItsOwn(rule: RuleMeta, correlations: CorrelationEngine | undefined): boolean {
    let answer = this.#ownAlerts.get(rule.id);
    if (answer === undefined) {
      const policies = [correlations?.baseAlertPolicy(rule) ?? 'unreferenced', this.#behaviourPolicy(rule)];
      answer = policies.includes('generate') || !policies.includes('suppress');
      this.#ownAlerts.set(rule.id, answer);
    }
    return answer;
  }

  #behaviourPolicy(rule: RuleMeta): 'unreferenced' | 'suppress' | 'generate' {
    const refs = rule.name === undefined ? [rule.id] : [rule.id, rule.name];
    const referencing = this.ruleSet.behaviours.filter((b) => b.behaviour.rules.some((r) => refs.includes(r)));
    if (referencing.length === 0) return 'unreferenced';
    return referencing.some((b) => b.generate) ? 'generate' : 'suppress';
  }

  #behavioursOf(tenant: string): BehaviourEngine {
    let engine = this.#behaviours.get(tenant);
    if (!engine) {
      engine = new BehaviourEngine(this.ruleSet.behaviours);
      this.#behaviours.set(tenant, engine);
    }
    return engine;
  }

  /** Closes open correlation windows (end of a file scan, shutdown). */
  flush(): Detection[] {
    const out: Detection[] = [];
    for (const [tenant, engine] of this.#correlations) if (tenant !== '') for (const hit of engine.flush()) out.push(correlationDetection(hit, tenant));
    return out;
  }

  #correlationsOf(tenant: string): CorrelationEngine {
    let engine = this.#correlations.get(tenant);
    if (!engine) {
      engine = new CorrelationEngine(this.ruleSet.correlations, undefined, {
        baseRules: this.ruleSet.rules.map((r) => r.meta),
        ...(this.options.maxGroupsPerRule === undefined ? {} : { maxGroupsPerRule: this.options.maxGroupsPerRule }),
      });
      this.#correlations.set(tenant, engine);
    }
    return engine;
  }
}

/** A behaviour rule that names a rule not loaded would never fire: refuse the set, as for correlations. */
function checkBehaviourReferences(ruleSet: RuleSet): void {
  const known = new Set<string>();
  for (const r of ruleSet.rules) {
    known.add(r.meta.id);
    if (r.meta.name !== undefined) known.add(r.meta.name);
  }
  for (const b of ruleSet.behaviours) {
    const missing = b.behaviour.rules.filter((ref) => !known.has(ref));
    if (missing.length > 0) throw new Error(`behaviour rule "${b.title}" (${b.file ?? b.id}): behaviour.rules names ${missing.join(', ')}, which no loaded detection rule has as id or name`);
  }
}

function correlationDetection(hit: CorrelationHit, tenant: string): CorrelationDetection {
  return { kind: 'correlation', rule: hit.rule, hit, tenant, time: hit.windowEnd, eventIds: hit.eventIds };
}
