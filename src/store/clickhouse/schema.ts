/**
 * The ClickHouse schema of the event store and its migrations (docs/scaling.md, "ClickHouse
 * events"). Choices:
 * - `events` is a MergeTree partitioned by the day of the event time, ordered by
 *   (tenant, time, id): every search names one tenant and is read newest first, so the primary
 *   index confines it to the tenant's rows in the time range and `ORDER BY time DESC` reads in
 *   order. `id` last makes the order total (the searches' tie-break).
 * - The columns are DuckDB's (src/store/duckdb/schema.ts), so the shared compilers work on both:
 *   epoch-ms Int64 times, `search_text` (lower-cased original, JSON escapes decoded), `fields`
 *   as JSON text without the message, the promoted fields as arrays of lower-cased values.
 *   ClickHouse arrays cannot be NULL: an absent promoted field, and no flags, are `[]`.
 * - Skip indexes: an ngram bloom filter on `search_text` lets a free-text search (substring,
 *   LIKE or RE2 with a literal) skip granules that cannot hold the text; bloom filters on `id`
 *   (an alert's events) and on the high-cardinality promoted fields (`has()` on them: field
 *   filters and first-seen lookups); min/max on `batch_seq` for stored-order reads (retro-hunt
 *   scans, verify), which grow with insertion, not with the sort key. A token bloom filter
 *   (tokenbf_v1) was left out: no query Vigil compiles asks for whole tokens (free text is a
 *   substring), so it would cost space and never skip.
 * - Deduplication: see clickhouse-store.ts (appendEvents). `non_replicated_deduplication_window`
 *   keeps the last 1,000 insert tokens, so an insert retried with the same token is dropped.
 * - Retention: explicit (`enforceRetention`, tombstones keep the chain verifiable); a table TTL
 *   is only a backstop, set at open from the options (clickhouse-store.ts).
 */

import { PROMOTED_FIELDS } from '../sql/promoted-fields.js';

export const SCHEMA_VERSION = 1;

/** How a column enters an event's digest (chain-hashes.ts canonical form). */
export type DigestKind = 'text' | 'nullable-text' | 'int' | 'list';

export interface EventColumn {
  readonly name: string;
  readonly type: string;
  readonly digest: DigestKind;
}

/**
 * The columns an event's digest covers, in order: every stored column of the event (the chain
 * columns follow). The event rows (event-rows.ts) and the digest SQL (clickhouse-chain.ts) are
 * both built from this list.
 */
export const DIGEST_COLUMNS: readonly EventColumn[] = [
  { name: 'id', type: 'String', digest: 'text' },
  { name: 'tenant', type: 'LowCardinality(String)', digest: 'text' },
  { name: 'time', type: 'Int64', digest: 'int' },
  { name: 'received', type: 'Int64', digest: 'int' },
  { name: 'source_input', type: 'LowCardinality(String)', digest: 'text' },
  { name: 'source_kind', type: 'LowCardinality(String)', digest: 'text' },
  { name: 'source_address', type: 'Nullable(String)', digest: 'nullable-text' },
  { name: 'format', type: 'LowCardinality(String)', digest: 'text' },
  { name: 'flags', type: 'Array(LowCardinality(String))', digest: 'list' },
  { name: 'original', type: 'String CODEC(ZSTD(1))', digest: 'text' },
  { name: 'message', type: 'Nullable(String) CODEC(ZSTD(1))', digest: 'nullable-text' },
  { name: 'search_text', type: 'String CODEC(ZSTD(1))', digest: 'text' },
  { name: 'fields', type: 'String CODEC(ZSTD(1))', digest: 'text' },
  ...PROMOTED_FIELDS.map((p) => ({ name: p.column, type: 'Array(String)', digest: 'list' as const })),
];

/** Columns a search reads to rebuild an Event. */
export const HIT_COLUMNS = 'id, tenant, time, received, source_input, source_kind, source_address, format, flags, original, message, fields';

/** Promoted fields worth a bloom filter: many distinct values, looked up by exact value. */
const BLOOM_COLUMNS = ['host_name', 'user_name', 'source_ip', 'destination_ip', 'process_name'];

export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
}

/**
 * Append-only: a released migration is never edited, a new one is added. ClickHouse has no
 * transactional DDL, so every statement is safe to run again (IF NOT EXISTS): a migration cut
 * short is completed on the next open.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS events (
        ${DIGEST_COLUMNS.map((c) => `${c.name} ${c.type}`).join(',\n        ')},
        batch_seq UInt64,
        batch_pos UInt32,
        digest String,
        INDEX search_text_ngrams search_text TYPE ngrambf_v1(4, 65536, 2, 0) GRANULARITY 1,
        INDEX id_bloom id TYPE bloom_filter(0.001) GRANULARITY 1,
        ${BLOOM_COLUMNS.map((c) => `INDEX ${c}_bloom ${c} TYPE bloom_filter(0.01) GRANULARITY 1`).join(',\n        ')},
        INDEX batch_seq_minmax batch_seq TYPE minmax GRANULARITY 1
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMMDD(fromUnixTimestamp64Milli(time))
      ORDER BY (tenant, time, id)
      SETTINGS non_replicated_deduplication_window = 1000`,
      // The chain (docs/history.md): one row per batch, per checkpoint, per retention run, per
      // deleted chained event. Small next to the events; read in key order by verify.
      `CREATE TABLE IF NOT EXISTS event_batches (
        seq UInt64, count UInt32, first_time Int64, last_time Int64, created Int64,
        events_hash String, prev_hash String, hash String
      ) ENGINE = MergeTree ORDER BY seq SETTINGS non_replicated_deduplication_window = 1000`,
      `CREATE TABLE IF NOT EXISTS chain_checkpoints (
        seq UInt64, hash String, signed_at Int64, signature Nullable(String)
      ) ENGINE = MergeTree ORDER BY seq`,
      `CREATE TABLE IF NOT EXISTS retention_runs (
        id String, rule String, selector String, cutoff Int64, started Int64, finished Int64,
        deleted UInt64, legacy_deleted UInt64, tombstones_hash String, signature Nullable(String)
      ) ENGINE = MergeTree ORDER BY (started, id)`,
      `CREATE TABLE IF NOT EXISTS event_tombstones (
        batch_seq UInt64, batch_pos UInt32, id String, digest String, run_id String
      ) ENGINE = MergeTree ORDER BY (batch_seq, batch_pos)`,
      // Consumer checkpoints: the newest version of a consumer's row wins, read with argMax, so
      // no read needs FINAL and merges only tidy up.
      `CREATE TABLE IF NOT EXISTS checkpoints (
        consumer String, position String, version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY consumer`,
    ],
  },
];

export const SCHEMA_VERSION_DDL = `CREATE TABLE IF NOT EXISTS schema_version (version UInt32, applied Int64) ENGINE = MergeTree ORDER BY version`;
