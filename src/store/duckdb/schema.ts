/**
 * The DuckDB schema and its migrations.
 *
 * Choices, measured on 1M realistic syslog events (bench/search-bench.ts; CPU ms per 1M rows
 * on the 2-core dev VM, 2 DuckDB threads):
 * - `time` and `received` are BIGINT epoch ms: the event model's own unit, no conversion on
 *   write or read, and DuckDB's per-row-group min/max (zone maps) prune a time range just as
 *   well as on TIMESTAMP, because events arrive mostly in time order.
 * - No index on `events`: an ART index on 1M+ UUIDs costs memory and slows appends, and
 *   searches are scans anyway. Duplicates are prevented upstream by the checkpoint written in
 *   the same transaction as the events.
 * - Hot ECS fields are promoted to VARCHAR[] columns holding every value lower-cased (one
 *   element for a plain value, one per element for an array): a field filter is then
 *   `list_contains` (~60 ms) instead of a JSON parse (~900-1200 ms). A plain VARCHAR compare
 *   is ~30 ms, but arrays then need a JSON fallback in the same expression, which DuckDB
 *   evaluates for every row (~650 ms); lists keep one code path that is always fast.
 *   The display value stays in `fields`.
 * - `message` holds `fields.message` when it is a string, and is then left out of the `fields`
 *   JSON (one copy instead of two). A message of another type stays in the JSON, which keeps
 *   its type, and the column holds its text (numbers as written, arrays as JSON).
 * - `search_text` is the lower-cased original (JSON escapes decoded), plus the message when the
 *   original does not hold it (src/store/sql/search-text.ts). Free text is `contains()` on one
 *   pre-lowered column (~300 ms CPU, ~150 ms wall), against ~500 ms for a case-insensitive regex
 *   on `original` and ~1100 ms for ILIKE. The cost is one more copy of the text (kept
 *   uncompressed since schema v5, for scan speed).
 */

import { BIGINT, INTEGER, LIST, VARCHAR, type DuckDBType } from '@duckdb/node-api';
import { PROMOTED_FIELDS } from '../sql/promoted-fields.js';

export const SCHEMA_VERSION = 7;

export { PROMOTED_FIELDS, PROMOTED_BY_FIELD, type PromotedField } from '../sql/promoted-fields.js';

/**
 * Columns of `events` in table order, with their types. Rows are appended by position
 * (event-rows.ts), so this list and the DDL below must agree; the store checks it against the
 * live table on open.
 */
export const EVENT_COLUMNS: ReadonlyArray<{ readonly name: string; readonly type: DuckDBType }> = [
  { name: 'id', type: VARCHAR },
  { name: 'tenant', type: VARCHAR },
  { name: 'time', type: BIGINT },
  { name: 'received', type: BIGINT },
  { name: 'source_input', type: VARCHAR },
  { name: 'source_kind', type: VARCHAR },
  { name: 'source_address', type: VARCHAR },
  { name: 'format', type: VARCHAR },
  { name: 'flags', type: LIST(VARCHAR) },
  { name: 'original', type: VARCHAR },
  { name: 'message', type: VARCHAR },
  { name: 'search_text', type: VARCHAR },
  { name: 'fields', type: VARCHAR },
  ...PROMOTED_FIELDS.map((p) => ({ name: p.column, type: LIST(VARCHAR) })),
  // Tamper evidence (v4, docs/history.md): added by ALTER TABLE, so after the promoted columns.
  { name: 'batch_seq', type: BIGINT },
  { name: 'batch_pos', type: INTEGER },
  { name: 'digest', type: VARCHAR },
];

/** The columns an event's digest covers: every stored column of the event, in table order. */
export const DIGEST_COLUMNS: readonly string[] = EVENT_COLUMNS.slice(0, EVENT_COLUMNS.findIndex((c) => c.name === 'batch_seq')).map((c) => c.name);

/** Columns a search reads to rebuild an Event. */
export const HIT_COLUMNS = 'id, tenant, time, received, source_input, source_kind, source_address, format, flags, original, message, fields';

export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

