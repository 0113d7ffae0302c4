/**
 * The store seam. The embedded default is DuckDB (`src/store/duckdb`); the scale-out back end
 * (ClickHouse for events, PostgreSQL for alerts, tokens and configuration) implements the same
 * interface, and both must pass `src/store/store.suite.ts`.
 */
import type { Event } from './event.js';
import type { SearchRequest } from './query.js';

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

export type Role = 'ingest' | 'analyst' | 'admin';

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

/** A stored alert. The alert lifecycle (triage, cases) is its own issue; this is the table's seam. */
export interface AlertRecord {
  readonly id: string;
  readonly tenant: string;
  readonly created: number;
  readonly ruleId: string;
  readonly ruleTitle: string;
  readonly ruleAuthor: string;
  readonly level: string;
  readonly eventIds: readonly string[];
  readonly state: 'open' | 'acknowledged' | 'closed';
  readonly details: Record<string, unknown>;
}

export interface AlertStore {
  appendAlerts(alerts: readonly AlertRecord[]): Promise<void>;
  listAlerts(tenant: string, limit: number): Promise<readonly AlertRecord[]>;
}

/**
 * What a detector that looks back needs of the store: search stored events and record alerts
 * (threat-intelligence retro-matching). Every `Store` is one.
 */
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

export interface Store extends TokenStore, AlertStore {
  /**
   * Appends events atomically; when a checkpoint is given it is written in the same
   * transaction. Resolves once the store has committed.
   */
  appendEvents(batch: readonly Event[], checkpoint?: Checkpoint): Promise<void>;
  readCheckpoint(consumer: string): Promise<Checkpoint | undefined>;
  search(request: SearchRequest): Promise<SearchResult>;
  countEvents(tenant: string): Promise<number>;
  /** The distinct shapes of the tenant's events (see EventShape), with the values of `valueFields`. */
  profileEvents(tenant: string, valueFields: readonly string[]): Promise<readonly EventShape[]>;
  close(): Promise<void>;
}
