/**
 * The store seam. The embedded default is DuckDB (`src/store/duckdb`); the scale-out back end
 * (ClickHouse for events, PostgreSQL for alerts, tokens and configuration) implements the same
 * interface, and both must pass `src/store/store.suite.ts`.
 */
import type { Alert, AlertBatch, AlertChange, AlertFilter, AlertGroup, AlertState, Case, RuleDay, Suppression } from './alert.js';
import type { Event } from './event.js';
import type { ChainReport, RetentionRequest, RetentionRun } from './history.js';
import type { AggregateRequest, SearchRequest, TableResult } from './query.js';
import type { RuleStateStore } from './rule-state.js';
import type { SessionStore, UserStore } from './accounts.js';
import type { AuditStore } from './audit.js';

/**
 * Where a consumer of the event log has got to. Stored in the same transaction as the events
 * it covers, so a restart replays exactly what was not yet stored: no loss, no duplicates.
 */
export interface Checkpoint {
  readonly consumer: string;
  /** Opaque to the store; the bus defines it. */
  readonly position: string;
}

export interface SearchHit {
  readonly event: Event;
}

export interface SearchResult {
  readonly hits: readonly Event[];
  /** Events matching in the time range, or a lower bound when `totalIsLowerBound`. */
  readonly total: number;
  readonly tookMs: number;
}

/** What a token may be: ingest (send events only), analyst, admin. */
export type TokenRole = 'ingest' | 'analyst' | 'admin';
/** What a console user may be: viewer (read only), analyst (read and triage), admin. */
export type UserRole = 'viewer' | 'analyst' | 'admin';
export const USER_ROLES: readonly UserRole[] = ['viewer', 'analyst', 'admin'];
/** A caller's role, from its token or its user account. */
export type Role = TokenRole | UserRole;

export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly tenant: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  readonly hash: string;
  readonly created: number;
  readonly revoked: boolean;
}