/** Append-only: a released migration is never edited, a new one is added. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE events (
        id VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        time BIGINT NOT NULL,
        received BIGINT NOT NULL,
        source_input VARCHAR NOT NULL,
        source_kind VARCHAR NOT NULL,
        source_address VARCHAR,
        format VARCHAR NOT NULL,
        flags VARCHAR[],
        original VARCHAR NOT NULL,
        message VARCHAR,
        search_text VARCHAR NOT NULL,
        fields VARCHAR NOT NULL,
        host_name VARCHAR[],
        user_name VARCHAR[],
        source_ip VARCHAR[],
        destination_ip VARCHAR[],
        event_action VARCHAR[],
        event_outcome VARCHAR[],
        process_name VARCHAR[],
        event_category VARCHAR[],
        event_type VARCHAR[]
      )`,
      `CREATE TABLE alerts (
        id VARCHAR PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        created BIGINT NOT NULL,
        rule_id VARCHAR NOT NULL,
        rule_title VARCHAR NOT NULL,
        rule_author VARCHAR NOT NULL,
        level VARCHAR NOT NULL,
        event_ids VARCHAR[] NOT NULL,
        state VARCHAR NOT NULL,
        details VARCHAR NOT NULL
      )`,
      `CREATE TABLE tokens (
        id VARCHAR PRIMARY KEY,
        name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        hash VARCHAR NOT NULL UNIQUE,
        created BIGINT NOT NULL,
        revoked BOOLEAN NOT NULL DEFAULT false
      )`,
      `CREATE TABLE checkpoints (
        consumer VARCHAR PRIMARY KEY,
        position VARCHAR NOT NULL
      )`,
    ],
  },
  {
    // Alert lifecycle: grouping, triage and history; suppressions; per-rule daily counts.
    version: 2,
    statements: [
      `ALTER TABLE alerts ADD COLUMN count BIGINT DEFAULT 1`,
      `ALTER TABLE alerts ADD COLUMN first_seen BIGINT`,
      `ALTER TABLE alerts ADD COLUMN last_seen BIGINT`,
      `ALTER TABLE alerts ADD COLUMN updated BIGINT`,
      `ALTER TABLE alerts ADD COLUMN group_key VARCHAR DEFAULT ''`,
      `ALTER TABLE alerts ADD COLUMN assignee VARCHAR`,
      `ALTER TABLE alerts ADD COLUMN verdict VARCHAR`,
      `ALTER TABLE alerts ADD COLUMN history VARCHAR DEFAULT '[]'`,
      `UPDATE alerts SET state = 'new' WHERE state = 'open'`,
      `UPDATE alerts SET first_seen = created, last_seen = created, updated = created WHERE first_seen IS NULL`,
      `CREATE TABLE suppressions (
        id VARCHAR PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        created BIGINT NOT NULL,
        author VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        rule_id VARCHAR,
        fields VARCHAR NOT NULL,
        expires BIGINT,
        hits BIGINT NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE rule_days (
        tenant VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        day BIGINT NOT NULL,
        raised BIGINT NOT NULL DEFAULT 0,
        grouped BIGINT NOT NULL DEFAULT 0,
        suppressed BIGINT NOT NULL DEFAULT 0,
        throttled BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, rule_id, day)
      )`,
    ],
  },
  {
    // Cases: few and small, so the whole record is one JSON column beside what lists sort by.
    version: 3,
    statements: [
      `CREATE TABLE cases (
        id VARCHAR PRIMARY KEY,
        tenant VARCHAR NOT NULL,
        updated BIGINT NOT NULL,
        record VARCHAR NOT NULL
      )`,
    ],
  },
  {
    // Tamper evidence and retention (docs/history.md). Events stored before this version keep
    // NULL chain columns: they are counted as unchained legacy events, not as tampering, and
    // how many there were is recorded here so that rows added later without a chain show up.
    version: 4,
    statements: [
      `ALTER TABLE events ADD COLUMN batch_seq BIGINT`,
      `ALTER TABLE events ADD COLUMN batch_pos INTEGER`,
      `ALTER TABLE events ADD COLUMN digest VARCHAR`,
      `CREATE TABLE event_batches (
        seq BIGINT PRIMARY KEY,
        count INTEGER NOT NULL,
        first_time BIGINT NOT NULL,
        last_time BIGINT NOT NULL,
        created BIGINT NOT NULL,
        events_hash VARCHAR NOT NULL,
        prev_hash VARCHAR NOT NULL,
        hash VARCHAR NOT NULL
      )`,
      `CREATE TABLE chain_checkpoints (
        seq BIGINT PRIMARY KEY,
        hash VARCHAR NOT NULL,
        signed_at BIGINT NOT NULL,
        signature VARCHAR
      )`,
      `CREATE TABLE chain_legacy (
        events BIGINT NOT NULL,
        recorded BIGINT NOT NULL
      )`,
      `INSERT INTO chain_legacy SELECT count(*), epoch_ms(now()) FROM events`,
      `CREATE TABLE retention_runs (
        id VARCHAR PRIMARY KEY,
        rule VARCHAR NOT NULL,
        selector VARCHAR NOT NULL,
        cutoff BIGINT NOT NULL,
        started BIGINT NOT NULL,
        finished BIGINT NOT NULL,
        deleted BIGINT NOT NULL,
        legacy_deleted BIGINT NOT NULL,
        tombstones_hash VARCHAR NOT NULL,
        signature VARCHAR
      )`,
      `CREATE TABLE event_tombstones (
        batch_seq BIGINT NOT NULL,
        batch_pos INTEGER NOT NULL,
        id VARCHAR NOT NULL,
        digest VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL
      )`,
    ],
  },
  {
    // Compression of the text columns (bench/history-bench.ts, docs/history.md). DuckDB leaves a
    // string column uncompressed when a row group holds strings it cannot dictionary- or
    // FSST-encode (long JSON originals, e.g. Windows events, are enough), so on mixed logs the
    // big text columns were stored raw: 2.5 KB per event, 5.9x the raw input, on 10M events.
    // ZSTD (DuckDB storage v1.4, set in duckdb-open.ts) compresses `original` and `fields`
    // whatever they hold. `search_text` stays uncompressed on purpose: free text scans all of it,
    // and on 1M events a scan took ~145 ms uncompressed against ~210 ms with ZSTD and ~190 ms
    // with DICT_FSST, the difference between meeting and missing 2 s on 10M events.
    // The table is rebuilt in stored order (rowid), so scans, retro-hunts and the chain see the
    // same order.
    version: 5,
    statements: [
      `CREATE TABLE events_v5 (
        id VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        time BIGINT NOT NULL,
        received BIGINT NOT NULL,
        source_input VARCHAR NOT NULL,
        source_kind VARCHAR NOT NULL,
        source_address VARCHAR,
        format VARCHAR NOT NULL,
        flags VARCHAR[],
        original VARCHAR USING COMPRESSION zstd NOT NULL,
        message VARCHAR,
        search_text VARCHAR USING COMPRESSION uncompressed NOT NULL,
        fields VARCHAR USING COMPRESSION zstd NOT NULL,
        host_name VARCHAR[],
        user_name VARCHAR[],
        source_ip VARCHAR[],
        destination_ip VARCHAR[],
        event_action VARCHAR[],
        event_outcome VARCHAR[],
        process_name VARCHAR[],
        event_category VARCHAR[],
        event_type VARCHAR[],
        batch_seq BIGINT,
        batch_pos INTEGER,
        digest VARCHAR
      )`,
      `INSERT INTO events_v5 SELECT * FROM events ORDER BY rowid`,
      `DROP TABLE events`,
      `ALTER TABLE events_v5 RENAME TO events`,
    ],
  },
  {
    // Console accounts (docs/accounts.md): users with a password hash, sessions by the hash of
    // their id, and the audit trail. Few rows, read by key; the audit log is read newest first
    // per tenant, a scan that stays small next to the events table.
    version: 6,
    statements: [
      `CREATE TABLE users (
        id VARCHAR PRIMARY KEY,
        username VARCHAR NOT NULL UNIQUE,
        role VARCHAR NOT NULL,
        tenant VARCHAR NOT NULL,
        password_hash VARCHAR NOT NULL,
        must_change_password BOOLEAN NOT NULL,
        created BIGINT NOT NULL,
        last_login BIGINT,
        disabled BOOLEAN NOT NULL DEFAULT false
      )`,
      `CREATE TABLE sessions (
        id_hash VARCHAR PRIMARY KEY,
        user_id VARCHAR NOT NULL,
        created BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        expires BIGINT NOT NULL,
        remote VARCHAR
      )`,
      `CREATE TABLE audit_log (
        id VARCHAR NOT NULL,
        time BIGINT NOT NULL,
        tenant VARCHAR NOT NULL,
        actor VARCHAR NOT NULL,
        actor_kind VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        target VARCHAR,
        outcome VARCHAR NOT NULL,
        remote VARCHAR,
        details VARCHAR NOT NULL
      )`,
    ],
  },
  {
    // Rules switched on or off per tenant (the console's rules page, POST /api/v1/rules/:id/disable).
    version: 7,
    statements: [
      `CREATE TABLE rule_states (
        tenant VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        enabled BOOLEAN NOT NULL,
        changed BIGINT NOT NULL,
        changed_by VARCHAR NOT NULL,
        PRIMARY KEY (tenant, rule_id)
      )`,
    ],
  },
];

export const SCHEMA_VERSION_DDL = `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER NOT NULL,
  applied BIGINT NOT NULL
)`;
