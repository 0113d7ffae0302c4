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

export type Detection = RuleDetection | CorrelationDetection;

export interface DetectionOptions {
  /** Groups kept per correlation and tenant. */
  readonly maxGroupsPerRule?: number;
}

export class DetectionRun {
  readonly engine: SigmaEngine;
  readonly #correlations = new Map<string, CorrelationEngine>();

  constructor(
    readonly ruleSet: RuleSet,
    routing: LogsourceRouting,
    private readonly options: DetectionOptions = {},
  ) {
    this.engine = new SigmaEngine(ruleSet.rules, routing);
    // Built once now, so a correlation that names a missing rule fails at load, not at the first event.
    if (ruleSet.correlations.length > 0) this.#correlationsOf('');
  }

  /** What one event sets off. Never throws for an event's content. */
  process(event: Event): Detection[] {
    const matches = this.engine.match(event);
    if (matches.length === 0) return [];
    const out: Detection[] = [];
    const correlations = this.ruleSet.correlations.length > 0 ? this.#correlationsOf(event.tenant) : undefined;
    for (const m of matches) {
      if (!correlations || !correlations.suppressesBaseAlerts(m.rule)) {
        out.push({ kind: 'rule', rule: m.rule, event, time: event.time, eventIds: [event.id] });
      }
      if (correlations) for (const hit of correlations.observe(correlationMatch(m.rule, m.view))) out.push(correlationDetection(hit, event.tenant));
    }
    return out;
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

function correlationDetection(hit: CorrelationHit, tenant: string): CorrelationDetection {
  return { kind: 'correlation', rule: hit.rule, hit, tenant, time: hit.windowEnd, eventIds: hit.eventIds };
}
