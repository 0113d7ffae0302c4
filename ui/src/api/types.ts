/**
 * The shapes the console reads from the API (docs/api.md). Written out here rather than imported
 * from src/ where the server's module brings Node types with it (core/alert.ts reaches
 * core/ids.ts and node:crypto through core/store.ts); taken from src/core where the module
 * imports nothing (the audit trail). Every field is read defensively where the server may leave
 * it out.
 */

export type Role = 'admin' | 'analyst' | 'viewer';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly tenant: string;
  readonly mustChangePassword: boolean;
  readonly created: number;
  readonly lastLogin: number | null;
  readonly disabled: boolean;
}

export interface SessionReply {
  readonly user: User;
  readonly csrfToken: string;
}

export type FieldValue = string | number | boolean | null | readonly FieldValue[];

export interface VigilEvent {
  readonly id: string;
  readonly tenant: string;
  readonly received: number;
  readonly time: number;
  readonly source: { readonly input: string; readonly kind: string; readonly address?: string };
  readonly format: string;
  readonly original: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly flags: readonly string[];
}

export const ALERT_STATES = ['new', 'acknowledged', 'in_progress', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const ALERT_VERDICTS = ['true_positive', 'false_positive', 'benign'] as const;
export type AlertVerdict = (typeof ALERT_VERDICTS)[number];
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;

export interface AlertHistoryEntry {
  readonly at: number;
  readonly by: string;
  readonly action: 'created' | 'state' | 'assign' | 'comment';
  readonly from?: string | null;
  readonly to?: string | null;
  readonly verdict?: AlertVerdict;
  readonly text?: string;
}

export interface Alert {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly level: string;
  readonly eventIds: readonly string[];
  readonly state: AlertState;
  readonly details: Readonly<Record<string, unknown>>;
  readonly count: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly updated: number;
  readonly groupKey: string;
  readonly assignee: string | null;
  readonly verdict: AlertVerdict | null;
  readonly history: readonly AlertHistoryEntry[];
}

export type TriageAction = 'ack' | 'start' | 'close' | 'reopen' | 'assign' | 'comment';

export interface TriageRequest {
  readonly action: TriageAction;
  readonly verdict?: AlertVerdict;
  readonly assignee?: string | null;
  readonly comment?: string;
}

export interface BulkTriageReply {
  readonly updated: readonly Alert[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

export const CASE_STATUSES = ['open', 'investigating', 'contained', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export interface Case {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly updated: number;
  readonly title: string;
  readonly status: CaseStatus;
  readonly owner: string | null;
  readonly alertIds: readonly string[];
  readonly notes: readonly { readonly at: number; readonly by: string; readonly text: string }[];
  readonly history: readonly AlertHistoryEntry[];
}

export interface CaseView {
  readonly case: Case;
  readonly alerts: readonly Alert[];
  readonly missing: readonly string[];
  readonly timeline: readonly { readonly at: number; readonly kind: string; readonly text: string; readonly by?: string; readonly alertId?: string }[];
  readonly observables: readonly { readonly field: string; readonly value: string; readonly alerts: number }[];
}

export interface EntityTimeline {
  readonly entity: { readonly field: string; readonly value: string };
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly events: number;
  readonly truncated: boolean;
  readonly items: readonly { readonly at: number; readonly kind: 'event' | 'alert'; readonly id: string; readonly summary: string; readonly level?: string }[];
  readonly related: readonly { readonly field: string; readonly value: string; readonly events: number }[];
}

/** `GET /api/v1/alerts/:id/events`. */
export interface AlertEventsResult {
  readonly events: readonly VigilEvent[];
  /** How many events the alert lists (more than `events` past the first 500). */
  readonly listed: number;
}

export interface EventsResult {
  readonly kind: 'events';
  readonly total: number;
  readonly tookMs: number;
  readonly hits: readonly VigilEvent[];
  readonly fields?: readonly string[];
}

export interface TableResult {
  readonly kind: 'table';
  readonly columns: readonly string[];
  readonly rows: readonly (readonly FieldValue[])[];
  readonly truncated: boolean;
  readonly tookMs: number;
}

export type SearchResult = EventsResult | TableResult;

export interface Suppression {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly author: string;
  readonly reason: string;
  readonly ruleId?: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly expires?: number;
  readonly hits: number;
}

export interface RuleFigures {
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly raised: number;
  readonly grouped: number;
  readonly suppressed: number;
  readonly throttled: number;
  readonly verdicts: { readonly true_positive: number; readonly false_positive: number; readonly benign: number };
  readonly falsePositiveRate: number | null;
  readonly medianTimeToTriageMs: number | null;
  readonly noisy: boolean;
  readonly suggestions: readonly { readonly ruleId: string; readonly field: string; readonly value: string; readonly falsePositives: number }[];
}

export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly author: string;
  readonly level: string;
  readonly status: string | null;
  readonly description: string | null;
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly falsepositives?: readonly string[];
  readonly logsource: Readonly<Record<string, unknown>> | null;
  readonly kind: 'sigma' | 'correlation' | 'behaviour' | string;
  readonly file: string | null;
  readonly builtin: boolean;
  readonly enabled: boolean;
  readonly figures: RuleFigures | null;
  /** `GET /api/v1/rules/:id` only: the text of the rule's file. */
  readonly source?: string | null;
}

export interface HuntReply {
  readonly rule: { readonly id: string; readonly title: string; readonly author: string; readonly level?: string };
  readonly matches: number;
  /** Alerts live detection would have raised, before grouping: 0 for a rule that only feeds correlations. */
  readonly alerts: number;
  readonly raisesOnItsOwn: boolean;
  /** What the rule would have raised (a correlation's windows, or one per matching event). */
  readonly detections?: readonly { readonly time: number; readonly eventIds: readonly string[]; readonly group?: Readonly<Record<string, string | number>> }[];
  readonly events: readonly VigilEvent[];
  readonly byHost: readonly { readonly host: string; readonly count: number }[];
  readonly scanned?: number;
  /** False when the hunt stopped at its time budget before the end of the range. */
  readonly complete?: boolean;
  readonly tookMs: number;
}

export interface ImportReply {
  readonly written?: readonly string[];
  readonly loaded: number | { readonly rules: number; readonly correlations: number; readonly behaviours: number; readonly filters: number };
  readonly failed: readonly { readonly file: string; readonly reason: string }[];
  readonly skipped: number | readonly { readonly file: string; readonly reason: string }[];
  readonly ignored?: readonly string[];
}

export interface Overview {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly eventRate: { readonly buckets: readonly number[]; readonly series: readonly { readonly source: string; readonly counts: readonly number[] }[] };
  readonly eventsPerSecond: readonly { readonly source: string; readonly rate: number }[];
  readonly alertsByLevel: { readonly buckets: readonly number[]; readonly series: readonly { readonly level: string; readonly counts: readonly number[] }[] };
  readonly topRules: readonly { readonly ruleId: string; readonly ruleTitle: string; readonly ruleAuthor: string; readonly level: string; readonly alerts: number }[];
  readonly topEntities: readonly { readonly field: string; readonly value: string; readonly score: number; readonly alerts: number }[];
  readonly silentSources: readonly { readonly source: string; readonly lastEvent: number | null; readonly expectedEverySeconds: number }[];
  readonly openAlerts: number;
}

export interface SourceHealth {
  readonly input: string;
  readonly kind: string;
  readonly listen: string | null;
  readonly status: 'ok' | 'silent' | 'failing' | 'idle' | string;
  readonly lastEvent: number | null;
  readonly ratePerSecond: number;
  readonly received: number;
  readonly stored: number;
  readonly parseFailed: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly hosts: readonly { readonly host: string; readonly lastEvent: number | null; readonly events24h: number }[];
  readonly events24h?: number;
  readonly parseFailed24h?: number;
  /** The cadence the source is judged silent against; null: not learnt yet. */
  readonly expectedEverySeconds?: number | null;
}

export interface ApiToken {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly tenant?: string;
  readonly created: number;
  readonly revoked: boolean;
}

export interface StepRecord {
  readonly step: string;
  readonly phase: 'do' | 'revert';
  readonly command?: readonly string[];
  readonly http?: { readonly method: string; readonly url: string };
  readonly at: number;
  readonly ok?: boolean;
  readonly exitCode?: number | null;
  readonly status?: number;
  readonly output?: string;
  readonly error?: string;
}

export interface ResponseRun {
  readonly id: string;
  readonly playbook: string;
  readonly alertId: string;
  readonly tenant: string;
  readonly ruleTitle: string;
  readonly created: number;
  readonly status: string;
  readonly reason?: string;
  readonly by?: string;
  readonly steps: readonly StepRecord[];
  readonly revertAt?: number;
}

// The audit trail's shapes come from the server's own module, which imports nothing.
export { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from '../../../src/core/audit.js';
