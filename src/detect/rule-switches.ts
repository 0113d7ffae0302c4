/**
 * Disabled rules, per tenant. Detection still runs every rule (a correlation may reference a
 * disabled rule, as Sigma's `generate: false` rules are referenced), but a disabled rule's own
 * detections are dropped before they become alerts, and counted.
 */
import type { AlertRecord } from '../core/store.js';
import type { RuleState } from '../core/rule-state.js';

export class RuleSwitches {
  readonly #disabled = new Set<string>();

  constructor(states: readonly RuleState[] = []) {
    for (const s of states) this.set(s.tenant, s.ruleId, s.enabled);
  }

  set(tenant: string, ruleId: string, enabled: boolean): void {
    const key = keyOf(tenant, ruleId);
    if (enabled) this.#disabled.delete(key);
    else this.#disabled.add(key);
  }

  enabled(tenant: string, ruleId: string): boolean {
    return !this.#disabled.has(keyOf(tenant, ruleId));
  }

  /** The alerts whose rule is enabled for their tenant, and how many were dropped. */
  filter(alerts: readonly AlertRecord[]): { kept: readonly AlertRecord[]; dropped: number } {
    if (this.#disabled.size === 0) return { kept: alerts, dropped: 0 };
    const kept = alerts.filter((a) => this.enabled(a.tenant, a.ruleId));
    return { kept, dropped: alerts.length - kept.length };
  }
}

function keyOf(tenant: string, ruleId: string): string {
  return `${tenant}\u0000${ruleId}`;
}
