/**
 * Alerts as people triage them. A detector raises an `AlertRecord` (store.ts); the alert intake
 * (src/alerts) groups repeated detections into one `Alert`, drops suppressed ones and throttles
 * rules over their budget; analysts then move it through its states to a verdict.
 */
import type { AlertRecord } from './store.js';

export const ALERT_STATES = ['new', 'acknowledged', 'in_progress', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_VERDICTS = ['true_positive', 'false_positive', 'benign'] as const;
export type AlertVerdict = (typeof ALERT_VERDICTS)[number];

/** One line of an alert's history: who did what, when. */
export interface AlertHistoryEntry {
  readonly at: number;
  /** The token name of the analyst, or `vigil` for the system. */
  readonly by: string;
  readonly action: 'created' | 'state' | 'assign' | 'comment';
  readonly from?: string | null | undefined;
  readonly to?: string | null | undefined;
  readonly verdict?: AlertVerdict | undefined;
  readonly text?: string | undefined;
}

export interface Alert extends AlertRecord {
  readonly state: AlertState;
  /** Detections grouped into this alert (1 when it stands alone). */
  readonly count: number;
  /** Event time of the first and latest grouped detection, epoch ms. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Last change by anyone, epoch ms. */
  readonly updated: number;
  /** Rule and entities: detections with the same key within the grouping window join this alert. */
  readonly groupKey: string;
  readonly assignee: string | null;
  readonly verdict: AlertVerdict | null;
  readonly history: readonly AlertHistoryEntry[];
}

/**
 * A suppression: detections of a rule (or of any rule) whose entities or details have all the
 * given values raise nothing until it expires. Every suppression has a reason and an author.
 */
export interface Suppression {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly author: string;
  readonly reason: string;
  /** Undefined: every rule. */
  readonly ruleId?: string | undefined;
  /** Field (an entity such as `source.ip`, or a detail such as `indicator.value`) → value; all must match. */
  readonly fields: Readonly<Record<string, string>>;
  /** Epoch ms; undefined: until deleted. */
  readonly expires?: number | undefined;
  /** Detections it has suppressed. */
  readonly hits: number;
}

/** What happened to one rule's detections on one day (UTC), for budgets and feedback. */
export interface RuleDay {
  readonly tenant: string;
  readonly ruleId: string;
  /** Days since 1970-01-01 (UTC). */
  readonly day: number;
  /** New alerts raised. */
  readonly raised: number;
  /** Detections added to an alert already open. */
  readonly grouped: number;
  readonly suppressed: number;
  /** Detections dropped because the rule had used its daily budget. */
  readonly throttled: number;
}

/** One intake batch, written in one transaction. */
export interface AlertBatch {
  readonly inserts: readonly Alert[];
  readonly merges: readonly { readonly tenant: string; readonly id: string; readonly add: number; readonly lastSeen: number; readonly eventIds: readonly string[] }[];
  /** Counts to add, per tenant, rule and day. */
  readonly days: readonly RuleDay[];
  readonly suppressionHits: readonly { readonly tenant: string; readonly id: string; readonly add: number }[];
  /**
   * Ids of the partitioned detections this batch decides (scale-out detect role), recorded in
   * the same transaction so a detection delivered again is recognised (PostgreSQL state store;
   * the embedded stores ignore them: they never see partitioned detections).
   */
  readonly deliveries?: readonly string[] | undefined;
}

export interface AlertChange {
  readonly state?: AlertState | undefined;
  readonly assignee?: string | null | undefined;
  readonly verdict?: AlertVerdict | null | undefined;
  readonly updated: number;
  /** Appended to the history in the same write. */
  readonly entries: readonly AlertHistoryEntry[];
}

/** The alert after `change`: what every state store writes back, in the same transaction it read it. */
export function withChange(alert: Alert, change: AlertChange): Alert {
  return {
    ...alert,
    ...(change.state === undefined ? {} : { state: change.state }),
    ...(change.assignee === undefined ? {} : { assignee: change.assignee }),
    ...(change.verdict === undefined ? {} : { verdict: change.verdict }),
    updated: change.updated,
    history: [...alert.history, ...change.entries],
  };
}

/** Which alerts a listing returns; every given part must hold. Stores filter in their query. */
export interface AlertFilter {
  readonly state?: AlertState | 'open' | undefined;
  readonly ruleId?: string | undefined;
  /** Any of these levels. */
  readonly levels?: readonly string[] | undefined;
  /** Case-insensitive text in the rule's title or id. */
  readonly text?: string | undefined;
  /** Assigned to this name (exactly); null: assigned to nobody. */
  readonly assignee?: string | null | undefined;
  /** Active at or after this time: last detection at or after it, epoch ms. */
  readonly from?: number | undefined;
  /** Active before this time: first detection before it, epoch ms. */
  readonly to?: number | undefined;
}

/** An open alert's group, for the intake's index after a restart. */
export interface AlertGroup {
  readonly tenant: string;
  readonly groupKey: string;
  readonly id: string;
  readonly lastSeen: number;
  readonly eventIds: number;
}

export const DAY_MS = 86_400_000;

export function dayOf(time: number): number {
  return Math.floor(time / DAY_MS);
}

/** A detection as a stored alert of its own, before any grouping. */
export function alertOf(record: AlertRecord): Alert {
  if ('history' in record) return record as Alert;
  const time = typeof record.details['time'] === 'string' ? Date.parse(record.details['time']) : NaN;
  const seen = Number.isFinite(time) ? time : record.created;
  return {
    ...record,
    count: 1,
    firstSeen: seen,
    lastSeen: seen,
    updated: record.created,
    groupKey: '',
    assignee: null,
    verdict: null,
    history: [{ at: record.created, by: 'vigil', action: 'created' }],
  };
}

export const CASE_STATUSES = ['open', 'investigating', 'contained', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface CaseNote {
  readonly at: number;
  readonly by: string;
  readonly text: string;
}

/** An incident: alerts grouped by an analyst, with notes and a status. */
export interface Case {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly updated: number;
  readonly title: string;
  readonly status: CaseStatus;
  readonly owner: string | null;
  readonly alertIds: readonly string[];
  readonly notes: readonly CaseNote[];
  /** Who changed what: created, alerts added, status changes. */
  readonly history: readonly AlertHistoryEntry[];
}