export interface TokenStore {
  createToken(record: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<readonly TokenRecord[]>;
  revokeToken(id: string): Promise<boolean>;
}

/**
 * What a detector raises: one detection as an alert, before the intake (src/alerts) groups,
 * suppresses or throttles it. Stored, it becomes an `Alert` (alert.ts) with its lifecycle.
 */
export interface AlertRecord {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly level: string;
  readonly eventIds: readonly string[];
  /** `new` when raised; the stored alert's state after triage. */
  readonly state: AlertState;
  readonly details: Record<string, unknown>;
}

export interface AlertStore {
  /** Stores detections as alerts of their own (count 1, no grouping). */
  appendAlerts(alerts: readonly AlertRecord[]): Promise<void>;
  /** The tenant's alerts, most recently active first. */
  listAlerts(tenant: string, limit: number, filter?: AlertFilter): Promise<readonly Alert[]>;
  getAlert(tenant: string, id: string): Promise<Alert | undefined>;
  /** The intake's inserts, merges and counters, in one transaction. */
  applyAlertBatch(batch: AlertBatch): Promise<void>;
  /** Applies a triage change and appends its history entries; undefined when there is no such alert. */
  updateAlert(tenant: string, id: string, change: AlertChange): Promise<Alert | undefined>;
  /** Alerts not closed whose last detection is at or after `since`, for the intake's grouping index. */
  openAlertGroups(since: number): Promise<readonly AlertGroup[]>;
  saveSuppression(suppression: Suppression): Promise<void>;
  listSuppressions(tenant: string): Promise<readonly Suppression[]>;
  deleteSuppression(tenant: string, id: string): Promise<boolean>;
  /** Every tenant's suppressions that have not expired at `now`: what the intake applies. */
  activeSuppressions(now: number): Promise<readonly Suppression[]>;
  /** Inserts or replaces a case (the whole record). */
  saveCase(c: Case): Promise<void>;
  getCase(tenant: string, id: string): Promise<Case | undefined>;
  /** The tenant's cases, most recently updated first. */
  listCases(tenant: string, limit: number): Promise<readonly Case[]>;
  /** Per-rule daily counts from `fromDay` on (days since 1970-01-01 UTC); all tenants when tenant is undefined. */
  ruleDays(tenant: string | undefined, fromDay: number): Promise<readonly RuleDay[]>;
  /** The tenant's alerts over a time range, summed up for the console's overview (see AlertSummary). */
  alertSummary(request: AlertSummaryRequest): Promise<AlertSummary>;
}

/**
 * What a detector that looks back needs of the store: search stored events and record alerts
 * (threat-intelligence retro-matching). Every `Store` is one.
 */
export interface ScanRequest {
  readonly tenant: string;
  /** Inclusive lower bound on event time, epoch ms. */
  readonly from?: number | undefined;
  /** Exclusive upper bound on event time, epoch ms. */
  readonly to?: number | undefined;
  /** Where the previous page ended. */
  readonly cursor?: string | undefined;
  /** Events per page, at most 10,000. */
  readonly limit: number;
}

export interface ScanPage {
  readonly events: readonly Event[];
  readonly cursor: string | undefined;
}

export interface EventHistory {
  search(request: SearchRequest): Promise<SearchResult>;
  appendAlerts(alerts: readonly AlertRecord[]): Promise<void>;
}

/**
 * One kind of event as stored: its format, source kind and set of field names, with how many
 * events have it. `vigil coverage` compares rules with these.
 */
export interface EventShape {
  readonly format: string;
  readonly sourceKind: string;
  /** The field names, sorted. */
  readonly fields: readonly string[];
  /** Values of the requested fields (text; null when absent): what decides an event's log sources. */
  readonly values: Readonly<Record<string, string | null>>;
  readonly count: number;
  /** Event time of the oldest and newest event of the shape, epoch ms. */
  readonly first: number;
  readonly last: number;
}

export interface AlertSummaryRequest {
  readonly tenant: string;
  /** Alerts created in [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Width of a time bucket of `byLevel`; buckets are aligned to the epoch. */
  readonly bucketMs: number;
  readonly topRules: number;
  readonly topEntities: number;
}

export interface AlertSummary {
  /** Alerts created per bucket (its start, epoch ms) and level; buckets without alerts are absent. */
  readonly byLevel: readonly { readonly time: number; readonly level: string; readonly alerts: number }[];
  /** The rules with the most alerts created in the range, most first (ties by rule id). */
  readonly topRules: readonly {
    readonly ruleId: string;
    readonly ruleTitle: string;
    readonly ruleAuthor: string;
    /** The level of the rule's latest alert. */
    readonly level: string;
    readonly alerts: number;
    /** Detections grouped into those alerts. */
    readonly detections: number;
  }[];
  /**
   * Entity values (`details.entities`) named by the most alerts created in the range, most first.
   * Values group case-insensitively and show one spelling.
   */
  readonly topEntities: readonly { readonly field: string; readonly value: string; readonly alerts: number }[];
  /** Alerts not closed, whenever created. */
  readonly open: number;
}

export interface SourceActivityRequest {
  readonly tenant: string;
  /** Events received at or after this count for `lastEvent`, epoch ms. */
  readonly lookbackFrom: number;
  /** Events received at or after this count in `events`, `unparsed` and the hosts' figures. */
  readonly windowFrom: number;
  /** Events received at or after this count in `recentEvents` and `recentUnparsed`. */
  readonly recentFrom: number;
  /** Hosts listed per source, most events first; 0 skips finding them. */
  readonly hostsPerSource: number;
}

/** One input and source kind of a tenant, from its stored events (receive times). */
export interface SourceActivity {
  readonly input: string;
  readonly kind: string;
  /** Latest receive time since `lookbackFrom`, epoch ms. */
  readonly lastEvent: number;
  /** Since `windowFrom`: events, those flagged unparsed, and the earliest receive time (null: none). */
  readonly events: number;
  readonly unparsed: number;
  readonly firstInWindow: number | null;
  /** Since `recentFrom`. */
  readonly recentEvents: number;
  readonly recentUnparsed: number;
  /**
   * Who sent through it since `windowFrom`: `host.name` (lower-cased, as stored for search), else
   * the sender's address without its port (never a file path).
   */
  readonly hosts: readonly { readonly host: string; readonly lastEvent: number; readonly events: number }[];
}

/**
 * What the scale-out deployment keeps in PostgreSQL (docs/scaling.md): tokens, alerts,
 * suppressions, cases, rule states, users, sessions and the audit log. The embedded store
 * implements it together with EventStore in one DuckDB file.
 */
export interface StateStore extends TokenStore, AlertStore, RuleStateStore, UserStore, SessionStore, AuditStore {
  close(): Promise<void>;
}

/**
 * What the scale-out deployment keeps in ClickHouse: the events, their chain and retention,
 * and the consumer checkpoints written with them.
 */
export interface EventStore {
  /**
   * Appends events atomically; when a checkpoint is given it is written in the same
   * transaction. Resolves once the store has committed.
   */
  appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void>;
  readCheckpoint(consumer: string): Promise<Checkpoint | undefined>;
  search(request: SearchRequest): Promise<SearchResult>;
  /** The pipes of a query (`| stats`, `| timechart`, `| top`) over the matching events, as a table. */
  aggregate(request: AggregateRequest): Promise<TableResult>;
  countEvents(tenant: string): Promise<number>;
  /** The tenant's events with these ids (an alert's events), in the order of `ids`; missing ids are left out. At most 1,000 ids. */
  eventsByIds(tenant: string, ids: readonly string[]): Promise<readonly Event[]>;
  /**
   * The tenant's events in the order they were stored (the order live detection saw them), one
   * page at a time: pass the returned cursor to continue; undefined when there is no more.
   * Retro-hunts read history with it, so a rule meets events in the same order as it did live.
   */
  scanEvents(request: ScanRequest): Promise<ScanPage>;
  /**
   * How often a value of an entity field occurs in the tenant's events, and when first and last
   * (alert enrichment: first-seen and prevalence); undefined when the store does not index the field.
   */
  entityStats(tenant: string, field: string, value: string): Promise<{ readonly events: number; readonly first: number; readonly last: number } | undefined>;
  /** The distinct shapes of the tenant's events (see EventShape), with the values of `valueFields`. */
  profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]>;
  /** What each input of the tenant has sent lately, and from which hosts (the console's sources page). */
  sourceActivity(request: SourceActivityRequest): Promise<readonly SourceActivity[]>;
  /**
   * Checks the whole event chain (docs/history.md): every event against its digest, every batch
   * against its events and the previous batch, every checkpoint and retention run against its
   * signature. Reads page by page, so it runs in bounded memory on any size of store.
   */
  verifyChain(): Promise<ChainReport>;
  /**
   * Deletes the events a retention rule has let expire and records the run (with a tombstone per
   * deleted chained event), in one transaction, so `verifyChain` still passes afterwards.
   */
  enforceRetention(request: RetentionRequest): Promise<RetentionRun>;
  /** Recorded retention runs, newest first. */
  listRetentionRuns(limit: number): Promise<readonly RetentionRun[]>;
  close(): Promise<void>;
}

/** Everything Vigil stores: one DuckDB file embedded; ClickHouse + PostgreSQL scaled out. */
export interface Store extends StateStore, EventStore {
  close(): Promise<void>;
}
