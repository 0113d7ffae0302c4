/**
 * The hot ECS fields every SQL store keeps in a list column of their own, lower-cased (see
 * src/store/duckdb/schema.ts for why and what it costs): one list, so DuckDB and ClickHouse
 * promote the same fields and a query means the same on both.
 */

export interface PromotedField {
  /** ECS name as used in queries and in `fields`. */
  readonly field: string;
  /** A list column of the field's values, lower-cased (DuckDB VARCHAR[], ClickHouse Array(String)). */
  readonly column: string;
}

/** Order matters: each store lays these columns out in this order (DuckDB: EVENT_COLUMNS). */
export const PROMOTED_FIELDS: readonly PromotedField[] = [
  { field: 'host.name', column: 'host_name' },
  { field: 'user.name', column: 'user_name' },
  { field: 'source.ip', column: 'source_ip' },
  { field: 'destination.ip', column: 'destination_ip' },
  { field: 'event.action', column: 'event_action' },
  { field: 'event.outcome', column: 'event_outcome' },
  { field: 'process.name', column: 'process_name' },
  { field: 'event.category', column: 'event_category' },
  { field: 'event.type', column: 'event_type' },
];

export const PROMOTED_BY_FIELD: ReadonlyMap<string, PromotedField> = new Map(PROMOTED_FIELDS.map((p) => [p.field, p]));
