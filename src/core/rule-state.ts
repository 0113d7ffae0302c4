/**
 * Whether a rule raises alerts for a tenant. Rules are enabled unless switched off; the switch is
 * kept in the store (configuration, PostgreSQL in the scale-out), not in the rule file, so a rule
 * folder can be replaced or reloaded without losing what analysts decided.
 */
export interface RuleState {
  readonly tenant: string;
  readonly ruleId: string;
  readonly enabled: boolean;
  /** When it was last switched, epoch ms. */
  readonly changed: number;
  /** Who switched it (a user name or a token's name). */
  readonly changedBy: string;
}

export interface RuleStateStore {
  /** Every rule switched at some time in the tenant (enabled or not). */
  listRuleStates(tenant: string): Promise<readonly RuleState[]>;
  /** Every tenant's switches, for the detector at start. */
  listAllRuleStates(): Promise<readonly RuleState[]>;
  setRuleState(state: RuleState): Promise<void>;
}
