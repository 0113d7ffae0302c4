/**
 * Turns what the Sigma matcher has in hand (the rule's `RuleMeta` and the `RuleEvent` it read)
 * into the `CorrelationMatch` the correlation engine reads, so correlations see fields under
 * the same names as the rules they correlate.
 */
import type { FieldValue } from '../../core/event.js';
import type { RuleEvent, RuleMeta } from '../sigma/sigma-types.js';
import type { CorrelationMatch } from './correlation-engine.js';

export function correlationMatch(rule: RuleMeta, event: RuleEvent): CorrelationMatch {
  return {
    rule,
    time: event.event.time,
    eventId: event.event.id,
    field: (name) => scalar(event.value(name)),
  };
}

/**
 * A field value as a group key or aggregate input: texts and numbers as they are, booleans as
 * `true`/`false`, null as missing, a list as its elements joined with commas (so two events
 * group together only when their whole lists are equal).
 */
export function scalar(value: FieldValue | undefined): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return String(value);
  return value.map((v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
}
