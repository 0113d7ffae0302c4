/**
 * The seams of the Sigma engine: what a compiled rule reads (a `RuleEvent`), what it is
 * (`CompiledRule`), and what matching produces (`SigmaMatch`). The compiler, the log-source
 * mappings, the correlation engine and the live/scan drivers meet only here.
 */
import type { RuleFieldNeeds } from './rule-fields.js';
import type { Event, FieldValue } from '../../core/event.js';

export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type SigmaStatus = 'stable' | 'test' | 'experimental' | 'deprecated' | 'unsupported';

export interface SigmaLogsource {
  readonly product?: string | undefined;
  readonly category?: string | undefined;
  readonly service?: string | undefined;
}

/** What a rule says about itself; every alert and output carries it (Detection Rule License). */
export interface RuleMeta {
  readonly id: string;
  readonly name?: string | undefined;
  readonly title: string;
  readonly level: SigmaLevel;
  readonly status?: SigmaStatus | undefined;
  /** Required in every view of a match by the DRL; empty string when the rule names none. */
  readonly author: string;
  readonly description?: string | undefined;
  readonly tags: readonly string[];
  readonly references: readonly string[];
  readonly falsepositives: readonly string[];
  readonly logsource: SigmaLogsource;
  /** Fields the rule suggests showing (`fields:`). */
  readonly fields: readonly string[];
  /** Where it was loaded from. */
  readonly file?: string | undefined;
}

/**
 * One event as rules see it: field values by the names the rules use (the log-source mapping
 * has already put Sysmon names on a Security 4688 event, and so on). Lower-casing is done once
 * per event and field, however many rules read it.
 */
export interface RuleEvent {
  readonly event: Event;
  /** Value of a field, or undefined when the event has none. Arrays: any element may match. */
  value(field: string): FieldValue | undefined;
  /** The value as text, lower-cased (numbers and booleans as written; arrays element-wise). */
  lowered(field: string): string | readonly string[] | undefined;
  /** Every string value of the event and its original text, lower-cased: for keyword searches. */
  keywordTexts(): readonly string[];
}

export interface CompiledRule {
  readonly meta: RuleMeta;
  /** True when the event satisfies the rule's condition. Never throws. */
  matches(event: RuleEvent): boolean;
  /**
   * A necessary condition for a match, for the candidate index: the rule can only match when at
   * least one of these lower-cased literals occurs (as a substring) in the lowered value of its
   * field (`field` undefined: in any of `keywordTexts()`). Empty: no such guarantee, so the rule
   * is checked on every event of its log source.
   */
  readonly witnesses: readonly Witness[];
  /** The fields the rule tests, and whether it can match on events with a given set of fields. */
  readonly needs: RuleFieldNeeds;
}

export interface Witness {
  readonly field: string | undefined;
  readonly literal: string;
}

/** A rule that matched one event. */
export interface SigmaMatch {
  readonly rule: RuleMeta;
  readonly event: Event;
  /** The event as the rule read it (its log source's field names): correlations read it too. */
  readonly view: RuleEvent;
}
