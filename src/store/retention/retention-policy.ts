/**
 * Which events retention deletes (docs/history.md): `retention` in vigil.yaml as a list of
 * deletions, one per rule, each with the rules that outrank it as exceptions.
 *
 * Precedence: an event is governed by the most specific rule that matches it, where a tenant
 * outweighs a source kind, which outweighs a format (weights 4, 2, 1: `tenant+format` beats
 * `sourceKind+format`). Two rules of equal weight name the same keys, so they cannot both match
 * one event (the config refuses exact duplicates). `defaultDays` is the rule of weight 0. A
 * rule of 0 days keeps its events forever, also from less specific rules: it still appears as
 * an exception to them.
 */
import type { VigilConfig } from '../../core/config.js';
import type { RetentionRequest, RetentionSelector } from '../../core/history.js';

const DAY_MS = 86_400_000;

export interface RetentionRule extends RetentionSelector {
  readonly days: number;
}

export type RetentionPolicy = VigilConfig['retention'];

function weight(rule: RetentionSelector): number {
  return (rule.tenant === undefined ? 0 : 4) + (rule.sourceKind === undefined ? 0 : 2) + (rule.format === undefined ? 0 : 1);
}

/** `tenant=acme,sourceKind=file`, or `default`. */
export function ruleName(rule: RetentionSelector): string {
  const parts = (['tenant', 'sourceKind', 'format'] as const).filter((k) => rule[k] !== undefined).map((k) => `${k}=${String(rule[k])}`);
  return parts.length === 0 ? 'default' : parts.join(',');
}

function selectorOf(rule: RetentionSelector): RetentionSelector {
  return {
    ...(rule.tenant === undefined ? {} : { tenant: rule.tenant }),
    ...(rule.sourceKind === undefined ? {} : { sourceKind: rule.sourceKind }),
    ...(rule.format === undefined ? {} : { format: rule.format }),
  };
}

/** The deletions due at `now`: one per rule that keeps events for a limited time. */
export function retentionRequests(policy: RetentionPolicy, now: number): RetentionRequest[] {
  const rules: RetentionRule[] = [{ days: policy.defaultDays }, ...policy.rules];
  const requests: RetentionRequest[] = [];
  for (const rule of rules) {
    if (rule.days === 0) continue;
    const outranking = rules.filter((other) => weight(other) > weight(rule)).map(selectorOf);
    requests.push({ rule: ruleName(rule), selector: selectorOf(rule), except: outranking, cutoff: now - rule.days * DAY_MS, now });
  }
  return requests;
}

/** The rule that governs an event with these attributes (for docs, tests and `vigil retention`). */
export function governingRule(policy: RetentionPolicy, event: { tenant: string; sourceKind: string; format: string }): RetentionRule {
  const matching = policy.rules.filter(
    (r) => (r.tenant === undefined || r.tenant === event.tenant) && (r.sourceKind === undefined || r.sourceKind === event.sourceKind) && (r.format === undefined || r.format === event.format),
  );
  return matching.sort((a, b) => weight(b) - weight(a))[0] ?? { days: policy.defaultDays };
}
