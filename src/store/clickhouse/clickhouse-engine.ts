/**
 * The one seam between the ClickHouse event store and a ClickHouse: four calls, so the store runs
 * unchanged on an embedded engine (chdb, chdb-engine.ts: tests, and a possible single-process
 * mode) and on a server over HTTP (@clickhouse/client, http-engine.ts: production).
 *
 * Parameters are bound by the engine (`{name:Type}` placeholders in the SQL, values by name),
 * never spliced into SQL text. Settings are named by the store's own code only.
 */

/** Values of `{name:Type}` placeholders, by name. 64-bit integers may be given as bigint. */
export type QueryParams = Readonly<Record<string, unknown>>;
/** ClickHouse settings for one statement. */
export type QuerySettings = Readonly<Record<string, string | number | boolean>>;

export interface ClickHouseEngine {
  /** Where the data is, for messages: a data directory or a server URL (without credentials). */
  readonly where: string;
  /** A SELECT's rows, each as an array in SELECT order (64-bit integers may come as strings). */
  rows(sql: string, params?: QueryParams, settings?: QuerySettings): Promise<unknown[][]>;
  /** A statement without rows: DDL, INSERT … SELECT, DELETE. */
  command(sql: string, params?: QueryParams, settings?: QuerySettings): Promise<void>;
  /**
   * Inserts rows (objects keyed by column) as one INSERT. `settings` carries what makes it
   * idempotent (insert_deduplication_token, see clickhouse-store.ts).
   */
  insert(table: string, rows: readonly Readonly<Record<string, unknown>>[], settings?: QuerySettings): Promise<void>;
  close(): Promise<void>;
}
