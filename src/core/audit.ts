/**
 * The audit trail: who did what, when, from where, and whether it worked. Analyst and admin
 * actions (logins, searches, exports, triage, changes to rules, suppressions, playbooks, users
 * and tokens) are recorded by the API, one entry per action, and kept in the store.
 */

export const AUDIT_ACTIONS = [
  'login',
  'login-failed',
  'logout',
  'password-change',
  'search',
  'export',
  'alert-triage',
  'case-create',
  'case-update',
  'suppression-create',
  'suppression-delete',
  'rule-enable',
  'rule-disable',
  'rule-import',
  'rule-hunt',
  'response-approve',
  'response-reject',
  'token-create',
  'token-revoke',
  'user-create',
  'user-update',
  'user-delete',
  'user-password-reset',
  'retention-run',
  'audit-export',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  readonly id: string;
  readonly time: number;
  readonly tenant: string;
  /** The username, or the token's name. */
  readonly actor: string;
  readonly actorKind: 'user' | 'token';
  readonly role: string;
  readonly action: AuditAction;
  /** What the action was on (an alert id, a rule id, a user name); null when nothing in particular. */
  readonly target: string | null;
  readonly outcome: 'success' | 'failure';
  /** The client's address as the listener saw it. */
  readonly remote: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A page of a tenant's audit trail, newest first. */
export interface AuditQuery {
  readonly tenant: string;
  readonly limit: number;
  /** Entries strictly older than this time (epoch ms), or, with `beforeId`, older than (before, beforeId). */
  readonly before?: number | undefined;
  /** The id of the last entry of the previous page (ties on time are ordered by id). */
  readonly beforeId?: string | undefined;
  readonly action?: AuditAction | undefined;
  /** Exact actor name. */
  readonly actor?: string | undefined;
}

export interface AuditStore {
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  listAudit(query: AuditQuery): Promise<readonly AuditEntry[]>;
}
