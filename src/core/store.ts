/**
 * The store seam. The embedded default is DuckDB (`src/store/duckdb`); the scale-out back end
 * (ClickHouse for events, PostgreSQL for alerts, tokens and configuration) implements the same
 * interface, and both must pass `src/store/store.suite.ts`.
 */
import type { Alert, AlertBatch, AlertChange, AlertFilter, AlertGroup, AlertState, Case, RuleDay, Suppression } from './alert.js';
import type { Event } from './event.js';
import type { ChainReport, RetentionRequest, RetentionRun } from './history.js';
import type { AggregateRequest, SearchRequest, TableResult } from './query.js';
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

export interface Store extends TokenStore, AlertStore, UserStore, SessionStore, AuditStore {
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
